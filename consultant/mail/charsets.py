"""Decoding bytes whose declared charset may be wrong, unknown or missing.

Fallback chain: the declared charset (normalised, with aliases for the names real
senders write) → UTF-8 → cp1252 with replacement characters. Never raises.
"""

from __future__ import annotations

import codecs
import re

# Names seen in real mail mapped to the codec that actually decodes them.
_ALIASES: dict[str, str] = {
    "gb2312": "gb18030",  # senders label GBK/GB18030 text as gb2312
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cn-gb": "gb18030",
    "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "unicode-1-1-utf-7": "utf-7",
    "x-unicode-2-0-utf-7": "utf-7",
    "uft-8": "utf-8",
    "utf8": "utf-8",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "shift-jis": "cp932",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "csiso2022jp": "iso2022_jp_ext",
    "big5": "big5hkscs",
    "x-user-defined": "cp1252",
    "ansi_x3.4-1968": "ascii",
    "iso-8859-1": "cp1252",  # what browsers do: C1 bytes are really cp1252 punctuation
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "us-ascii": "ascii",
}

# Declarations under which valid non-ASCII UTF-8 is far more likely a wrong label than real text.
_SINGLE_BYTE_LATIN = {"ascii", "cp1252", "iso-8859-15", "iso8859-15", "windows-1252"}

_CLEAN = re.compile(r"[^a-z0-9_.:+-]")


def normalise_charset(name: str | None) -> str | None:
    """The Python codec name for a declared charset, or None when unknown or absent."""
    if not name:
        return None
    cleaned = _CLEAN.sub("", name.strip().strip("\"'").lower())
    if not cleaned:
        return None
    if "2022-jp" in cleaned:
        cleaned = "iso-2022-jp"
    cleaned = _ALIASES.get(cleaned, cleaned)
    try:
        return codecs.lookup(cleaned).name
    except LookupError:
        return None


def _mostly(data: bytes, codec: str) -> str | None:
    """The decoding when only a few bytes are broken (few replacements per non-ASCII byte), else None."""
    try:
        text = data.decode(codec, errors="replace")
    except (LookupError, ValueError):
        return None
    high = sum(1 for b in data if b >= 0x80) or 1
    bad = text.count("\ufffd")
    return text if bad * 10 <= high else None


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """Decode `data`; return (text, defect or None). Never raises."""
    codec = normalise_charset(declared)
    defect: str | None = None
    if declared and codec is None:
        defect = "unknown charset"
    if codec in _SINGLE_BYTE_LATIN or codec is None:
        # UTF-8 first: a valid non-ASCII UTF-8 sequence is almost never latin-1 text
        try:
            text = data.decode("utf-8")
            if codec is not None and not data.isascii():
                defect = "charset declared as single-byte but content is UTF-8"
            return text, defect
        except UnicodeDecodeError:
            pass
    if codec is not None:
        try:
            return data.decode(codec), defect
        except (UnicodeDecodeError, LookupError, ValueError):
            defect = "content does not match its declared charset"
            if codec.startswith("iso2022_jp"):
                for alt in ("iso2022_jp_2", "iso2022_jp_3"):
                    try:
                        return data.decode(alt), defect
                    except (UnicodeDecodeError, LookupError, ValueError):
                        pass
            # mostly right with a few broken bytes: keep the declared (then UTF-8) reading
            for name in dict.fromkeys((codec, "utf-8")):
                guess = _mostly(data, name)
                if guess is not None:
                    return guess, defect
    elif not data.isascii():
        mostly = _mostly(data, "utf-8")  # undeclared, nearly all valid UTF-8 with a few broken bytes
        if mostly is not None:
            return mostly, defect
    try:
        return data.decode("cp1252"), defect
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), defect
