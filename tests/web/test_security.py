"""Security of the review app without a browser: login, lockout, CSRF, headers, roles, no PHI in URLs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute

from tests.web.conftest import api_token, login
from tests.web.seed import PASSWORD


def _routes(app: Any) -> list[tuple[str, str]]:
    from consultant.web import api, pages

    out = [("GET", "/healthz"), ("GET", "/metrics")]
    for prefix, router in (("/api/v1", api.router), ("", pages.router)):
        for r in router.routes:
            assert isinstance(r, APIRoute)
            out.extend((m, prefix + r.path) for m in sorted(r.methods))
    return out


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_pages_redirect_to_login_and_api_answers_401(client: Any, app: Any) -> None:
    open_paths = {"/login", "/healthz"}
    for method, path in _routes(app):
        if path in open_paths or path in ("/api/v1/openapi.json", "/metrics"):
            continue
        resp = client.request(method, _fill(path))
        if path.startswith("/api/"):
            assert resp.status_code == 401, (method, path, resp.status_code)
            assert resp.headers.get("www-authenticate") == "Bearer"
        elif method == "GET":
            assert resp.status_code == 303, (method, path, resp.status_code)
            assert resp.headers["location"].startswith("/login")
        else:  # a form POST without a session has no CSRF token either
            assert resp.status_code in (303, 403), (method, path, resp.status_code)
    assert client.get("/metrics").status_code == 401
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/login").status_code == 200


def test_every_form_post_needs_the_csrf_token(client: Any, app: Any) -> None:
    login(client, "admin@caseconsultant.test")
    posts = [p for m, p in _routes(app) if m == "POST" and not p.startswith("/api/")]
    assert len(posts) >= 12
    for path in posts:
        for data in ({}, {"csrf_token": "forged-token-value-000000000"}):
            resp = client.post(_fill(path), data=data)
            assert resp.status_code == 403, (path, data, resp.status_code)
    # nothing changed: the cases are still waiting for review
    assert client.get("/api/v1/cases").json()["counts"]["drafted"] == 3


def test_api_with_session_needs_csrf_header_bearer_does_not(client: Any, web_env: dict[str, Any]) -> None:
    csrf = login(client)
    cid = web_env["ids"]["header"]
    body = {"base_version": 1, "subject": "Re: x", "body_text": "edited"}
    assert client.post(f"/api/v1/cases/{cid}/draft", json=body).status_code == 403
    bad = client.post(f"/api/v1/cases/{cid}/draft", json=body, headers={"X-CSRF-Token": "nope" * 8})
    assert bad.status_code == 403
    ok = client.post(f"/api/v1/cases/{cid}/draft", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == 2
    # a bearer token alone (no cookie) needs no CSRF header
    from fastapi.testclient import TestClient

    with TestClient(client.app) as bare:
        token = api_token()
        hdr = {"Authorization": f"Bearer {token}"}
        body2 = {"base_version": 2, "subject": "Re: x", "body_text": "edited again"}
        resp = bare.post(f"/api/v1/cases/{cid}/draft", json=body2, headers=hdr)
        assert resp.status_code == 200, resp.text
        assert bare.get("/api/v1/me", headers={"Authorization": "Bearer cc_wrong"}).status_code == 401
        assert bare.get("/metrics", headers=hdr).status_code == 200


def test_login_lockout_and_audit(client: Any, web_env: dict[str, Any]) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    form = {"email": "bob@caseconsultant.test", "csrf_token": token.group(1), "next": "/queue"}
    for _ in range(4):
        r = client.post("/login", data={**form, "password": "wrong-password"})
        assert r.status_code == 401 and "wrong email or password" in r.text
    r = client.post("/login", data={**form, "password": "wrong-password"})
    assert r.status_code == 401 and "locked" in r.text
    # the right password does not help while locked
    r = client.post("/login", data={**form, "password": PASSWORD})
    assert r.status_code == 401 and "locked" in r.text
    # unknown users get the same answer as wrong passwords
    r = client.post("/login", data={**form, "email": "nobody@x.test", "password": "whatever-x"})
    assert r.status_code == 401 and "wrong email or password" in r.text
    # the login form itself needs its CSRF token
    assert client.post("/login", data={**form, "csrf_token": "", "password": PASSWORD}).status_code == 403
    login(client, "alice@caseconsultant.test")
    actions = [a["action"] for a in client.get("/api/v1/audit?limit=50").json()]
    assert "lockout" in actions and "login_failed" in actions and "login" in actions


def test_cookie_and_security_headers(client: Any, web_env: dict[str, Any]) -> None:
    page = client.get("/login")
    cookie = page.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    login(client)
    resp = client.get(f"/cases/{web_env['ids']['knee']}")
    assert resp.status_code == 200
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert resp.headers["cache-control"] == "no-store"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in resp.text.replace('<script src="/static/app.js" defer></script>', "")


def test_secure_cookie_behind_tls(web_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from consultant.settings import Settings
    from consultant.web.app import create_app

    app = create_app(Settings(secure_cookies=True))
    with TestClient(app, base_url="https://testserver") as c:
        assert "secure" in c.get("/login").headers["set-cookie"].lower()


def test_mail_content_is_escaped(client: Any, web_env: dict[str, Any]) -> None:
    login(client)
    html = client.get(f"/cases/{web_env['ids']['script']}").text
    assert "&lt;script&gt;window.__pwned = 1" in html
    assert "<script>window" not in html and "onerror=" not in html.replace("onerror=&#34;", "")
    assert "javascript:" not in html
    queue = client.get("/queue").text
    assert "<img src=x" not in queue and "&lt;img src=x" in queue


def test_only_admins_manage_users(client: Any, web_env: dict[str, Any]) -> None:
    csrf = login(client, "alice@caseconsultant.test")
    assert client.get("/admin/users").status_code == 403
    form = {"email": "eve@x.test", "password": "long-enough-pw", "role": "admin", "csrf_token": csrf}
    assert client.post("/admin/users", data=form).status_code == 403
    client.post("/logout", data={"csrf_token": csrf})
    assert client.get("/queue").status_code == 303  # logged out
    csrf = login(client, "admin@caseconsultant.test")
    assert client.get("/admin/users").status_code == 200
    form["csrf_token"] = csrf
    assert client.post("/admin/users", data=form).status_code == 303
    assert "eve@x.test" in client.get("/admin/users").text


def test_sender_filter_keeps_addresses_out_of_urls(client: Any, web_env: dict[str, Any]) -> None:
    csrf = login(client)
    resp = client.post("/queue/sender", data={"sender": "Dana.Biller@clinic.example", "csrf_token": csrf,
                                              "state": "drafted"})  # fmt: skip
    assert resp.status_code == 303
    location = resp.headers["location"]
    assert "dana" not in location.lower() and "clinic" not in location.lower() and "@" not in location
    page = client.get(location)
    assert "E/M with knee injection" in page.text and "Header code for TKA" not in page.text
    assert "Sender: dana.biller@clinic.example" in page.text
    import base64

    payload = str(client.cookies.get("cc_session", "")).split(".")[0]
    assert b"dana" not in base64.b64decode(payload + "=" * (-len(payload) % 4)).lower()  # nor in the cookie
    key = re.search(r"sender_key=([0-9a-f]+)", location)
    assert key
    items = client.get(f"/api/v1/cases?sender_key={key.group(1)}").json()["items"]
    assert [i["id"] for i in items] == [web_env["ids"]["knee"]]
    # a whole domain
    resp = client.post("/queue/sender", data={"sender": "@ortho.example", "csrf_token": csrf})
    page = client.get(resp.headers["location"])
    assert "Header code for TKA" in page.text and "E/M with knee injection" not in page.text


def test_audit_csv_export(client: Any, web_env: dict[str, Any]) -> None:
    csrf = login(client)
    cid = web_env["ids"]["knee"]
    r = client.post(f"/cases/{cid}/reject", data={"reason": "=HYPERLINK(\"x\")", "base_version": "1",
                                                  "csrf_token": csrf})  # fmt: skip
    assert r.status_code == 303
    csv_text = client.get("/audit.csv").text
    assert csv_text.startswith("id,at,actor,action,case_id,detail")
    assert "alice@caseconsultant.test,reject" in csv_text and "login" in csv_text
    assert client.get("/audit.csv").headers["content-type"].startswith("text/csv")


def test_odd_ids_and_inputs_are_refused_not_crashing(client: Any) -> None:
    csrf = login(client, "admin@caseconsultant.test")
    huge = "9" * 25
    for path in (
        f"/cases/{huge}",
        "/cases/0",
        "/cases/-1",
        f"/audit?case_id={huge}",
        "/queue?state=x&age=abc",
    ):
        assert client.get(path).status_code in (200, 404, 422), path
    posts = [f"/cases/{huge}/approve", f"/cases/{huge}/assign", f"/outbox/{huge}/retry"]
    posts += [f"/failed/{huge}/reprocess", f"/admin/users/{huge}/unlock", "/admin/users/1/explode"]
    for path in posts:
        assert client.post(path, data={"csrf_token": csrf}).status_code in (303, 404, 409, 422), path
    r = client.post("/cases/1/assign", data={"csrf_token": csrf, "assignee_id": "9" * 15})
    assert r.status_code == 409  # no such user: shown on the case page
    r = client.post(
        "/login", data={"csrf_token": csrf, "email": "x", "password": "y", "next": "//evil.example"}
    )
    assert r.status_code == 401


def test_login_next_is_never_an_open_redirect(client: Any) -> None:
    page = client.get("/login?next=//evil.example/x")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token and "evil" not in page.text
    form = {"email": "alice@caseconsultant.test", "password": PASSWORD, "csrf_token": token.group(1)}
    r = client.post("/login", data={**form, "next": "https://evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == "/queue"
    # a page asked for before logging in is where the login leads
    client.cookies.clear()
    assert client.get("/cases/2").headers["location"] == "/login?next=/cases/2"
