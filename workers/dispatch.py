"""The production Dispatcher: Celery messages naming committed rows."""

from __future__ import annotations

from collections.abc import Sequence


class CeleryDispatcher:
    def process_inbound(self, inbound_id: int) -> None:
        from workers.tasks import process_inbound

        process_inbound.delay(inbound_id)

    def process_inbound_batch(self, inbound_ids: Sequence[int]) -> None:
        from workers.tasks import process_inbound_batch

        process_inbound_batch.delay(list(inbound_ids))

    def send_outbound(self, outbound_id: int, countdown: float = 0.0) -> None:
        from workers.tasks import send_outbound

        if countdown > 0:
            send_outbound.apply_async((outbound_id,), countdown=countdown)
        else:
            send_outbound.delay(outbound_id)
