"""The extractor's fast paths give exactly what the plain rules give.

Each shortcut taken for speed (a pattern matched only where it can start, a cheaper equivalent
pattern, a guard that skips a pattern that cannot match) is checked here against the plain
pattern it stands for, on seeded random text built from the words those patterns read.
"""

from __future__ import annotations

import importlib
import random
import re

import pytest

from consultant.extraction import patterns as P

# the module (the package exports the function `extract` under the same name)
X = importlib.import_module("consultant.extraction.extract")


def _words(spaced: str, sep: str = " ") -> list[str]:
    return spaced.split(sep)


def _plain(rx: re.Pattern[str]) -> re.Pattern[str]:
    """The same pattern without possessive quantifiers (what it was written as first)."""
    return re.compile(rx.pattern.replace("*+", "*").replace("++", "+"), rx.flags)


def _same(a: re.Match[str] | None, b: re.Match[str] | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and a.regs == b.regs)


def _texts(words: list[str], n: int, seed: int, most: int = 8) -> list[str]:
    rnd = random.Random(seed)
    gaps = ["", " ", " ", "  ", "\t", ", "]
    return [
        "".join(rnd.choice(gaps) + rnd.choice(words) for _ in range(rnd.randint(1, most))) for _ in range(n)
    ]


_TAIL_WORDS = _words(
    "with w/ plus + and a an the mod mods modifier modifiers. 25 59 RT xs x X × * times billed bill at @ "
    "2 12 123 1234 units unit u uos u.o.s. qty quantity of is was service : = # - – ; , ( ) . / min mg % "
    "years y/o a.m. o'clock two ten ſix bİlled"
)


@pytest.mark.parametrize(
    "rx",
    [
        P.TAIL_MODWORD_RE,
        P.TAIL_UNITS_X_RE,
        P.TAIL_UNITS_N_RE,
        P.TAIL_UNITS_LABEL_RE,
        P.NOT_A_MODIFIER_AFTER_RE,
    ],
)
def test_possessive_tail_patterns_match_as_written(rx: re.Pattern[str]) -> None:
    plain = _plain(rx)
    assert plain.pattern != rx.pattern
    for t in _texts(_TAIL_WORDS, 20000, seed=1):
        assert _same(plain.match(t), rx.match(t)), t


def _before_windows(n: int) -> list[str]:
    rnd = random.Random(2)

    def ch(*options: str) -> str:
        return rnd.choice(options)

    def blank() -> str:
        return ch(" ", "  ", "\t", "")

    out = []
    for _ in range(n):
        w = ch("", "x ", "use ") + ch("", "mod" + blank(), "modifier:" + blank(), "a ", "the ", "-", "- ")
        w += ch("", "-") + blank() + ch("25", "RT", "XS", "59", "zz")
        for _ in range(rnd.randint(0, 2)):
            w += blank() + ch(",", "/", "&", "and", "or", "vs.", ", and")
            w += blank() + ch("", "-") + ch("59", "XU")
        w += ch("", blank() + ch("modifier", "mod")) + blank() + ch("", "should ", "goes ", "be appended ")
        w += ch("on", "to", "onto", "for", "with", "appended to") + blank()
        w += ch("", "the" + blank(), "code" + blank(), "cpt code ") + ch("", "#", "# ")
        out.append(w)
    return out


@pytest.mark.parametrize(
    "rx",
    [
        P.BEFORE_MOD_KEYWORD_RE,
        P.BEFORE_MOD_ARTICLE_RE,
        P.BEFORE_MOD_HYPHEN_RE,
        P.BEFORE_MOD_SUFFIXWORD_RE,
        P.BEFORE_MOD_BARE_ALPHA_RE,
    ],
)
def test_possessive_before_patterns_match_as_written(rx: re.Pattern[str]) -> None:
    plain = _plain(rx)
    found = 0
    for t in _before_windows(10000):
        m = rx.search(t)
        found += m is not None
        assert _same(plain.search(t), m), t
    assert found > 1000


def test_units_n_guard_never_skips_a_match() -> None:
    for t in _texts(_TAIL_WORDS, 30000, seed=3, most=6):
        j = len(t) - len(t.lstrip(" \t"))
        if P.TAIL_UNITS_N_RE.match(t):
            assert X._units_n_may_start(t, j), t
    assert not X._units_n_may_start(" and 20610", 1)
    assert not X._units_n_may_start(" or 99214", 1)
    assert X._units_n_may_start(" for 2 units", 1)
    assert X._units_n_may_start(" twounits", 1)


_LATE_WORDS = _words(
    "with w/ add adding append need needs use using plus get take require carry carries have has be or "
    "and a an the mod modifier modifiers 25 59 XS RT rt xu GT , / & - . ? ! \n it should go maybe both "
    ": # Modifier WITH Or AND xxxxxxxxxxxx"
)


def test_late_match_is_late_mod_re_match() -> None:
    found = 0
    for w in _texts(_LATE_WORDS, 30000, seed=4, most=14):
        w = w[:50]
        text = "99214 " + w + " and 25 after"
        low = text.lower()
        a, b = 6, 6 + len(w)
        plain = P.LATE_MOD_RE.match(w)
        vb = X._LATE_VERB_BLANK_RE.search(low, a, b)
        fast = X._late_match(w, low, vb, a) if vb else None
        found += plain is not None
        assert (plain is None) == (fast is None), w
        if plain is not None and fast is not None:
            assert (plain.end(), plain.groupdict()) == (fast.end(), fast.groupdict()), w
    assert found > 1000


def test_ascii_candidate_pattern_on_ascii_text() -> None:
    rnd = random.Random(5)
    alphabet = "0123456789ABDEGHIJOXZabdegijoxzsS.-,'@$\\_ \n\t:/\x1c"
    for _ in range(20000):
        t = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 30)))
        plain = [(m.span(), m.lastgroup) for m in P.CANDIDATE_RE.finditer(t)]
        assert plain == [(m.span(), m.lastgroup) for m in P.CANDIDATE_ASCII_RE.finditer(t)], t


def test_sign_off_after_newline() -> None:
    plain = re.compile(r"\n" + P._SIGNATURE_LINE, re.IGNORECASE | re.MULTILINE)
    words = _words(
        "thanks|Thank you|THX|regards|ſincerely|\u212aind regards|best|--|__|—|v/r|all the best", "|"
    )
    for t in _texts([*words, "cheers", "- Bob", "\n", ",", "!", "in advance", "Ian", "x"], 20000, seed=6):
        fast = P.SIGNATURE_AFTER_NEWLINE_RE.finditer(t)
        assert [m.span() for m in plain.finditer(t)] == [m.span() for m in fast], t


def test_signature_start() -> None:
    text = "Can I bill 99214-25 with 20610?\n\nThanks,\nDana Whitfield\nMadison, WI 53703\n"
    assert X._signature_start(text) == text.index("Thanks")
    assert X._signature_start("Thanks,\nDana") == 0
    # a question after the sign-off: not a signature block
    assert X._signature_start("Hi\nThanks,\nis 99214 ok?\n") == len("Hi\nThanks,\nis 99214 ok?\n")


def test_table_header_head_found_wherever_a_header_is() -> None:
    words = _words(
        "CPT cpt Code codes procedure proc service HCPCS hcpcſ ſervice units Units qty uos Mod | 99214 25"
    )
    for t in _texts([*words, "\n", "  |  ", "\t"], 20000, seed=7, most=10):
        if P.TABLE_HEADER_RE.search(t):
            assert P.TABLE_HEADER_HEAD_RE.match(t) or P.TABLE_HEADER_HEAD_AFTER_NEWLINE_RE.search(t), t
