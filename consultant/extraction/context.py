"""Context words around a candidate, read as tokens (fast: set look-ups, no big alternations).

- `negative_before`: the words right before a number say it is an identifier, an amount or an
  address part ("Claim #", "room", "NPI", "Suite", "$", "TX", "ZIP code", "version") -- not a code;
- `strong_before`: the words right before it say it is a code ("CPT", "dx:", "code", "billed");
- `before_verdict`: both at once, reading only the last word when it alone decides (the fast path);
- `Sentences`: whether the sentence a candidate sits in talks about coding at all.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable

from consultant.extraction import patterns as P


def _split(words: str) -> list[str]:
    return words.split()


_TOKEN_FULL_RE = re.compile(r"[A-Za-z][A-Za-z0-9/&'.-]*\Z")
_GAP_CHARS = " \t:#=-"
_WORD_RE = re.compile(r"[a-z][a-z0-9/&'-]*")

NEG_WORDS = frozenset(
    _split(
        "claim claims icn dcn tcn invoice account room suite bed floor building apartment box member "
        "subscriber policy group ticket case order reference confirmation tracking authorization precert "
        "chart record batch eft era remit npi tin ein ptan tax ssn zip zipcode postal phone telephone fax "
        "port extension pager cell mobile version build release revision firmware model serial part lot "
        "ndc id "
        "identifier dob po voucher plan contract license dea upin mbi hicn amount balance total payment "
        "owed due deductible copay coinsurance fee fees price cost usd page table figure section chapter "
        "appendix exhibit year fy cy route highway interstate flight gate "
    )
)
NEG_ABBREVIATIONS = frozenset(
    _split(
        "clm inv acct rm ste fl bldg apt grp ref conf auth mrn ph tel ext ver v rev sn lic amt pg fig sec "
        "ch hwy nbr num "
    )
)
NEG_DOTTED_ONLY = frozenset({"no.", "p.", "pp.", "p.o."})
NEG_PHRASES = frozenset(
    {
        ("zip", "code"),
        ("postal", "code"),
        ("purchase", "order"),
        ("allowed", "amount"),
        ("payer", "id"),
        ("payor", "id"),
        ("po", "box"),
        ("p.o.", "box"),
        ("p.", "o."),
    }
)
NEG_NEEDS_SUFFIX = frozenset(
    {"check", "cheque", "control", "line", "item", "unit", "patient", "pt", "account"}
)
ID_SUFFIX = frozenset({"no", "no.", "number", "num", "nbr", "id", "ids", "#"})

STRONG_WORDS = frozenset(
    _split(
        "cpt hcpcs hcpc code codes icd icd-10 icd10 icd-10-cm icd10cm icd-10-pcs pcs dx dxs diag "
        "diagnosis diagnoses modifier mod bill billed billing report reported use using coded e/m e&m em "
        "level j-code jcode procedure cpts "
    )
)
STRONG_SENTENCE_WORDS = STRONG_WORDS - {"use", "using", "level", "report", "reported"} | {
    "modifiers",
    "units",
    "unit",
    "bundled",
    "bundle",
    "ncci",
    "mue",
}
STRONG_FILLER = frozenset({"is", "was", "of", "as", "for", "code", "codes", "the", "a"})

POSITIVE_WORDS = frozenset(
    _split(
        "schedule mpfs pfs fee fees rate rates reimbursement pricing price about what which how whether can "
        "should could may okay ok correct right need needs require requires required "
        "cpt cpts hcpcs hcpc icd icd-10 icd10 icd-10-cm icd-10-pcs pcs dx dxs dx's diag diagnosis "
        "diagnoses code codes coded coding coder bill billed billing bills billable charge charged report "
        "reported reporting modifier modifiers mod mods unit units ncci ptp mue edit edits bundle bundled "
        "bundles bundling unbundle unbundled unbundling column col payable pay paid deny denied denial "
        "denials reimburse reimbursed append appended e/m e&m em visit visits procedure procedures proc "
        "injection injections drug drugs supply supplies dme rental service services svc global add-on "
        "addon primary secondary principal linked link pointer level established consult performed "
        "perform did done submitted submit submitting use used using vs versus instead "
        "replace replaced replaces crosswalk map maps mapped valid invalid deleted terminated sequence "
        "sequenced assign assigned documented documentation ordered administered admin given infusion "
        "hydration therapy surgery surgical repair exam screening test lab panel x-ray imaging add adding "
        "added question time minutes time-based allowed covered coverage payer medicare medicaid "
        "commercial insurance rvu rvus "
    )
)
DX_WORDS = frozenset(
    _split("dx dxs dx's diag diagnosis diagnoses icd icd-10 icd10 icd-10-cm icd10cm condition conditions ")
)
PCS_WORDS = frozenset({"pcs", "icd-10-pcs", "icd10pcs", "inpatient"})

US_STATES = frozenset(P.US_STATES)
STATE_NAMES = frozenset(
    _split(
        "alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii "
        "idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan "
        "minnesota mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania "
        "tennessee texas utah vermont virginia washington wisconsin wyoming "
    )
)
STATE_SECOND_WORDS = frozenset(
    {"hampshire", "jersey", "mexico", "york", "carolina", "dakota", "island", "rico"}
)


def _line_before(text: str, s: int, width: int = 48) -> str:
    seg = text[max(0, s - width) : s]
    nl = seg.rfind("\n")
    return seg[nl + 1 :] if nl >= 0 else seg


def tokens_before(seg: str) -> list[str]:
    """The words right before the end of `seg`, nearest last, joined only by spaces, ':', '#', '='."""
    out: list[str] = []
    for part in reversed(seg.split()):
        core = part.strip(_GAP_CHARS)
        if not core:
            continue
        if not ((core.isascii() and core.isalpha()) or core.isdigit() or _TOKEN_FULL_RE.match(core)):
            break
        out.append(core.lower())
        if len(out) == 4:
            break
    out.reverse()
    return out


def words_before(text: str, s: int) -> tuple[str, list[str]]:
    """The line before position `s` (up to 48 characters) and its last words, nearest last."""
    seg = _line_before(text, s)
    tail = seg.rstrip(" \t")
    if not tail or tail[-1] in NO_WORD_BEFORE:
        return seg, []  # "20610, 99214", "(99214", a line start: no word right before
    return seg, tokens_before(seg)


NO_WORD_BEFORE = frozenset(",;()[]{}/&+*|\"'<>!?")


def negative_before(seg: str, toks: list[str], numeric: bool) -> bool:
    stripped = seg.rstrip(" \t")
    if stripped.endswith("$") or stripped[-3:].lower() in ("usd", "us$"):
        return True
    if not toks:
        return False
    last = toks[-1]
    if last in ("x", "ext", "ext.", "extn"):
        head = stripped[: len(stripped) - len(last)].rstrip(" \t.,:")
        if head[-4:].isdigit() or (head[-1:].isdigit() and last != "x"):
            return True  # a phone extension: "555-0142 x 20610" (but "2 x 97110" is two units)
    if _is_neg_word(last) or (len(toks) >= 2 and (toks[-2], last) in NEG_PHRASES):
        return True
    # "Claim no. 20610", "member ID # 99213", "check number 20610"
    if last in ID_SUFFIX or last.rstrip(".") in ID_SUFFIX:
        i = len(toks) - 2
        while i >= 0 and (toks[i] in ID_SUFFIX or toks[i].rstrip(".") in ID_SUFFIX):
            i -= 1
        if i >= 0:
            w = toks[i]
            if _is_neg_word(w) or w.rstrip(".") in NEG_NEEDS_SUFFIX:
                return True
            if i >= 1 and (toks[i - 1], w) in NEG_PHRASES:
                return True
        if last in ("id", "ids"):
            return True
    if numeric:
        # a ZIP code after a state: "Austin, TX 78701", "Springfield, Illinois 62704"
        raw_last = seg.rstrip(" \t,").rsplit(None, 1)[-1] if seg.strip() else ""
        if raw_last.rstrip(".,") in US_STATES:
            return True
        if last in STATE_NAMES or (last in STATE_SECOND_WORDS and len(toks) >= 2):
            return True
    return False


_NEEDS_ALL_TOKENS = (
    frozenset({"x", "ext", "ext.", "extn"})
    | {second for _, second in NEG_PHRASES}
    | ID_SUFFIX
    | STATE_SECOND_WORDS
    | STRONG_FILLER
)


# `_is_neg_word` of a word without a dot (NEG_DOTTED_ONLY all have one)
_NEG_PLAIN = NEG_WORDS | NEG_ABBREVIATIONS
# an amount before a number: "$", or "usd" / "us$" in any case (no other character lowers to these)
_MONEY_ENDINGS = ("$", *{a + b + c for a in "uU" for b in "sS" for c in "dD$"})


def before_verdict(seg: str, numeric: bool) -> tuple[bool, bool]:
    """(negative_before, strong_before) of the words ending `seg` (the line before a candidate,
    which ends in a word character). Most of the time the last word alone decides both: then only
    that word is read; otherwise the last four are, as `tokens_before`."""
    parts = seg.rsplit(None, 1)
    core = parts[-1].strip(_GAP_CHARS) if parts else ""
    if core:
        if not ((core.isascii() and core.isalpha()) or core.isdigit() or _TOKEN_FULL_RE.match(core)):
            return negative_before(seg, [], numeric), False  # no word right before
        last = core.lower()
        dotless = "." not in last
        if last == "appendix" and not numeric and seg.rstrip(" \t").endswith(":"):
            return False, False  # "perforated appendix: 0DTJ4ZZ": the organ, not a document's part
        if last not in _NEEDS_ALL_TOKENS and (dotless or last.rstrip(".") not in ID_SUFFIX):
            if (last in _NEG_PLAIN if dotless else _is_neg_word(last)) or seg.rstrip(" \t").endswith(
                _MONEY_ENDINGS
            ):
                return True, False
            if numeric:
                # the last chunk before any trailing blanks and commas (the chunk itself unless it
                # ends with a comma)
                raw_last = parts[-1] if parts[-1][-1] != "," else seg.rstrip(" \t,").rsplit(None, 1)[-1]
                if raw_last.rstrip(".,") in US_STATES or last in STATE_NAMES:
                    return True, False
            return False, (last if dotless else last.rstrip(".:")) in STRONG_WORDS
    toks = tokens_before(seg)
    if negative_before(seg, toks, numeric):
        return True, False
    return False, bool(toks) and strong_before(toks)


def _is_neg_word(w: str) -> bool:
    if w in NEG_WORDS or w in NEG_DOTTED_ONLY:
        return True
    return w.rstrip(".") in NEG_ABBREVIATIONS  # "ext. 20610", "Ste 11042"; "total. 99205" ends a sentence


def strong_in(words: frozenset[str]) -> bool:
    """A sentence that names codes outright (CPT, code, modifier, billed, dx, units...)."""
    return not STRONG_SENTENCE_WORDS.isdisjoint(words)


def strong_before(toks: list[str]) -> bool:
    """A system word right before: "CPT 99214", "dx: M17.11", "code #20610", "billed 99213"."""
    toks = list(toks[-3:])
    while toks and toks[-1] in STRONG_FILLER:
        if toks[-1] in ("code", "codes"):
            return True
        toks.pop()
    return bool(toks) and toks[-1].rstrip(".:") in STRONG_WORDS


_VERSION_WORD_RE = re.compile(
    r"(?<![\w])(?:v|ver|vers|version|versions|rev|revision|release|build|update|upgrade|upgraded|"
    r"patch|firmware|software|windows|epic|cerner|athena|ios|android)\.?[ \t:#-]*$",
    re.IGNORECASE,
)


def version_before(seg: str) -> bool:
    """ "version V10.1", "upgrade to v13.0": a version word right before a candidate."""
    return _VERSION_WORD_RE.search(seg[-24:]) is not None


# a remittance remark or reason code right before: "RARC M80", "remark N130", "CO-97 M15",
# "CO-151 / N362", "remark codes N130, N362" (RARC codes look like undotted ICD-10-CM codes)
_REMARK_BEFORE_RE = re.compile(
    r"(?:(?<![\w])(?:rarcs?|remarks?|remark codes?|rarc codes?|moa|rem|remittance advice remark codes?)"
    r"|(?<![\w])(?:co|pr|oa|pi|cr)[ \t]?-?[ \t]?\d{1,3}|(?<![\w])carc[ \t]*\d{1,3})"
    r"(?:[ \t]*[:#/,;&+-][ \t]*|[ \t]+(?:(?:and|w/|with|plus)[ \t]+)?)"
    r"(?:(?:[A-Z]{1,2}\d{1,3})[ \t]*(?:[,/;&]|and)[ \t]*)*$",
    re.IGNORECASE,
)


def remark_code_before(seg: str) -> bool:
    """ "RARC M80", "CO-97 M15": a remittance remark code, not a diagnosis."""
    return _REMARK_BEFORE_RE.search(seg[-60:]) is not None


# "ICD-9 250.00 -> E11.9", "401.9 maps to I10": the code after the arrow is the ICD-10 side
_CROSSWALK_RE = re.compile(
    r"(?:-+>|=+>|→|⇒|\bmaps? to\b|\bmapped to\b|\bcrosswalk(?:s|ed)? to\b|\bbecomes?\b|\bbecame\b|"
    r"\bis now\b|\bnow\b|\bequals\b)",
    re.IGNORECASE,
)


def icd9_before(seg: str) -> bool:
    """ "ICD-9 715.16", "ICD9 code V58.61": an ICD-9 code said to be one (and no ICD-10 word since)."""
    if "9" not in seg:
        return False
    low = seg.lower()
    if "icd" not in low:
        return False
    ends = [m.end() for m in P.ICD9_WORD_RE.finditer(low)]
    if not ends:
        return False
    since = low[ends[-1] :]
    return not (P.ICD10_WORD_RE.search(since) or _CROSSWALK_RE.search(since))


class Sentences:
    """Sentence spans of a text, found once; word sets per sentence, computed on demand."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None
        self._ends: list[int] = []
        self._words: dict[int, frozenset[str]] = {}
        self._positive: dict[int, bool] = {}

    def _split(self) -> list[int]:
        breaks = [m.span() for m in _SENTENCE_BREAK_RE.finditer(self.text)]
        starts = [0, *(b for _, b in breaks)]
        self._starts, self._ends = starts, [*(a for a, _ in breaks), len(self.text)]
        return starts

    @property
    def starts(self) -> list[int]:
        starts = self._starts
        return starts if starts is not None else self._split()  # found on first use

    @property
    def ends(self) -> list[int]:
        if self._starts is None:
            self._split()
        return self._ends

    def index(self, pos: int) -> int:
        starts = self._starts
        if starts is None:
            starts = self._split()
        return max(0, bisect.bisect_right(starts, pos) - 1)

    def words(self, pos: int) -> frozenset[str]:
        i = self.index(pos)
        a, b = self._starts[i], self._ends[i]  # type: ignore[index]
        if b - a > 600:  # a long run without a sentence end: words near the position only
            return frozenset(_WORD_RE.findall(self.text[max(a, pos - 160) : min(b, pos + 120)].lower()))
        got = self._words.get(i)
        if got is None:
            got = frozenset(_WORD_RE.findall(self.text[a:b].lower()))
            self._words[i] = got
        return got

    def before(self, pos: int) -> str:
        i = self.index(pos)
        return self.text[max(self._starts[i], pos - 120) : pos]  # type: ignore[index]

    def positive(self, pos: int) -> bool:
        i = self.index(pos)
        if self._ends[i] - self._starts[i] > 600:  # type: ignore[index]
            return not POSITIVE_WORDS.isdisjoint(self.words(pos))
        got = self._positive.get(i)
        if got is None:
            # the sentence's words, as `words` finds them (the set is not built: isdisjoint stops at
            # the first coding word)
            words: Iterable[str] | None = self._words.get(i)
            if words is None:
                a, b = self._starts[i], self._ends[i]  # type: ignore[index]
                words = _WORD_RE.findall(self.text[a:b].lower())
            got = self._positive[i] = not POSITIVE_WORDS.isdisjoint(words)
        return got

    def dx(self, pos: int) -> bool:
        return not DX_WORDS.isdisjoint(self.words(pos))

    def pcs(self, pos: int) -> bool:
        return not PCS_WORDS.isdisjoint(self.words(pos))


# P.SENTENCE_BREAK_RE, written to start with a character class (the engine then skips to the
# characters that can start a break): the same matches
_SENTENCE_BREAK_RE = re.compile(
    r"[.?!;\n](?:(?<=[.?!;])(?:[ \t]+|$)|(?<=\n)(?:[ \t]*\n|(?=[ \t]*(?:[-*•·]|\d+[.)])[ \t])))"
)


# --- what the characters glued to a candidate say ---------------------------------------------
_WEIRD = frozenset("!\"$%&'*;<=>?@[\\]^_`{|}~")
_CODE_SHAPE_RE = re.compile(
    r"(?:[A-Za-z]\d[0-9A-Za-z](?:\.[0-9A-Za-z]{1,4}|[0-9A-Za-z]{0,4})|\d{4}[0-9A-Za-z]|[0-9A-Za-z]{7})\Z"
)
_SYSTEM_PREFIXES = frozenset({"cpt", "hcpcs", "hcpc", "dx", "icd", "icd10", "code", "pcs", "mod", "e/m"})
_MOD_WORDS = frozenset({"mod", "mods", "modifier", "modifiers"})
_HEADER_LINE_RE = re.compile(
    r"(?:received|return-path|dkim-signature|authentication-results|arc-[\w-]+|x-[\w-]+|message-id|"
    r"references|in-reply-to|content-[\w-]+|mime-version|thread-[\w-]+|list-[\w-]+|delivered-to|"
    r"envelope-[\w-]+)[ \t]*:",
    re.IGNORECASE,
)


_NONSPACE_RUN_RE = re.compile(r"\S{0,80}")
_ALNUM_DOT_RUN_RE = re.compile(r"[^\W_]*(?:\.[^\W_]*)*")
# what a header line's name can start with (IGNORECASE also folds the dotted / dotless i)
_HEADER_FIRST = frozenset("radmxctleiRADMXCTLEI\u0130\u0131")


# every character `str.isspace` is true of (set look-ups instead of method calls)
_SPACES = frozenset(chr(c) for c in range(0x3001) if chr(c).isspace())
# a line starting with one of these may be a mail header line or the continuation of one
_HEADER_LINE_FIRST = _HEADER_FIRST | _SPACES
_GLUE_AFTER = frozenset(".:-–")
_GLUE_BEFORE = frozenset("-–/")
_DIGIT_GROUP_SEPARATORS = frozenset(" .")


def glued_negative(
    text: str, s: int, e: int, is_mod: Callable[[str], bool], header_lines: dict[int, bool] | None = None
) -> bool:
    """Characters glued to the candidate say it is part of something else: a host or file name
    (t503.bullet.mail, m3005.txt), an IPv6 address (f400:7e1f), an identifier (7B/03-15277-CC85C645,
    0711 21041-43), uuencoded or encoded data, a path, or a mail header line."""
    n = len(text)
    after = text[e] if e < n else ""
    prev = text[s - 1] if s else ""
    if after in _GLUE_AFTER and e + 1 < n:
        nxt1 = text[e + 1]
        if after == "." and nxt1.isalpha():
            return True
        if after == ":" and nxt1 in "0123456789abcdefABCDEF" and text[s:e].isalnum():
            # 14:30 cannot start a code; "f400:7e1f" is an address (but "Dx:M17.11" is fine)
            return True
        if after in "-–" and nxt1.isalnum():
            j = _ALNUM_DOT_RUN_RE.match(text, e + 1).end()  # type: ignore[union-attr]
            run = text[e + 1 : j].rstrip(".")
            if not (
                is_mod(run)
                or run.lower() in _MOD_WORDS
                or _CODE_SHAPE_RE.match(run.rstrip("."))
                or (j < n and text[j] in "-–" and is_mod(run[:2]))
            ):
                return True
    if prev in _GLUE_BEFORE and s >= 2 and text[s - 2].isalnum():
        j = s - 1
        while j > 0 and (text[j - 1].isalnum() or text[j - 1] == "."):
            j -= 1
        run = text[j : s - 1]
        if not (_CODE_SHAPE_RE.match(run) or run.lower() in _SYSTEM_PREFIXES) and (
            prev != "/" or not run.isdigit()  # "99213/99214" and "x/99214" aside
        ):
            return True
    # a five-digit number right after another short group of digits: "0711 21041", "(555) 20610"
    if (
        prev in _DIGIT_GROUP_SEPARATORS
        and e - s == 5
        and s >= 2
        and text[s - 2].isdigit()
        and text[s].isdigit()  # "#2 J02.9" is a list number and a code
    ):
        j = s - 2
        while j > 0 and text[j - 1].isdigit():
            j -= 1
        if (
            s - 1 - j < 5
            and (j == 0 or not text[j - 1].isalnum())
            and text[max(0, j - 2) : j] not in ("x ", "X ")
        ):
            return True
    # the whitespace-delimited chunk: encoded data and paths are long runs of punctuation (a chunk
    # of the candidate alone is at most 8 characters)
    glued_after = after != "" and after not in _SPACES
    glued_before = prev != "" and prev not in _SPACES
    if glued_after or glued_before:
        hi = _NONSPACE_RUN_RE.match(text, e).end() if glued_after else e  # type: ignore[union-attr]
        lo = s - len(text[max(0, s - 80) : s].rsplit(None, 1)[-1]) if glued_before else s
        if hi - lo > 24:
            chunk = text[lo:hi]
            if sum(ch in _WEIRD for ch in chunk) >= 3 or chunk.count("/") >= 2:
                return True
    # a mail header line (Received:, X-...:, Message-ID:) and its continuation lines
    ls = text.rfind("\n", 0, s) + 1
    if text[ls] not in _HEADER_LINE_FIRST:
        return False
    if header_lines is None:
        return _in_header_block(text, ls)
    got = header_lines.get(ls)
    if got is None:
        got = header_lines[ls] = _in_header_block(text, ls)
    return got


def _in_header_block(text: str, ls: int) -> bool:
    """Whether the line starting at `ls` is a mail header line or one of its continuation lines."""
    for _ in range(6):
        line_head = text[ls : ls + 40]
        if _HEADER_LINE_RE.match(line_head):
            return True
        if not line_head[:1].isspace() or ls == 0:
            break
        ls = text.rfind("\n", 0, ls - 1) + 1
    return False
