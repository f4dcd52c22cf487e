"""Extraction speed: MB/s of mail text through `extract` (goal >= 2 MB/s), in CPU seconds.

    python bench/bench_extract.py [--seconds N]

The text is the question text of the labelled corpus (tests/corpus/consults) repeated; codes are
confirmed against the in-memory store of the real code lists (tests/extraction/memstore.py).
"""

from __future__ import annotations

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


def main(argv: list[str]) -> int:
    seconds = float(argv[argv.index("--seconds") + 1]) if "--seconds" in argv else 3.0
    store = memory_store()
    raws = [p.read_bytes() for p in sorted((ROOT / "tests/corpus/consults").glob("*.eml"))]
    mail_texts = [parse_mail(r).text for r in raws]  # whole bodies: quoted history, signatures
    questions = [mail_question(r)[0] for r in raws]  # the new text only: dense with codes
    mbps, mails, n = _rate(mail_texts, store, seconds)
    print(f"extract, mail text: {mbps:.2f} MB/s ({mails:.0f} mails/s, {n} mails)")
    qmbps, qmails, _ = _rate(questions, store, seconds)
    print(
        f"extract, question text only (about one code every 40 bytes): {qmbps:.2f} MB/s ({qmails:.0f} mails/s)"
    )
    big = "\n\n".join(mail_texts) * 20
    t1 = time.process_time()
    extract(big, store)
    e2 = time.process_time() - t1
    print(f"extract, one {len(big.encode()) / 1e6:.2f} MB text: {len(big.encode()) / e2 / 1e6:.2f} MB/s")
    return 0 if mbps >= 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
