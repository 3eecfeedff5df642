"""Builds the directory from the curated seed files and the hotline list, in one transaction."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from resources.curated import read_curated_file, seed_files
from resources.db import create_schema, session_factory
from resources.geo import gazetteer
from resources.hotlines import hotlines
from resources.store import ImportReport, hotline_organizations, upsert_organizations, validate


def load_curated(engine: Engine, paths: list[Path] | None = None, dry_run: bool = False) -> ImportReport:
    """Validate every file first; write all of it or none of it."""
    create_schema(engine)
    organizations = hotline_organizations(hotlines())
    problems = []
    for path in paths if paths is not None else seed_files():
        records, file_problems = read_curated_file(path, gazetteer())
        organizations.extend(records)
        problems.extend(file_problems)
    if problems:
        return ImportReport(problems=problems + validate(organizations))
    with session_factory(engine)() as session, session.begin():
        report = upsert_organizations(session, organizations)
        if report.problems or dry_run:
            session.rollback()
    return report
