"""Finding every code reference in a coder's question.

The extractor works in three passes over the question text:

1. every token shaped like a code (CPT / HCPCS / ICD-10-CM / ICD-10-PCS) is a candidate; its
   system is decided by shape and by what the store knows (`store.exists`), and the modifiers
   and units written after it (or before it: "modifier 59 on 20610", "2 units of J3301") are read;
2. each candidate is weighed: what the words right before and after say it is not (claim,
   room, suite, ZIP, street, dollar, NPI, version, ICD-9, signature block), and what they say
   it is (CPT, dx, modifier, units, billed...). Shapes that only codes have (M17.11, J3301,
   0042T) need little context; bare five-digit numbers and undotted ICD codes need more;
   a well-formed code the store does not know needs the most (it is reported as invalid);
3. codes written as one list ("20610, 99214-25 and J3301", "99202-99205") share context, and a
   mail that plainly names codes lends its context to the known codes in it;
4. modifiers and units written away from their code are attached: later in the clause
   ("should 11042 carry 59 or XS?"), in a table's columns ("CPT  Mod  Units"), or named alone
   ("do I need modifier 25?": an E/M modifier goes on the one E/M code, another on the one
   procedure code); a code mentioned twice is merged, then status / billable come from the store
   as of the date of service when the text states one.

The store is passed in: this module does no I/O and logs nothing.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from consultant.codes.model import CodeStore, System
from consultant.extraction import context as C
from consultant.extraction import patterns as P
from consultant.extraction.model import CodeMention, Extraction
from consultant.extraction.modifiers import (
    ALL_MODIFIERS,
    AMBULANCE_MODIFIERS,
    BARE_ALPHA_MODIFIERS,
    CPT_MODIFIERS,
    EM_MODIFIERS,
    LOWER_BARE_MODIFIERS,
)

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}

# kinds of candidate, by how much context they need
_DOTTED_ICD = "dotted_icd"  # M17.11: only codes look like this
_ALNUM = "alnum"  # J3301, 0042T, 3074F, 0SRC0J9: letters and digits mixed
_BARE_ICD = "bare_icd"  # M1711, E119: an ICD code written without its dot
_SHORT_ICD = "short_icd"  # I10, E11, G20: three characters
_NUMERIC = "numeric"  # 99214: any five-digit number could be one
_DIGIT_PCS = "digit_pcs"  # 0016070: any seven-digit number could be one


# The text is scanned in a copy of the same length where look-alike characters are plain:
# no-break and thin spaces become spaces, the many dashes and hyphens become "-".
SCAN_TABLE = str.maketrans(
    {
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00d7": "x",
        "\uff03": "#",
        "\u00ae": " ",
        "\u2122": " ",
    }
)


@dataclass(slots=True)
class _Cand:
    start: int
    end: int
    system: System
    code: str
    kind: str
    exists: bool
    tail_end: int
    in_signature: bool = False
    modifiers: list[str] = field(default_factory=list)
    units: int | None = None
    negative: bool = False
    before_mods: bool = False  # its modifiers were written before it ("the SL on the 90715, ...")
    strong: bool = False  # a system word right before it, or modifiers / units on it
    context: bool = False  # a coding word in its sentence
    context_known: bool = False
    accepted: bool = False


def _to_int(word: str) -> int | None:
    w = word.lower()
    if w.isdigit():
        n = int(w)
        return n if 0 < n < 1000 else None
    return _NUMBER_WORDS.get(w)


def _icd_dotted(code: str) -> str:
    code = code.upper().replace(".", "")
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


# Lower-case words that are also two-letter HCPCS modifiers when upper case: written in lower case
# after a code they are the words ("20553 - pt got ...": the patient), never the modifier.
_LOWER_CASE_WORDS = frozenset({"pt", "am", "as", "at", "ed", "er", "go", "me", "no", "so", "up"})


def _is_mod(token: str, *, bare: bool, numeric_only_cpt: bool = False) -> bool:
    if token[0] == "x" and token[1].isdigit():
        return False  # "x4" is four units (X4, upper case, is a modifier)
    if token in _LOWER_CASE_WORDS:
        return False
    up = token.upper()
    if up not in ALL_MODIFIERS:
        return False
    if up.isdigit():
        return up in CPT_MODIFIERS or not numeric_only_cpt
    if bare:
        return up in BARE_ALPHA_MODIFIERS and (token == up or up in LOWER_BARE_MODIFIERS)
    return True


def _is_any_mod(token: str) -> bool:
    return token.upper() in ALL_MODIFIERS


def _quantity_follows(text: str, pos: int) -> bool:
    return P.NOT_A_MODIFIER_AFTER_RE.match(text, pos) is not None


_TAIL_STOP = frozenset(".?!;\n\r\"'")
_TAIL_WORDS = frozenset(
    [
        "with",
        "w/",
        "w",
        "plus",
        "and",
        "or",
        "mod",
        "mods",
        "modifier",
        "modifiers",
        "x",
        "times",
        "for",
        "at",
        "billed",
        "units",
        "unit",
        "u",
        "uos",
        "qty",
        "quantity",
        "a",
        "an",
        "of",
    ]
) | {m.lower() for m in LOWER_BARE_MODIFIERS}


# which first character (after spaces) each tail pattern can start with: most codes are followed by
# a plain word or punctuation, and then no pattern needs to be tried
_TAIL_MOD_RULES: tuple[tuple[re.Pattern[str], bool, frozenset[str] | None], ...] = (
    (P.TAIL_HYPHEN_RE, False, frozenset("-")),
    (P.TAIL_PAREN_RE, False, frozenset("(")),
    (P.TAIL_MODWORD_RE, False, frozenset(",wWpP+aAtTmM")),
    (P.TAIL_WITH_RE, True, frozenset("wWpP+")),
    (P.TAIL_BARE_RE, True, None),
)
_TAIL_UNIT_RULES: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (P.TAIL_UNITS_X_RE, frozenset(",(xX×*tTbBaA@")),
    (P.TAIL_UNITS_N_RE, frozenset(",(-–:fFaAbBwWoO@=qQtTsSeEnN")),
    (P.TAIL_UNITS_LABEL_RE, frozenset(",(-–;uUqQ")),
    (P.TAIL_UNITS_PAREN_RE, frozenset("(")),
)
_TailRules = tuple[tuple[tuple[re.Pattern[str], bool], ...], tuple[re.Pattern[str], ...]]


def _tail_rules(c0: str) -> _TailRules:
    """The modifier rules (pattern, bare) and the units patterns that can match before `c0`, the
    first non-blank character after a code or its last modifier ("" at the end of the text)."""
    mod_rules = tuple(
        (rx, bare)
        for rx, bare, firsts in _TAIL_MOD_RULES
        if (c0 in firsts if firsts is not None else c0.isalnum())
    )
    unit_rules = tuple(rx for rx, firsts in _TAIL_UNIT_RULES if c0 in firsts or c0.isdigit())
    return mod_rules, unit_rules


# the same for every ASCII character and the few others the rules name, worked out once
_TAIL_RULES_BY_FIRST: dict[str, _TailRules] = {
    c: _tail_rules(c) for c in [chr(i) for i in range(128)] + ["", "–", "×"]
}


_ASCII_WORD_RE = re.compile(r"[A-Za-z/]*")
_ASCII_LETTERS_RE = re.compile(r"[A-Za-z]*")
# TAIL_UNITS_N_RE read from a letter: its first word is one of these, or starts with one of those
_UNITS_N_FIRST_WORDS = frozenset({"for", "at", "billed", "with", "of", "a", "an"})
_UNITS_N_FIRST_STARTS = ("qty", "quantity", *_NUMBER_WORDS)


def _units_n_may_start(text: str, j: int) -> bool:
    """Whether TAIL_UNITS_N_RE can match with its first non-blank character at `j`: always, unless
    that is an ASCII letter starting a plain ASCII word none of its words can start ("and", "or":
    the pattern is slow to fail)."""
    c0 = text[j] if j < len(text) else ""
    if not ("a" <= c0 <= "z" or "A" <= c0 <= "Z"):
        return True
    k = _ASCII_LETTERS_RE.match(text, j).end()  # type: ignore[union-attr]
    if k < len(text) and not text[k].isascii():
        return True  # a letter the pattern may fold (IGNORECASE) continues the word
    word = text[j:k].lower()
    return word in _UNITS_N_FIRST_WORDS or word.startswith(_UNITS_N_FIRST_STARTS)


_COMMA_NUMBER_RE = re.compile(r",[ \t]*\d{4}")


_TAIL_LINE_RE = re.compile(r"[ \t]+lines?(?=[ \t]+(?:with|w/)[ \t])")  # "J0585 line with JW"
_TAIL_TOO_RE = re.compile(r"[ \t]*+(?:as well|too)(?![\w])")  # "64484 with 50 as well, qty 1"
_TAIL_LIST_END = frozenset(".?!,;)\n\r")


def _parse_tail(text: str, pos: int, ambulance: bool = False) -> tuple[list[str], int | None, int]:
    """Modifiers and units written right after a CPT/HCPCS code; returns them and the end.
    `ambulance`: the code is an ambulance code, after which origin/destination pairs ("RH") are
    modifiers too."""
    mods: list[str] = []
    units: int | None = None
    n = len(text)
    j = pos
    while j < n and text[j] in " \t":
        j += 1
    if j >= n or text[j] in _TAIL_STOP:
        return mods, units, pos
    if j > pos and text[j].islower():
        # a plain word follows: only a few words can start modifiers or units
        k = _ASCII_WORD_RE.match(text, j).end()  # type: ignore[union-attr]
        while k < n and (text[k].isalpha() or text[k] == "/"):
            k += 1  # a word going on in other letters
        if text[j:k] not in _TAIL_WORDS:
            lm = _TAIL_LINE_RE.match(text, pos) if text[j:k] in ("line", "lines") else None
            if lm is None:
                return mods, units, pos
            pos = j = lm.end()  # "J0585 line with JW": the line's modifiers are the code's
            while j < n and text[j] in " \t":
                j += 1
    for _ in range(8):
        if pos >= n:
            break
        m = None
        tok = ""
        if mods:
            m = P.TAIL_CONT_RE.match(text, pos)
            if m:
                tok = m.group(1)
                if (
                    not (
                        _is_mod(tok, bare=not tok.isdigit(), numeric_only_cpt=True)
                        or (ambulance and tok in AMBULANCE_MODIFIERS)
                        # "with QZ and PT.": a capital modifier ending the list
                        or (
                            tok == tok.upper()
                            and tok in ALL_MODIFIERS
                            and (m.end() >= n or text[m.end()] in _TAIL_LIST_END)
                        )
                    )
                    or (tok.isdigit() and _quantity_follows(text, m.end()))
                    or P.FORWARD_REF_RE.match(text, m.end())
                ):
                    m = None
        # j: the first non-blank character at or after pos (found above for the first round)
        c0 = text[j] if j < n else ""
        if m is None and c0 == "," and _COMMA_NUMBER_RE.match(text, j):
            break  # "20610, 99214": the next code (no rule reads a comma then four digits)
        mod_rules, unit_rules = _TAIL_RULES_BY_FIRST.get(c0) or _tail_rules(c0)
        if m is None:
            for rx, bare in mod_rules:
                m = rx.match(text, pos)
                if m is None:
                    continue
                tok = m.group(1)
                ok = _is_mod(tok, bare=bare, numeric_only_cpt=bare) or (
                    ambulance and tok in AMBULANCE_MODIFIERS
                )
                if ok and tok.isdigit() and _quantity_follows(text, m.end()):
                    ok = False
                if (
                    not ok
                    and rx is P.TAIL_WITH_RE
                    and tok == tok.upper()
                    and tok in ALL_MODIFIERS
                    and P.TAIL_MODWORD_AFTER_RE.match(text, m.end())
                ):
                    ok = True  # "45385 with PT modifier"
                if ok and rx is P.TAIL_WITH_RE and not tok.isdigit() and tok != tok.upper():
                    ok = False
                if (
                    ok
                    and rx is not P.TAIL_HYPHEN_RE
                    and rx is not P.TAIL_PAREN_RE
                    and (P.FORWARD_REF_RE.match(text, m.end()))
                ):
                    ok = False  # "... and mod 59 on 97140": it is the next code's
                if ok:
                    if rx is P.TAIL_PAREN_RE and m.group(2):
                        extra = [
                            t for t in P.MODLIST_SPLIT_RE.findall(m.group(2)) if t.lower() not in ("an", "or")
                        ]
                        if not all(_is_mod(t, bare=False) for t in extra):
                            m = None
                            continue
                        for t in extra:
                            if t.upper() not in mods:
                                mods.append(t.upper())
                    break
                m = None
        if m is not None:
            up = tok.upper()
            if up not in mods:
                mods.append(up)
            pos = j = m.end()
            tm = _TAIL_TOO_RE.match(text, pos)
            if tm is not None:
                pos = j = tm.end()
            while j < n and text[j] in " \t":
                j += 1
            continue
        if units is None:
            for rx in unit_rules:
                if rx is P.TAIL_UNITS_N_RE and not _units_n_may_start(text, j):
                    continue
                um = rx.match(text, pos)
                if um:
                    val = _to_int(um.group(1) or um.group(um.lastindex or 1))
                    if val is not None:
                        units = val
                        pos = j = um.end()
                        while j < n and text[j] in " \t":
                            j += 1
                        break
            else:
                break
            continue
        break
    if units is not None:
        # "J3301 x 4 units, JZ (single-dose vial)": a capital modifier after the count
        cm = _COMMA_BARE_MOD_RE.match(text, pos)
        if cm is not None and cm.group(1) in BARE_ALPHA_MODIFIERS and cm.group(1) not in mods:
            mods.append(cm.group(1))
            pos = cm.end()
    if mods:
        mw = P.TAIL_MODWORD_AFTER_RE.match(text, pos)
        if mw:
            pos = mw.end()
    return mods, units, pos


_COMMA_BARE_MOD_RE = re.compile(r"[ \t]*,[ \t]*([A-Z][A-Z0-9]|[0-9][A-Z])(?![\w-])(?![ \t]*\d)")


# a modifier or units written before a code ends with one of these words right before it
_BEFORE_ENDINGS = (
    " on",
    " to",
    " onto",
    " for",
    " with",
    " the",
    " code",
    " cpt",
    " hcpcs",
    " procedure",
    " line",
    " item",
    " of",
    " units",
    " unit",
    " uos",
    " u",
    " x",
    " ×",
    *(f"{d}x" for d in range(10)),
)


# the last characters of _BEFORE_ENDINGS, in either case: no other can end them
_BEFORE_LAST_CHARS = frozenset("nrohetsmfux×NROHETSMFUX")
_BEFORE_FILLERS = frozenset({"the", "code", "cpt", "hcpcs", "procedure", "line", "item", "of", ""})
_BEFORE_ONTO = frozenset({"on", "to", "onto", "for", "with"})
_BEFORE_UNIT_LAST = frozenset({"units", "unit", "uos", "u", "u.o.s", "u.o.s.", "x", "×"})

_BARE_ONTO_RE = re.compile(r"(?:on|to|onto)[ \t]+(?:\w+[ \t]+)*(?:#[ \t]*)?$")


def _parse_before(window: str) -> tuple[list[str], int | None]:
    """Modifiers / units written before a code: "modifier 59 on 20610", "2 units of J3301"."""
    mods: list[str] = []
    units: int | None = None
    low = window.lower()
    tail = low.rstrip(" \t#")
    if not tail.endswith(_BEFORE_ENDINGS):
        return mods, units
    # Every pattern below ends at the code: units end with a unit word or "x" (then maybe "of",
    # "cpt", "#"), modifiers with "on" / "to" / "for" / "with" (then maybe "the", "code", "cpt"...).
    # The last word before those fillers says which patterns can match at all ("CPT 99214": none).
    words = tail.split()
    k = len(words)
    while k and words[k - 1].rstrip("#") in _BEFORE_FILLERS:
        k -= 1
    last = words[k - 1].rstrip("#") if k else ""
    may_mod = last in _BEFORE_ONTO
    if not may_mod and not (last in _BEFORE_UNIT_LAST or last[-1:] in ("x", "×")):
        return mods, units
    # BEFORE_UNITS_RE ends with a unit word or "x" (then only "of", "cpt", "code", "#"): with
    # "on" / "to" / "for" / "with" last it cannot match
    um = (
        P.BEFORE_UNITS_RE.search(window) if not may_mod and ("u" in low or "x" in low or "×" in low) else None
    )
    if um:
        units = _to_int(um.group(1) or um.group(2))
        return mods, units
    if not may_mod:
        return mods, units
    # (the keyword patterns need "mod", the hyphen one a "-": without them they are not searched)
    has_mod = "mod" in low
    for rx, bare in (
        (P.BEFORE_MOD_KEYWORD_RE, False),
        (P.BEFORE_MOD_SUFFIXWORD_RE, False),
        (P.BEFORE_MOD_ARTICLE_RE, False),
        (P.BEFORE_MOD_HYPHEN_RE, False),
        (P.BEFORE_MOD_BARE_ALPHA_RE, True),
    ):
        if (not has_mod and (rx is P.BEFORE_MOD_KEYWORD_RE or rx is P.BEFORE_MOD_SUFFIXWORD_RE)) or (
            rx is P.BEFORE_MOD_HYPHEN_RE and "-" not in window
        ):
            continue
        m = rx.search(window)
        if not m:
            continue
        toks = [m.group(1), *P.MODLIST_SPLIT_RE.findall(m.group(2) or "")]
        toks = [t for t in toks if t.lower() not in {"an", "or", "vs"}]
        # bare numbers before a code only with "on"/"to": "25 on 99214"
        if bare and any(t.isdigit() for t in toks) and not _BARE_ONTO_RE.search(m.group(0)):
            continue
        if all(_is_mod(t, bare=bare, numeric_only_cpt=bare) for t in toks):
            mods = [t.upper() for t in toks]
            break
    return mods, units


_NOT_SIGNATURE_LINE = re.compile(
    r"\?|^\s*(?:from|sent|to|subject|date|cc)\s*:|^\s*-{3,}|^\s*>|wrote:\s*$|forwarded", re.IGNORECASE
)
# the same, tried where each can match: at the line start, or after "wrote:"
_NOT_SIGNATURE_START = re.compile(r"\s*(?:(?:from|sent|to|subject|date|cc)\s*:|-{3,}|>)", re.IGNORECASE)
_NOT_SIGNATURE_WROTE = re.compile(r"wrote:\s*$", re.IGNORECASE)


def _not_signature(rest: str, lines: list[str]) -> bool:
    """Whether any of `lines` (the non-blank lines of `rest`) is not one of a signature block
    (`_NOT_SIGNATURE_LINE`). What can only be in a line is looked for in `rest` at once; the lines
    are matched one by one only when `rest` has what that needs."""
    if "?" in rest:
        return True
    low = rest.lower()
    if "forwarded" in low:
        return True
    if (":" in rest or "---" in rest or ">" in rest) and any(_NOT_SIGNATURE_START.match(ln) for ln in lines):
        return True
    return "wrote:" in low and any(_NOT_SIGNATURE_WROTE.search(ln) for ln in lines)


def _signature_block(text: str, after: int) -> bool:
    """Whether only a short name block (name, title, phone, address) follows a sign-off line
    ending at `after`."""
    rest = text[after:].strip("\n")
    if "?" in rest:
        return False
    lines = [ln for ln in rest.splitlines() if ln.strip()]
    return len(lines) <= 10 and max(map(len, lines), default=0) <= 90 and not _not_signature(rest, lines)


def _signature_start(text: str) -> int:
    """Where the signature block starts: the first sign-off line among the last 1,500 characters'
    lines with only a short name block after it (the text's length when there is none)."""
    tail_from = max(0, len(text) - 1500)
    if tail_from == 0 or text[tail_from - 1] == "\n":
        ls = tail_from
    else:
        nl = text.find("\n", tail_from)
        if nl < 0:
            return len(text)
        ls = nl + 1
    # a sign-off is a whole line (SIGNATURE_START_RE is anchored at both ends of a line): the first
    # line is matched where it starts, every later one with the newline before it
    m = P.SIGNATURE_START_RE.match(text, ls)
    if m and _signature_block(text, m.end()):
        return ls
    for m in P.SIGNATURE_AFTER_NEWLINE_RE.finditer(text, ls):
        if _signature_block(text, m.end()):
            return m.start() + 1
    return len(text)


def _in_link(text: str, pos: int) -> bool:
    """Inside an e-mail address or a URL (the whitespace-delimited word around `pos`)."""
    lo = max(0, pos - 80)
    before = text[lo:pos]
    cut = max(before.rfind(" "), before.rfind("\n"), before.rfind("\t"), before.rfind("<"), before.rfind("("))
    start = lo + cut + 1
    m = _WORD_END_RE.search(text, pos)
    word = text[start : m.start() if m else len(text)]
    return "@" in word or "://" in word or word.lower().startswith("www.")


def _maybe_in_link(text: str, pos: int) -> bool:
    """`_in_link`, answered at once (no slicing) when the text around `pos` has no "@", "://" or
    "www." at all: the word around `pos` starts at pos - 80 at the earliest."""
    lo = pos - 80 if pos > 80 else 0
    m = _WORD_END_RE.search(text, pos)
    hi = m.start() if m else len(text)
    if (
        text.find("@", lo, hi) < 0
        and text.find("://", lo, hi) < 0
        and text.find(".", lo, hi) < 0  # "www." has a dot
    ):
        return False
    return _in_link(text, pos)


_WORD_END_RE = re.compile(r"[\s<>()\"]")


def parse_date_of_service(text: str) -> dt.date | None:
    """The date of service when the text states one ("DOS 03/15/2025", "date of service: 2025-03-15")."""
    return _date_of_service(text, text.lower())


def _date_of_service(text: str, low: str) -> dt.date | None:
    """`parse_date_of_service`, with the text lowered once by the caller."""
    if "dos" not in low and "d.o.s" not in low and "service" not in low and "svc" not in low:
        return None
    m = P.DOS_RE.search(text)
    if not m:
        return None
    return _parse_date(m.group("date"))


def _parse_date(s: str) -> dt.date | None:
    s = s.strip().rstrip(".,")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", s)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})", s)
        if m:
            mo, d, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if y < 100:
                y += 2000
        else:
            s2 = re.sub(r"(\d)(st|nd|rd|th)", r"\1", s.replace(",", " "))
            s2 = re.sub(r"\.", " ", s2)
            parts = s2.split()
            try:
                if parts[0].isdigit():
                    d, mon, y = int(parts[0]), parts[1], int(parts[2])
                else:
                    mon, d, y = parts[0], int(parts[1]), int(parts[2])
            except (IndexError, ValueError):
                return None
            months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
            key = mon[:3].lower()
            if key not in months:
                return None
            mo = months.index(key) + 1
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


_HCPCS_LETTERS = frozenset("ABCEGHJKLMPQRSTUV")
_PCS_FIRST = frozenset("0123456789BCDFGHX")


def _pcs_shape(up: str) -> bool:
    return up[0] in _PCS_FIRST and "I" not in up and "O" not in up


# the word right after a number, and what it must be for STREET_AFTER_RE / NEGATIVE_AFTER_RE to match
_NEXT_WORD_RE = re.compile(r"[ \t]*([^\W_]?)[^\W_]*")
_STREET_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
# characters that are neither a blank nor a word character: _NEXT_WORD_RE matches nothing before them
_NO_WORD_AFTER = frozenset("\n\r.,;:?!()[]-/'\"")
_NEGATIVE_AFTER_WORDS = frozenset(
    [
        "dollars",
        "usd",
        "cents",
        "bucks",
        "miles",
        "mi",
        "km",
        "feet",
        "ft",
        "sq",
        "square",
        "people",
        "patients",
        "members",
        "claims",
        "visits",
        "lbs",
        "lb",
        "kg",
        "mg",
        "ml",
        "mcg",
        "steps",
        "words",
        "characters",
        "rows",
        "records",
        "bytes",
        "kb",
        "mb",
        "gb",
        "times",
        "hours",
        "hrs",
        "minutes",
        "mins",
        "seconds",
        "secs",
        "days",
        "weeks",
        "months",
        "years",
    ]
)


_ICD9_AFTER_RE = re.compile(
    r"[^.?!\n]{0,25}?(?:(?i:\b(?:from|in|under)[ \t]+(?:the[ \t]+)?icd[ -]?9)(?![\w])"
    r"|\((?i:icd[ -]?9)(?![\w]))"
)
_REMARK_DEFINITION_RE = re.compile(r":[ \t]+[A-Z][a-z]")
_CARC_RE = re.compile(r"(?<![\w-])(?:CO|PR|OA|PI|CR)-\d{1,3}(?![\w])")


_SENTENCE_START_RE = re.compile(r"[.?!][ \t]+(?=[A-Z])")


class _Extractor:
    def __init__(self, text: str, store: CodeStore, low: str | None = None) -> None:
        self.text = text
        self.store = store
        # "ICD" in any case anywhere (only ASCII letters lower to "icd"): else no ICD-9 word to read
        self._icd_word = "icd" in (text.lower() if low is None else low)
        self._exists_cache: dict[tuple[str, str], bool] = {}
        self._header_lines: dict[int, bool] = {}  # line start -> in a mail header block
        self.sentences = C.Sentences(text)
        self._soft: str | None = None
        self._carc: bool | None = None

    @property
    def soft(self) -> str:
        """The same text with wrapped prose on one line (same offsets), worked out when asked for."""
        if self._soft is None:
            self._soft = _soft_wrapped(self.text)
        return self._soft

    def exists(self, system: System, code: str) -> bool:
        key = (system, code)
        hit = self._exists_cache.get(key)
        if hit is None:
            hit = bool(self.store.exists(system, code))
            self._exists_cache[key] = hit
        return hit

    def _remark_definition(self, end: int) -> bool:
        """A line that starts with a code-shaped word, a colon and a sentence, in a text that
        names claim adjustment reasons ("CO-97"): a remark code's definition in a remittance."""
        if not _REMARK_DEFINITION_RE.match(self.text, end):
            return False
        if self._carc is None:
            self._carc = _CARC_RE.search(self.text) is not None
        return self._carc

    # --- pass 1: candidates -----------------------------------------------------------------
    def classify(self, m: re.Match[str]) -> tuple[System, str, str, bool] | None:
        raw = m.group(0)
        up = raw.upper()
        group = m.lastgroup  # the one of icd / num / pcs that matched
        if group == "icd":
            if "." in up:  # the candidate pattern already gave it the ICD-10-CM shape
                return "ICD10CM", up, _DOTTED_ICD, self.exists("ICD10CM", up)
            icd = _icd_dotted(up)
            icd_ok = self.exists("ICD10CM", icd)
            if len(up) == 5 and up[0] in _HCPCS_LETTERS and up[1:].isdigit():
                hcpcs_ok = self.exists("HCPCS", up)
                if hcpcs_ok and icd_ok:
                    if self._dx_leaning(m.start()) and raw[1:].isdigit():
                        return "ICD10CM", icd, _BARE_ICD, True
                    return "HCPCS", up, _ALNUM, True
                if hcpcs_ok:
                    return "HCPCS", up, _ALNUM, True
                if icd_ok:
                    return "ICD10CM", icd, _BARE_ICD, True
                if self._dx_leaning(m.start()):
                    return "ICD10CM", icd, _BARE_ICD, False
                return "HCPCS", up, _ALNUM, False
            if len(up) == 7 and not icd_ok and _pcs_shape(up) and self.exists("ICD10PCS", up):
                return "ICD10PCS", up, _ALNUM, True
            kind = _SHORT_ICD if len(up) == 3 else _BARE_ICD
            return "ICD10CM", icd, kind, icd_ok
        if group == "num":
            if len(up) == 5:
                if not (up[4].isdigit() or up[4] in "FTU"):
                    return None
                kind = _NUMERIC if up.isdigit() else _ALNUM
                return "CPT", up, kind, self.exists("CPT", up)
            if not _pcs_shape(up):
                return None
            kind = _DIGIT_PCS if up.isdigit() else _ALNUM
            return "ICD10PCS", up, kind, self.exists("ICD10PCS", up)
        # pcs
        if not any(ch.isdigit() for ch in up) or not any(ch.isalpha() for ch in up):
            return None
        ok = self.exists("ICD10PCS", up)
        if not ok:
            # an unknown seven-character token is almost never a code someone meant
            return None
        return "ICD10PCS", up, _ALNUM, True

    def _dx_leaning(self, start: int) -> bool:
        before = self.sentences.before(start)
        dx_at = max((m.start() for m in P.DX_CONTEXT_RE.finditer(before)), default=-1)
        proc_at = max((m.start() for m in P.PROC_CONTEXT_RE.finditer(before)), default=-1)
        return dx_at >= 0 and dx_at > proc_at

    def candidates(self) -> list[_Cand]:
        text = self.text
        has_links = "@" in text or "://" in text or "www." in text
        sig = _signature_start(text)
        out: list[_Cand] = []
        prev_end = 0
        for m in (P.CANDIDATE_ASCII_RE if text.isascii() else P.CANDIDATE_RE).finditer(text):
            s, e = m.span()
            if s < prev_end or (has_links and _maybe_in_link(text, s)):
                continue  # inside a link / address, or inside the previous code's modifiers and units
            cls = self.classify(m)
            if cls is None:
                continue
            system, code, kind, exists = cls
            if system == "CPT" or system == "HCPCS":
                mods, units, tail_end = _parse_tail(text, e, system == "HCPCS" and code.startswith("A0"))
                c = _Cand(s, e, system, code, kind, exists, tail_end, s >= sig, mods, units)
                w0 = prev_end if prev_end > s - 60 else s - 60
                j = s
                while j > w0 and text[j - 1] in " \t#":
                    j -= 1
                before = text
                if j > w0 and text[j - 1] == "\n":
                    before = self.soft  # wrapped prose joined: "modifier 95 on the\n99214"
                    while j > w0 and before[j - 1] in " \t#":
                        j -= 1
                if j > w0 and before[j - 1] in _BEFORE_LAST_CHARS:
                    for se in _SENTENCE_START_RE.finditer(text, w0, s):
                        w0 = se.end()  # not across a sentence end: "RT/LT? For level 2 I sent 64484"
                    bmods, bunits = _parse_before(before[w0 if w0 > 0 else 0 : s])
                    for bm in bmods:
                        if bm not in c.modifiers:
                            c.modifiers.append(bm)
                            c.before_mods = True
                    if c.units is None:
                        c.units = bunits
            else:
                c = _Cand(s, e, system, code, kind, exists, e, s >= sig)
            self.weigh(c)
            out.append(c)
            prev_end = c.tail_end
        return out

    # --- pass 2: weighing -------------------------------------------------------------------
    def weigh(self, c: _Cand) -> None:
        text = self.text
        s, e = c.start, c.end
        kind = c.kind
        # the line before the candidate (up to 48 characters) and its last words
        lo = s - 48 if s > 48 else 0
        nl = text.rfind("\n", lo, s)
        seg = text[nl + 1 if nl >= 0 else lo : s]
        tail = seg.rstrip(" \t")
        no_word = not tail or tail[-1] in C.NO_WORD_BEFORE
        if c.in_signature and no_word and not c.modifiers and c.units is None:
            # a number in the signature block with no word before it (phone, address): not a code
            # whatever else is true of it (only a system word before it, or modifiers or units on
            # it, would let `decide` weigh it), and nothing else reads it
            return
        if C.glued_negative(text, s, e, _is_any_mod, self._header_lines):
            c.negative = True
            return
        if not no_word:
            negative, strong_word = C.before_verdict(seg, kind == _NUMERIC)
            if negative and not (kind == _DOTTED_ICD and text[s].isupper() and not C.version_before(tail)):
                # ("Dx on the claim: R53.83": no claim, room or account number is a capital letter,
                # two digits, a dot and more; a version number can be)
                c.negative = True
                return
        else:
            strong_word = False  # "20610, 99214", "(99214", a line start: no word right before
        if kind in (_BARE_ICD, _SHORT_ICD) and C.remark_code_before(seg):
            c.negative = True  # "CO-97 M15", "remark N130": a remittance remark code
            return
        if kind in (_BARE_ICD, _SHORT_ICD) and not tail and self._remark_definition(e):
            c.negative = True  # "N390: This service/report cannot be billed separately." in a remit
            return
        if kind in (_NUMERIC, _DIGIT_PCS):
            # the word after: a street ("47381 Main St"), a unit ("20610 dollars", "99213 patients")
            # (punctuation or a line end right after the number: no word follows it)
            wm = None if text[e : e + 1] in _NO_WORD_AFTER else _NEXT_WORD_RE.match(text, e)
            if (
                wm is not None
                and wm.end() > e
                and not c.modifiers
                and wm.group(1) in _STREET_FIRST
                and P.STREET_AFTER_RE.match(text, e)
            ):
                c.negative = True
                return
            te = c.tail_end
            if te != e:
                wm = _NEXT_WORD_RE.match(text, te)
            word = wm.group() if wm is not None else ""
            if (
                word
                and (not word.isascii() or word.lstrip(" \t").lower() in _NEGATIVE_AFTER_WORDS)
                and P.NEGATIVE_AFTER_RE.match(text, te)
            ):
                c.negative = True
                return
        if (
            self._icd_word
            and (c.system == "ICD10CM" or kind in (_NUMERIC, _ALNUM))
            and (text[s].isdigit() or text[s] in "VvEe")  # "ICD-9 414.01 - we code I25.10 now"
            and (("9" in seg and C.icd9_before(seg)) or _ICD9_AFTER_RE.match(text, e) is not None)
        ):
            c.negative = True  # "ICD-9 414.01", "V72.31 from the ICD-9 days"
            return
        c.strong = bool(c.modifiers or c.units is not None or strong_word)
        if kind == _DOTTED_ICD and not c.strong and text[s] == "v":
            c.negative = True  # "v13.0", "upgrade to v10.1": a version unless a dx word is right before
            return
        if kind == _DIGIT_PCS:
            c.strong = c.strong and self.sentences.pcs(s)

    def context(self, c: _Cand) -> bool:
        """Whether the sentence around a candidate talks about coding (computed when needed)."""
        if c.context_known:
            return c.context
        sent = self.sentences
        if c.kind == _SHORT_ICD:
            c.context = c.strong or sent.dx(c.start)  # I10, E11: a diagnosis word in the sentence
        elif c.kind == _DIGIT_PCS:
            c.context = sent.pcs(c.start)
        else:
            c.context = c.strong or sent.positive(c.start)
        c.context_known = True
        return c.context

    def decide(self, c: _Cand) -> bool:
        if c.negative:
            return False
        if c.in_signature and not c.strong:
            return False
        if c.exists:
            if c.kind == _DOTTED_ICD and not c.strong and self.text[c.start].islower():
                return self.context(c)  # "e11.9" among coding words
            if c.kind in (_DOTTED_ICD, _ALNUM):
                return True
            if c.kind in (_SHORT_ICD, _BARE_ICD) and not c.strong and not self.text[c.start].isupper():
                # "r11", "m0020": lower case and undotted, only with a diagnosis word around it
                return self.sentences.dx(c.start)
            return self.context(c)
        # a well-formed code the store does not know: only when the text says it is a code
        if c.kind == _DOTTED_ICD:
            return c.strong or (self.context(c) and self.exists("ICD10CM", c.code[:3]))
        if c.kind == _DIGIT_PCS:
            return False
        if c.kind == _ALNUM and c.system == "CPT":
            return self.context(c)  # 0042T, 3074F, 0001U: shapes only codes have
        if c.strong:
            return True
        # a sentence that names codes outright ("modifier 59 vs XS for 11100 and 11101?")
        return c.kind == _NUMERIC and C.strong_in(self.sentences.words(c.start))


_LIST_PUNCT = " \t\n\r\f\v,;/&+•*·|()[]:-–—"


def _link(text: str, a: _Cand, b: _Cand) -> bool:
    between = text[a.tail_end : b.start]
    if len(between) > 40:
        return False
    if not between.strip(_LIST_PUNCT):
        return True  # ", ", " - ", " / ": punctuation alone
    return P.LIST_SEPARATOR_RE.match(between.strip()) is not None


def _family(c: _Cand) -> str:
    return "ICD10CM" if c.system == "ICD10CM" else ("PCS" if c.system == "ICD10PCS" else "PROC")


def _spread_over_lists(text: str, cands: list[_Cand], exists: Callable[[System, str], bool]) -> None:
    """Codes written as one list share their context: "20610, 99214 and 96372"."""
    for c in cands:
        if not (c.accepted or c.negative or c.in_signature):
            break
    else:
        return  # every candidate decided already: a list can only accept an undecided one
    i = 0
    n = len(cands)
    while i < n:
        j = i
        while j + 1 < n and _link(text, cands[j], cands[j + 1]):
            j += 1
        if j > i:
            group = cands[i : j + 1]
            fams = {_family(c) for c in group if c.accepted}
            # a range "99202-99205" of two known codes is itself a sign of codes
            if not fams and j == i + 1:
                a, b = group
                between = text[a.tail_end : b.start]
                if (
                    a.exists
                    and b.exists
                    and a.system == b.system
                    and not a.negative
                    and not b.negative
                    and P.RANGE_SEPARATOR_RE.match(between)
                    and not (a.in_signature or b.in_signature)
                ):
                    a.accepted = b.accepted = True
                    fams = {_family(a)}
            if fams:
                for c in group:
                    if c.accepted or c.negative or c.in_signature:
                        continue
                    if (c.exists and (c.kind != _DIGIT_PCS or "PCS" in fams)) or (
                        not c.exists
                        and _family(c) in fams
                        and c.kind != _DIGIT_PCS
                        # an unknown ICD-10-CM code in a known category ("T2DM (E11.65)": no T2D)
                        and (c.system != "ICD10CM" or exists("ICD10CM", c.code[:3]))
                    ):
                        c.accepted = True
        i = j + 1


_VOCAB_TAIL_RE = re.compile(
    r"[ \t]*+(?:with|w/|plus|and|,)?[ \t]*+(?:(?:the|a|an)[ \t]++)?-?([A-Z][A-Z0-9])(?![\w-])"
)


def _mail_vocabulary_modifiers(text: str, cands: list[_Cand]) -> None:
    """A modifier the mail has written on a code ("45385-PT") is a modifier where it stands bare
    after another code of the same mail ("00811 with PT too, plus QK"), although alone a bare "PT"
    could be the patient or physical therapy."""
    procs = _procedures(cands)
    vocab = {m for c in procs for m in c.modifiers if not m.isdigit() and m not in BARE_ALPHA_MODIFIERS}
    if not vocab:
        return
    for c in procs:
        m = _VOCAB_TAIL_RE.match(text, c.tail_end)
        if m is None or m.group(1) not in vocab or m.group(1) in c.modifiers:
            continue
        if P.FORWARD_REF_RE.match(text, m.end()):
            continue
        c.modifiers.append(m.group(1))
        pos = m.end()
        tm = _TAIL_TOO_RE.match(text, pos)
        if tm is not None:
            pos = tm.end()
        for _ in range(4):  # ", plus QK", "and 59"
            cm = P.TAIL_CONT_RE.match(text, pos)
            tok = cm.group(1) if cm is not None else ""
            if cm is None or not (_is_mod(tok, bare=True, numeric_only_cpt=True) or tok in vocab):
                break
            if tok.upper() not in c.modifiers:
                c.modifiers.append(tok.upper())
            pos = cm.end()
        more, units, c.tail_end = _parse_tail(text, pos)
        c.modifiers.extend(t for t in more if t not in c.modifiers)
        if c.units is None:
            c.units = units


def _same_token_same_system(text: str, cands: list[_Cand]) -> None:
    """A token read as a HCPCS code in one place is that code wherever the mail writes it: "the AWV
    G0439" and a claim line "G0439  1" under a "DX" column header are one code, not G04.39."""
    hcpcs = {c.code for c in cands if c.accepted and c.system == "HCPCS"}
    if not hcpcs:
        return
    for c in cands:
        if c.accepted and c.system == "ICD10CM" and c.kind == _BARE_ICD:
            raw = c.code.replace(".", "")
            if raw in hcpcs:
                c.system, c.code, c.kind = "HCPCS", raw, _ALNUM
                c.modifiers, c.units, c.tail_end = _parse_tail(text, c.end, raw.startswith("A0"))


def _list_number_dots(text: str) -> str:
    """ "1.99213-25", "Dx:1.M17.11 2.M25.561": the dot of a one- or two-digit list number glued to
    a code reads as ")" (the same length: offsets stay). Not in a longer number ("12.345.67890")."""
    dots: list[int] = []
    for m in P.LIST_NUMBER_DOT_RE.finditer(text):
        i = m.start()
        if i == 0 or not text[i - 1].isdigit():
            continue
        j = i - 2 if i >= 2 and text[i - 2].isdigit() else i - 1
        if j > 0 and (text[j - 1].isalnum() or text[j - 1] in "_.,$"):
            continue
        dots.append(i)
    return _replace_at(text, dots, ")")


def _replace_at(text: str, positions: list[int], ch: str) -> str:
    """`text` with the character at each of `positions` replaced by `ch` (the same length)."""
    if not positions:
        return text
    chars = list(text)
    for i in positions:
        chars[i] = ch
    return "".join(chars)


def extract(
    text: str,
    store: CodeStore,
    *,
    today: dt.date | None = None,
) -> Extraction:
    """Every code reference in `text` (a coder's question), normalized, merged, looked up."""
    scan = text if text.isascii() else text.translate(SCAN_TABLE)
    scan = _list_number_dots(scan)
    low = scan.lower()
    ex = _Extractor(scan, store, low)
    cands = ex.candidates()
    any_accepted = False
    for c in cands:
        if ex.decide(c):
            c.accepted = any_accepted = True
    # a mail that plainly names codes is about codes: a known five-digit code or an undotted
    # ICD code in it needs no more context than not being something else
    if any_accepted:
        other_icd = False  # an ICD-10-CM code accepted, not a three-character one
        for c in cands:
            if (
                not c.accepted
                and c.exists
                and not c.negative
                and not c.in_signature
                and (c.kind in (_NUMERIC, _DOTTED_ICD) or (c.kind == _BARE_ICD and scan[c.start].isupper()))
            ):
                c.accepted = True
            if c.accepted and c.system == "ICD10CM" and c.kind != _SHORT_ICD:
                other_icd = True
        # I10, E11: a three-character code among other diagnosis codes, in a coding sentence
        if other_icd:
            dx_lines: set[int] | None = None  # lines holding an accepted diagnosis code
            for c in cands:
                if (
                    not c.accepted
                    and c.kind == _SHORT_ICD
                    and c.exists
                    and not c.negative
                    and not c.in_signature
                    and scan[c.start].isupper()
                ):
                    if dx_lines is None:  # "A = M54.50   B = I10"
                        dx_lines = {
                            scan.rfind("\n", 0, d.start)
                            for d in cands
                            if d.accepted and d.system == "ICD10CM" and d.kind != _SHORT_ICD
                        }
                    if scan.rfind("\n", 0, c.start) in dx_lines or ex.sentences.positive(c.start):
                        c.accepted = True
    # a code accepted once is the same code where it is named again ("... the 0240U panel. Does
    # 0240U take QW?"): its other mentions carry their modifiers and units to it; and a Category II
    # / III or PLA code the store does not know (deleted, or not loaded) among accepted ones of its kind
    # ("our old sheet says 3045F ... I see 3044F and 3046F")
    if any_accepted:
        accepted_codes: set[tuple[str, str]] | None = None
        suffixes: set[str] = set()
        for c in cands:
            if c.accepted or c.negative or c.in_signature:
                continue
            if accepted_codes is None:  # worked out at the first undecided candidate
                accepted_codes = {(d.system, d.code) for d in cands if d.accepted}
                suffixes = {
                    code[4] for system, code in accepted_codes if system == "CPT" and code[4] in "FTU"
                }
            if (c.system, c.code) in accepted_codes or (
                suffixes
                and not c.exists
                and c.system == "CPT"
                and c.code[4] in suffixes
                and scan[c.end - 1].isupper()
            ):
                c.accepted = True
    if any_accepted:
        _same_token_same_system(scan, cands)
        _mail_vocabulary_modifiers(scan, cands)
    ascii_low = low if scan.isascii() else None
    soft, soft_low = scan, ascii_low
    if any_accepted and "\n" in scan:
        for c in cands:
            if c.accepted and c.system != "ICD10CM" and scan.find("\n", c.tail_end, c.tail_end + 50) >= 0:
                # a window after a code reaches a line break: read wrapped prose as one line
                soft = ex.soft
                soft_low = ascii_low if soft is scan or ascii_low is None else soft.lower()
                break
    _late_modifiers(soft, cands, soft_low)
    _table_units(scan, cands, ascii_low)
    _line_end_units(scan, cands)
    _spread_before_modifiers(scan, cands)
    _list_verb_modifiers(scan, cands)
    _scoped_modifiers(scan, cands, ascii_low)
    _alternative_modifiers(soft, cands)
    _next_sentence_modifiers(scan, cands)
    _same_sentence_modifiers(soft, cands, soft_low)
    _instead_modifiers(scan, cands)
    _spread_over_lists(scan, cands, ex.exists)
    dos = _date_of_service(scan, low)
    on = dos or today
    merged: dict[tuple[str, str], CodeMention] = {}
    for c in cands:
        if not c.accepted:
            continue
        key = (c.system, c.code)
        cm = merged.get(key)
        if cm is None:
            # (system, code, modifiers, units, span, status, billable)
            merged[key] = CodeMention(
                c.system,
                c.code,
                list(c.modifiers),
                c.units,
                (c.start, c.end),
                "active" if c.exists else "invalid",
            )
        else:
            for mod in c.modifiers:
                if mod not in cm.modifiers:
                    cm.modifiers.append(mod)
            if cm.units is None:
                cm.units = c.units
    _assign_orphan_modifiers(scan, cands, merged, low)
    codes = list(merged.values())
    _fill_status(codes, store, on)
    return Extraction(codes=codes, question=text, date_of_service=dos.isoformat() if dos else None)


_LATE_WORDS = (
    "with",
    "w/",
    "add",
    "append",
    "need",
    "missing",
    "use",
    "plus",
    "get",
    "take",
    "require",
    "carr",
    "ha",
    "be",
    "or",
    "and",
)


_LATE_WORDS_RE = re.compile("|".join(re.escape(w) for w in _LATE_WORDS))


# what LATE_MOD_RE needs in a lowered ASCII window: one of its verbs, then a blank
_LATE_VERB_BLANK_RE = re.compile(
    r"(?:with|w/|add|adding|append|appending|needs?|needing|missing|use|using|plus|gets?|takes?|requires?|carry|carries|"
    r"have|has|be|or|and)[ \t]"
)


_LATE_STOP_RE = re.compile(r"[.?!\n]")


def _late_match(window: str, low: str, first: re.Match[str], offset: int) -> re.Match[str] | None:
    """`P.LATE_MOD_RE.match(window)` for an ASCII window (`low[offset:offset + len(window)]`
    lowered), tried only where a verb followed by a blank starts (`first` the first of them): the
    first within 40 characters, with no . ? ! or line end before it, at which the pattern matches."""
    vb: re.Match[str] | None = first
    more: Iterator[re.Match[str]] | None = None
    while vb is not None:
        at = vb.start() - offset
        if at > 40 or (at and _LATE_STOP_RE.search(window, 0, at)):
            break
        m = P.LATE_MOD_AT_VERB_RE.match(window, at)
        if m:
            return m
        if more is None:
            more = _LATE_VERB_BLANK_RE.finditer(low, vb.end(), offset + len(window))
        vb = next(more, None)
    return None


def _procedures(cands: list[_Cand]) -> list[_Cand]:
    """The accepted CPT / HCPCS candidates, in text order: what modifiers and units go on."""
    return [c for c in cands if c.accepted and (c.system == "CPT" or c.system == "HCPCS")]


def _listed_modifiers(first: str, more: str | None) -> list[str]:
    """The modifiers of a matched list: its first one and those of the rest ("LT and 59")."""
    return _modifier_list([first, *P.MODLIST_SPLIT_RE.findall(more or "")])


def _modifier_list(toks: list[str]) -> list[str]:
    """The modifiers of a list read after its first one, up to the first word that is none: "59 or is
    it fine" is 59 alone ("or" and "and" dropped)."""
    out = toks[:1]
    for t in toks[1:]:
        if t.lower() in ("or", "an"):  # "or", "and" (read as "an")
            continue
        if not (_is_mod(t, bare=True, numeric_only_cpt=True) or (t == t.upper() and t in ALL_MODIFIERS)):
            break
        out.append(t)
    return out


def _late_modifiers(text: str, cands: list[_Cand], ascii_low: str | None = None) -> None:
    """ "99213 go with a 25": a modifier named a few words after its code, before the next code.
    `ascii_low`: the text lowered, when it is ASCII (the same offsets)."""
    n = len(cands)
    for i, c in enumerate(cands):
        if not c.accepted or c.system not in ("CPT", "HCPCS"):
            continue
        a = c.tail_end
        stop = cands[i + 1].start if i + 1 < n else len(text)
        b = stop if stop < a + 50 else a + 50
        if ascii_low is not None:
            # the verbs hold one of _LATE_WORDS, all but "using": only then is that looked for
            vb = _LATE_VERB_BLANK_RE.search(ascii_low, a, b)
            if vb is None or (vb.group().startswith("using") and not _LATE_WORDS_RE.search(ascii_low, a, b)):
                continue
            window = text[a:b]
            m = _late_match(window, ascii_low, vb, a)
        else:
            window = text[a:b]
            if not _LATE_WORDS_RE.search(window.lower()):
                continue
            m = P.LATE_MOD_RE.match(window)
        if not m or P.FORWARD_REF_RE.match(text, c.tail_end + m.end()):
            continue  # "... and mod 59 on 97140": the next code's
        toks = _modifier_list(
            [m.group("mod"), *P.MODLIST_SPLIT_RE.findall(m.group("more") or "")]
        )
        keyword = bool(m.group("kw") or m.group("kw2"))
        verb = m.group("verb").lower()
        if verb in ("or", "and") and not keyword:
            # "or GT", "and 59": only a modifier that cannot be a word or a number of something
            if not all(t == t.upper() and not t.isdigit() and t in BARE_ALPHA_MODIFIERS for t in toks):
                continue
        elif not (m.group("art") or keyword) and (
            # "should 45380 carry XS or 59?", "or should it be GT?": no article, no "modifier"
            verb in ("with", "w/", "plus")
            or not all(_is_mod(t, bare=True, numeric_only_cpt=True) for t in toks)
        ):
            continue
        if not all(_is_mod(t, bare=not keyword, numeric_only_cpt=True) for t in toks):
            continue
        if any(t.isdigit() for t in toks) and _quantity_follows(window, m.end()):
            continue
        if (
            not keyword
            and not _is_em(c.code)
            and any(t in EM_MODIFIERS for t in toks)
            and window[: m.start("verb")].strip()  # "should 96127 get 25 or 59?" is about 96127
            and any(d.accepted and _is_em(d.code) for d in cands)
        ):
            continue  # "J3301 too, do i need the 25 on the ov": the E/M code's (the orphan rule)
        for t in toks:
            if t.upper() not in c.modifiers:
                c.modifiers.append(t.upper())


def _soft_wrapped(text: str) -> str:
    """`text` with the line breaks of wrapped prose turned into spaces (same length, same offsets):
    "does that need\na 25?" reads as one clause. A break stays after a line that was not wrapped
    (short, or longer than a client wraps), after . ? ! : ;, before or after a list item, a quote,
    a blank line or a table row."""
    if "\n" not in text:
        return text
    breaks = [m.end() - 1 for m in _WRAPPED_LINE_RE.finditer(text) if _is_wrap(text, m)]
    return _replace_at(text, breaks, " ")


# a line a client may have wrapped (45-80 characters, not ending in . ? ! : ; | >) and the start of a
# next line that goes on with prose (not a list item, a quote, a table or a blank line)
_WRAPPED_LINE_RE = re.compile(
    r"^([^\n]{44,89}[^\s.?!:;|>])[ \t]*\n(?=[ \t]*(?!(?:\d{1,2}|[A-Za-z])[.)][ \t])[^\s\-*•>|#])",
    re.MULTILINE,
)


def _is_wrap(text: str, m: re.Match[str]) -> bool:
    line = m.group(1)
    nl = m.end()
    end = text.find("\n", nl)
    nxt = text[nl : len(text) if end < 0 else end]
    head = nxt.lstrip()
    return (
        len(line) + 1 + len(head.split(None, 1)[0]) >= 62
        and not _TABLE_ROW_RE.search(line)
        and not _TABLE_ROW_RE.search(nxt)
    )


_LIST_ITEM_RE = re.compile(r"(?:\d{1,2}|[A-Za-z])[.)][ \t]")
_TABLE_ROW_RE = re.compile(r"\S(?: {2,}|\t|[ \t]*\|[ \t]*)\S.*(?: {2,}|\t|\|)")


# "59, or is XU better?", "with a 79? Or 78?", "Is XS the right one on 17110, or would XE be
# better?": a second modifier offered in place of one already on a code goes on that code too.
# Read from each "or": the alternative after it, the modifier before it (within 40 characters of
# the same clause)
_ALT_AFTER_RE = re.compile(
    r"(?:or|OR|Or)[ \t]+"
    r"(?:(?:is|would|should|could|maybe|perhaps|rather|instead|do|does|I|we|use|it|be|an|a|the|just|"
    r"with|w/|put|add|append|bill|is it|would it|should it|does it|need)[ \t]+){0,4}"
    r"(?:(?:modifier|mod)[ \t]+)?-?(?P<m2>[A-Z][A-Z0-9]|[0-9][A-Z]|\d{2})(?![\w])"
)
_OR_RE = re.compile(r"(?<=[ \t])(?:or|OR|Or)[ \t]")
_ALT_BEFORE_TOKEN_RE = re.compile(r"(?:(?<![\w-])|(?<=[ \t(/]-))([A-Z][A-Z0-9]|[0-9][A-Z]|\d{2})(?![\w])")


# "59 ... or should it be one of the X's (XE/XS/XP/XU)?": alternatives listed in parentheses
_ALT_PAREN_LIST_RE = re.compile(
    r"(?:or|OR|Or)[ \t]+[^.?!\n(]{0,40}\("
    r"((?:[A-Z][A-Z0-9]|\d{2})(?:[ \t]*[/,][ \t]*(?:[A-Z][A-Z0-9]|\d{2}))+)\)"
)


def _alternative_modifiers(text: str, cands: list[_Cand]) -> None:
    """A modifier offered as the alternative to one a code already has ("64488 w/ 59, or is XU
    better?") is added to that code: the question is about putting it there."""
    if " or " not in text and " Or " not in text and " OR " not in text and "\tor " not in text:
        return
    procs = [c for c in cands if c.accepted and (c.system == "CPT" or c.system == "HCPCS") and c.modifiers]
    if not procs:
        return
    for om in _OR_RE.finditer(text):
        at = om.start()
        m = _ALT_AFTER_RE.match(text, at)
        if m is not None:
            alts = [m.group("m2")]
        else:
            m = _ALT_PAREN_LIST_RE.match(text, at)
            if m is None:
                continue
            alts = P.MODLIST_SPLIT_RE.findall(m.group(1))
        if not all(_is_mod(m2, bare=True, numeric_only_cpt=True) for m2 in alts):
            continue
        if alts[0].isdigit() and _quantity_follows(text, m.end()):
            continue
        if P.FORWARD_REF_RE.match(text, m.end()):
            continue  # "RT on 20610 or LT on 20611": the other code's
        lo = at - 48 if at > 48 else 0
        stop = max(text.rfind(ch, lo, at) for ch in ".!\n")
        before = list(_ALT_BEFORE_TOKEN_RE.finditer(text, stop + 1 if stop >= lo else lo, at))
        for bm in reversed(before):
            m1 = bm.group(1)
            if m1 not in ALL_MODIFIERS:
                continue
            near = [c for c in procs if m1 in c.modifiers and abs(c.start - bm.start()) <= 150]
            if not near:
                everywhere = [c for c in procs if m1 in c.modifiers]
                if len({c.code for c in everywhere}) != 1:
                    continue
                near = everywhere  # "Is 59 right on it, or should it be XU?" far below a table
            # "append GA to G0101 and Q0091 both? Or GY?": each code of the clause that has the first
            head = stop if stop >= lo else lo
            clause = [c for c in near if head <= c.start < at]
            if not clause and _SCOPE_WORD_RE.search(text, head, at) is not None:
                clause = near  # "Should I append Q8 to both codes, or Q7?"
            targets = clause or [min(near, key=lambda c: abs(c.start - bm.start()))]
            for target in targets:
                for m2 in alts:
                    if m2.upper() not in target.modifiers:
                        target.modifiers.append(m2.upper())
            break


# a modifier in a sentence that names no code: written bare in capitals ("JW is required??"), or a
# number after "modifier" / "mod" or after a verb ("put 76 on the second one", "need the 25")
_LONE_MOD_RE = re.compile(
    r"(?<![\w-])(?:(?i:modifiers?|mods?)[ \t]*[:#]?[ \t]*-?(?P<kw>[A-Za-z0-9]{2})"
    r"|(?:(?i:put|add|append|use|need|needs|require|requires|get|gets|carry|carries|keep|keeps|be|take|"
    r"takes)|(?:(?<=[.?!][ \t])|(?<=[.?!]\n))(?i:or))[ \t]+"
    r"(?:(?i:a|an|the)[ \t]+)?(?P<verb>\d{2})"
    r"|(?P<bare>[A-Z][A-Z0-9]|[0-9][A-Z]))(?![\w])"
)
# what makes such a sentence about putting a modifier on: a question, or one of these words
_LONE_MOD_ASK_RE = re.compile(
    r"\?|(?i:\b(?:need|needs|required?|requires|add|append|put|use|bill|missing|better|instead|rather|should)\b)"
)


_TOO_RE = re.compile(r"(?i:\b(?:too|also|as well)\b)")


def _next_sentence_modifiers(text: str, cands: list[_Cand]) -> None:
    """ "We billed J9271 x 200 units with JZ. The payer's edit now says JW is required??": a sentence
    that names modifiers and no code, after a sentence that names one procedure code (once or more)
    and in the same paragraph, is about that code; sentences in between may name diagnoses ("Pt has
    COPD (J44.9). Does G8 apply?"), not another procedure. Sentences are found around the procedure
    codes only."""
    procs = _procedures(cands)
    if not procs:
        return
    live: list[int] | None = None  # starts of the candidates that are not ruled out, in text order
    first: dict[str, int] | None = None  # each code's first place
    n = len(procs)
    for idx, c in enumerate(procs):
        end = _SENTENCE_END_RE.search(text, c.tail_end)
        if end is None:
            return
        if idx + 1 < n and procs[idx + 1].start < end.start():
            continue  # the sentence goes on to another procedure code: decided at the last one
        # the sentence holds one procedure code (maybe more than once): none of another code in it
        if idx and any(d.code != c.code for d in procs[:idx]):
            head = max(text.rfind(".", 0, c.start), text.rfind("?", 0, c.start), text.rfind("!", 0, c.start))
            if any(head < d.start < c.start and d.code != c.code for d in procs[:idx]):
                continue
        nxt_proc = procs[idx + 1].start if idx + 1 < n else len(text)
        # a modifier another code already has stays there, unless it is asked for "too"
        taken: set[str] | None = None
        for _ in range(3):  # this sentence's next ones, up to three, in the same paragraph
            if "\n\n" in text[end.start() : end.end() + 1] or end.end() >= nxt_proc:
                break  # a new paragraph, or the next procedure code's sentence
            a = end.end()
            nxt = _SENTENCE_END_RE.search(text, a)
            b = nxt.end() if nxt is not None else len(text)
            if b - a > 300 or b > nxt_proc:
                break  # a long run without a sentence end, or one naming the next procedure code
            if live is None:
                live = [d.start for d in cands if not (d.negative or d.in_signature)]
            k = bisect.bisect_left(live, a)
            code_like = k < len(live) and live[k] < b  # the sentence names something code-like itself
            found = [
                mod for mod in (_lone_modifier(text, m) for m in _LONE_MOD_RE.finditer(text, a, b)) if mod
            ]
            if found and not code_like and _SCOPE_WORD_RE.search(text, a, b) is not None:
                pass  # "JZ on every J code above?": the scoped rule's
            elif found and not code_like and _LONE_MOD_ASK_RE.search(text, a, b):
                if taken is None:
                    if first is None:
                        first = {d.code: d.start for d in reversed(procs)}
                    taken = {
                        mod
                        for d in procs
                        if first[d.code] < c.start and d.code != c.code
                        for mod in d.modifiers
                    }
                too = _TOO_RE.search(text, a, b) is not None
                for mod in found:
                    if mod in EM_MODIFIERS and not _is_em(c.code) and any(_is_em(d.code) for d in procs):
                        continue  # "do I need the 25?": the E/M code's (read by the orphan rule)
                    if mod not in c.modifiers and (too or mod not in taken):
                        c.modifiers.append(mod)
            elif found and not code_like:
                break  # modifiers named, but not about putting them on: the talk has moved on
            if nxt is None:
                break
            end = nxt


# a modifier named later in a sentence: "modifier 59" / "the CO modifier" (any modifier, written as
# one), or after a verb ("we used LT and 59", "keep the RT and KX", "go out with 90")
_MODTOK = r"-?([A-Za-z0-9]{2})(?![\w])"
_MODMORE = r"((?:[ \t]*(?:,|/|&|and|or|,[ \t]*and|,[ \t]*or)[ \t]*-?[A-Za-z0-9]{2}(?![\w]))*)"
# (each starts with a character class, which the regex engine scans for fast)
_SENTENCE_KW_MOD_RE = re.compile(
    r"[Mm](?<![\w-][Mm])(?i:odifiers?|ods?\.?)[ \t]*[:#]?[ \t]*" + _MODTOK + _MODMORE
)
_SENTENCE_MOD_WORD_RE = re.compile(r"[Mm](?<![\w-][Mm])(?i:odifiers?|od)(?![\w])")
_TOKEN_BEFORE_MOD_WORD_RE = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]|[0-9][A-Z]|\d{2})[ \t]+\Z")
# "76 on the second one", "77 for the repeat"
_ON_THE_SECOND_RE = re.compile(
    r"[ \t](?:on|for)[ \t]+(?:the[ \t]+)?(?i:second|2nd|third|3rd|other|repeat|last)(?![\w])"
    r"|[ \t](?:goes|go)[ \t]+on[ \t]+(?:that|this|the)[ \t]+(?:line|one|code)(?![\w])"
)
_TOKEN_BEFORE_ON_RE = re.compile(r"(?<![\w-])-?(\d{2}|[A-Z][A-Z0-9])[ \t]*\Z")  # right before the phrase
_SENTENCE_VERB_MOD_RE = re.compile(
    r"(?=[uUpPaAkKcCwWnNbB])(?<![\w-])(?i:used|use|put|puts|added|add|appended|append|keep|keeps|carry|"
    r"carries|with|w/|need|needs|billed|bill|also)[ \t]+(?:(?i:the|a|an)[ \t]+)?" + _MODTOK + _MODMORE
)


# where a _SENTENCE_VERB_MOD_RE verb may start, in a lowered ASCII text (a superset, found fast)
_VERB_START_LOW_RE = re.compile(
    r"[upakcwnb](?<![\w-][upakcwnb])(?:sed|se|uts?|dded|dd|ppended|ppend|lso|eeps?|arry|arries|ith|/|eeds?|"
    r"illed|ill)[ \t]"
)


def _modifier_phrases(
    text: str, pos: int, ascii_low: str | None = None
) -> list[tuple[int, int, list[str], bool]]:
    """(start, end, modifiers, keyword) of each modifier phrase from `pos` on, in text order:
    "modifier 59", "the CO modifier" (keyword), "used LT and 59" (after a verb)."""
    found: list[tuple[int, int, list[str], bool]] = []
    for m in _SENTENCE_KW_MOD_RE.finditer(text, pos):
        found.append((m.start(), m.end(), _listed_modifiers(m.group(1), m.group(2)), True))
    for m in _SENTENCE_MOD_WORD_RE.finditer(text, pos):
        t = _TOKEN_BEFORE_MOD_WORD_RE.search(text, max(pos, m.start() - 8), m.start())
        if t is not None:
            found.append((t.start(), m.end(), [t.group(1)], True))
    if ascii_low is not None:
        verbs = [
            vm
            for v in _VERB_START_LOW_RE.finditer(ascii_low, pos)
            if (vm := _SENTENCE_VERB_MOD_RE.match(text, v.start())) is not None
        ]
    else:
        verbs = list(_SENTENCE_VERB_MOD_RE.finditer(text, pos))
    for m in verbs:
        found.append((m.start(), m.end(), _listed_modifiers(m.group(1), m.group(2)), False))
    for m in _ON_THE_SECOND_RE.finditer(text, pos):
        t = _TOKEN_BEFORE_ON_RE.search(text, max(pos, m.start() - 4), m.start() + 1)
        if t is not None:
            found.append((t.start(), m.end(), [t.group(1)], True))
    found.sort(key=lambda f: f[0])
    return found


def _same_sentence_modifiers(text: str, cands: list[_Cand], ascii_low: str | None = None) -> None:
    """ "for 20610 on the left knee we used LT and 59", "97535 was done by our COTA, so does it need
    the CO modifier?": a modifier named later in a sentence whose one procedure code came before
    it (and no other code after it) is that code's. Beyond the few words `_late_modifiers` reads."""
    procs = _procedures(cands)
    if not procs:
        return
    n = len(procs)
    found = _modifier_phrases(text, procs[0].tail_end, ascii_low)  # after the first code, one pass each
    if not found:
        return
    found_starts = [f[0] for f in found]
    live = [d for d in cands if not (d.negative or d.in_signature)]
    live_starts = [d.start for d in live]
    em_in_mail = any(_is_em(d.code) for d in procs)
    for idx, c in enumerate(procs):
        f0 = bisect.bisect_left(found_starts, c.tail_end)
        if f0 >= len(found) or found_starts[f0] > c.tail_end + 200:
            continue  # no modifier phrase in reach
        end = _SENTENCE_END_RE.search(text, c.tail_end, c.tail_end + 201)
        b = end.start() if end is not None else min(len(text), c.tail_end + 201)
        later = idx + 1
        other_later = False
        while later < n and procs[later].start < b:
            if procs[later].code != c.code:
                other_later = True
                break
            later += 1
        if other_later:
            continue  # another procedure code later in the sentence
        if idx + 1 < n and procs[idx + 1].start < b:
            b = procs[idx + 1].start  # "20610 ... we used LT and 59, and then ... 20610 again with RT"
        if b - c.tail_end < 8 or b - c.tail_end > 200:
            continue
        mine = [f for f in found[f0:] if f[0] < b and f[1] <= b]
        if not mine:
            continue
        lo = c.start - 300 if c.start > 300 else 0
        head = max(text.rfind(".", lo, c.start), text.rfind("?", lo, c.start), text.rfind("!", lo, c.start))
        head = max(head, text.rfind("; ", lo, c.start), text.rfind("\n\n", lo, c.start), lo - 1)
        head = max(head, text.rfind("\n- ", lo, c.start), text.rfind("\n* ", lo, c.start))
        before = idx - 1
        other_before = False
        while before >= 0 and procs[before].start > head:
            if procs[before].code != c.code:
                other_before = True
                break
            before -= 1
        if other_before:
            continue  # the sentence names another procedure code before this one
        k = bisect.bisect_left(live_starts, c.tail_end)
        other_after = False
        while k < len(live) and live_starts[k] < b:
            if live[k].code != c.code:
                other_after = True
                break
            k += 1
        if other_after:
            continue  # something code-like after it in the sentence
        for _, end_at, toks, keyword in mine:
            _add_sentence_modifiers(text, c, toks, end_at, keyword=keyword, em_elsewhere=em_in_mail)


def _add_sentence_modifiers(
    text: str, c: _Cand, toks: list[str], after: int, *, keyword: bool, em_elsewhere: bool
) -> None:
    if not toks or P.FORWARD_REF_RE.match(text, after):
        return  # "... and mod 59 on 97140": another code's (none here, but a word may follow)
    if em_elsewhere and not _is_em(c.code) and any(t in EM_MODIFIERS for t in toks):
        return  # "J3301 too, do i need the 25 on the ov?": the E/M code's (read by the orphan rule)
    if keyword:
        ok = all(t.upper() in ALL_MODIFIERS and (t == t.upper() or t.isdigit()) for t in toks)
    else:
        ok = all(_is_mod(t, bare=True, numeric_only_cpt=True) for t in toks)
    if not ok or (any(t.isdigit() for t in toks) and _quantity_follows(text, after)):
        return
    for t in toks:
        if t.upper() not in c.modifiers:
            c.modifiers.append(t.upper())


# "XU instead of 59", "would XS have been better on the second 20610 instead of the 59?", "GA rather
# than KX": the new modifier goes where the old one is
_INSTEAD_RE = re.compile(
    r"(?i:\binstead of|\brather than|\bbetter than|\bin place of)[ \t]+"
    r"(?:(?i:the|a|an|modifier|mod)[ \t]+){0,2}-?([A-Z][A-Z0-9]|[0-9][A-Z]|\d{2})(?![\w])"
)
# "the 59 (or XS)": the alternative in parentheses
_PAREN_OR_RE = re.compile(
    r"(?<![\w-])([A-Z][A-Z0-9]|[0-9][A-Z]|\d{2})[ \t]*\([ \t]*(?i:or)[ \t]+"
    r"([A-Z][A-Z0-9]|[0-9][A-Z]|\d{2})[ \t]*\)"
)


def _instead_modifiers(text: str, cands: list[_Cand]) -> None:
    """A modifier named as the replacement of one a code has ("XU instead of 59", "59 (or XS)") is
    added to that code: the question is about putting it there. The code is the one the phrase names
    ("... instead of KX on the 97112"), else the one code that has the old modifier."""
    procs = [c for c in cands if c.accepted and (c.system == "CPT" or c.system == "HCPCS") and c.modifiers]
    if not procs:
        return
    if (
        "instead" not in text
        and "rather" not in text
        and "better" not in text
        and "(or" not in text
        and "(Or" not in text
        and "(OR" not in text
    ):
        return
    found: list[tuple[str, str, int]] = []
    for m in _INSTEAD_RE.finditer(text):
        # the new modifier: the last one named before the phrase, in its clause (48 characters)
        lo = m.start() - 48 if m.start() > 48 else 0
        stop = max(text.rfind(ch, lo, m.start()) for ch in ".?!\n")
        news = [
            t.group(1)
            for t in _ALT_BEFORE_TOKEN_RE.finditer(text, stop + 1 if stop >= lo else lo, m.start())
            if _is_mod(t.group(1), bare=True, numeric_only_cpt=True)
        ]
        if news:
            found.append((news[-1], m.group(1), m.end()))
    found += [(m.group(2), m.group(1), m.end()) for m in _PAREN_OR_RE.finditer(text)]
    for new, old, end in found:
        if not (_is_mod(new, bare=True, numeric_only_cpt=True) and old.upper() in ALL_MODIFIERS):
            continue
        if new.isdigit() and _quantity_follows(text, end):
            continue
        fr = P.FORWARD_REF_RE.match(text, end)
        if fr is not None:
            targets = [c for c in procs if fr.start() < c.start < fr.end()]
        else:
            targets = [c for c in procs if old in c.modifiers]
            if len({c.code for c in targets}) != 1:
                continue
        for c in targets:
            if old in c.modifiers and new not in c.modifiers:
                c.modifiers.append(new)


# a modifier for several codes at once: "KX on all of them", "Q8 to both codes", "JZ on every J code
# above", "GN on both" (A); "All three get GP", "Should those two get GY?", "all with GP" (B)
_SCOPE = (
    r"(?P<scope>(?i:all|both|each|every|those|these)(?![\w])"
    r"(?:[ \t]+(?i:of[ \t]+(?:them|those|these)|two|three|four|five|six|[2-9]|codes?|lines?|j[- ]?codes?|"
    r"drug[ \t]+codes?)(?![\w])){0,2})"
)
_SCOPED_AFTER_RE = re.compile(
    r"(?<![\w-])" + _MODTOK + _MODMORE + r"(?:[ \t]+(?i:modifiers?|mods?))?[ \t]+(?i:on|to|for|onto)[ \t]+"
    r"(?:(?i:the)[ \t]+)?" + _SCOPE
)
_SCOPED_BEFORE_RE = re.compile(
    r"(?<![\w])" + _SCOPE + r"(?:[ \t]+[A-Za-z]+){0,2}?[ \t]+"
    r"(?i:get|gets|need|needs|take|takes|carry|carries|"
    r"with|w/|require|requires|have)[ \t]+(?:(?i:the|a|an)[ \t]+)?" + _MODTOK + _MODMORE
)
_SCOPE_WORD_RE = re.compile(r"(?i:\b(?:all|both|each|every|those|these)\b)")
# the same words (and a few non-words) in a lowered ASCII text, found fast: a class first
_SCOPE_WORD_LOW_RE = re.compile(r"[abet](?<![\w][abet])(?:ll|oth|ach|very|hose|hese)(?![\w])")
_SCOPE_NUMBERS = {"both": 2, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def _scoped_modifiers(text: str, cands: list[_Cand], ascii_low: str | None = None) -> None:
    """Modifiers said to go on several codes at once. "both" / "those two" / "all three": the last
    two / three codes named before; "every J code": the drug codes named before; "all of them": the
    codes of the sentence, else of the last sentence before that names two or more, else every code
    named before in the paragraph."""
    procs = _procedures(cands)
    if len(procs) < 2:
        return
    found: list[tuple[int, int, str, list[str]]] = []
    seen: set[int] = set()
    scope_words = (
        _SCOPE_WORD_LOW_RE.finditer(ascii_low) if ascii_low is not None else _SCOPE_WORD_RE.finditer(text)
    )
    for sw in scope_words:  # few: each phrase is looked for around its scope word
        a = sw.start()
        m = _SCOPED_AFTER_RE.search(text, a - 48 if a > 48 else 0, sw.end() + 40)
        if m is not None and m.start("scope") == a and m.start() not in seen:
            seen.add(m.start())
            found.append((m.start(), m.end(), m.group("scope"), _listed_modifiers(m.group(1), m.group(2))))
        b = _SCOPED_BEFORE_RE.match(text, a)
        if b is not None and b.start() not in seen:
            seen.add(b.start())
            found.append((b.start(), b.end(), b.group("scope"), _listed_modifiers(b.group(2), b.group(3))))
    for at, end, scope, toks in found:
        if not toks or not all(_is_mod(t, bare=True, numeric_only_cpt=True) for t in toks):
            continue
        if any(t.isdigit() for t in toks) and _quantity_follows(text, end):
            continue
        before = [c for c in procs if c.start < at]
        if not before:
            continue
        words = scope.lower().split()
        n = 0  # "both", "those two", "all 3"
        for w in words:
            if w in _SCOPE_NUMBERS or w.isdigit():
                n = _SCOPE_NUMBERS.get(w) or int(w)
                break
        if any(w.startswith("j") and "code" in scope.lower() for w in words):
            targets = [c for c in before if c.system == "HCPCS" and c.code[0] == "J"]
        elif n:
            codes: list[str] = []
            for c in reversed(before):
                if c.code not in codes:
                    codes.append(c.code)
                if len(codes) == n:
                    break
            targets = [c for c in before if c.code in codes]
        else:
            targets = _codes_in_scope(text, before, at)
        for c in targets:
            for t in toks:
                if t.upper() not in c.modifiers:
                    c.modifiers.append(t.upper())


def _codes_in_scope(text: str, before: list[_Cand], at: int) -> list[_Cand]:
    """The codes "all of them" means: those of the phrase's sentence, else of the last sentence
    before it that names two or more (up to four sentences back), else those of its paragraph (or
    of the paragraph before, when its own names none before it)."""
    end = at
    for _ in range(4):
        lo = max(text.rfind(". ", 0, end), text.rfind("? ", 0, end), text.rfind("! ", 0, end))
        lo = max(lo, text.rfind("\n\n", 0, end) + 1 if text.rfind("\n\n", 0, end) >= 0 else -1)
        group = [c for c in before if lo < c.start < end]
        if len({c.code for c in group}) >= 2:
            return group
        if lo < 0:
            break
        end = lo
    para = text.rfind("\n\n", 0, at)
    group = [c for c in before if c.start > para]
    if not group and para > 0:
        prev = text.rfind("\n\n", 0, para)
        group = [c for c in before if prev < c.start < para]
    return group


# the end of a list line that gives a count: "- A7030 full face mask x1", "A7038 filters x 2"
_LINE_END_UNITS_RE = re.compile(
    r"(?:[xX×][ \t]*+(\d{1,3})|(\d{1,3})[ \t]*+(?i:units?)|(?i:qty)[ \t:]*+(\d{1,3}))[ \t]*+[.;)]?[ \t]*+$"
)
_LINE_HEAD_CHARS = frozenset(" \t>-*•+.)0123456789")
_LINE_HEAD_RE = re.compile(r"[ \t>]*+(?:[-*•+][ \t]*+|\d{1,2}[.)][ \t]*+)?$")


def _line_end_units(text: str, cands: list[_Cand]) -> None:
    """A list line that starts with a procedure code and ends with a count is that code's units:
    "- A7030 full face mask x1" (words, no other number, in between)."""
    procs = _procedures(cands)
    for c in procs:
        if c.units is not None:
            continue
        k = c.start
        while k > 0 and c.start - k < 12 and text[k - 1] in _LINE_HEAD_CHARS:
            k -= 1
        if k > 0 and text[k - 1] != "\n":
            continue  # the code does not start its line
        le = text.find("\n", c.tail_end, c.tail_end + 61)
        if le < 0:
            if len(text) - c.tail_end > 60:
                continue  # no line end in reach
            le = len(text)
        if _LINE_END_UNITS_RE.search(text, c.tail_end, le) is None:
            continue
        ls = text.rfind("\n", c.start - 12 if c.start > 12 else 0, c.start) + 1
        if not _LINE_HEAD_RE.match(text, ls, c.start):
            continue  # the code does not start its line
        if any(ls <= d.start < le and d is not c for d in cands if d.accepted):
            continue
        rest = text[c.tail_end : le]
        m = _LINE_END_UNITS_RE.search(rest)
        if m is None or any(ch.isdigit() for ch in rest[: m.start()]) or not rest[: m.start()].strip():
            continue
        c.units = _to_int(m.group(1) or m.group(2) or m.group(3))


def _spread_before_modifiers(text: str, cands: list[_Cand]) -> None:
    """ "put the SL on the 90715, 90651 and 90686": modifiers written before the first code of a
    list go on every code of it that has none of its own."""
    for i, c in enumerate(cands):
        if not (c.before_mods and c.accepted):
            continue
        prev = c
        for d in cands[i + 1 : i + 6]:
            between = text[prev.tail_end : d.start]
            if not d.accepted or d.system != c.system or not _STRICT_LIST_RE.fullmatch(between):
                break
            if d.modifiers:
                break
            d.modifiers.extend(c.modifiers)
            prev = d


_STRICT_LIST_RE = re.compile(r"[ \t]*(?:,|,?[ \t]+and|,?[ \t]+or|&)[ \t]+(?:the[ \t]+)?")
# after the last code of a list: "A7030 and A7038 need KX too", "Do 76811 and 76816 need 59"
_LIST_VERB_MOD_RE = re.compile(
    r"[ \t]*\n?[ \t]*(?<=\s)(?:(?i:both|all|also|each)[ \t]+)?(?i:need|get|take|require|carry|have)[ \t]+"
    r"(?:(?i:the|a|an)[ \t]+)?" + _MODTOK + _MODMORE
)


def _list_verb_modifiers(text: str, cands: list[_Cand]) -> None:
    """Modifiers after a plural verb that follows a list of codes go on each code of the list."""
    procs = _procedures(cands)
    for i in range(1, len(procs)):
        m = _LIST_VERB_MOD_RE.match(text, procs[i].tail_end)
        if m is None:
            continue
        toks = _listed_modifiers(m.group(1), m.group(2))
        if not all(_is_mod(t, bare=True, numeric_only_cpt=True) for t in toks):
            continue
        if any(t.isdigit() for t in toks) and _quantity_follows(text, m.end()):
            continue
        group = [procs[i]]
        j = i
        while j > 0 and _STRICT_LIST_RE.fullmatch(text[procs[j - 1].tail_end : procs[j].start]):
            group.append(procs[j - 1])
            j -= 1
        if len(group) < 2:
            continue
        for c in group:
            for t in toks:
                if t.upper() not in c.modifiers:
                    c.modifiers.append(t.upper())


# the end of a sentence: . ? ! ; before a blank or the end, or a blank line
_SENTENCE_END_RE = re.compile(r"[.?!;]+(?=[ \t\n\r]|$)|\n[ \t]*\n")


def _lone_modifier(text: str, m: re.Match[str]) -> str | None:
    """The modifier a `_LONE_MOD_RE` match names, or None when it is not one."""
    bare = m.group("bare")
    if bare is not None:
        return bare if bare in BARE_ALPHA_MODIFIERS and not bare.isdigit() else None
    tok = m.group("kw") or m.group("verb")
    if not _is_mod(tok, bare=False, numeric_only_cpt=True):
        return None
    if tok.isdigit() and _quantity_follows(text, m.end()):
        return None
    return tok.upper()


_CELL_RE = re.compile(r"[^\s|]+(?: [^\s|]+)*")
_UNITS_HEADER = frozenset(
    {"units", "unit", "qty", "quantity", "uos", "units of service", "days/units", "days or units", "un"}
    | {"svc units"}
)
# a column that holds the billed code: "CPT", "HCPCS", "Code", "Billed", "Proc", "Service", "CPT/HCPCS" ...
_CODE_HEADER_RE = re.compile(
    r"(?:billed|cpt|hcpcs|cpt/hcpcs|hcpcs/cpt|proc|procedure|service|svc|code|codes)"
    r"(?: ?(?:code|codes|cd|billed|#))?",
    re.IGNORECASE,
)
_CODE_HEADER_WORD_RE = re.compile(r"(?i:billed|cpt|hcpcs|proc|service|svc|code)")
_UNITS_WORD_RE = re.compile(r"(?<![\w])(?:units?|qty|quantity|uos)(?![\w])", re.IGNORECASE)


def _columns(line: str) -> list[tuple[int, str]]:
    """Cells of a plain-text table line: between pipes or tabs (empty cells kept, so a row lines up
    with its header), else text separated by two or more spaces."""
    for sep in ("|", "\t"):
        if sep in line:
            cells: list[tuple[int, str]] = []
            pos = 0
            parts = line.split(sep)
            if sep == "|" and not parts[0].strip():
                pos = len(parts[0]) + 1
                parts = parts[1:]
            if sep == "|" and parts and not parts[-1].strip():
                parts = parts[:-1]
            for part in parts:
                lead = len(part) - len(part.lstrip())
                cells.append((pos + lead, part.strip()))
                pos += len(part) + 1
            return cells
    return [(m.start(), m.group()) for m in _CELL_RE.finditer(line)]


def _header_columns(line: str) -> tuple[list[tuple[int, str]], int, set[int], set[int]] | None:
    """A table header line: its cells, the units column and the code and modifier columns; None
    when the line is not a header with a units column and a code column."""
    header = _columns(line)
    if len(header) < 3:
        return None
    names = [name.strip().lower().rstrip(":") for _, name in header]
    units_col = next((i for i, n in enumerate(names) if n in _UNITS_HEADER), None)
    if units_col is None:
        return None
    code_cols = {i for i, n in enumerate(names) if _CODE_HEADER_RE.fullmatch(n)}
    if not code_cols:
        return None
    mod_cols = {i for i, n in enumerate(names) if n.startswith("mod") and len(n) <= 10}
    return header, units_col, code_cols, mod_cols


def _table_units(text: str, cands: list[_Cand], ascii_low: str | None = None) -> None:
    """Units and modifier columns of a table: a header line with a units column ("Units", "Qty",
    "UOS") and a code column ("CPT", "Code", "Billed", ...), in any order, with cells between
    pipes, tabs or runs of spaces; each row's code in the code column takes its row's units and
    modifier cells. A code in another column ("Should be") takes nothing from the row."""
    if ascii_low is not None and not (
        "unit" in ascii_low or "qty" in ascii_low or "quantity" in ascii_low or "uos" in ascii_low
    ):
        return  # no units column header (an ASCII text, lowered: the same words as the pattern's)
    if "  " not in text and "\t" not in text and "|" not in text:
        return  # no line has columns
    procs = [c for c in cands if c.system == "CPT" or c.system == "HCPCS"]
    if not procs:
        return
    seen: set[int] = set()
    for wm in _UNITS_WORD_RE.finditer(text):
        hs = text.rfind("\n", 0, wm.start()) + 1
        if hs in seen:
            continue
        seen.add(hs)
        he = text.find("\n", wm.end())
        he = len(text) if he < 0 else he
        line = text[hs:he]
        if not (("  " in line or "\t" in line or "|" in line) and _CODE_HEADER_WORD_RE.search(line)):
            continue  # no columns, or no code column
        found = _header_columns(line)
        if found is None:
            continue
        header, units_col, code_cols, mod_cols = found
        pos = he + 1
        for _ in range(60):
            if pos >= len(text):
                break
            nl = text.find("\n", pos)
            end = len(text) if nl < 0 else nl
            line = text[pos:end]
            if not line.strip():
                break
            if _header_columns(line) is not None:
                break  # the next table's header
            row_cands = [c for c in procs if pos <= c.start < end]
            if row_cands:
                row = _columns(line)
                piped = "|" in line or "\t" in line
                for c in row_cands:
                    _apply_row(c, pos, row, header, units_col, code_cols, mod_cols, piped)
            pos = end + 1


_UNITS_CELL_RE = re.compile(r"(\d{1,3})(?:[ \t]*(?:un|units?|u|uos))?", re.IGNORECASE)


def _ragged(row: list[tuple[int, str]], header: list[tuple[int, str]]) -> bool:
    """Whether a space-separated row's cells stand away from its header's columns (an empty cell
    made the counts agree by chance: "0762  G0378        18 UN" under "Rev  HCPCS  Mod  Units")."""
    return any(abs(off - header[i][0]) > 3 for i, (off, _) in enumerate(row))


def _apply_row(
    c: _Cand,
    line_start: int,
    row: list[tuple[int, str]],
    header: list[tuple[int, str]],
    units_col: int,
    code_cols: set[int],
    mod_cols: set[int],
    piped: bool,
) -> None:
    code_cell = next(
        (i for i, (off, cell) in enumerate(row) if 0 <= c.start - line_start - off < len(cell)),
        None,
    )
    if code_cell is None:
        return
    if len(row) == len(header) and (piped or not _ragged(row, header)):
        mapping = {i: i for i in range(len(row))}
    else:  # empty cells: each cell goes to the header column that starts nearest to it
        mapping = {
            i: min(range(len(header)), key=lambda h: abs(header[h][0] - off))
            for i, (off, _) in enumerate(row)
        }
    if mapping[code_cell] not in code_cols:
        return  # a code in a comment or "should be" column: the row's cells are not about it
    mods: list[str] = []
    units: int | None = None
    for i, (_, cell) in enumerate(row):
        if i == code_cell:
            continue
        col = mapping[i]
        if col == units_col:
            um = _UNITS_CELL_RE.fullmatch(cell.strip())
            units = _to_int(um.group(1)) if um else None
        elif col in mod_cols:
            ambulance = c.system == "HCPCS" and c.code.startswith("A0")
            for t in re.split(r"[\s,/-]+", cell):
                if t and (_is_mod(t, bare=False) or (ambulance and t in AMBULANCE_MODIFIERS)):
                    mods.append(t.upper())
    if units is not None:
        c.units = units
    if mod_cols:
        # the table's modifier column says which (a units cell is not a modifier); modifiers written
        # on the code in its own cell ("20611-RT") stay
        cell_start, cell = row[code_cell]
        own = cell[c.end - (line_start + cell_start) :]  # what the code's own cell holds after it
        kept = [m for m in c.modifiers if own and m in own.upper()]
        c.modifiers = kept + [m for m in mods if m not in kept]
    elif units is not None:
        c.modifiers = [m for m in c.modifiers if m != str(units)]


_ORPHAN_KW_FIRST_RE = re.compile(
    r"(?<![\w])" + P.MOD_WORD + r"[ \t:#-]*-?[ \t]*([A-Za-z0-9]{2})(?![\w])", re.IGNORECASE
)
_ORPHAN_KW_AFTER_RE = re.compile(
    r"(?<![\w])-?([A-Za-z0-9]{2})[ \t]+" + P.MOD_WORD + r"(?![\w])", re.IGNORECASE
)
_EM_RANGE = (99202, 99499)


def _is_em(code: str) -> bool:
    if len(code) == 5 and code.isascii():  # a five-digit code: compared as text, no int()
        return code.isdigit() and "99202" <= code <= "99499"
    return code.isdigit() and _EM_RANGE[0] <= int(code) <= _EM_RANGE[1]


def _lower_keeping_offsets(text: str) -> str:
    """`text.lower()`, but a character whose lower case is longer ("İ" -> "i̇") is kept as it is, so an
    offset found in the result is the same offset in `text`."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(lc if len(lc := c.lower()) == 1 else c for c in text)


def _orphan_mentions(text: str, low: str | None = None) -> list[tuple[int, list[str]]]:
    """ "modifier 25", "25 modifier", "modifiers 76 or 77": (position, modifiers) around each "mod"
    (no full-text regex pass)."""
    if low is None or len(low) != len(text):
        low = _lower_keeping_offsets(text)
    out: list[tuple[int, list[str]]] = []
    seen: set[int] = set()
    i = low.find("mod")
    while i >= 0:
        lo, hi = max(0, i - 6), min(len(text), i + 24)
        found = [(m, True) for m in _ORPHAN_KW_FIRST_RE.finditer(text, lo, hi)]
        found += [(m, False) for m in _ORPHAN_KW_AFTER_RE.finditer(text, lo, hi)]
        for m, kw_first in found:
            if m.start(1) in seen:
                continue
            seen.add(m.start(1))
            toks = [m.group(1)]
            if kw_first:
                more = _ORPHAN_MORE_RE.match(text, m.end())
                if more:
                    toks += [
                        t for t in P.MODLIST_SPLIT_RE.findall(more.group()) if t.lower() not in ("or", "an")
                    ]
            out.append((m.start(), toks))
        i = low.find("mod", i + 3)
    return out


_ORPHAN_MORE_RE = re.compile(
    r"(?:[ \t]*(?:,|/|&|and|or|,[ \t]*or|,[ \t]*and)[ \t]*-?[ \t]*[A-Za-z0-9]{2}(?![\w]))+", re.IGNORECASE
)


# "Modifiers: RT on all three", "modifier 59 on each line": one modifier for every listed code
_ALL_CODES_MOD_RE = re.compile(
    r"\bmod(?:ifier)?s?\b\s*[:\-]?\s*"
    r"(?P<mods>[A-Za-z0-9]{2}(?:\s*(?:,|/|&|\band\b)\s*[A-Za-z0-9]{2})*)"
    r"\s+(?:on|for|to)\s+(?:all|each|every|both)\b",
    re.IGNORECASE,
)


def _all_codes_mods(text: str, low: str | None) -> list[re.Match[str]]:
    """`_ALL_CODES_MOD_RE`'s matches. The pattern needs "mod" and then "all", "each", "every" or
    "both" (letters no other character folds to): a text without them is not searched, and when
    lowering kept every offset (an equal length: each character gave one) the search starts at the
    first "mod"."""
    if low is None:
        low = text.lower()
    mod_at = low.find("mod")
    if mod_at < 0 or not ("all" in low or "each" in low or "every" in low or "both" in low):
        return []
    return list(_ALL_CODES_MOD_RE.finditer(text, mod_at if len(low) == len(text) else 0))


def _assign_orphan_modifiers(
    text: str, cands: list[_Cand], merged: dict[tuple[str, str], CodeMention], low: str | None = None
) -> None:
    """A modifier named with no code ("do I need a 25 modifier?"): an E/M modifier (24, 25, 57)
    goes on the one E/M code of the question; another modifier on the one procedure code; a
    modifier said to go "on all" / "on each" goes on every code of its kind."""
    em: list[CodeMention] = []
    other: list[CodeMention] = []
    for cm in merged.values():
        if cm.system == "CPT" or cm.system == "HCPCS":
            (em if _is_em(cm.code) else other).append(cm)
    if not (em or other):
        return
    if (len(em) > 1 or len(other) > 1) and (low is None or any(w in low for w in _ORPHAN_WORDS)):
        # codes named only as the ends of a range are not the one a modifier named alone is for
        in_range = _range_only_codes(text, cands)
        if in_range:
            em = [cm for cm in em if cm.code not in in_range]
            other = [cm for cm in other if cm.code not in in_range]
    if len(em) == 1:
        # "do i need the 25 on the ov?", "we didn't put the 25 modifier on the E/M"
        for m in _EM_REF_MOD_RE.finditer(text):
            if m.group(1) not in em[0].modifiers:
                em[0].modifiers.append(m.group(1))
    for m in _all_codes_mods(text, low):
        for raw in re.findall(r"[A-Za-z0-9]{2}", m.group("mods")):
            tok = raw.upper()
            if tok not in ALL_MODIFIERS or (raw != tok and not raw.isdigit()) or raw.lower() == "an":
                continue
            for cm in em if tok in EM_MODIFIERS else other:
                if tok not in cm.modifiers:
                    cm.modifiers.append(tok)
    if len(em) != 1 and len(other) != 1:
        return  # no one code a modifier named alone could go on
    for s, toks in _orphan_mentions(text, low):
        for raw in toks:
            tok = raw.upper()
            if tok not in ALL_MODIFIERS or (raw != tok and not raw.isdigit()):
                continue
            if any(c.start - 60 <= s <= c.tail_end + 2 and tok in c.modifiers for c in cands if c.accepted):
                continue  # already read with its code
            target = em if tok in EM_MODIFIERS else other
            if len(target) == 1 and tok not in target[0].modifiers:
                target[0].modifiers.append(tok)


# what a text that names a modifier with no code holds (else no range needs working out)
_ORPHAN_WORDS = ("mod", "e/m", "e&m", "visit", " ov", "o/v")
# an E/M modifier said to go on "the E/M" / "the visit" / "the OV"
_EM_REF_MOD_RE = re.compile(
    r"(?<![\w-])(24|25|57)(?:[ \t]+(?i:modifier|mod))?[ \t]+(?i:on|to|for)[ \t]+"
    r"(?i:the|an?|our|this|that)[ \t]+"
    r"(?i:e/m|e&m|em|e and m|ov|o/v|office visit|visit|evaluation)(?![\w/&])"
)


def _range_only_codes(text: str, cands: list[_Cand]) -> set[str]:
    """Codes named only as the ends of a range ("levels 99281-99285"): not the code a modifier
    named alone is meant for."""
    ends: set[int] = set()
    acc = [c for c in cands if c.accepted]
    for a, b in itertools.pairwise(acc):
        if b.start - a.tail_end > 12 or a.system != b.system:
            continue
        if P.RANGE_SEPARATOR_RE.match(text[a.tail_end : b.start]):
            ends.add(a.start)
            ends.add(b.start)
    if not ends:
        return set()
    named = {c.code for c in acc if c.start not in ends}
    return {c.code for c in acc if c.start in ends and c.code not in named}


def _fill_status(codes: list[CodeMention], store: CodeStore, on: dt.date | None) -> None:
    for cm in codes:
        if cm.status == "invalid":
            cm.billable = None
            continue
        try:
            info = store.lookup(cm.code, on=on, system=cm.system)
        except Exception:  # a store hiccup must not lose the extraction
            continue
        cm.status = info.status
        cm.billable = info.billable


_SUBJECT_PREFIX_RE = re.compile(
    r"^\s*(?:(?:re|fwd?|fw|aw|wg|tr|sv|vs)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
_CASE_TOKEN_RE = re.compile(r"\[\s*case\s*#?\s*\d+\s*\]", re.IGNORECASE)


def mail_question(raw: bytes) -> tuple[str, str, bool]:
    """(question text, subject, is_reply) of a raw mail, via the mail parser."""
    from consultant.mail.parse import parse_mail

    parsed = parse_mail(raw)
    subject = parsed.subject or ""
    is_reply = bool(parsed.in_reply_to) or bool(re.match(r"^\s*(?:re|aw|sv)\s*:", subject, re.IGNORECASE))
    return parsed.question or "", subject, is_reply


def extract_mail(raw: bytes, store: CodeStore, *, today: dt.date | None = None) -> Extraction:
    """Codes of a raw mail's question: the new text (quoted history dropped, forwards kept).

    A new consult's subject is part of its question ("99214-25 with 20610?"); a reply's is not
    (it names what the thread began with)."""
    question, subject, is_reply = mail_question(raw)
    if not is_reply:
        subj = _CASE_TOKEN_RE.sub("", _SUBJECT_PREFIX_RE.sub("", subject)).strip()
        if subj and P.CANDIDATE_RE.search(subj):
            question = f"{subj}\n\n{question}"
    return extract(question, store, today=today)
