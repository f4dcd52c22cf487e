"""Parse + classify throughput: mails per second over the real-world corpus and a consult mix.

    python bench/bench_parse.py [--corpus ../shared/corpus] [--repeat 3] [--json]

Prints figures; asserts nothing. One process, warm (a first pass is not timed).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from consultant.mail.classify import classify  # noqa: E402
from consultant.mail.parse import parse_mail  # noqa: E402

OWN = {"consult@caseconsultant.test"}


def _run(mails: list[bytes]) -> float:
    t0 = time.perf_counter()
    for raw in mails:
        classify(parse_mail(raw), own_addresses=OWN, allowed_senders=[], max_bytes=10 * 1024 * 1024)
    return time.perf_counter() - t0


def _measure(name: str, mails: list[bytes], repeat: int) -> dict[str, float | int | str]:
    _run(mails[: min(len(mails), 50)])  # warm: imports, compiled patterns
    times = [_run(mails) for _ in range(repeat)]
    best = min(times)
    total = sum(len(m) for m in mails)
    return {
        "set": name,
        "mails": len(mails),
        "megabytes": round(total / 1e6, 2),
        "best_seconds": round(best, 3),
        "median_seconds": round(statistics.median(times), 3),
        "mails_per_second": round(len(mails) / best, 1),
        "mb_per_second": round(total / 1e6 / best, 2),
    }


def consult_mix() -> list[bytes]:
    """Small consult-like mails (plain, HTML, replies, forwards), as the product mostly sees."""
    sys.path.insert(0, str(ROOT))
    from tests.mail import mails as m

    names = ["CONSULT", "HTML_ONLY", "ALTERNATIVE", "WITH_ATTACHMENT", "REPLY", "OUTLOOK_REPLY",
             "INLINE_REPLY", "GMAIL_FORWARD", "OUTLOOK_FORWARD", "OOF_EXCHANGE", "BOUNCE_DSN", "LATIN1"]
    return [getattr(m, n) for n in names] * 100


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    results = [_measure("consult-mix (written mails, ~0.4 KB)", consult_mix(), args.repeat)]
    index = args.corpus / "index.tsv"
    if index.exists():
        rows = list(csv.DictReader(index.open(encoding="utf-8"), delimiter="\t"))
        mails = [(args.corpus / r["path"]).read_bytes() for r in rows]
        results.append(_measure("real-world corpus (all files)", mails, args.repeat))
        small = [m for m in mails if len(m) <= 64 * 1024]
        results.append(_measure("real-world corpus (files <= 64 KB)", small, args.repeat))
    if args.json:
        print(json.dumps(results))
        return
    for r in results:
        print(
            f"{r['set']:<40} {r['mails']:>6} mails {r['megabytes']:>7} MB  "
            f"{r['mails_per_second']:>8} mails/s  {r['mb_per_second']:>6} MB/s  (best of {args.repeat})"
        )


if __name__ == "__main__":
    main()
