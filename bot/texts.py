"""Texts shipped with the code, one YAML file per language; a language without its own file reads English."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml


@cache
def language_texts(content_dir: Path, language: str) -> dict[str, Any]:
    path = content_dir / f"{language}.yml"
    if not path.exists():
        path = content_dir / "en.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))
