"""Full-text search over code descriptions: SQLite FTS5 or a PostgreSQL tsvector GIN index.

Both back ends get the same query: lower-case words, English stop words dropped, every remaining
word required, English stemming (FTS5 ``porter`` tokenizer / PostgreSQL ``english`` config).
Results are ranked (bm25 / ts_rank normalized by document length), one hit per (system, code),
the newest release first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "not",
        "of",
        "on",
        "or",
        "other",
        "than",
        "that",
        "the",
        "to",
        "with",
        "without",
    ]
)
SEARCHABLE_SYSTEMS = ("ICD10CM", "ICD10PCS", "HCPCS", "CPT")
_PG_DOC = "to_tsvector('english', coalesce(description, ''))"


@dataclass(frozen=True)
class SearchHit:
    system: str
    code: str
    description: str
    rank: float
    release_id: int


def words(query: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", query.lower()) if w not in STOP_WORDS]


def ensure_search_index(conn: Connection) -> None:
    """Create the full-text structure if missing (not a mapped table: created here, idempotent)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS cs_code_fts USING fts5("
            "description, content='cs_code', content_rowid='id', tokenize='porter unicode61')"
        )
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS ix_cs_code_fts ON cs_code USING gin ({_PG_DOC})")


def index_release(conn: Connection, release_id: int) -> None:
    """Add the descriptions of one release to the index (inside the load's transaction)."""
    ensure_search_index(conn)
    if conn.dialect.name == "sqlite":
        conn.execute(
            text(
                "INSERT INTO cs_code_fts(rowid, description) SELECT id, description FROM cs_code "
                "WHERE release_id = :r AND description IS NOT NULL"
            ),
            {"r": release_id},
        )


def search(engine: Engine, query: str, system: str | None = None, limit: int = 20) -> list[SearchHit]:
    ws = words(query)
    if not ws or limit <= 0:
        return []
    params: dict[str, object] = {"n": limit * 4 + 20}
    where_system = ""
    if system:
        where_system = " AND c.system = :s"
        params["s"] = system
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            exists = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'cs_code_fts'").first()
            if not exists:
                return []
            params["q"] = " AND ".join(f'"{w}"' for w in ws)
            sql = (
                "SELECT c.system, c.code, c.description, -bm25(cs_code_fts) AS rank, c.release_id "
                "FROM cs_code_fts JOIN cs_code c ON c.id = cs_code_fts.rowid "
                f"WHERE cs_code_fts MATCH :q{where_system} "
                "ORDER BY rank DESC, c.code, c.release_id DESC LIMIT :n"
            )
        else:
            params["q"] = " & ".join(ws)
            sql = (
                f"SELECT c.system, c.code, c.description, ts_rank({_PG_DOC}, q, 2) AS rank, c.release_id "
                "FROM cs_code c, to_tsquery('english', :q) q "
                f"WHERE {_PG_DOC.replace('description', 'c.description')} @@ q{where_system} "
                "ORDER BY rank DESC, c.code, c.release_id DESC LIMIT :n"
            )
        rows = conn.execute(text(sql), params).all()
    seen: set[tuple[str, str]] = set()
    hits: list[SearchHit] = []
    for r in rows:
        key = (r[0], r[1])
        if key in seen:
            continue
        seen.add(key)
        hits.append(SearchHit(r[0], r[1], r[2], float(r[3]), int(r[4])))
        if len(hits) >= limit:
            break
    return hits
