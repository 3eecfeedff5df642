"""National and California 24/7 lines, loaded from the curated `data/hotlines.yaml`.

These are the only numbers the assistant may quote from memory-free code paths such as the crisis
protocol and the fallback; a test compares every one with the shared reference file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

HOTLINES_FILE = Path(__file__).parent / "data" / "hotlines.yaml"
# How a contact line names the ways to reach someone, per language.
_VERBS = {
    "en": {"call": "call", "text": "text", "text_word": "text", "to": "to"},
    "es": {"call": "llama al", "text": "manda un texto al", "text_word": "manda", "to": "al"},
}


@dataclass(frozen=True, slots=True)
class Hotline:
    id: str
    name: str
    call: str | None
    text: str | None
    url: str | None
    hours: str
    serves: str
    source_url: str | None
    verified_on: str
    categories: tuple[str, ...]
    county: str | None = None
    # Display labels per language other than English: {"es": {"name": ..., "note": ...}}. Only words: the
    # numbers always come from `call` and `text` above.
    labels: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, hash=False)

    def contact_line(self, language: str = "en") -> str:
        """One short line: name, then how to reach them ("call X · text Y"; in Spanish "llama al X · …")."""
        label = self.labels.get(language) or {}
        verbs = _VERBS.get(language, _VERBS["en"])
        ways = []
        if self.call:
            ways.append(f"{verbs['call']} {self.call}")
        if self.text:
            if " to " in self.text:  # "HOME to 741741" -> "manda HOME al 741741": keyword and number as in the table
                keyword, number = self.text.split(" to ", 1)
                ways.append(f"{verbs['text_word']} {keyword} {verbs['to']} {number}")
            else:
                ways.append(f"{verbs['text']} {self.text}")
        note = label.get("note")
        hours = f"{self.hours}; {note}" if note else self.hours
        return f"{label.get('name', self.name)}: {' · '.join(ways)} ({hours})"


def load_hotlines(path: Path = HOTLINES_FILE) -> dict[str, Hotline]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    verified_on = str(raw["verified_on"])
    lines: dict[str, Hotline] = {}
    for row in raw["hotlines"]:
        lines[row["id"]] = Hotline(
            id=row["id"],
            name=row["name"],
            call=_opt_str(row.get("call")),
            text=_opt_str(row.get("text")),
            url=row.get("url"),
            hours=str(row.get("hours", "24/7")),
            serves=row["serves"],
            source_url=row.get("source_url"),
            verified_on=str(row.get("verified_on", verified_on)),
            categories=tuple(row.get("categories", ["hotline"])),
            county=row.get("county"),
            labels={lang: {k: str(v) for k, v in label.items()} for lang, label in (row.get("labels") or {}).items()},
        )
    return lines


@cache
def hotlines() -> dict[str, Hotline]:
    """The file is read-only data shipped with the code, so one parsed copy per process is enough."""
    return load_hotlines()


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


_LINE_PLACEHOLDER = re.compile(r"\{(line|call):(\w+)\}")


def fill_lines(template: str, lines: dict[str, Hotline] | None = None, language: str = "en") -> str:
    """Replace `{line:ID}` with the line's contact line and `{call:ID}` with its number.

    Texts name lines by id only, so every number a reply quotes comes from the one checked list.
    """
    table = hotlines() if lines is None else lines

    def fill(match: re.Match[str]) -> str:
        line = table[match.group(2)]
        return line.contact_line(language) if match.group(1) == "line" else str(line.call or line.text)

    return _LINE_PLACEHOLDER.sub(fill, template)
