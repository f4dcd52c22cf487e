"""Extraction speed: MB/s of mail text through `extract` (goal >= 2 MB/s), in CPU seconds.

    python bench/bench_extract.py [--seconds N]

Mail text: the bodies of the labelled consult corpus (tests/corpus/consults, dense with codes: a code
every ~45 bytes) and of the real-world mails in ../shared/corpus (many clients and languages, few
codes), measured together (the mixed figure) and apart; then the consult questions alone (the new
text only). Codes are confirmed against the in-memory store of the real code lists
(tests/extraction/memstore.py). The dense-consult figure is the hard one and is printed on its own,
with the goal next to each figure. Exit status 1 when the mixed or the dense-consult figure is
under 2 MB/s. CPU time of this process; the load average is printed because a busy machine (2 shared
cores) still slows a CPU-bound process somewhat (caches, frequency).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consultant.extraction.extract import extract, mail_question  # noqa: E402
from consultant.mail.parse import parse_mail  # noqa: E402
from tests.extraction.memstore import memory_store  # noqa: E402


def _rate(texts: list[str], store: object, seconds: float) -> tuple[float, float, int]:
    size = sum(len(t.encode()) for t in texts)
    n_bytes = 0
    n_mails = 0
    # CPU time of this process: the figure does not depend on what else the machine runs
    t0 = time.process_time()
    while time.process_time() - t0 < seconds:
        for t in texts:
            extract(t, store)  # type: ignore[arg-type]
        n_bytes += size
        n_mails += len(texts)
    elapsed = time.process_time() - t0
    return n_bytes / elapsed / 1e6, n_mails / elapsed, n_mails


def _real_world_texts(limit: int = 600) -> list[str]:
    """Bodies of the real mails in ../shared/corpus (many clients and languages, few codes)."""
    root = ROOT.parent / "shared" / "corpus"
    if not root.is_dir():
        return []
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.stat().st_size < 400_000:
            try:
                text = parse_mail(p.read_bytes()).text
            except Exception:
                continue
            if text.strip():
                out.append(text)
        if len(out) >= limit:
            break
    return out


def _reference_speed(seconds: float = 0.5) -> float:
    """How fast this machine runs plain Python right now: millions of rounds per CPU second of a
    fixed loop (string slicing, dict and set lookups, a small regex), the same whatever the project's
    code is. The VM this was written on drifts 25-30 % within an hour; comparing each figure with
    this one makes runs taken at different times comparable."""
    import re

    words = ["Can", "I", "bill", "99214-25", "with", "20610", "the", "same", "day?", "Dx", "M17.11"]
    rx = re.compile(r"\d{5}")
    seen: dict[str, int] = {}
    rounds = 0
    t0 = time.process_time()
    while time.process_time() - t0 < seconds:
        for _ in range(1000):
            for w in words:
                seen[w[:3]] = seen.get(w[:3], 0) + len(w)
                if rx.match(w) and w in {"99214-25", "20610"}:
                    rounds += 1
            rounds += 1
    return rounds / (time.process_time() - t0) / 1e6


def _goal(mbps: float) -> str:
    return "goal 2 MB/s met" if mbps >= 2.0 else "UNDER the 2 MB/s goal"


def main(argv: list[str]) -> int:
    seconds = float(argv[argv.index("--seconds") + 1]) if "--seconds" in argv else 3.0
    store = memory_store()
    raws = [p.read_bytes() for p in sorted((ROOT / "tests/corpus/consults").glob("*.eml"))]
    consult_texts = [parse_mail(r).text for r in raws]  # whole bodies: quoted history, signatures
    questions = [mail_question(r)[0] for r in raws]  # the new text only
    real = _real_world_texts()
    mixed = consult_texts + real
    from consultant.extraction import native

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    in_use = native.ACTIVE_DIR is not None
    print(
        f"extraction modules: {'compiled with mypyc' if in_use else 'plain Python'} "
        f"(caseconsultant native status: {native.status()})"
    )
    ref = _reference_speed()
    print(f"machine speed now: {ref:.3f} M reference rounds / CPU s (compare runs by MB/s per this figure)")
    mbps, mails, n = _rate(mixed, store, seconds)
    print(
        f"extract, mail text ({len(consult_texts)} consult mails + {len(real)} real-world mails from "
        f"../shared/corpus): {mbps:.2f} MB/s ({mails:.0f} mails/s, {n} mails) -- {_goal(mbps)}"
    )
    if real:
        rmbps, _, _ = _rate(real, store, seconds)
        print(f"extract, real-world mail text alone: {rmbps:.2f} MB/s -- {_goal(rmbps)}")
    cmbps, cmails, _ = _rate(consult_texts, store, seconds)
    print(
        f"extract, DENSE consult mail text alone (a code every ~45 bytes): {cmbps:.2f} MB/s "
        f"({cmails:.0f} mails/s) -- {_goal(cmbps)}"
    )
    qmbps, qmails, _ = _rate(questions, store, seconds)
    print(f"extract, consult question text alone: {qmbps:.2f} MB/s ({qmails:.0f} mails/s) -- {_goal(qmbps)}")
    ref_end = _reference_speed()
    print(f"machine speed at end: {ref_end:.3f} M reference rounds / CPU s")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if mbps >= 2.0 and cmbps >= 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
