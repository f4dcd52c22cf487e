"""APPEND -> draft ready, with the poller in IDLE and one Celery worker process: p50 / p95.

    python bench/bench_ingest_latency.py [--mails 40] [--gap 0.5]

Real Dovecot, Redis, PostgreSQL (own instances, prepared database with ICD-10-CM). Each mail is
APPENDed alone (``--gap`` seconds apart) and timed until its draft row is committed (polled every
5 ms). Goal: p95 <= 1 s. Prints the figures and writes them to bench/RESULTS-ingest.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

from _ingest_stack import Stack, machine, make_mail, write_results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mails", type=int, default=40)
    ap.add_argument("--gap", type=float, default=0.5)
    args = ap.parse_args()
    where = machine()
    with Stack() as stack:
        stack.worker(concurrency=1)
        stack.poller()
        stack.warm_up()
        client = stack.imap()
        latencies: list[float] = []
        for i in range(args.mails):
            raw = make_mail(i)
            mid = raw.split(b"Message-ID: <", 1)[1].split(b">", 1)[0].decode()
            t0 = time.perf_counter()
            client.append("INBOX", raw)
            deadline = t0 + 30
            while not stack.draft_for(mid):
                if time.perf_counter() > deadline:
                    raise SystemExit(f"mail {i}: no draft after 30 s")
                time.sleep(0.005)
            latencies.append(time.perf_counter() - t0)
            time.sleep(args.gap)
        client.logout()
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    lines = [
        f"APPEND -> draft ready, IDLE poller, 1 worker process, {args.mails} mails one at a time "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {where}):",
        "",
        "| p50 | p95 | min | max | goal |",
        "|---|---|---|---|---|",
        f"| {p50 * 1000:.0f} ms | {p95 * 1000:.0f} ms | {latencies[0] * 1000:.0f} ms | "
        f"{latencies[-1] * 1000:.0f} ms | p95 <= 1000 ms ({'met' if p95 <= 1.0 else 'NOT met'}) |",
    ]
    print("\n".join(lines))
    write_results("Latency (bench_ingest_latency.py)", lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
