"""Pipeline speed: parse + extract + check + render, consult mails per second in one process.

    python bench/bench_pipeline.py [--db URL] [--seconds N]

Goal: >= 200 consult mails/s. The mails are the labelled consult corpus (tests/corpus/consults/*.eml);
the store is the real SQL code store (SqlCodeStore) over the full staged data (../shared/data: HCPCS,
PFS, ICD-10-CM/PCS, NCCI PTP practitioner + hospital, MUE, AOC). Without --db the store is built
once into var/bench/codes-store.sqlite3 (several minutes) and reused.

Figures are CPU seconds of this process (time.process_time), so they do not depend on what else the
machine runs; wall-clock figures are printed beside them. The first pass over the corpus is "cold"
(empty lookup caches); the timed loop after it is the steady state of a long-running worker.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consultant.codes.store import open_store  # noqa: E402
from consultant.db.session import make_engine  # noqa: E402
from consultant.drafting.analyze import analyze  # noqa: E402
from consultant.drafting.draft import build_draft  # noqa: E402
from consultant.drafting.reply import render_reply  # noqa: E402
from consultant.mail.parse import parse_mail  # noqa: E402

DEFAULT_DB = ROOT / "var" / "bench" / "codes-store.sqlite3"
SHARED_DATA = ROOT.parent / "shared" / "data"


def _store(url: str | None):  # type: ignore[no-untyped-def]
    if url is None:
        if not DEFAULT_DB.exists():
            from consultant.codes.releases import create_schema, load_staged_data

            DEFAULT_DB.parent.mkdir(parents=True, exist_ok=True)
            tmp = DEFAULT_DB.with_suffix(".building")
            tmp.unlink(missing_ok=True)
            engine = make_engine(f"sqlite:///{tmp}")
            print(f"building the code store from {SHARED_DATA} (once) ...", flush=True)
            create_schema(engine)
            load_staged_data(engine, SHARED_DATA, include_ptp=True)
            engine.dispose()
            tmp.replace(DEFAULT_DB)
        url = f"sqlite:///{DEFAULT_DB}"
    return open_store(make_engine(url), shared=False)


def one(raw: bytes, store, case_id: int) -> int:  # type: ignore[no-untyped-def]
    parsed = parse_mail(raw)
    analysis = analyze(parsed.question, store)
    draft = build_draft(
        parsed_subject=parsed.subject,
        asker_name=parsed.from_name,
        question=parsed.question,
        codes=analysis.extraction.codes,
        infos=analysis.infos,
        findings=analysis.findings,
        case_id=case_id,
        date_of_service=analysis.date_of_service.isoformat() if analysis.date_of_service else None,
    )
    return len(draft.body_text) + len(analysis.findings)


def main(argv: list[str]) -> int:
    seconds = float(argv[argv.index("--seconds") + 1]) if "--seconds" in argv else 5.0
    url = argv[argv.index("--db") + 1] if "--db" in argv else None
    store = _store(url)
    mails = [p.read_bytes() for p in sorted((ROOT / "tests" / "corpus" / "consults").glob("*.eml"))]
    if not mails:
        print("no mails in tests/corpus/consults")
        return 2
    size = sum(len(m) for m in mails)
    print(f"{len(mails)} consult mails, {size / len(mails):.0f} bytes on average")

    c0, w0 = time.process_time(), time.perf_counter()
    findings = sum(one(m, store, i) for i, m in enumerate(mails))
    cold_cpu, cold_wall = time.process_time() - c0, time.perf_counter() - w0
    print(f"cold pass: {len(mails) / cold_cpu:.0f} mails/s CPU ({len(mails) / cold_wall:.0f} wall)")

    per_mail: list[float] = []
    n = 0
    c0, w0 = time.process_time(), time.perf_counter()
    while time.process_time() - c0 < seconds:
        for i, m in enumerate(mails):
            t = time.perf_counter()
            one(m, store, i)
            per_mail.append(time.perf_counter() - t)
        n += len(mails)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    rate = n / cpu
    per_mail.sort()
    p50 = statistics.median(per_mail) * 1000
    p95 = per_mail[int(len(per_mail) * 0.95)] * 1000
    print(
        f"parse + extract + check + render: {rate:.0f} consult mails/s CPU ({n / wall:.0f} wall), "
        f"{n} mails; per mail p50 {p50:.2f} ms, p95 {p95:.2f} ms (goal >= 200 mails/s)"
    )

    # the reply render alone (approved text -> subject, text, HTML)
    body = "Hello,\n\n" + "A paragraph of the approved answer with 99214-25 and 20610.\n" * 40
    t = time.process_time()
    k = 0
    while time.process_time() - t < 1.0:
        render_reply(body, "Re: question", k)
        k += 1
    print(f"reply render (text + HTML): {k / (time.process_time() - t):.0f} replies/s")
    print(f"(checksum {findings})")
    return 0 if rate >= 200 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
