"""The embedded default: `caseconsultant demo --once --json` runs the whole flow with no server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from consultant.demo.run import demo_mails

pytestmark = pytest.mark.slow


def test_demo_once_json_runs_the_whole_flow() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    proc = subprocess.run(
        [sys.executable, "-m", "consultant.cli.main", "demo", "--once", "--json"],
        capture_output=True, text=True, timeout=600, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    seeded = len(demo_mails())
    assert seeded >= 5
    assert result["ingested"] == seeded
    assert result["drafted"] == seeded
    assert result["approved"] == result["drafted"] == result["sent"] == result["received_by_sink"]
