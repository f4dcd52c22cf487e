"""Code store benchmark: prints figures (not a timed test). Writes nothing to the repository.

    python bench/bench_codes.py [--data ../shared/data] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Figures: full HCPCS + PFS + ICD-10-CM load; the 2.5 M-row practitioner PTP load; warm single-code
lookups per second; `exists` calls per second; all PTP + MUE checks of a 10-code claim; the RSS of a
worker-like process with the full store (in a child process, so the loads above do not count).
With --pg the loads and the claim check are also measured on PostgreSQL (a throw-away database).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATA = ROOT.parent / "shared" / "data"
CLAIMS = [
    ["47563", "47562", "43239", "43235", "45385", "45380", "20610", "76942", "99213", "11042"],
    ["99214", "20610", "20611", "76942", "J3301", "96372", "99213", "29881", "29880", "G0008"],
    ["11042", "11045", "97597", "97598", "99213", "99214", "11720", "11721", "G0127", "99212"],
    ["45378", "45380", "45385", "43239", "43235", "00812", "00731", "99152", "99153", "88305"],
]


def _load_core(engine: Any, data: Path) -> dict[str, float]:
    from consultant.codes.releases import create_schema, ensure_icd10cm, load_file

    create_schema(engine)
    t0 = time.perf_counter()
    load_file(engine, "hcpcs", data / "hcpcs" / "HCPC2025_OCT_ANWEB_v4.xlsx")
    t1 = time.perf_counter()
    load_file(engine, "pfs", data / "pfs" / "PPRRVU24_JUL_rvu24c_indicators_no_descriptors.csv")
    t2 = time.perf_counter()
    ensure_icd10cm(engine)
    t3 = time.perf_counter()
    return {"hcpcs_s": t1 - t0, "pfs_s": t2 - t1, "icd10cm_s": t3 - t2, "core_total_s": t3 - t0}


def _load_rest(engine: Any, data: Path) -> dict[str, float]:
    from consultant.codes.releases import load_file, scan_dir

    out: dict[str, float] = {}
    t0 = time.perf_counter()
    load_file(engine, "ptp", data / "ncci" / "ccipra-v302r0_reshaped.csv.gz")
    out["ptp_practitioner_2.5M_s"] = time.perf_counter() - t0
    for kind, path in scan_dir(data):
        if kind in ("hcpcs", "pfs") or path.name.startswith("ccipra"):
            continue
        load_file(engine, kind, path)
    out["rest_s"] = time.perf_counter() - t0 - out["ptp_practitioner_2.5M_s"]
    return out


def _claims(store: Any, dos: Any, n: int = 400) -> dict[str, float]:
    times = []
    for i in range(n):
        claim = CLAIMS[i % len(CLAIMS)]
        t = time.perf_counter()
        store.ptp_edits(claim, dos)
        store.mue(claim, dos)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {
        "claim_ptp_mue_median_ms": statistics.median(times),
        "claim_ptp_mue_p95_ms": times[int(len(times) * 0.95)],
    }


def _lookups(store: Any) -> dict[str, float]:
    from sqlalchemy import text

    with store.engine.connect() as conn:
        codes = list(conn.execute(text("SELECT code FROM cs_code WHERE system='HCPCS' LIMIT 300")).scalars())
        codes += list(conn.execute(text("SELECT DISTINCT code FROM cs_pfs LIMIT 300")).scalars())
        codes += list(
            conn.execute(text("SELECT code FROM cs_code WHERE system='ICD10CM' LIMIT 400")).scalars()
        )
    random.Random(1).shuffle(codes)
    for c in codes:  # warm
        store.lookup(c)
    n = 0
    t = time.perf_counter()
    while time.perf_counter() - t < 2.0:
        for c in codes:
            store.lookup(c)
        n += len(codes)
    lookups = n / (time.perf_counter() - t)
    systems = ["ICD10CM", "HCPCS", "CPT", "ICD10PCS"]
    for s in systems:
        store.exists(s, "X")
    n = 0
    t = time.perf_counter()
    while time.perf_counter() - t < 1.0:
        for c in codes:
            store.exists("ICD10CM", c)
        n += len(codes)
    return {
        "warm_lookups_per_s": lookups,
        "exists_per_s": n / (time.perf_counter() - t),
        "distinct_codes": len(codes),
    }


def _rss_child(url: str) -> dict[str, float]:
    """RSS of a fresh process that imports the worker and answers from the full store."""
    code = f"""
import datetime as dt, json, resource
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1]) / 1024
before = rss()
try:
    import workers.tasks  # noqa: F401  (the worker's imports, when present)
except Exception:
    pass
from consultant.db.session import make_engine
from consultant.codes.store import open_store
from sqlalchemy import text
s = open_store(make_engine({url!r}))
for sy in ("ICD10CM", "HCPCS", "CPT", "ICD10PCS"):
    s.exists(sy, "X")
with s.engine.connect() as c:
    q = text("SELECT code FROM cs_code WHERE system IN ('ICD10CM','HCPCS') LIMIT 30000")
    codes = list(c.execute(q).scalars())
for x in codes:
    s.lookup(x)
dos = dt.date(2024, 8, 15)
for claim in {CLAIMS!r}:
    s.ptp_edits(claim, dos); s.mue(claim, dos); s.add_on_primaries(claim)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"rss_start_mb": before, "rss_mb": rss(), "max_rss_mb": peak}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(url: str, data: Path, label: str) -> dict[str, Any]:
    import datetime as dt

    from consultant.codes.store import SqlCodeStore
    from consultant.db.session import make_engine

    engine = make_engine(url)
    fig: dict[str, Any] = {"backend": label}
    fig.update(_load_core(engine, data))
    fig.update(_load_rest(engine, data))
    store = SqlCodeStore(engine)
    fig.update(_claims(store, dt.date(2024, 8, 15)))
    fig.update(_lookups(store))
    fig.update(_rss_child(url))
    engine.dispose()
    return fig


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--pg", help="PostgreSQL server URL (a throw-away database is created on it)")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(run(f"sqlite:///{tmp}/bench.sqlite3", args.data, "sqlite"))
    if args.pg:
        import psycopg

        name = f"cc_bench_{os.getpid()}"
        admin = args.pg.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        try:
            results.append(run(args.pg.rsplit("/", 1)[0] + "/" + name, args.data, "postgresql"))
        finally:
            from consultant.db.session import reset_engines

            reset_engines()
            with psycopg.connect(admin, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for r in results:
        print(f"\n== {r['backend']} ==")
        for k, v in r.items():
            if k != "backend":
                print(f"{k:28} {v:12.3f}" if isinstance(v, float) else f"{k:28} {v}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
