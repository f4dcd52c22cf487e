"""The one Jinja environment for mail templates: autoescape for .html, StrictUndefined everywhere."""

from __future__ import annotations

import functools
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from consultant.settings import TEMPLATES_DIR


@functools.lru_cache(maxsize=4)
def environment(templates_dir: str | None = None) -> Environment:
    """Templates under `templates_dir` (default: the project's templates/). .html autoescaped."""
    env = Environment(
        loader=FileSystemLoader(str(Path(templates_dir) if templates_dir else TEMPLATES_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html", "htm"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["wrap"] = wrap
    return env


def wrap(text: str, width: int = 72, indent: int = 0) -> str:
    """Greedy word wrap: each line holds at most `width` characters of text; lines after the first
    are prefixed by `indent` spaces (the template places the first line). Existing line breaks are
    kept; a word longer than the width (a URL, a file name) stays whole."""
    out: list[str] = []
    for para in str(text).split("\n"):
        line = ""
        for word in para.split():
            if not line:
                line = word
            elif len(line) + 1 + len(word) <= width:
                line += " " + word
            else:
                out.append(line)
                line = word
        out.append(line)
    return ("\n" + " " * indent).join(out)


def render(template_name: str, **context: object) -> str:
    return environment().get_template(template_name).render(**context)
