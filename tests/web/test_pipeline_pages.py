"""Real mails through the real pipeline (store_inbound + process_inbound, code store over the staged
CMS rows), then shown by the web app: every extracted code highlighted, the analysis JSON read as the
drafting code writes it, and `caseconsultant web` serving /healthz."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import login

DEMO_MAILS = Path(__file__).resolve().parents[2] / "consultant" / "demo" / "mails"


@pytest.fixture(scope="module")
def staged_store() -> Any:
    from tests.staged_double import StagedDataDouble

    try:
        return StagedDataDouble()
    except FileNotFoundError as exc:  # pragma: no cover
        pytest.fail(f"staged data missing: {exc}")


def test_processed_demo_mails_render(client: TestClient, web_env: dict[str, Any], staged_store: Any) -> None:
    from consultant.db.models import Case, InboundMessage
    from consultant.db.session import session_scope
    from consultant.services import processing
    from consultant.services.inbox import store_inbound
    from consultant.settings import get_settings

    mails = sorted(DEMO_MAILS.glob("*.eml"))
    assert mails
    case_ids = []
    for path in mails:
        with session_scope() as s:
            stored = store_inbound(s, path.read_bytes(), source="file")
        with session_scope() as s:
            processing.process_inbound(s, stored.inbound_id, staged_store, get_settings())
        with session_scope() as s:
            msg = s.get(InboundMessage, stored.inbound_id)
            assert msg is not None
            if msg.case_id is not None:
                case = s.get(Case, msg.case_id)
                assert case is not None
                if case.state == "drafted":
                    case_ids.append(case.id)
    assert case_ids, "no demo mail became a drafted case"
    login(client)
    for cid in case_ids:
        api = client.get(f"/api/v1/cases/{cid}").json()
        codes = [c["code"] for c in api["codes"]]
        page = client.get(f"/cases/{cid}")
        assert page.status_code == 200
        highlighted = re.findall(r'class="code-hl" href="#code-([^"]+)"', page.text)
        assert set(highlighted) == set(codes), (cid, highlighted, codes)
        for code in codes:
            assert f'id="code-{code}"' in page.text
        sev = [f["severity"] for f in api["findings"]]
        assert sev == sorted(sev, key={"error": 0, "warning": 1, "info": 2}.__getitem__)
    queue = client.get("/queue?state=").text
    assert all(f'href="/cases/{cid}"' in queue for cid in case_ids)


def test_web_command_serves(web_env: dict[str, Any]) -> None:
    from tests.servers import free_port

    port = free_port()
    env = {**os.environ}
    proc = subprocess.Popen(
        [sys.executable, "-m", "consultant.cli.main", "web", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(
                        proc.stderr.read().decode() if proc.stderr else "no output"
                    ) from None
                time.sleep(0.1)
        assert b'"ok"' in body
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/cases", timeout=2)
            raise AssertionError("the API answered without credentials")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
    finally:
        proc.terminate()
        proc.wait(10)
