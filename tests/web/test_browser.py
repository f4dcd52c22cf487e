"""The review UI in a real browser: Debian's Chromium, headless, driven by Playwright.

The app runs under uvicorn in this process (so with no broker Celery sends in-process right
after the approval commits) against a seeded SQLite database; replies go to an aiosmtpd sink.
Under CI=true a missing Chromium fails these tests (tests.servers.require_server).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.web.conftest import LiveServer
from tests.web.seed import PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _login(browser: Any, server: LiveServer, email: str = "alice@caseconsultant.test") -> tuple[Any, Any]:
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    page.goto(server.url + "/queue")
    assert "/login" in page.url  # not logged in: sent to the login page
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/queue")
    return ctx, page


def _db_session() -> Any:
    from consultant.db.session import session_factory

    return session_factory()()


def test_review_flow_edit_approve_reply_arrives(
    chromium_browser: Any, app: Any, web_env: dict[str, Any], smtp_sink: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # real sending: eager Celery task -> SMTP transport -> the sink
    from consultant.services import dispatch
    from consultant.settings import reset_settings

    monkeypatch.setenv("CC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CC_SMTP_PORT", str(smtp_sink.port))
    monkeypatch.setenv("CC_SMTP_TLS", "none")
    monkeypatch.setenv("CC_IMAP_SENT_FOLDER", "")
    reset_settings()
    import workers.celery_app

    workers.celery_app.rebuild()
    dispatch.set_dispatcher(None)  # the default Celery dispatcher (eager: no broker configured)

    server = LiveServer(app).start()
    try:
        ctx, page = _login(chromium_browser, server)
        knee = web_env["ids"]["knee"]
        assert page.locator("tr.qrow").count() == 3
        assert page.locator('[data-count="drafted"]').inner_text() == "3"
        page.keyboard.press("j")  # the oldest case first
        assert page.locator("tr.qrow.selected").get_attribute("data-id") == str(knee)
        page.keyboard.press("o")
        page.wait_for_url(f"**/cases/{knee}")

        # codes highlighted in the question (from the extraction spans), findings most severe first
        marks = page.locator("#question .code-hl")
        assert [marks.nth(i).inner_text() for i in range(marks.count())] == ["99214-25", "20610", "M17.11"]
        sev = page.locator(".findings-list .finding .badge")
        assert [sev.nth(i).inner_text() for i in range(sev.count())] == ["warning", "info"]
        assert "descriptor requires a CPT licence" in page.locator("#code-99214").inner_text()

        # edit, preview, approve
        added = "Edited by Alice: the note must show a separately identifiable E/M."
        body = page.locator("#draft-body")
        body.fill(body.input_value() + "\n" + added + "\n")
        page.click("#tab-preview")
        assert added in page.locator("#preview-body").inner_text()
        page.click("#tab-edit")
        page.click("#approve")
        page.wait_for_url(f"**/cases/{web_env['ids']['header']}")  # the next case in the queue
        assert "approved" in page.locator(".flash-ok").inner_text()

        [msg] = smtp_sink.wait_for(1, timeout=15)
        assert msg.rcpt_tos == ["dana.biller@clinic.example"]
        assert f"[Case #{knee}]" in msg.subject
        text = msg.message.get_body(preferencelist=("plain",)).get_content()
        assert added in text

        from consultant.db.models import Case, OutboundMessage

        with _db_session() as s:
            assert s.get(Case, knee).state == "answered"
            out = s.scalar(select(OutboundMessage).where(OutboundMessage.case_id == knee))
            assert out is not None and out.state == "sent"
        ctx.close()
    finally:
        server.stop()
        dispatch.set_dispatcher(None)


def test_script_in_mail_is_shown_as_text_and_runs_nothing(
    chromium_browser: Any, live_server: LiveServer, web_env: dict[str, Any]
) -> None:
    ctx, page = _login(chromium_browser, live_server)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    assert "<img src=x" in page.locator("tr.qrow", has_text="AWV question").inner_text()
    page.goto(live_server.url + f"/cases/{web_env['ids']['script']}")
    question = page.locator("#question").inner_text()
    assert '<script>window.__pwned = 1; document.title = "pwned"</script>' in question
    assert "<script>window.__pwned = 4</script>" in page.locator("#draft-body").input_value()
    assert "<script>window.__pwned=3</script>" in page.locator(".findings-list").inner_text()
    page.click(".html-view summary")  # the sanitized HTML view
    assert "Can I bill G0439" in page.locator(".sanitized").inner_text()
    assert page.locator(".sanitized script, .sanitized img, .sanitized [onerror]").count() == 0
    assert page.locator('.sanitized a[href^="javascript"]').count() == 0
    page.click("#tab-preview")
    assert "<script>" in page.locator("#preview-body").inner_text()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.title().startswith("Case #")
    assert dialogs == []
    ctx.close()


def test_stale_approval_from_second_session_is_refused(
    chromium_browser: Any, live_server: LiveServer, web_env: dict[str, Any]
) -> None:
    from consultant.db.models import OutboundMessage

    case_id = web_env["ids"]["header"]
    ctx_bob, bob = _login(chromium_browser, live_server, "bob@caseconsultant.test")
    bob.goto(live_server.url + f"/cases/{case_id}")
    ctx_alice, alice = _login(chromium_browser, live_server, "alice@caseconsultant.test")
    alice.goto(live_server.url + f"/cases/{case_id}")
    # Alice sees that Bob has the case open
    assert "bob@caseconsultant.test" in alice.locator("#presence").inner_text()
    assert alice.locator("#presence").is_visible()

    # Bob saves an edit (version 2) ...
    bob.locator("#draft-body").fill("Hello Ray,\n\nBob's rewrite: use M17.11 or M17.12, never M17.1.\n")
    bob.click("#save-draft")
    bob.wait_for_selector(".flash-ok")
    assert "version 2" in bob.locator(".flash-ok").inner_text()

    # ... then Alice approves what she saw (version 1): refused, nothing queued, her text kept
    mine = "Hello Ray,\n\nAlice's text.\n"
    alice.locator("#draft-body").fill(mine)
    with alice.expect_response(lambda r: r.url.endswith(f"/cases/{case_id}/approve")) as resp:
        alice.click("#approve")
    assert resp.value.status == 409
    conflict = alice.locator("#conflict").inner_text()
    assert "changed this draft meanwhile" in conflict and "version 2" in conflict
    assert alice.locator("#draft-body").input_value() == mine
    with _db_session() as s:
        assert s.scalar(select(OutboundMessage).where(OutboundMessage.case_id == case_id)) is None
    ctx_alice.close()
    ctx_bob.close()


def test_queue_keys_and_refresh_without_reload(
    chromium_browser: Any, live_server: LiveServer, web_env: dict[str, Any]
) -> None:
    from consultant.db.models import Case
    from consultant.db.session import session_scope
    from tests.web import seed

    ctx, page = _login(chromium_browser, live_server)
    page.evaluate("window.__sameDocument = true")
    ids = web_env["ids"]
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.locator("tr.qrow.selected").get_attribute("data-id") == str(ids["header"])
    page.keyboard.press("k")
    assert page.locator("tr.qrow.selected").get_attribute("data-id") == str(ids["knee"])

    # a new consult arrives: the list picks it up without a page load
    with session_scope() as s:
        new_id = seed.add_case(s, seed.consult_knee(age_hours=0.1)).id
    page.click("#refresh-now")
    page.wait_for_selector(f'tr.qrow[data-id="{new_id}"]')
    assert page.locator('[data-count="drafted"]').inner_text() == "4"
    assert page.evaluate("window.__sameDocument") is True

    # a: approve the selected case (confirm dialog); r: reject with a reason (prompt)
    page.once("dialog", lambda d: d.accept())
    page.keyboard.press("a")
    page.wait_for_selector(f'tr.qrow[data-id="{ids["knee"]}"]', state="detached")
    assert page.locator("tr.qrow.selected").get_attribute("data-id") == str(ids["header"])
    page.once("dialog", lambda d: d.accept("duplicate of an answered case"))
    page.keyboard.press("r")
    page.wait_for_selector(f'tr.qrow[data-id="{ids["header"]}"]', state="detached")
    assert page.locator('[data-count="drafted"]').inner_text() == "2"
    with _db_session() as s:
        assert s.get(Case, ids["knee"]).state == "approved"
        assert s.get(Case, ids["header"]).state == "closed"
    assert web_env["dispatcher"].outbound  # the approval queued a send
    ctx.close()


def test_screenshots_of_queue_and_case(
    chromium_browser: Any, live_server: LiveServer, web_env: dict[str, Any], tmp_path: Path
) -> None:
    """Screenshots of the queue and of a case drafted from a demo mail by the real pipeline.

    Written to docs/screenshots/ (shown in the README) when CC_UPDATE_SCREENSHOTS=1, else to a
    temporary directory, so a test run does not change tracked files."""
    import os

    from sqlalchemy import select

    from consultant.db.models import InboundMessage
    from consultant.db.session import session_scope
    from consultant.services import processing
    from consultant.services.inbox import store_inbound
    from consultant.settings import get_settings
    from tests.staged_double import StagedDataDouble
    from tests.web.test_pipeline_pages import DEMO_MAILS

    store = StagedDataDouble()
    first_demo_id = None
    for path in sorted(DEMO_MAILS.glob("*.eml")):
        with session_scope() as s:
            stored = store_inbound(s, path.read_bytes(), source="file")
        with session_scope() as s:
            state = processing.process_inbound(s, stored.inbound_id, store, get_settings())
        assert state in ("consult", None), state
        first_demo_id = first_demo_id or stored.inbound_id
    with session_scope() as s:
        demo_case = s.scalar(select(InboundMessage.case_id).where(InboundMessage.id == first_demo_id))
    assert demo_case is not None
    target = SCREENSHOTS if os.environ.get("CC_UPDATE_SCREENSHOTS") == "1" else tmp_path
    ctx, page = _login(chromium_browser, live_server)
    page.keyboard.press("j")
    page.keyboard.press("j")
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / "queue.png"), full_page=True)
    page.goto(live_server.url + f"/cases/{demo_case}")
    page.wait_for_selector(".code-hl", timeout=5000)
    page.screenshot(path=str(target / "case.png"), full_page=True)
    assert (target / "queue.png").stat().st_size > 10_000
    assert (target / "case.png").stat().st_size > 10_000
    ctx.close()


def test_cross_site_form_post_is_refused(
    chromium_browser: Any, live_server: LiveServer, web_env: dict[str, Any], tmp_path: Path
) -> None:
    """A page on another port of the same host (same site: the Lax cookie IS sent) posts an approval
    form at the app: refused for want of the CSRF token; the case stays as it was."""
    import functools
    import http.server
    import threading

    from consultant.db.models import Case
    from tests.servers import HOST, free_port

    case_id = web_env["ids"]["knee"]
    (tmp_path / "evil.html").write_text(
        f'<form id="f" method="post" action="{live_server.url}/cases/{case_id}/approve">'
        '<input name="base_version" value="1"><button id="go">go</button></form>'
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    port = free_port()
    evil = http.server.ThreadingHTTPServer((HOST, port), handler)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        ctx, page = _login(chromium_browser, live_server)
        page.goto(f"http://{HOST}:{port}/evil.html")
        with page.expect_response(lambda r: r.url.endswith(f"/cases/{case_id}/approve")) as resp:
            page.click("#go")
        assert resp.value.status == 403
        with _db_session() as s:
            assert s.get(Case, case_id).state == "drafted"
        # the API from the other origin: sent without the CSRF header (a no-cors request cannot carry
        # one), refused; and Cross-Origin-Resource-Policy keeps the answer from that page too
        page.goto(f"http://{HOST}:{port}/evil.html")
        outcome = page.evaluate(
            "(u) => fetch(u, {method: 'POST', credentials: 'include', mode: 'no-cors',"
            " headers: {'Content-Type': 'text/plain'}, body: '{\"base_version\": 1}'})"
            ".then((r) => 'status ' + r.status, () => 'blocked')",
            f"{live_server.url}/api/v1/cases/{case_id}/approve",
        )
        assert outcome in ("blocked", "status 0")
        with _db_session() as s:
            assert s.get(Case, case_id).state == "drafted"
        ctx.close()
    finally:
        evil.shutdown()
