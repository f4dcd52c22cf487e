"""Subject-level threading: the `[Case #N]` token and reply prefixes. Pure functions."""

from __future__ import annotations

import re

_CASE_TOKEN = re.compile(r"\[\s*Case\s*#\s*(\d{1,12})\s*\]", re.IGNORECASE)
# Reply / forward prefixes in the languages clients write them, optionally counted: "Re[2]:", "RE (3):"
_PREFIX = re.compile(
    r"^\s*(?:re|aw|wg|sv|antw|antwort|fw|fwd|tr|rv|vs|vb|r|odp|res|enc|doorst|atb|vá|ynt|bls|απ|σχετ|回复|转发)"
    r"\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*",
    re.IGNORECASE,
)
_FORWARD = re.compile(r"^\s*(?:fwd?|fw|wg|tr|rv|enc|doorst|转发)\s*(?:\[\d+\])?\s*[:：]", re.IGNORECASE)
_LIST_TAG = re.compile(r"^\s*\[[^\]\[]{1,40}\]\s*")  # "[riak-users]" mailing-list tags in front of a prefix


def case_token(subject: str | None) -> int | None:
    """The case number of a `[Case #123]` token in a subject, or None. The last token wins."""
    if not subject:
        return None
    found = _CASE_TOKEN.findall(subject)
    return int(found[-1]) if found else None


def strip_case_token(subject: str) -> str:
    """The subject without any `[Case #N]` token."""
    return re.sub(r"\s{2,}", " ", _CASE_TOKEN.sub("", subject)).strip()


def strip_reply_prefixes(subject: str | None) -> str:
    """The subject without stacked Re:/Fwd:/AW:/WG:/SV:/Antw:/Re[2]: prefixes."""
    if not subject:
        return ""
    s = subject.strip()
    while True:
        m = _PREFIX.match(s)
        if m:
            s = s[m.end() :]
            continue
        tag = _LIST_TAG.match(s)
        if tag and _PREFIX.match(s[tag.end() :]) and not _CASE_TOKEN.match(s):
            s = s[: tag.start()] + s[tag.end() :]
            continue
        return s.strip()


def reply_subject(original: str | None, case_id: int) -> str:
    """`Re: <original> [Case #N]`: one Re:, one token, whatever the original carried."""
    base = strip_case_token(strip_reply_prefixes(original))
    base = strip_reply_prefixes(base)  # "[Case #1] Re: x" → after the token goes, a prefix may lead
    core = f"Re: {base}" if base else "Re:"
    return f"{core} [Case #{case_id}]"


def is_forward_subject(subject: str | None) -> bool:
    """The subject's first prefix is a forward (Fwd:, FW:, WG:, TR:, RV:, Doorst:)."""
    if not subject:
        return False
    return _FORWARD.match(subject) is not None
