"""The JSON API's operations with a bearer token: list and filter, read, edit, approve, reject,
assign, reopen, outbox retry, reprocess a failed mail, audit; and the users CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import api_token


@pytest.fixture
def api(client: TestClient) -> TestClient:
    client.headers["Authorization"] = f"Bearer {api_token()}"
    return client


def test_list_filters_and_counts(api: TestClient, web_env: dict[str, Any]) -> None:
    ids = web_env["ids"]
    data = api.get("/api/v1/cases").json()
    assert data["counts"]["drafted"] == 3 and data["total"] == 3
    assert [c["id"] for c in data["items"]] == [ids["knee"], ids["header"], ids["script"]]  # oldest first
    knee = data["items"][0]
    assert knee["codes"] == ["99214-25", "20610", "M17.11"]
    assert knee["finding_counts"] == {"warning": 1, "info": 1}
    assert [c["id"] for c in api.get("/api/v1/cases?severity=error").json()["items"]] == [ids["header"]]
    assert len(api.get("/api/v1/cases?severity=warning").json()["items"]) == 2
    assert [c["id"] for c in api.get("/api/v1/cases?min_age_hours=4").json()["items"]] == [ids["knee"]]
    assert api.get("/api/v1/cases?assignee=me").json()["items"] == []
    assert api.get("/api/v1/cases?state=closed").json()["items"] == []
    assert api.get("/api/v1/cases?sender_key=" + knee["sender_key"]).json()["total"] == 1
    key = api.post("/api/v1/sender-key", json={"sender": "@ORTHO.example"}).json()["sender_key"]
    assert [c["id"] for c in api.get(f"/api/v1/cases?sender_key={key}").json()["items"]] == [ids["header"]]
    assert api.get("/api/v1/cases?state=bogus").status_code == 422
    assert api.get("/api/v1/cases/999999").status_code == 404


def test_case_detail_edit_approve_and_stale(api: TestClient, web_env: dict[str, Any]) -> None:
    cid = web_env["ids"]["knee"]
    case = api.get(f"/api/v1/cases/{cid}").json()
    assert case["draft"]["version"] == 1 and case["state"] == "drafted"
    assert [f["severity"] for f in case["findings"]] == ["warning", "info"]
    assert case["mails"][0]["from_addr"] == "dana.biller@clinic.example"
    edit = api.post(
        f"/api/v1/cases/{cid}/draft", json={"base_version": 1, "subject": "Re: x", "body_text": "v2"}
    )
    assert edit.status_code == 200 and edit.json()["version"] == 2
    stale = api.post(f"/api/v1/cases/{cid}/approve", json={"base_version": 1})
    assert stale.status_code == 409 and "changed meanwhile" in stale.json()["detail"]
    assert stale.headers["x-current-version"] == "2"
    ok = api.post(f"/api/v1/cases/{cid}/approve", json={"base_version": 2})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert (
        body["state"] == "approved"
        and body["outbound_id"]
        and body["next_case_id"] == web_env["ids"]["header"]
    )
    assert web_env["dispatcher"].outbound == [body["outbound_id"]]
    again = api.post(f"/api/v1/cases/{cid}/approve", json={"base_version": 2})
    assert again.status_code == 409
    outbox = api.get("/api/v1/outbox").json()
    assert outbox[0]["state"] == "queued" and outbox[0]["to_addr"] == "dana.biller@clinic.example"


def test_reject_assign_reopen(api: TestClient, web_env: dict[str, Any]) -> None:
    cid = web_env["ids"]["header"]
    bob = web_env["ids"]["users"]["bob@caseconsultant.test"]
    assert api.post(f"/api/v1/cases/{cid}/reject", json={"base_version": 1, "reason": ""}).status_code == 422
    r = api.post(f"/api/v1/cases/{cid}/reject", json={"base_version": 1, "reason": "not a coding question"})
    assert r.status_code == 200 and r.json()["state"] == "closed"
    r = api.post(f"/api/v1/cases/{cid}/assign", json={"assignee_id": bob})
    assert r.status_code == 200
    assert api.get(f"/api/v1/cases/{cid}").json()["assignee"] == "bob@caseconsultant.test"
    assert api.post(f"/api/v1/cases/{cid}/assign", json={"assignee_id": 424242}).status_code == 404
    r = api.post(f"/api/v1/cases/{cid}/reopen")
    assert r.status_code == 200 and r.json()["state"] == "drafted" and r.json()["draft_version"] == 2
    actions = [a["action"] for a in api.get(f"/api/v1/audit?case_id={cid}").json()]
    assert actions[:3] == ["reopen", "assign", "reject"]


def test_outbox_retry_and_failed_reprocess(api: TestClient, web_env: dict[str, Any]) -> None:
    from consultant.db.models import OUT_DEAD, InboundMessage, OutboundMessage
    from consultant.db.session import session_scope

    cid = web_env["ids"]["knee"]
    out_id = api.post(f"/api/v1/cases/{cid}/approve", json={"base_version": 1}).json()["outbound_id"]
    assert api.post(f"/api/v1/outbox/{out_id}/retry").status_code == 409  # not dead
    with session_scope() as s:
        out = s.get(OutboundMessage, out_id)
        assert out is not None
        out.state, out.last_error = OUT_DEAD, "550 5.1.1 No such user"
    dead = api.get("/api/v1/outbox?state=dead").json()
    assert dead[0]["last_error"] == "550 5.1.1 No such user"
    r = api.post(f"/api/v1/outbox/{out_id}/retry")
    assert r.status_code == 200 and r.json()["state"] == "queued"
    assert api.post("/api/v1/outbox/987654/retry").status_code == 404

    failed = api.get("/api/v1/failed").json()
    fid = web_env["ids"]["failed"]
    assert failed[0]["id"] == fid and failed[0]["failed_stage"] == "parse"
    r = api.post(f"/api/v1/failed/{fid}/reprocess")
    assert r.status_code == 200
    assert fid in web_env["dispatcher"].inbound
    with session_scope() as s:
        msg = s.get(InboundMessage, fid)
        assert msg is not None and msg.state == "received"
    assert api.post(f"/api/v1/failed/{fid}/reprocess").status_code == 409


def test_users_cli(web_env: dict[str, Any], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from consultant.cli.main import app

    runner = CliRunner()
    pw = tmp_path / "pw"
    pw.write_text("a-long-password-123\n")
    r = runner.invoke(
        app, ["users", "add", "Carol@Clinic.Test", "--role", "admin", "--password-file", str(pw)]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["users", "add", "carol@clinic.test", "--password-file", str(pw)])
    assert r.exit_code == 1 and "exists" in r.output
    r = runner.invoke(app, ["users", "add", "dave@clinic.test", "--role", "boss", "--password-file", str(pw)])
    assert r.exit_code == 1 and "role" in r.output
    r = runner.invoke(app, ["users", "list", "--json"])
    rows = json.loads(r.stdout)
    carol = next(u for u in rows if u["email"] == "carol@clinic.test")
    assert carol["role"] == "admin" and carol["has_token"] is False
    r = runner.invoke(app, ["users", "token", "carol@clinic.test"])
    token = r.stdout.strip()
    assert r.exit_code == 0 and token.startswith("cc_")
    from consultant.db.models import User
    from consultant.db.session import session_scope

    with session_scope() as s:
        stored = [u.password_hash for u in s.query(User).filter(User.email == "carol@clinic.test")]
        assert stored[0].startswith("$argon2id$")


def test_metrics_and_healthz(api: TestClient, web_env: dict[str, Any]) -> None:
    text = api.get("/metrics").text
    assert 'caseconsultant_cases{state="drafted"} 3.0' in text
    assert 'caseconsultant_inbound_messages{state="failed"} 1.0' in text
    assert 'caseconsultant_sends_total{result="sent"} 0.0' in text
    assert 'caseconsultant_mail_to_draft_seconds{quantile="0.95"}' in text
    assert api.get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_pages_for_every_case_shape(api: TestClient, web_env: dict[str, Any]) -> None:
    """A case without a draft, an approved one (reopen offered), one with a dead reply; all pages render."""
    from consultant.db.models import Case
    from consultant.db.session import session_scope
    from tests.web.conftest import login

    with session_scope() as s:
        bare = Case(subject="", requester="x@y.example", state="open")
        s.add(bare)
        s.flush()
        bare_id = bare.id
    del api.headers["Authorization"]
    csrf = login(api)
    page = api.get(f"/cases/{bare_id}")
    assert page.status_code == 200 and "No draft yet" in page.text
    assert api.get(f"/api/v1/cases/{bare_id}").json()["draft"] is None
    cid = web_env["ids"]["knee"]
    r = api.post(f"/cases/{cid}/approve", data={"csrf_token": csrf, "base_version": "1"})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{web_env['ids']['header']}"
    page = api.get(f"/cases/{cid}")
    assert 'id="reopen"' in page.text and 'id="approve"' not in page.text and "queued" in page.text
    r = api.post(f"/cases/{cid}/reopen", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert 'id="approve"' in api.get(f"/cases/{cid}").text
    for path in (
        "/outbox",
        "/outbox?state=queued",
        "/failed",
        "/audit",
        "/audit?action=approve",
        "/queue?state=",
    ):
        assert api.get(path).status_code == 200, path
