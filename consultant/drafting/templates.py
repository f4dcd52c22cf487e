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
    return env


def render(template_name: str, **context: object) -> str:
    return environment().get_template(template_name).render(**context)
