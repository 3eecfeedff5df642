"""The insight report for a period: every table, suppressed (bot/insights/suppress.py), consistent with one
another, and the directory gap report beside the demand. The desk page, its exports and the command line
all render this one report, so they can never show different numbers.

Tables are fixed projections of the counters for the period (filters only pick rows or columns out of
them, never recompute them, so a filtered view cannot be subtracted from an unfiltered one):

    needs_by_county     county × need              searches
    needs_by_week       week × need                searches, all of California
    outcomes_by_county  county × search outcome    searches
    outcomes_by_need    need × search outcome      searches, all of California
    needs_by_age        age band × need            searches, all of California
    searches_by_channel language × channel         searches
    events_by_county    county × event             handoffs and crisis protocols
    events_by_week      week × event               handoffs and crisis protocols

Totals that appear in more than one table (a need's total, a county's, a week's, an outcome's, the grand
total) are hidden in all of them when any table had to hide them, and then protected in each of them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.insights.dimensions import (
    AGE_BAND_LABELS,
    AGE_BANDS,
    CATEGORIES,
    CHANNELS,
    COUNTY_VALUES,
    EVENT_OUTCOMES,
    LANGUAGES,
    OUTCOME_LABELS,
    SEARCH_OUTCOMES,
    UNMET_OUTCOMES,
    week_start,
)
from bot.insights.suppress import SHOWN, SMALL, Suppressed, Var, protect, suppress

RULE = ("Counts under 11 read \"<11\"; counts that would let one be worked out from the totals read "
        "\"suppressed\" (they are 11 or more). Counts are events (searches, crisis protocols, requests for "
        "a person), not people.")


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    row_dim: str
    col_dim: str
    universe: str  # "search" | "event"
    rows: tuple[str, ...]
    columns: tuple[str, ...]


@dataclass
class Table:
    spec: Spec
    data: Suppressed
    row_labels: list[str]
    column_labels: list[str]

    def marginal_keys(self) -> dict[Var, tuple]:
        keys: dict[Var, tuple] = {("all",): (self.spec.universe, "all")}
        for i, row in enumerate(self.spec.rows):
            keys[("row", i)] = (self.spec.universe, self.spec.row_dim, row)
        for j, column in enumerate(self.spec.columns):
            keys[("col", j)] = (self.spec.universe, self.spec.col_dim, column)
        return keys

    def view(self, rows: Iterable[str] | None = None, columns: Iterable[str] | None = None) -> dict[str, Any]:
        """The table as published, with only the chosen rows and columns (totals are the whole table's)."""
        row_index = [self.spec.rows.index(r) for r in rows] if rows is not None else range(len(self.spec.rows))
        col_index = ([self.spec.columns.index(c) for c in columns] if columns is not None
                     else range(len(self.spec.columns)))
        d = self.data
        return {
            "name": self.spec.name, "title": self.spec.title, "counts": self.spec.universe,
            "rows": [self.spec.rows[i] for i in row_index], "columns": [self.spec.columns[j] for j in col_index],
            "row_labels": [self.row_labels[i] for i in row_index],
            "column_labels": [self.column_labels[j] for j in col_index],
            "cells": [[d.label(("cell", i, j)) for j in col_index] for i in row_index],
            "row_totals": [d.label(("row", i)) for i in row_index],
            "column_totals": [d.label(("col", j)) for j in col_index],
            "total": d.label(("all",)),
            "complete": rows is None and columns is None,
        }

    def label(self, row: str, column: str) -> int | str:
        return self.data.label(("cell", self.spec.rows.index(row), self.spec.columns.index(column)))

    def row_total(self, row: str) -> int | str:
        return self.data.label(("row", self.spec.rows.index(row)))

    def row_is_small(self, row: str) -> bool:
        return self.data.status.get(("row", self.spec.rows.index(row)), SHOWN) == SMALL


@dataclass
class Report:
    start: dt.date
    end: dt.date
    weeks: list[str]
    tables: dict[str, Table]
    gaps: list[dict[str, Any]] = field(default_factory=list)
    verified_within_days: int = 365

    def to_dict(self, county: str | None = None, category: str | None = None) -> dict[str, Any]:
        tables = {}
        for name, table in self.tables.items():
            rows = [county] if county and table.spec.row_dim == "county" else None
            rows = [category] if category and table.spec.row_dim == "category" else rows
            columns = [category] if category and table.spec.col_dim == "category" else None
            tables[name] = table.view(rows, columns)
        gaps = [g for g in self.gaps if (not county or g["county"] == county)
                and (not category or g["category"] == category)]
        return {
            "period": {"from": self.start.isoformat(), "to": self.end.isoformat(), "weeks": self.weeks,
                       "from_week": self.weeks[0] if self.weeks else None,
                       "to_week": self.weeks[-1] if self.weeks else None},
            "filters": {"county": county, "category": category},
            "rule": RULE,
            "tables": tables,
            "directory_gaps": {
                "definition": f"need × county with no active service verified in the last "
                              f"{self.verified_within_days} days (located in the county or serving it; "
                              f"statewide lines count only for the hotline need)",
                "rows": gaps,
            },
        }


SPECS_NO_WEEKS = (
    ("needs_by_county", "Needs by county (searches)", "county", "category", "search", COUNTY_VALUES, CATEGORIES),
    ("outcomes_by_county", "Outcomes of searches by county", "county", "outcome", "search", COUNTY_VALUES,
     SEARCH_OUTCOMES),
    ("outcomes_by_need", "Outcomes of searches by need, all of California", "category", "outcome", "search",
     CATEGORIES, SEARCH_OUTCOMES),
    ("needs_by_age", "Needs by age band, all of California", "age_band", "category", "search", AGE_BANDS,
     CATEGORIES),
    ("searches_by_channel", "Searches by language and channel", "language", "channel", "search", LANGUAGES,
     CHANNELS),
    ("events_by_county", "Requests for a person and crisis protocols by county", "county", "outcome", "event",
     COUNTY_VALUES, EVENT_OUTCOMES),
)


def specs(weeks: list[str]) -> list[Spec]:
    out = [Spec(*s) for s in SPECS_NO_WEEKS]
    out.insert(1, Spec("needs_by_week", "Needs by week, all of California (searches)", "week", "category",
                       "search", tuple(weeks), CATEGORIES))
    out.append(Spec("events_by_week", "Requests for a person and crisis protocols by week", "week", "outcome",
                    "event", tuple(weeks), EVENT_OUTCOMES))
    return out


def _label(dim: str, value: str) -> str:
    if dim == "outcome":
        return OUTCOME_LABELS.get(value, value)
    if dim == "category":
        return value.replace("_", " ")
    if dim == "age_band":
        return AGE_BAND_LABELS.get(value, value)
    if dim == "week":
        return f"{value} ({week_start(value).isoformat()})"
    return value


def build_tables(counts: Iterable[Mapping[str, Any]], weeks: list[str]) -> dict[str, Table]:
    """Counter rows (week, outcome, category, county, age_band, language, channel, count) → suppressed,
    mutually consistent tables."""
    cube: dict[tuple[str, str, str], int] = defaultdict(int)
    week_set = set(weeks)
    records = [r for r in counts if r["week"] in week_set]
    tables: dict[str, Table] = {}
    for spec in specs(weeks):
        outcomes = SEARCH_OUTCOMES if spec.universe == "search" else EVENT_OUTCOMES
        cube.clear()
        for r in records:
            if r["outcome"] in outcomes:
                cube[(spec.name, str(r[spec.row_dim]), str(r[spec.col_dim]))] += int(r["count"])
        matrix = [[cube.get((spec.name, row, col), 0) for col in spec.columns] for row in spec.rows]
        tables[spec.name] = Table(spec, suppress(spec.rows, spec.columns, matrix),
                                  [_label(spec.row_dim, r) for r in spec.rows],
                                  [_label(spec.col_dim, c) for c in spec.columns])
    _unify(tables.values())
    return tables


def _unify(tables: Iterable[Table]) -> None:
    """A total hidden in one table is hidden in every table that has it; each table then protects what it
    had to hide (more may be hidden, maybe more shared totals): round after round, to a fixed point."""
    tables = list(tables)
    while True:
        hidden_keys = set()
        for table in tables:
            for var, key in table.marginal_keys().items():
                if table.data.status.get(var, SHOWN) != SHOWN:
                    hidden_keys.add(key)
        before = sum(len(t.data.status) for t in tables)
        for table in tables:
            for var, key in table.marginal_keys().items():
                if key in hidden_keys:
                    table.data.hide(var)
            protect(table.data)
        if sum(len(t.data.status) for t in tables) == before:
            return


def build_report(counts: Iterable[Mapping[str, Any]], start: dt.date, end: dt.date,
                 coverage: Mapping[tuple[str, str], Mapping[str, int]] | None = None,
                 verified_within_days: int = 365) -> Report:
    from bot.insights.dimensions import weeks_between

    if end < start:
        start, end = end, start
    weeks = weeks_between(start, end)
    tables = build_tables(counts, weeks)
    report = Report(start, end, weeks, tables, verified_within_days=verified_within_days)
    if coverage is not None:
        report.gaps = gap_rows(tables, coverage)
    return report


def gap_rows(tables: Mapping[str, Table], coverage: Mapping[tuple[str, str], Mapping[str, int]]
             ) -> list[dict[str, Any]]:
    """Need × county pairs with no active, recently verified service, with the demand seen there (the same
    suppressed numbers as "needs by county"), most demand first."""
    needs, outcomes = tables["needs_by_county"], tables["outcomes_by_county"]
    rows = []
    for county in COUNTY_VALUES:
        if county == "unknown":
            continue
        for category in CATEGORIES:
            found = coverage.get((county, category), {})
            if found.get("verified", 0) > 0:
                continue
            rows.append({
                "county": county, "category": category,
                "verified_services": 0, "unverified_services": int(found.get("unverified", 0)),
                "searches": needs.label(county, category),
                "county_unmet": {o: outcomes.label(county, o) for o in UNMET_OUTCOMES},
            })
    return sorted(rows, key=lambda g: (-_sortable(g["searches"]), g["county"], g["category"]))


def _sortable(label: int | str) -> int:
    return label if isinstance(label, int) else (11 if label == "suppressed" else 0)


def top_gaps(report: Report, limit: int = 10) -> list[dict[str, Any]]:
    """The gaps with shown demand, most first: where youth asked and the directory has nothing verified."""
    return [g for g in report.gaps if isinstance(g["searches"], int)][:limit]


# --------------------------------------------------------------------------------------------- exports
def to_json(report: Report, county: str | None = None, category: str | None = None) -> str:
    return json.dumps(report.to_dict(county, category), indent=2, ensure_ascii=False)


CSV_HEADER = ("section", "row", "column", "value", "note")


def to_csv(report: Report, county: str | None = None, category: str | None = None) -> str:
    """One line per published number (long format, easy to pivot): section, row, column, value, note.
    Totals have "Total" as row or column."""
    data = report.to_dict(county, category)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    period = data["period"]
    writer.writerow(("period", "", "", f"{period['from']}..{period['to']}",
                     f"ISO weeks {period['from_week']} to {period['to_week']}"))
    writer.writerow(("rule", "", "", "", RULE))
    for name, t in data["tables"].items():
        for row, cells, total in zip(t["rows"], t["cells"], t["row_totals"], strict=True):
            for column, value in zip(t["columns"], cells, strict=True):
                writer.writerow((name, row, column, value, ""))
            writer.writerow((name, row, "Total", total, ""))
        for column, value in zip(t["columns"], t["column_totals"], strict=True):
            writer.writerow((name, "Total", column, value, ""))
        writer.writerow((name, "Total", "Total", t["total"], ""))
    for g in data["directory_gaps"]["rows"]:
        writer.writerow(("directory_gaps", g["county"], g["category"], g["searches"],
                         f"no active service verified recently; {g['unverified_services']} not recently verified"))
    return out.getvalue()
