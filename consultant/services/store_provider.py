"""One code store per process, opened lazily on the configured database."""

from __future__ import annotations

import functools

from consultant.codes.model import CodeStore
from consultant.db.session import get_engine


@functools.lru_cache(maxsize=1)
def get_store() -> CodeStore:
    from consultant.codes.store import open_store

    return open_store(get_engine())


def reset_store() -> None:
    get_store.cache_clear()
