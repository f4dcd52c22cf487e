"""docker-compose.yml is valid Compose and runs only real `caseconsultant` subcommands.

No Docker engine or compose plugin runs here, so the file is checked against the Compose Specification with
check-jsonschema (its schema is vendored in the package: works offline), and every service command is parsed
by the real Typer/Click command tree.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
REQUIRED_SECRETS = {"POSTGRES_PASSWORD", "CC_SECRET_KEY", "CC_IMAP_PASSWORD", "CC_SMTP_PASSWORD"}
EXPECTED_SERVICES = {"postgres", "redis", "migrate", "worker", "poller", "web", "sweeper"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def _check_jsonschema() -> str:
    exe = Path(sys.executable).parent / "check-jsonschema"
    return str(exe) if exe.exists() else (shutil.which("check-jsonschema") or "check-jsonschema")


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    # no network needed: the compose-spec schema ships inside check-jsonschema (--builtin-schema vendor.*)
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([_check_jsonschema(), "--builtin-schema", "vendor.compose-spec", str(path)],
                          capture_output=True, text=True, timeout=120, env=env)  # fmt: skip


def test_compose_file_matches_the_compose_spec() -> None:
    r = _validate(COMPOSE)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ok" in r.stdout


def test_the_schema_check_catches_mistakes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    text = COMPOSE.read_text()
    assert "\n  redis:\n" in text
    bad.write_text(text.replace("\n  redis:\n", "\n  redis:\n    bogus_key: 1\n", 1))
    r = _validate(bad)
    assert r.returncode != 0
    assert "bogus_key" in r.stdout + r.stderr


def test_expected_services_with_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= EXPECTED_SERVICES
    for name in ("postgres", "redis", "worker", "web", "poller", "sweeper"):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    for name, svc in services.items():
        for dep in svc.get("depends_on", {}):
            assert dep in services, f"{name} depends on unknown service {dep}"
    # the app waits for the schema
    for name in ("worker", "poller", "web", "sweeper"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_required_secrets_use_error_interpolation() -> None:
    text = COMPOSE.read_text()
    for var in REQUIRED_SECRETS:
        assert re.search(r"\$\{" + var + r":\?[^}]*\}", text), f"{var} must be ${{{var}:?...}}"
        # never given a default anywhere
        assert not re.search(r"\$\{" + var + r":?-", text), f"{var} must not have a default"
    # every interpolation is well formed; a literal $ for the container shell is written $$
    for m in re.finditer(r"(?<!\$)\$(?!\$)(\{[^}]*\}|\w+)?", text):
        ok = m.group(1) and re.fullmatch(r"\{\w+(:?[-?][^}]*)?\}", m.group(1))
        assert ok, f"bad interpolation {m[0]!r}"


def _cli_root() -> Any:
    import typer.main

    from consultant.cli.main import app

    return typer.main.get_command(app)


def _is_group(cmd: Any) -> bool:
    return isinstance(getattr(cmd, "commands", None), dict)


def _app_services(compose: dict[str, Any]) -> dict[str, list[str]]:
    out = {}
    for name, svc in compose["services"].items():
        if "build" in svc or str(svc.get("image", "")).startswith("caseconsultant"):
            cmd = svc.get("command")
            assert isinstance(cmd, list), f"{name}: command must be an exec-form list"
            out[name] = [str(c) for c in cmd]
    return out


def test_every_service_command_is_a_real_subcommand(compose: dict[str, Any]) -> None:
    root = _cli_root()
    services = _app_services(compose)
    assert set(services) >= EXPECTED_SERVICES - {"postgres", "redis"}
    problems = []
    for name, argv in services.items():
        if argv[0] != "caseconsultant":
            problems.append(f"{name}: command does not start with caseconsultant: {argv}")
            continue
        cmd, args, path = root, argv[1:], ["caseconsultant"]
        while _is_group(cmd) and args and not args[0].startswith("-"):
            sub = cmd.commands.get(args[0])
            if sub is None:
                break
            cmd, args, path = sub, args[1:], [*path, args[0]]
        if _is_group(cmd) or len(path) < 2:
            known = sorted(root.commands) if _is_group(root) else []
            problems.append(f"{name}: {' '.join(argv)!r} is not a caseconsultant command (known: {known})")
            continue
        try:  # the options parse (without running the command)
            with cmd.make_context(" ".join(path), list(args), resilient_parsing=False):
                pass
        except Exception as exc:  # click's UsageError & co (Typer vendors its own click)
            message = exc.format_message() if hasattr(exc, "format_message") else repr(exc)
            problems.append(f"{name}: {' '.join(argv)!r}: {message}")
    assert not problems, "\n".join(problems)


def test_dockerfile_installs_the_package() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert re.search(r"pip install (-e )?'?\.(\[native\])?'?", text)
    assert "caseconsultant native build" in text  # the compiled extraction, built in the image
    for needed in ("consultant", "workers", "templates", "config"):
        assert f"COPY {needed} " in text
