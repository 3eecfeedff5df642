"""The assistant's words, per language, from actions/content/<language>.yml.

`{line:ID}` and `{call:ID}` placeholders are filled from the directory's hotline list (resources.hotlines),
so a number is written in exactly one place; `{name}` placeholders from the values the caller passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from resources.hotlines import Hotline, fill_lines, hotlines

CONTENT_DIR = Path(__file__).parent / "content"
LANGUAGES = ("en", "es")
_VALUE = re.compile(r"\{(\w+)\}")

Button = dict[str, str]


@dataclass(frozen=True)
class Content:
    raw: dict[str, Any]
    lines: dict[str, Hotline]
    language: str = "en"

    def text(self, key: str, **values: object) -> str:
        return self.render(str(self.raw[key]), **values)

    def render(self, template: str, **values: object) -> str:
        def fill(match: re.Match[str]) -> str:
            return str(values[match.group(1)]) if match.group(1) in values else match.group(0)

        return _VALUE.sub(fill, fill_lines(template, self.lines, self.language))

    def buttons(self, key: str) -> list[Button]:
        value = self.raw[key]
        items = value if isinstance(value, list) else [value]
        return [{"title": str(b["title"]), "payload": str(b["payload"])} for b in items]

    def need_label(self, category: str) -> str:
        return str(self.raw["need_labels"].get(category, "help"))

    def contact(self, line: Hotline) -> str:
        """A hotline's contact line in this language (labels in Spanish, numbers from the table)."""
        return line.contact_line(self.language)

    def lines_for(self, categories: list[str] | tuple[str, ...]) -> list[Hotline]:
        ids: dict[str, None] = {}
        for category in categories or ("hotline",):
            ids.update(dict.fromkeys(self.raw["need_lines"].get(category, ["nrs"])))
        return [self.lines[i] for i in ids]


@cache
def content(language: str = "en") -> Content:
    """Texts are read-only files shipped with the code: one parsed copy per process and language."""
    if language not in LANGUAGES:
        language = "en"
    raw = yaml.safe_load((CONTENT_DIR / f"{language}.yml").read_text(encoding="utf-8"))
    return Content(raw=raw, lines=hotlines(), language=language)
