"""inbound_message.enqueued_at: when processing was last enqueued (the sweeper skips rows enqueued
within its window, so a row waiting in a long queue is not re-enqueued as if lost).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 14:39:12.461580
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite rebuilds the table, PostgreSQL runs a plain ALTER TABLE; existing rows
    # stay NULL (the sweeper treats NULL as "not enqueued recently")
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_column("enqueued_at")
