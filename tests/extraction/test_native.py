"""The mypyc-compiled extraction rules (consultant.extraction.native): used only when built from the
sources as they are, and giving exactly what the plain Python modules give.

`./scripts/test` builds the overlay before the suite and sets CC_TEST_EXPECT_NATIVE=1 when the build
succeeded; the whole suite then runs on the compiled modules, and this file checks that they are the
ones in use and that the plain modules (in a subprocess with CC_NATIVE=0) give the same output on
every labelled corpus and on real-world mail."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from consultant.extraction import native
from tests.extraction.memstore import memory_store

ROOT = Path(__file__).resolve().parents[2]
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"

# Extracts every mail it is given with the in-memory store and prints one JSON line per mail
# (codes with modifiers, units, spans, status; the question text).
_EXTRACT_ALL = """
import json, sys
sys.path.insert(0, {root!r})
import importlib
from consultant.extraction import extract_mail
from tests.extraction.memstore import memory_store
store = memory_store()
where = importlib.import_module("consultant.extraction.extract").__file__
print(json.dumps({{"module": where}}))
for path in sys.argv[1:]:
    result = extract_mail(open(path, "rb").read(), store)
    print(json.dumps({{"file": path, "question": result.question,
                      "codes": [c.to_json() for c in result.codes]}}, sort_keys=True))
"""


def _mails() -> list[str]:
    labelled = sorted(str(p) for p in (ROOT / "tests" / "corpus").glob("*/*.eml"))
    real = sorted(  # every real-world mail, whatever its file is called
        str(p) for p in SHARED_CORPUS.rglob("*") if p.is_file() and p.name not in ("MANIFEST.md", "index.tsv")
    )
    return labelled + real


def _run(native_on: bool, files: list[str]) -> tuple[str, list[str]]:
    env = {**os.environ, "CC_NATIVE": "1" if native_on else "0"}
    done = subprocess.run(
        [sys.executable, "-c", _EXTRACT_ALL.format(root=str(ROOT)), *files],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    return json.loads(lines[0])["module"], lines[1:]


def _compiled_in_use() -> bool:
    module = importlib.import_module("consultant.extraction.extract")
    return str(module.__file__).endswith(str(sysconfig.get_config_var("EXT_SUFFIX")))


def test_compiled_modules_in_use_when_the_build_is_fresh() -> None:
    if os.environ.get("CC_TEST_EXPECT_NATIVE") != "1":
        pytest.skip("./scripts/test did not build the compiled extraction (CC_TEST_EXPECT_NATIVE unset)")
    assert native.status() == "fresh"
    assert native.overlay_dir() == native.ACTIVE_DIR
    assert _compiled_in_use()


def test_compiled_and_plain_modules_give_the_same_output() -> None:
    if native.status() != "fresh":
        pytest.skip("no fresh compiled extraction here (caseconsultant native build)")
    files = _mails()
    assert len(files) > 1400
    compiled_module, compiled = _run(True, files)
    plain_module, plain = _run(False, files)
    assert compiled_module.endswith(str(sysconfig.get_config_var("EXT_SUFFIX")))
    assert plain_module.endswith("extract.py")
    assert len(compiled) == len(plain) == len(files)
    assert sum('"code":' in line for line in plain) > 150  # the comparison covers mails with codes
    for a, b in zip(compiled, plain, strict=True):
        assert a == b


def test_a_stale_build_is_not_used(tmp_path: Path) -> None:
    """A build whose stamp does not match the sources (a rule edited since) leaves the path alone."""
    overlay = tmp_path / "cpython-311"
    (overlay / "consultant" / "extraction").mkdir(parents=True)
    (overlay / native.STAMP_NAME).write_text("0" * 64 + "\n")
    path = ["/somewhere/consultant/extraction"]
    assert native.status(overlay) == "stale"
    assert native.activate(path, overlay) is False
    assert path == ["/somewhere/consultant/extraction"]


def test_a_missing_build_is_not_used(tmp_path: Path) -> None:
    path: list[str] = []
    assert native.status(tmp_path / "nothing") == "missing"
    assert native.activate(path, tmp_path / "nothing") is False
    assert path == []


def test_a_fresh_stamp_is_taken_unless_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    overlay = tmp_path / "cpython-311"
    (overlay / "consultant" / "extraction").mkdir(parents=True)
    (overlay / native.STAMP_NAME).write_text(native.sources_digest() + "\n")
    monkeypatch.setattr(native, "ACTIVE_DIR", native.ACTIVE_DIR)  # restored after the test
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("CC_NATIVE", "0")
    path: list[str] = []
    assert native.activate(path, overlay) is False and path == []
    monkeypatch.setenv("CC_NATIVE", "1")
    assert native.activate(path, overlay) is True
    assert path == [str(overlay / "consultant" / "extraction")]
    assert str(overlay) in sys.path


def test_the_digest_follows_every_compiled_source(tmp_path: Path) -> None:
    package = tmp_path / "extraction"
    package.mkdir()
    for name in native.COMPILED_MODULES:
        (package / f"{name}.py").write_text(f"# {name}\n")
    before = native.sources_digest(package)
    for name in native.COMPILED_MODULES:
        (package / f"{name}.py").write_text(f"# {name} edited\n")
        assert native.sources_digest(package) != before
        (package / f"{name}.py").write_text(f"# {name}\n")
    assert native.sources_digest(package) == before


def test_memory_store_results_do_not_depend_on_the_build() -> None:
    """The in-process modules (compiled or not) read the README's example the same way."""
    from consultant.extraction import extract

    codes = extract("Can I bill 99214-25 with 20610 the same day? Dx M17.11", memory_store()).codes
    assert [(c.system, c.code, c.modifiers) for c in codes] == [
        ("CPT", "99214", ["25"]),
        ("CPT", "20610", []),
        ("ICD10CM", "M17.11", []),
    ]


@pytest.mark.slow
def test_build_writes_a_fresh_overlay(tmp_path: Path) -> None:
    """A real mypyc build (about 15 s) into a scratch overlay: every module, the shared runtime and
    the stamp; a second build replaces the first as a whole."""
    target = tmp_path / "cpython-311"
    assert native.build(target) == target
    suffix = str(sysconfig.get_config_var("EXT_SUFFIX"))
    built = sorted(p.name for p in (target / "consultant" / "extraction").iterdir())
    assert built == sorted(f"{name}{suffix}" for name in native.COMPILED_MODULES)
    assert len(list(target.glob(f"*{suffix}"))) == 1  # the group's runtime library
    assert native.status(target) == "fresh"
    (target / "leftover").write_text("x")
    native.build(target)
    assert not (target / "leftover").exists() and native.status(target) == "fresh"
    assert not list(tmp_path.glob(".building-*"))
