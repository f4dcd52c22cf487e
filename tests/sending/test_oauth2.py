"""TokenSource: a token from a command, cached, refreshed on expiry or on demand; XOAUTH2 string."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from consultant.adapters.oauth2 import OAuth2Error, TokenSource, xoauth2_string


def _counting_command(tmp_path: Path, body: str) -> tuple[str, Path]:
    counter = tmp_path / "n"
    script = tmp_path / "tok.py"
    script.write_text(
        "import json, pathlib\n"
        f"p = pathlib.Path({str(counter)!r})\n"
        "n = int(p.read_text()) + 1 if p.exists() else 1\n"
        "p.write_text(str(n))\n" + body
    )
    return f"{sys.executable} {script}", counter


def test_plain_token_cached_and_forced(tmp_path: Path) -> None:
    cmd, counter = _counting_command(tmp_path, "print(f'tok-{n}')\n")
    src = TokenSource(cmd)
    assert src.token() == "tok-1"
    assert src.token() == "tok-1"  # cached
    assert src.token(force_refresh=True) == "tok-2"
    assert counter.read_text() == "2"


def test_json_expiry_refreshes(tmp_path: Path) -> None:
    # expires_in 30 s is inside the refresh margin: every call fetches anew
    short = "print(json.dumps({'access_token': f'j-{n}', 'expires_in': 30}))\n"
    cmd, _ = _counting_command(tmp_path, short)
    src = TokenSource(cmd)
    assert src.token() == "j-1"
    assert src.token() == "j-2"
    (tmp_path / "x").mkdir()
    long_lived = "print(json.dumps({'access_token': 'long', 'expires_in': 3600}))\n"
    cmd2, _ = _counting_command(tmp_path / "x", long_lived)
    src2 = TokenSource(cmd2)
    assert src2.token() == "long" and src2.token() == "long"


def test_failures_are_typed(tmp_path: Path) -> None:
    with pytest.raises(OAuth2Error, match="exited with 3"):
        TokenSource(f"{sys.executable} -c 'import sys; sys.exit(3)'").token()
    with pytest.raises(OAuth2Error, match="no token"):
        TokenSource(f"{sys.executable} -c 'pass'").token()
    with pytest.raises(OAuth2Error, match="could not run"):
        TokenSource(str(tmp_path / "missing-helper")).token()
    with pytest.raises(ValueError):
        TokenSource("  ")


def test_xoauth2_string() -> None:
    assert xoauth2_string("u@example.com", "ya29.x") == "user=u@example.com\x01auth=Bearer ya29.x\x01\x01"
    assert json.dumps(xoauth2_string("a", "b"))  # plain str, encoded by the protocol libraries
