"""Shared helpers for the HSDS import/export tests."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from resources.db import REPO_ROOT, make_engine, session_factory
from resources.export import canonical_dump
from resources.models import Organization, Service
from resources.taxonomy import TaxonomyMap

HSDS = next((p for p in (REPO_ROOT.parent / "shared" / "reference" / "hsds-3.0",
                         Path("/work/shared/reference/hsds-3.0")) if p.is_dir()), None)
EXAMPLES = HSDS / "examples" if HSDS else None
EXAMPLE_MAP = Path(__file__).parent / "fixtures" / "hsds_examples_map.yaml"
if HSDS is None:  # the official schemas and examples are part of the test's ground truth: never skip them
    raise RuntimeError("../shared/reference/hsds-3.0 must be next to the repository (as on CI)")


def example_map() -> TaxonomyMap:
    return TaxonomyMap.load(EXAMPLE_MAP)


def sqlite_engine(tmp_path: Path, name: str = "dir.db") -> Engine:
    return make_engine(f"sqlite:///{tmp_path / name}")


def counts(engine: Engine) -> tuple[int, int]:
    with session_factory(engine)() as session:
        return (session.scalar(select(func.count()).select_from(Service)) or 0,
                session.scalar(select(func.count()).select_from(Organization)) or 0)


def dump(engine: Engine) -> dict[str, Any]:
    with session_factory(engine)() as session:
        return canonical_dump(session)


def localised(text: str) -> str:
    """The official examples' placeholder place (latitude 100, longitude 101, postcode "ABC 1234") moved to a
    real California point, and nothing else changed."""
    return (text.replace('"latitude": 100', '"latitude": 38.5816')
            .replace('"longitude": 101', '"longitude": -121.4944')
            .replace('"ABC 1234"', '"95814"'))


def write_tabular(doc: dict[str, list[dict[str, Any]]], folder: Path) -> Path:
    """The official tabular.json example as the CSV files it stands for."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in doc.items():
        columns = list(dict.fromkeys(k for row in rows for k in row))
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows(rows)
    return folder


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
