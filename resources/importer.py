"""`python -m resources import PATH...`: HSDS 3.0 JSON, HSDS tabular CSV and curated YAML, all or nothing.

Every file is read and every record checked before anything is written; then all of it is written in one
transaction (upsert by id), or, with any problem anywhere, none of it. A dry run does the writing inside
the transaction and rolls it back, so its created/updated/unchanged counts are exactly what a real run does.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from sqlalchemy import Engine, select

from resources.curated import read_curated_file
from resources.db import create_schema, session_factory
from resources.geo import gazetteer
from resources.hsds import Batch, HsdsReader, record_kind
from resources.hsds_csv import is_tabular_json, read_tables, read_tabular_json
from resources.models import Organization
from resources.records import Problem
from resources.store import ImportReport, upsert_organizations, validate
from resources.taxonomy import TaxonomyMap

SUFFIXES = (".json", ".csv", ".yaml", ".yml")
MAX_FILE_BYTES = 512 * 1024 * 1024


def label(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def expand(paths: list[Path], problems: list[Problem]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
            if not found:
                problems.append(Problem(label(path), "path", "no .json, .csv or .yaml files in this folder"))
            files.extend(found)
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                problems.append(Problem(label(path), "path", "not .json (HSDS), .csv (HSDS tabular) or .yaml "
                                        "(curated)"))
            else:
                files.append(path)
        else:
            problems.append(Problem(label(path), "path", "no such file or folder"))
    return list(dict.fromkeys(files))


def read_batch(paths: list[Path], taxonomy: TaxonomyMap | None = None) -> Batch:
    """All the files of one import, read and checked (no database needed)."""
    batch = Batch()
    reader = HsdsReader(batch, taxonomy or TaxonomyMap.load())
    files = expand(paths, batch.problems)
    documents: list[tuple[object, str]] = []
    for path in files:
        if path.suffix.lower() != ".json":
            continue
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                batch.problems.append(Problem(label(path), "file", "larger than 512 MB; split it"))
                continue
            documents.append((json.loads(path.read_text(encoding="utf-8")), f"{label(path)}: $"))
        except (OSError, UnicodeDecodeError) as exc:
            batch.problems.append(Problem(label(path), "file", f"not readable UTF-8: {exc}"))
        except json.JSONDecodeError as exc:
            batch.problems.append(Problem(f"{label(path)}:{exc.lineno}", "file", f"not valid JSON: {exc.msg} "
                                          f"(column {exc.colno})"))
        except RecursionError:
            batch.problems.append(Problem(label(path), "file", "nested too deeply to be HSDS"))
    # Taxonomy terms first, so attributes that name a term only by id can be resolved in any file order.
    for doc, where in documents:
        for item, item_where in _records(doc, where):
            if record_kind(item) == "term":
                reader.register_term(item, item_where)
    csv_sets: dict[Path, list[Path]] = defaultdict(list)
    for path in files:
        if path.suffix.lower() == ".csv":
            csv_sets[path.parent].append(path)
    for tables in csv_sets.values():
        read_tables(tables, reader, label)
    for doc, where in documents:
        if is_tabular_json(doc):
            read_tabular_json(doc, reader, where)  # type: ignore[arg-type]
        else:
            reader.document(doc, where)
    for path in files:
        if path.suffix.lower() in (".yaml", ".yml"):
            organizations, problems = read_curated_file(path, gazetteer())
            batch.problems.extend(problems)
            for org in organizations:
                if org.id in batch.organizations:
                    batch.problems.append(Problem(org.where, "id", f"duplicate organization id {org.id!r} (also at "
                                                  f"{batch.organizations[org.id].where})"))
                    continue
                batch.organizations[org.id] = org
                batch.full_orgs.add(org.id)
    return batch


def _records(doc: object, where: str) -> list[tuple[dict, str]]:
    if isinstance(doc, list):
        return [(item, f"{where}[{i}]") for i, item in enumerate(doc) if isinstance(item, dict)]
    if isinstance(doc, dict) and isinstance(doc.get("contents"), list) and "id" not in doc:
        return [(item, f"{where}.contents[{i}]") for i, item in enumerate(doc["contents"]) if isinstance(item, dict)]
    return [(doc, where)] if isinstance(doc, dict) else []


def import_paths(engine: Engine, paths: list[Path], dry_run: bool = False,
                 taxonomy: TaxonomyMap | None = None) -> ImportReport:
    create_schema(engine)
    batch = read_batch(paths, taxonomy)
    organizations = list(batch.organizations.values())
    problems = batch.problems + validate(organizations)
    with session_factory(engine)() as session, session.begin():
        if batch.referenced_orgs:
            known = set(session.scalars(select(Organization.id).where(
                Organization.id.in_(list(batch.referenced_orgs)))))
            problems += [Problem(where, "organization_id", f"no organization {org_id!r} in this import or the "
                                 "directory") for org_id, where in batch.referenced_orgs.items() if org_id not in known]
        if problems:
            return ImportReport(problems=problems, warnings=batch.warnings)
        source = ", ".join(label(p) for p in paths)[:500]
        report = upsert_organizations(session, organizations, source=source, write_orgs=batch.full_orgs)
        report.warnings = batch.warnings + report.warnings
        if report.problems or dry_run:
            session.rollback()
    return report
