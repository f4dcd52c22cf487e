"""The extraction rules compiled to C with mypyc, used only while they match the sources.

Extraction is pure Python over regular expressions; its cost is the Python around the regex calls
(~15-20 µs per candidate code). mypyc compiles the same typed modules to C extensions, which run the
same rules about 1.7 times faster (bench/RESULTS-extract.md). The sources stay the one truth:

- `caseconsultant native build` compiles `COMPILED_MODULES` in a temporary copy
  of the package and puts the extensions in an overlay, `consultant/extraction/_native/<tag>/`, with
  a stamp holding the sha256 of the sources they were built from (and the ABI suffix);
- `activate()` (called by the package's `__init__` before the rules are imported) puts the overlay
  first on the package's `__path__` only when that stamp matches the sources as they are now. An
  edited rule, a missing compiler or a build for another Python: the pure modules are imported, with
  the same results (tests/extraction/test_native.py compares both on every labelled corpus).
- `CC_NATIVE=0` in the environment turns the overlay off. It is read here, not through
  `consultant.settings`, because it decides which modules are imported before anything is configured.

`./scripts/test`, `./scripts/demo` and the Dockerfile build the overlay after installing (a failed
build is a warning: the pure modules are correct, only slower).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
COMPILED_MODULES = ("extract", "context", "patterns", "modifiers", "model")
STAMP_NAME = "SOURCES.sha256"
ACTIVE_DIR: Path | None = None  # the overlay in use, once activate() took it


def overlay_dir(root: Path | None = None) -> Path:
    """Where the extensions for this interpreter live: `_native/<cache tag>/` beside the sources."""
    return (root or PACKAGE_DIR / "_native") / (sys.implementation.cache_tag or "python")


def sources_digest(package_dir: Path = PACKAGE_DIR) -> str:
    """sha256 over the compiled modules' sources and this interpreter's extension suffix."""
    h = hashlib.sha256()
    h.update(str(sysconfig.get_config_var("EXT_SUFFIX")).encode())
    for name in COMPILED_MODULES:
        h.update(b"\0" + name.encode() + b"\0")
        h.update((package_dir / f"{name}.py").read_bytes())
    return h.hexdigest()


def status(directory: Path | None = None, package_dir: Path = PACKAGE_DIR) -> str:
    """'fresh', 'stale' (built from other sources or for another Python) or 'missing'."""
    stamp = (directory or overlay_dir()) / STAMP_NAME
    try:
        built_from = stamp.read_text().strip()
    except OSError:
        return "missing"
    return "fresh" if built_from == sources_digest(package_dir) else "stale"


def activate(package_path: list[str], directory: Path | None = None) -> bool:
    """Put a fresh overlay first on the package's `__path__`; False (and nothing changed) otherwise."""
    global ACTIVE_DIR
    if os.environ.get("CC_NATIVE", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    d = directory or overlay_dir()
    state = status(d)
    if state != "fresh":
        if state == "stale":
            log.debug("compiled extraction in %s is stale: the pure modules are used", d)
        return False
    sys.path.append(str(d))  # the modules' shared runtime library is a top-level module
    package_path.insert(0, str(d / "consultant" / "extraction"))
    ACTIVE_DIR = d
    return True


def build(directory: Path | None = None, package_dir: Path = PACKAGE_DIR) -> Path:
    """Compile `COMPILED_MODULES` with mypyc into `directory` (default: this interpreter's overlay).

    The build runs in a temporary copy of the `consultant` package (mypyc writes beside its input),
    then replaces the overlay as a whole, stamp last. Raises RuntimeError with mypyc's output when it
    fails."""
    target = directory or overlay_dir()
    digest = sources_digest(package_dir)
    with tempfile.TemporaryDirectory(prefix="cc-native-") as tmp:
        work = Path(tmp)
        shutil.copytree(
            package_dir.parent,
            work / "consultant",
            ignore=shutil.ignore_patterns("__pycache__", "_native", "*.so", "*.pyc"),
        )
        # the other modules are read for their types only, as in the project's own mypy run
        (work / "mypy.ini").write_text("[mypy]\nignore_missing_imports = True\nfollow_imports = silent\n")
        sources = [f"consultant/extraction/{name}.py" for name in COMPILED_MODULES]
        done = subprocess.run(
            [sys.executable, "-m", "mypyc", *sources],
            cwd=work,
            capture_output=True,
            text=True,
            env={**os.environ, "MYPYC_OPT_LEVEL": os.environ.get("MYPYC_OPT_LEVEL", "3")},
        )
        if done.returncode != 0:
            output = done.stdout[-3000:] + done.stderr[-3000:]
            raise RuntimeError(f"mypyc failed ({done.returncode}):\n{output}")
        suffix = str(sysconfig.get_config_var("EXT_SUFFIX"))
        staged = Path(tempfile.mkdtemp(prefix=".building-", dir=_parent(target)))
        try:
            (staged / "consultant" / "extraction").mkdir(parents=True)
            for name in COMPILED_MODULES:
                built = work / "consultant" / "extraction" / f"{name}{suffix}"
                shutil.copy2(built, staged / "consultant" / "extraction" / built.name)
            for lib in work.glob(f"*{suffix}"):  # the group's shared runtime library
                shutil.copy2(lib, staged / lib.name)
            (staged / STAMP_NAME).write_text(digest + "\n")
            if target.exists():
                shutil.rmtree(target)
            staged.rename(target)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
    return target


def _parent(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.parent
