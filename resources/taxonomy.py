"""Taxonomy terms in imported HSDS data → the navigator's categories and tags (resources/data/taxonomy_map.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from resources.models import CATEGORIES, TAGS

MAP_FILE = Path(__file__).parent / "data" / "taxonomy_map.yaml"

# The navigator's own vocabularies, as the exporter writes them (HSDS taxonomy_term.taxonomy values).
CATEGORY_TAXONOMY = "youth-navigator/category"
TAG_TAXONOMY = "youth-navigator/tag"
# Curation facts HSDS has no field for (source_url, confidential, ...): attributes with a value.
CURATION_TAXONOMY = "youth-navigator/curation"
CURATION_CODES = ("id", "source_url", "confidential", "statewide", "cost", "retired_on", "closed_on_holidays")


def _key(text: object) -> str:
    return re.sub(r"[^a-z0-9+]+", " ", str(text).lower()).strip()


@dataclass(frozen=True, slots=True)
class Mapping:
    category: str | None = None
    tag: str | None = None
    ignore: bool = False


@dataclass(slots=True)
class TaxonomyMap:
    by_code: dict[tuple[str, str], Mapping] = field(default_factory=dict)
    by_name: dict[str, Mapping] = field(default_factory=dict)
    default_category: str | None = None

    @classmethod
    def load(cls, *paths: Path) -> TaxonomyMap:
        """The built-in table, then each extra file over it. Raises ValueError with file and entry on errors."""
        result = cls()
        for path in (MAP_FILE, *paths):
            result._read(path)
        return result

    def _read(self, path: Path) -> None:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a readable taxonomy map: {exc}") from exc
        if not isinstance(raw, dict) or not isinstance(raw.get("terms", []), list):
            raise ValueError(f"{path}: needs a top-level 'terms' list")
        if (default := raw.get("default_category")) is not None:
            if default not in CATEGORIES:
                raise ValueError(f"{path}: default_category: unknown category {default!r}")
            self.default_category = default
        for i, entry in enumerate(raw.get("terms") or []):
            if not isinstance(entry, dict):
                raise ValueError(f"{path}: terms[{i}]: must be a mapping")
            mapping = Mapping(entry.get("category"), entry.get("tag"), bool(entry.get("ignore")))
            if mapping.category is not None and mapping.category not in CATEGORIES:
                raise ValueError(f"{path}: terms[{i}]: unknown category {mapping.category!r}")
            if mapping.tag is not None and mapping.tag not in TAGS:
                raise ValueError(f"{path}: terms[{i}]: unknown tag {mapping.tag!r}")
            if not (mapping.category or mapping.tag or mapping.ignore):
                raise ValueError(f"{path}: terms[{i}]: needs category, tag or ignore: true")
            if entry.get("code") is not None and entry.get("taxonomy") is not None:
                self.by_code[(_key(entry["taxonomy"]), _key(entry["code"]))] = mapping
            elif entry.get("name") is not None:
                self.by_name[_key(entry["name"])] = mapping
            else:
                raise ValueError(f"{path}: terms[{i}]: needs taxonomy + code, or name")

    def resolve(self, term: dict[str, Any]) -> Mapping | None:
        taxonomy, code, name = term.get("taxonomy"), term.get("code"), term.get("name")
        if taxonomy is not None and code is not None:
            found = self.by_code.get((_key(taxonomy), _key(code)))
            if found is not None:
                return found
        return self.by_name.get(_key(name)) if name is not None else None


def describe(term: dict[str, Any]) -> str:
    parts = [f"{k}={term[k]!r}" for k in ("taxonomy", "code", "name") if term.get(k) is not None]
    return ", ".join(parts) or "(empty term)"
