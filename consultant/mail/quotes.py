"""The question of a mail: its new text, without quoted replies or signatures.

Splitting a reply from what it quotes is done by mail-parser-reply (multilingual
"On … wrote:" / "Am … schrieb" / Outlook "From: … Sent: …" / "Original Message" headers),
asked to keep hyphen lists (coders list codes as "- 99214-25"). On top of it:

* inline (interleaved) answers below a quoted block are kept, the `>` lines dropped;
* signatures are cut conservatively: a `-- ` delimiter, "Sent from my …" /
  "Get Outlook for …" lines and a closing sign-off ("Thanks,", "Best regards") only when
  what follows is a short name block. A coder's codes are never cut as a "signature";
* forwarded mail keeps the forwarded content: that is the question;
* when the library fails, a simple fallback cuts at "On … wrote:" and drops `>` lines.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from consultant.mail.threading import is_forward_subject

log = logging.getLogger(__name__)

MAX_LINE_CHARS = 4_000
MAX_SPLIT_CHARS = 50_000  # only the head of a longer body is split: new text sits on top
_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "sv", "da", "pl", "cs", "ja", "ko", "zh"]

FORWARD_MARKERS = re.compile(
    r"^\s*(?:-{2,}\s*Forwarded message\s*-{2,}|Begin forwarded message:|-{2,}\s*Original Message\s*-{2,}"
    r"|-{2,}\s*Weitergeleitete Nachricht\s*-{2,}|-{2,}\s*Message transféré\s*-{2,}"
    r"|-{2,}\s*Mensaje reenviado\s*-{2,}|-{2,}\s*Messaggio inoltrato\s*-{2,})",
    re.IGNORECASE | re.MULTILINE,
)
_WROTE = re.compile(
    r"^(?:On\s.{0,200}?\bwrote:|Am\s.{0,200}?\bschrieb.{0,80}:|Le\s.{0,200}?\ba écrit\s?:"
    r"|El\s.{0,200}?\bescribió:|Il\s.{0,200}?\bha scritto:|Op\s.{0,200}?\bschreef.{0,80}:"
    r"|Den\s.{0,200}?\bskrev.{0,80}:|.{0,200}?\bwrote:)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_OUTLOOK_HEADER = re.compile(
    r"^\s*\*?(?:From|Von|De|Van|Da|Od|Fra|Från)\s*:\*?\s.+\n\s*\*?(?:Sent|Date|Gesendet|Envoyé|Enviado"
    r"|Verzonden|Inviato|Wysłano|Sendt|Skickat|Datum)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
_RULE = re.compile(r"^\s*[-_=*]{5,}\s*$")
_SIG_DELIM = re.compile(r"^-- ?$", re.MULTILINE)
_SENT_FROM = re.compile(
    r"^\s*(?:Sent from my\b.{0,60}|Sent from (?:Mail|Outlook|Yahoo Mail)\b.{0,60}|Get Outlook for\b.{0,80}"
    r"|Von meinem\b.{0,60}gesendet|Envoyé de mon\b.{0,60}|Enviado desde mi\b.{0,60}"
    r"|Verstuurd vanaf mijn\b.{0,60}"
    r"|Skickat från min\b.{0,60}|Sendt fra min\b.{0,60}|Inviato da\b.{0,60})\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_SIGN_OFF = re.compile(
    r"^\s*(?:thanks?(?: you)?(?: so much| very much| in advance)?|many thanks|cheers|best|best regards"
    r"|kind regards"
    r"|warm regards|regards|sincerely|respectfully|thx|ty|mit freundlichen grüßen|mfg|viele grüße|gruß"
    r"|cordialement|saludos|met vriendelijke groet|med vänlig hälsning|mvh|med venlig hilsen)\s*[,.!]?\s*$",
    re.IGNORECASE,
)


def is_forward(text: str, subject: str = "") -> bool:
    """A forward: a Fwd:/FW:/WG: subject, or a forwarding marker before any quoted reply."""
    if is_forward_subject(subject):
        return True
    head = text[:4000]
    marker = FORWARD_MARKERS.search(head)
    # "-----Original Message-----" is also Outlook's reply separator: a forward only by subject
    return marker is not None and not marker.group(0).lower().lstrip(" \t\r\n-").startswith("original")


def strip_signature(text: str) -> str:
    """Cut a trailing signature, conservatively (never more than a short block at the end)."""
    lines = text.rstrip().split("\n")
    # 0) trailing separator rules ("-----", "_____") left by Outlook above the quoted part
    while lines and (not lines[-1].strip() or _RULE.match(lines[-1])):
        lines.pop()
    # 1) RFC 3676 delimiter "-- ": everything after it, if it is the last ~15 lines
    for i in range(len(lines) - 1, -1, -1):
        if _SIG_DELIM.match(lines[i]) and len(lines) - i <= 15:
            lines = lines[:i]
            break
    # 2) "Sent from my iPhone" and friends at the end
    while lines and (not lines[-1].strip() or _SENT_FROM.match(lines[-1])):
        lines.pop()
    # 3) a sign-off followed by a short name block (≤ 5 short lines, none looking like a question)
    for i in range(len(lines) - 1, max(-1, len(lines) - 8), -1):
        if _SIGN_OFF.match(lines[i]):
            tail = [ln for ln in lines[i + 1 :] if ln.strip()]
            if len(tail) <= 5 and all(len(ln) <= 60 and "?" not in ln for ln in tail):
                lines = lines[:i]
            break
    return "\n".join(lines).rstrip()


def _drop_quoted(text: str) -> str:
    """Keep the unquoted lines of a bottom-posted or interleaved reply."""
    out: list[str] = []
    for line in text.split("\n"):
        if line.lstrip().startswith(">"):
            continue
        if _WROTE.match(line.strip()):
            continue
        out.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def _cut_attribution(text: str) -> str:
    """Cut at an attribution line the library missed ("… <a@b> написал:", wrapped over lines)
    when a `>` quote follows it; inline answers further down are kept."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        s = line.strip()
        if not s.endswith(":") or s.startswith(">") or len(s) > 300:
            continue
        following = [ln for ln in lines[i + 1 :] if ln.strip()]
        if not following or not following[0].lstrip().startswith(">"):
            continue
        start = i
        while start > 0 and i - start < 2 and lines[start - 1].strip() and not s.startswith(("From", "Von")):
            prev = lines[start - 1].strip()
            if "@" in prev or prev.endswith(("<", ",")):
                start -= 1
            else:
                break
        window = " ".join(ln.strip() for ln in lines[start : i + 1])
        if "@" not in window and not _WROTE.match(window):
            continue
        head = "\n".join(lines[:start]).rstrip()
        inline = _drop_quoted("\n".join(lines[i + 1 :]))
        return f"{head}\n\n{inline}".strip() if inline else head
    return text


def _fallback_split(text: str) -> str:
    m = _WROTE.search(text) or _OUTLOOK_HEADER.search(text)
    head = text[: m.start()] if m else text
    if m is not None and not head.strip():
        head = text[m.end() :]
    return _drop_quoted(head)


_compiled: dict[str, Any] = {}


def _library_split(text: str) -> str:
    from mailparser_reply.parser import EmailMessage

    if not _compiled:
        # the library compiles its (large, multilingual) patterns per message: do it once
        proto = EmailMessage(text="", languages=list(_LANGUAGES), keep_hyphen_lists=True)
        _compiled.update(
            _header_regex=proto.HEADER_REGEX,
            _disclaimers_regex=proto.DISCLAIMERS_REGEX,
            _signature_regex=proto.SIGNATURE_REGEX,
        )
    msg = EmailMessage(text=text, languages=list(_LANGUAGES), keep_hyphen_lists=True, **_compiled).read()
    if not msg.replies:
        return text
    first = msg.replies[0]
    body = first.full_body
    if first.headers:
        return body  # the mail starts with a reply header: bottom-posted or inline answers
    # top-posted new text, plus any inline answers written between the lines of the first quote
    if len(msg.replies) > 1:
        inline = _interleaved(msg.replies[1].full_body)
        if inline:
            body = body.rstrip() + "\n\n" + inline
    return body


def _interleaved(quoted_part: str) -> str:
    """Unquoted lines written between `>` lines of a quoted block (inline answers)."""
    lines = quoted_part.split("\n")
    first_nonblank = next((ln for ln in lines if ln.strip()), "")
    if not first_nonblank.lstrip().startswith(">"):
        return ""  # Outlook-style: the original is unquoted below the header, nothing new
    return _drop_quoted(quoted_part)


def extract_question(text: str, subject: str = "") -> str:
    """The new text of a mail body: quotes and signature stripped, forwarded content kept."""
    if not text.strip():
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if is_forward(text, subject):
        return text.strip()
    head = text[:MAX_SPLIT_CHARS]
    if len(head) > MAX_LINE_CHARS and any(len(line) > MAX_LINE_CHARS for line in head.split("\n")):
        # the library's patterns go quadratic on huge lines (pasted blobs, broken wrapping)
        head = "\n".join(line[:MAX_LINE_CHARS] for line in head.split("\n"))
    try:
        new = _library_split(head)
    except Exception as exc:  # the library must never take the mail down
        log.debug("reply splitting failed, using the fallback: %s", type(exc).__name__)
        new = _fallback_split(head)
    # attributions the library does not know ("… написал:") and stray ">" lines
    new = _drop_quoted(_cut_attribution(new))
    if not new.strip():
        new = _fallback_split(head)
    return strip_signature(new)
