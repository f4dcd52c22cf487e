"""The real-world corpus (../shared/corpus): every mail parses and gets a classification.

1288 files from 28 open-source test suites (see its MANIFEST.md). The tags in index.tsv
are heuristics, not ground truth; where a tag is arguable the exception is listed below
with its reason. Everything else tagged `bounce` or `autoreply` must be classified so.
"""

from __future__ import annotations

import collections
import csv
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from consultant.mail.classify import classify
from consultant.mail.parse import parse_mail

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
OWN = {"consult@caseconsultant.test"}
KINDS = {"consult", "follow_up", "auto_reply", "bounce", "list", "loop", "rejected"}

# Tagged files whose tag is arguable, with the kinds accepted and why.
EXCEPTIONS: dict[str, tuple[set[str], str]] = {
    "sisimai__set-of-emails/maildir/bsd/lhost-fml-02.eml": (
        {"bounce", "list"},
        "an fml list server's 'you are not a member' notice: list administrivia, not a delivery failure; "
        "it carries Mailing-List headers. Either way it gets no draft.",
    ),
}


@dataclass
class Result:
    path: str
    tags: set[str]
    kind: str
    reason: str
    seconds: float
    error: str | None = None


@pytest.fixture(scope="module")
def results() -> list[Result]:
    if not (CORPUS / "index.tsv").exists():
        pytest.skip(f"corpus not found at {CORPUS}")
    rows = list(csv.DictReader((CORPUS / "index.tsv").open(encoding="utf-8"), delimiter="\t"))
    out: list[Result] = []
    for row in rows:
        raw = (CORPUS / row["path"]).read_bytes()
        tags = set(row["tags"].split(","))
        t0 = time.perf_counter()
        try:
            parsed = parse_mail(raw)
            c = classify(parsed, own_addresses=OWN, allowed_senders=[], max_bytes=10 * 1024 * 1024)
            out.append(Result(row["path"], tags, c.kind, c.reason, time.perf_counter() - t0))
        except Exception:
            elapsed = time.perf_counter() - t0
            out.append(Result(row["path"], tags, "raised", "", elapsed, traceback.format_exc()))
    return out


def test_every_file_is_taken_and_none_raises(results: list[Result]) -> None:
    rows = (CORPUS / "index.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(results) == len(rows) == 1288  # none lost
    raised = [(r.path, r.error) for r in results if r.error]
    assert not raised, raised[:3]


def test_every_file_gets_a_classification(results: list[Result]) -> None:
    bad = [(r.path, r.kind) for r in results if r.kind not in KINDS or not r.reason]
    assert not bad, bad[:10]
    counts = collections.Counter(r.kind for r in results)
    print("\ncorpus classification counts:", dict(counts.most_common()))


@pytest.mark.parametrize(("tag", "kind"), [("bounce", "bounce"), ("autoreply", "auto_reply")])
def test_tagged_bounces_and_autoreplies(results: list[Result], tag: str, kind: str) -> None:
    tagged = [r for r in results if tag in r.tags]
    misses = []
    for r in tagged:
        if r.kind == kind:
            continue
        accepted = EXCEPTIONS.get(r.path, (set(), ""))[0]
        if r.kind not in accepted:
            misses.append((r.path, r.kind, r.reason))
    hits = sum(1 for r in tagged if r.kind == kind)
    print(f"\n{tag}: {hits}/{len(tagged)} classified {kind} ({hits / max(1, len(tagged)):.1%})")
    assert not misses, misses


def test_no_bounce_or_autoreply_among_plain_mail(results: list[Result]) -> None:
    """Untagged, well-formed single-part mail is never mistaken for an automated message."""
    untagged = [r for r in results if r.tags == {"-"}]
    assert untagged
    wrong = [(r.path, r.kind, r.reason) for r in untagged if r.kind in ("bounce", "auto_reply")]
    assert not wrong


def test_reports_and_lists(results: list[Result]) -> None:
    """Feedback reports, read receipts and DMARC reports are automated; tagged list mail is not a consult."""
    for tag in ("arf", "mdn", "dmarc-report", "tls-report"):
        wrong = [(r.path, r.kind) for r in results if tag in r.tags and r.kind == "consult"]
        assert not wrong, (tag, wrong)
    lists = [r for r in results if "list" in r.tags]
    wrong = [(r.path, r.kind) for r in lists if r.kind == "consult"]
    assert not wrong, wrong


def test_body_only_files_have_no_sender(results: list[Result]) -> None:
    body_only = [r for r in results if "body-only" in r.tags]
    assert body_only and all(r.kind == "rejected" for r in body_only)


def test_no_single_mail_is_pathologically_slow(results: list[Result]) -> None:
    slow = sorted(((r.seconds, r.path) for r in results), reverse=True)[:3]
    print("\nslowest:", [(round(s, 2), p) for s, p in slow])
    assert slow[0][0] < 15, slow
