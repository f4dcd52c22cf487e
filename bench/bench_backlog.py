"""Draining a backlog into drafts with 2 worker processes, against how fast Dovecot takes APPENDs.

    python bench/bench_backlog.py [--mails 5000]

Real Dovecot, Redis, PostgreSQL (own instances, prepared database with ICD-10-CM).
1. APPEND ``--mails`` mails on one connection: APPENDs/s (what Dovecot accepts in this run).
2. Start one Celery worker with 2 pool processes and the poller; time until every mail has a
   committed draft: mails/s drained (goal >= 300), and the ratio drain / append (goal >= 1.0).
Prints the figures and writes them to bench/RESULTS-ingest.md.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from _ingest_stack import Stack, machine, make_mail, write_results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mails", type=int, default=5000)
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args()
    n = args.mails
    where = machine()
    with Stack() as stack:
        mails = [make_mail(i) for i in range(n)]
        size = sum(len(m) for m in mails) / n
        client = stack.imap()
        t0 = time.perf_counter()
        for raw in mails:
            client.append("INBOX", raw)
        append_s = time.perf_counter() - t0
        client.logout()
        append_rate = n / append_s
        print(f"APPEND: {n} mails ({size:.0f} B avg) in {append_s:.1f}s = {append_rate:.0f}/s", flush=True)

        stack.worker(concurrency=2)
        cpu0 = stack.cpu_seconds()
        t0 = time.perf_counter()
        stack.poller()
        last_print = t0
        stored_s: float | None = None
        while True:
            done = stack.drafts()
            now = time.perf_counter()
            if stored_s is None and stack.inbound() >= n:
                stored_s = now - t0  # the poller's share: fetched, stored, committed, enqueued
            if done >= n:
                break
            if now - t0 > args.timeout:
                raise SystemExit(f"only {done} of {n} drafts after {args.timeout:.0f}s")
            if now - last_print > 10:
                print(f"  {done} drafts after {now - t0:.0f}s ({done / (now - t0):.0f}/s)", flush=True)
                last_print = now
            time.sleep(0.2)
        drain_s = time.perf_counter() - t0
        cpu1 = stack.cpu_seconds()
    cpu = {k: (cpu1[k] - cpu0.get(k, 0.0)) * 1000 / n for k in cpu1}  # ms of CPU per mail
    cpu_total = sum(cpu.values())
    drain_rate = n / drain_s
    ratio = drain_rate / append_rate
    stored_s = stored_s or drain_s
    stored_rate = n / stored_s
    lines = [
        f"Backlog of {n} mails ({size:.0f} B avg) drained into drafts by 1 worker with 2 processes "
        f"and the poller ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {where}):",
        "",
        "| Dovecot APPEND | poller: fetched + stored + enqueued | drained into drafts "
        "| ratio drain / APPEND | goals |",
        "|---|---|---|---|---|",
        f"| {append_rate:.0f} mails/s ({append_s:.1f} s) | {stored_rate:.0f} mails/s ({stored_s:.1f} s) "
        f"| {drain_rate:.0f} mails/s ({drain_s:.1f} s) "
        f"| {ratio:.2f} | >= 300 mails/s ({'met' if drain_rate >= 300 else 'NOT met'}), "
        f"ratio >= 1.0 ({'met' if ratio >= 1.0 else 'NOT met'}) |",
        "",
        "CPU per mail during the drain (all processes of each part, from /proc; independent of what "
        "else the machine runs, unlike the rates):",
        "",
        "| worker (2 processes) | poller | PostgreSQL | Redis | total | bound on 2 free cores |",
        "|---|---|---|---|---|---|",
        f"| {cpu['worker']:.1f} ms | {cpu['poller']:.1f} ms | {cpu['postgres']:.1f} ms "
        f"| {cpu['redis']:.1f} ms | {cpu_total:.1f} ms | {2000 / cpu_total:.0f} mails/s |",
        "",
        "The poller (IMAP fetch in batches of 200 + one multi-row INSERT + commit per batch, then one "
        "Celery message per 50 stored ids) runs alongside the workers; the drain rate is the processing "
        "rate of the 2 worker processes (parse, classify, thread, extract, check, draft; a batch's new "
        "questions and machine mail written in one transaction of eight statements, follow-ups and "
        "failures one by one after it).",
    ]
    print("\n".join(lines))
    write_results("Backlog (bench_backlog.py)", lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
