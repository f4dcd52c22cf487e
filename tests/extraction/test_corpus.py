"""The labelled corpus (tests/corpus/consults, 80+ mails with gold) reaches the goals, with codes
confirmed by the real SQL code store (and by the in-memory double, which must agree); the small
held-out corpus written apart from the extractor (tests/corpus/heldout) too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from consultant.codes.model import CodeStore
from consultant.codes.store import SqlCodeStore
from consultant.extraction.extract import extract_mail
from consultant.extraction.scoring import Score, score_one
from tests.extraction.memstore import memory_store

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "consults"
HELDOUT = Path(__file__).resolve().parents[1] / "corpus" / "heldout"


def score_dir(corpus: Path, store: CodeStore) -> Score:
    score = Score()
    for eml in sorted(corpus.glob("*.eml")):
        gold = json.loads(eml.with_suffix(".gold.json").read_text())
        result = extract_mail(eml.read_bytes(), store)
        score_one(score, eml.stem, gold, [c.to_json() for c in result.codes])
    print(score.table())
    return score


def assert_goals(score: Score) -> None:
    assert score.codes.precision >= 0.99, score.errors
    assert score.codes.recall >= 0.98, score.errors
    assert score.modifiers.f1 >= 0.97, score.errors


def test_corpus_size() -> None:
    mails = sorted(CORPUS.glob("*.eml"))
    assert len(mails) >= 80
    assert all(m.with_suffix(".gold.json").exists() for m in mails)


def test_corpus_scores_reach_the_goals_on_the_real_store(full_store: SqlCodeStore) -> None:
    assert_goals(score_dir(CORPUS, full_store))


def test_corpus_scores_reach_the_goals_on_the_test_double() -> None:
    assert_goals(score_dir(CORPUS, memory_store()))


@pytest.mark.skipif(not HELDOUT.is_dir(), reason="no held-out corpus in this checkout")
def test_heldout_corpus_reaches_the_goals(full_store: SqlCodeStore) -> None:
    assert_goals(score_dir(HELDOUT, full_store))


def test_no_cpt_descriptor_text_in_corpus() -> None:
    # the corpus refers to CPT codes by number; a gold file carries no descriptions at all
    for gold in CORPUS.glob("*.gold.json"):
        for item in json.loads(gold.read_text()):
            assert set(item) == {"system", "code", "modifiers", "units"}


HELDOUT2 = Path(__file__).resolve().parents[1] / "corpus" / "heldout2"


def test_second_blind_heldout_batch(full_store: SqlCodeStore) -> None:
    """A second batch written after the first held-out one had been used for fixes. Blind, it
    scored code P/R 1.000 and modifier-pair F1 0.737; two general rules came out of it (lower-case
    words such as "pt" are not modifiers; "Modifiers: RT on all three"). One miss is left as is:
    a modifier in parentheses a clause after its code ("66982 on the other eye later (LT)")."""
    score = score_dir(HELDOUT2, full_store)
    assert score.codes.precision >= 0.99, score.errors
    assert score.codes.recall >= 0.98, score.errors
    assert score.modifiers.precision >= 0.99, score.errors
    assert score.modifiers.recall >= 0.9, score.errors


HELDOUT3 = Path(__file__).resolve().parents[1] / "corpus" / "heldout3"
HELDOUT4 = Path(__file__).resolve().parents[1] / "corpus" / "heldout4"


@pytest.mark.parametrize("corpus", [HELDOUT3, HELDOUT4], ids=["heldout3", "heldout4"])
def test_third_and_fourth_blind_heldout_batches(corpus: Path, full_store: SqlCodeStore) -> None:
    """Two batches of 40 mails each, written apart from the extractor by two writers who had not
    seen it (claim tables, remittance remark codes, replies and forwards, wrapped prose, anesthesia,
    PLA and Category II codes). Blind they scored: heldout3 codes P 1.000 R 0.980, modifier F1
    0.901, units R 0.76; heldout4 codes P 0.981 R 0.981, modifier F1 0.922, units R 0.33. The general
    rules that came out of them are tested one by one in test_extract.py (HELDOUT_RULES). Left as
    they are: a modifier for "the biopsy" or "the OT line" when the sentence before names several
    codes, and "NU or UE" with two DME codes in the question."""
    assert_blind_batch(score_dir(corpus, full_store), modifier_recall=0.9, units_recall=0.95)


def assert_blind_batch(score: Score, *, modifier_recall: float, units_recall: float) -> None:
    assert score.codes.precision >= 0.99, score.errors
    assert score.codes.recall >= 0.98, score.errors
    assert score.modifiers.precision >= 0.97, score.errors
    assert score.modifiers.recall >= modifier_recall, score.errors
    assert score.units.recall >= units_recall, score.errors


def test_no_cpt_descriptor_text_in_any_gold_file() -> None:
    for gold in (CORPUS.parent).glob("*/*.gold.json"):
        for item in json.loads(gold.read_text()):
            assert set(item) == {"system", "code", "modifiers", "units"}, gold


HELDOUT5 = Path(__file__).resolve().parents[1] / "corpus" / "heldout5"
HELDOUT6 = Path(__file__).resolve().parents[1] / "corpus" / "heldout6"


@pytest.mark.parametrize("corpus", [HELDOUT5, HELDOUT6], ids=["heldout5", "heldout6"])
def test_fifth_and_sixth_blind_heldout_batches(corpus: Path, full_store: SqlCodeStore) -> None:
    """Two more batches of 40, written apart from the extractor: specialties (ambulance, DME,
    anesthesia, radiology, lab, surgery assistants, therapy, Category II) and messy mail (remittance
    text, glued list numbers, replies with inline answers, phone shorthand). Blind they scored:
    heldout5 codes P 0.996 R 0.989, modifier F1 0.858, units R 0.87; heldout6 codes P 0.985 R 0.978,
    modifier F1 0.823, units R 0.75. The general rules that came out of them are in HELDOUT_RULES.
    One gold fix: heldout5/r13 "73560-50 x 1" has units 1. Left as they are: a modifier for "the
    wrist one" or "they" when the sentence before names several codes, an ERA whose columns do not
    line up with its header, and a tail ", or XS modifier" after a code named as the edit partner."""
    assert_blind_batch(score_dir(corpus, full_store), modifier_recall=0.93, units_recall=0.9)


HELDOUT7 = Path(__file__).resolve().parents[1] / "corpus" / "heldout7"
HELDOUT8 = Path(__file__).resolve().parents[1] / "corpus" / "heldout8"


@pytest.mark.parametrize("corpus", [HELDOUT7, HELDOUT8], ids=["heldout7", "heldout8"])
def test_seventh_and_eighth_blind_heldout_batches(corpus: Path, full_store: SqlCodeStore) -> None:
    """Batches 7 and 8, written apart from the extractor after the rules of batches 5 and 6 were in:
    every way of writing modifiers and units (7), and replies, forwards, HTML tables and number-heavy
    signatures (8). Blind: heldout7 codes P 0.997 R 1.000, modifier F1 0.801 (modifiers for "all of
    them", "both", "every J code"), units R 0.97; heldout8 codes P 0.996 R 0.996, modifier F1 0.946,
    units R 0.965. Left as they are: modifiers for "the cysto" / "the supplies" / "line 2", an
    E/M modifier "on the preventive visit code" with two E/M codes, and "one of the X's (XE/XS/XP/XU)"."""
    assert_blind_batch(score_dir(corpus, full_store), modifier_recall=0.89, units_recall=0.95)
