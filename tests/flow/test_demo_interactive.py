"""`caseconsultant demo` (what ./scripts/demo runs): the review UI is served on the embedded
servers, the printed login works, an approval sends the reply; a second run on the kept demo
directory prints a password that works too."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

pytestmark = pytest.mark.slow


def _start(cwd: Path) -> tuple[subprocess.Popen[str], int, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "consultant.cli.main", "demo", "--port", str(port)],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 300
    output = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        output += line
        if "Ctrl-C to stop" in line:
            break
    match = re.search(r"log in as:\s+(\S+) / (\S+)", output)
    assert match, output[-3000:]
    return proc, port, match.group(2)


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _login(port: int, password: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True, timeout=30)
    for _ in range(100):
        try:
            if client.get("/healthz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    queue = client.post("/login", data={"email": "demo@caseconsultant.test", "password": password,
                                        "csrf_token": token.group(1)})
    assert queue.url.path == "/queue", "the printed demo login did not work"
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', queue.text)
    assert csrf
    return client, csrf.group(1)


def test_demo_serves_the_queue_and_an_approval_sends_the_reply(tmp_path: Path) -> None:
    proc, port, password = _start(tmp_path)
    try:
        client, csrf = _login(port, password)
        deadline = time.monotonic() + 120  # the poller takes the seeded mails in the background
        while True:
            cases = client.get("/api/v1/cases").json()
            if cases["counts"].get("drafted") == 7 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert cases["counts"]["drafted"] == 7
        case_id = cases["items"][0]["id"]
        version = client.get(f"/api/v1/cases/{case_id}").json()["draft"]["version"]
        approved = client.post(f"/api/v1/cases/{case_id}/approve", json={"base_version": version},
                               headers={"X-CSRF-Token": csrf})
        assert approved.status_code == 200, approved.text
        outbox = client.get("/api/v1/outbox").json()
        assert [o["state"] for o in outbox] == ["sent"]
    finally:
        _stop(proc)
    assert (tmp_path / "var" / "demo").is_dir()

    proc, port, second_password = _start(tmp_path)  # the kept directory, a new printed password
    try:
        assert second_password != password
        client, _ = _login(port, second_password)
        assert client.get("/api/v1/cases").json()["counts"]["answered"] == 1
    finally:
        _stop(proc)
