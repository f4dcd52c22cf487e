"""Score the extractor on a labelled corpus of .eml + .gold.json files; prints P / R / F1.

    python bench/score_corpus.py [CORPUS_DIR] [--errors]

Codes are confirmed against an in-memory store of the real public code lists
(tests/extraction/memstore.py: PFS CPT numbers, HCPCS 2025 Oct, ICD-10-CM FY2026, ICD-10-PCS),
or against the SQL code store with --sql (the configured database, loaded by `codes load`) or
--sql=URL (e.g. the test suite's full store, sqlite:///.pytest_cache/d/codes-store/full-*.sqlite3).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consultant.extraction.extract import extract_mail  # noqa: E402
from consultant.extraction.scoring import Score, score_one  # noqa: E402


def score_corpus(corpus: Path, store: object) -> Score:
    score = Score()
    for eml in sorted(corpus.glob("*.eml")):
        gold_file = eml.with_suffix(".gold.json")
        if not gold_file.exists():
            continue
        gold = json.loads(gold_file.read_text())
        result = extract_mail(eml.read_bytes(), store)  # type: ignore[arg-type]
        score_one(score, eml.stem, gold, [c.to_json() for c in result.codes])
    return score


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    corpus = Path(args[0]) if args else ROOT / "tests" / "corpus" / "consults"
    sql = next((a for a in argv if a.startswith("--sql")), None)
    if sql:
        from consultant.codes.store import open_store
        from consultant.db.session import get_engine, make_engine

        url = sql.partition("=")[2]
        store: object = open_store(make_engine(url) if url else get_engine())
    else:
        from tests.extraction.memstore import memory_store

        store = memory_store()
    score = score_corpus(corpus, store)
    print(score.table())
    if "--errors" in argv:
        for name, kind, items in score.errors:
            print(f"  {name}: {kind} {items}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
