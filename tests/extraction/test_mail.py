"""Extraction from raw mail: replies, forwards, HTML-only, subjects, and the CLI contract."""

from __future__ import annotations

import json
from email.message import EmailMessage

from typer.testing import CliRunner

from consultant.cli import extract_cmd
from consultant.extraction.extract import extract_mail
from tests.extraction.memstore import memory_store


def _mail(body: str, *, subject: str = "question", html: bool = False, reply: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"] = "coder@clinic.example"
    msg["To"] = "consult@caseconsultant.test"
    msg["Subject"] = subject
    msg["Message-ID"] = "<t1@clinic.example>"
    if reply:
        msg["In-Reply-To"] = "<case1@caseconsultant.test>"
    msg.set_content(body, subtype="html" if html else "plain")
    return bytes(msg)


def _codes(raw: bytes) -> set[str]:
    return {c.code + "".join(f"-{m}" for m in c.modifiers) for c in extract_mail(raw, memory_store()).codes}


def test_reply_ignores_quoted_history() -> None:
    raw = _mail(
        "What about 20611 instead?\n\nOn Tue, Mar 4, 2025 at 9:12 AM Consult <c@x.test> wrote:\n"
        "> You asked about 99214-25 with 20610, dx M17.11.\n",
        subject="Re: 20610 question",
        reply=True,
    )
    assert _codes(raw) == {"20611"}


def test_forward_content_is_the_question() -> None:
    raw = _mail(
        "Can you help?\n\n---------- Forwarded message ---------\nFrom: Dr. Lee <l@x.test>\n"
        "Subject: coding\n\nCan we bill 99215 plus 99417 x 2? Dx I50.9\n",
        subject="Fwd: coding",
    )
    assert _codes(raw) == {"99215", "99417", "I50.9"}


def test_html_only_mail() -> None:
    raw = _mail(
        "<p>We billed:</p><ul><li>99213&#8209;25</li><li>20610&nbsp;LT</li></ul>"
        "<table><tr><td>Dx</td><td>M75.102</td></tr></table><p>Thanks &amp; regards</p>",
        html=True,
    )
    assert _codes(raw) == {"99213-25", "20610-LT", "M75.102"}


def test_new_consult_subject_is_part_of_the_question() -> None:
    raw = _mail("Dx M17.11. Is this right?", subject="99214-25 with 20610?")
    assert _codes(raw) == {"99214-25", "20610", "M17.11"}


def test_cli_extract_text_json(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import typer

    monkeypatch.setattr(extract_cmd, "_open_store", memory_store)
    app = typer.Typer()
    extract_cmd.register(app)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps `extract` a named subcommand
        pass

    f = tmp_path / "q.txt"
    f.write_text("Can I bill 99214-25 with 20610 RT x1? Dx m1711. DOS 03/15/2025")
    res = CliRunner().invoke(app, ["extract", str(f), "--text", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])
    assert set(out) >= {"codes", "question"}
    assert out["codes"][0] == {
        "system": "CPT",
        "code": "99214",
        "modifiers": ["25"],
        "units": None,
        "span": [11, 16],
        "status": "active",
        "billable": None,
    }
    assert [c["code"] for c in out["codes"]] == ["99214", "20610", "M17.11"]
    assert out["codes"][1]["units"] == 1
    assert out["date_of_service"] == "2025-03-15"

    eml = tmp_path / "q.eml"
    eml.write_bytes(_mail("Is 96372 x3 ok with J1885?"))
    res = CliRunner().invoke(app, ["extract", str(eml), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])
    assert [(c["code"], c["units"]) for c in out["codes"]] == [("96372", 3), ("J1885", None)]


def test_cli_missing_file_is_a_clean_error(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import typer

    monkeypatch.setattr(extract_cmd, "_open_store", memory_store)
    app = typer.Typer()
    extract_cmd.register(app)

    @app.command("noop")
    def _noop() -> None:
        pass

    res = CliRunner().invoke(app, ["extract", "/nonexistent/x.eml", "--json"])
    assert res.exit_code != 0
    assert "Traceback" not in res.output
