"""Where a worker's time goes: `process_inbound_batch` in-process on a real PostgreSQL.

    python bench/profile_processing.py [--mails 500] [--profile]

Stores ``--mails`` bench mails (one multi-row INSERT, as the poller does), processes a few to warm
the caches, then times the rest through `process_inbound_batch` in batches of 50 (as a worker
does): CPU ms per mail, wall ms per mail, SQL statements per mail; with --profile, the top of a
cProfile by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _ingest_stack import make_mail  # noqa: E402
from sqlalchemy import event  # noqa: E402

from tests.app_db import prepare_database  # noqa: E402
from tests.servers import Postgres, make_tmp_base  # noqa: E402

STEPS = [
    ("processing.py", "process_inbound"),
    ("parse.py", "parse_mail"),
    ("classify.py", "classify"),
    ("processing.py", "_parsed_json"),
    ("processing.py", "_sender_limits"),
    ("processing.py", "_analyze"),
    ("extract.py", "extract"),
    ("analyze.py", "check_codes"),
    ("processing.py", "_thread"),
    ("processing.py", "_draft"),
    ("draft.py", "build_draft"),
    ("session.py", "commit"),
    ("cursor.py", "execute"),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mails", type=int, default=500)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    base = make_tmp_base("cc-prof-")
    pg = Postgres(base / "pg").start()
    try:
        prepare_database(pg.url)
        import os

        os.environ["CC_DATABASE_URL"] = pg.url
        os.environ["CC_CONSULT_ADDRESS"] = "consult@caseconsultant.test"
        from consultant.db.session import get_engine, session_factory, session_scope
        from consultant.services.dispatch import RecordingDispatcher, set_dispatcher
        from consultant.services.inbox import store_inbound_batch
        from consultant.services.processing import process_inbound_batch
        from consultant.services.store_provider import get_store
        from consultant.settings import get_settings

        set_dispatcher(RecordingDispatcher())
        warm = 20
        with session_scope() as s:
            ids = [st.inbound_id for st in store_inbound_batch(
                s, [(make_mail(i), None) for i in range(args.mails + warm)], source="file")]  # fmt: skip
        store, settings, sf = get_store(), get_settings(), session_factory()
        process_inbound_batch(sf, ids[:warm], store, settings)
        statements = 0

        def count(*_a: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(get_engine(), "before_cursor_execute", count)
        prof = cProfile.Profile() if args.profile else None
        rest = ids[warm:]
        t0, c0 = time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        for start in range(0, len(rest), 50):
            process_inbound_batch(sf, rest[start : start + 50], store, settings)
        if prof:
            prof.disable()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        n = len(rest)
        print(f"{n} mails: {1000 * cpu / n:.1f} ms CPU/mail, {1000 * wall / n:.1f} ms wall/mail "
              f"({n / wall:.0f} mails/s on one process), {statements / n:.1f} SQL statements/mail "
              "(store reads on their own AUTOCOMMIT connections included)")  # fmt: skip
        if prof:
            stats = pstats.Stats(prof)
            print("cumulative ms per mail by step (profiled, so inflated; compare them with each other):")
            raw = stats.stats  # type: ignore[attr-defined]
            for name in STEPS:
                cum = sum(v[3] for k, v in raw.items() if k[2] == name[1] and k[0].endswith(name[0]))
                print(f"  {name[0]}:{name[1]:<28} {1000 * cum / n:6.2f}")
            stats.sort_stats("tottime").print_stats(25)
    finally:
        pg.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
