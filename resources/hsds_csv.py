"""HSDS 3.0 tabular data (organizations.csv, services.csv, locations.csv, phones.csv, schedules.csv, ...) →
the nested objects `resources.hsds` reads, each row tagged with its `file.csv:line`."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

from resources.hsds import WHERE, HsdsReader

# Tables this importer reads; the other HSDS tables (funding, programs, contacts, ...) carry nothing the
# navigator stores and are skipped without comment.
READ = ("organizations", "services", "locations", "service_at_locations", "service_at_location", "phones",
        "schedules", "addresses", "languages", "service_areas", "attributes", "taxonomy_terms")
KNOWN = (*READ, "programs", "contacts", "funding", "required_documents", "accessibility", "metadata",
         "meta_table_descriptions", "cost_options", "organization_identifiers", "taxonomies")


def read_tables(paths: list[Path], reader: HsdsReader, label: Any) -> None:
    """One tabular dataset (its CSV files) into the reader's batch."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for path in paths:
        name = path.stem.lower()
        if name not in KNOWN:
            reader.warn(label(path), "file", "not an HSDS table this importer reads; left out")
            continue
        if name in READ:
            rows = _rows(path, reader, label(path))
            if rows is not None:
                tables["service_at_locations" if name == "service_at_location" else name] = rows
    assemble(tables, reader)


def is_tabular_json(doc: Any) -> bool:
    return isinstance(doc, dict) and bool(doc) and all(str(k).endswith(".csv") for k in doc)


def read_tabular_json(doc: dict[str, Any], reader: HsdsReader, where: str) -> None:
    """The tables as JSON (`{"services.csv": [{row}, ...], ...}`, like the official tabular.json example)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for key, rows in doc.items():
        name = key.removesuffix(".csv").lower()
        if name not in KNOWN:
            reader.warn(f"{where}[{key!r}]", "table", "not an HSDS table this importer reads; left out")
            continue
        if name not in READ:
            continue
        if not isinstance(rows, list):
            reader.bad(f"{where}[{key!r}]", "table", "must be a list of rows")
            continue
        clean_rows = []
        for i, row in enumerate(rows):
            at = f"{where}[{key!r}][{i}]"
            if not isinstance(row, dict):
                reader.bad(at, "row", "must be an object")
                continue
            clean_rows.append({**{k: v for k, v in row.items() if v not in ("", None)}, WHERE: at})
        tables["service_at_locations" if name == "service_at_location" else name] = clean_rows
    assemble(tables, reader)


def assemble(tables: dict[str, list[dict[str, Any]]], reader: HsdsReader) -> None:
    by = _Index(tables)
    for term in tables.get("taxonomy_terms", []):
        reader.register_term(term, term[WHERE])
    for loc in tables.get("locations", []):
        loc["addresses"] = by.get("addresses", "location_id", loc.get("id"))
        loc["attributes"] = by.get("attributes", "link_id", loc.get("id"))
        reader.register_location(loc, loc[WHERE])
    for org in tables.get("organizations", []):
        org["attributes"] = by.get("attributes", "link_id", org.get("id"))
        org["phones"] = [p for p in by.get("phones", "organization_id", org.get("id")) if not p.get("service_id")]
        if isinstance(org.get("id"), str) and org["id"] in reader.batch.top_orgs:
            reader.bad(org[WHERE], "id", f"duplicate organization id {org['id']!r}")
            continue
        reader.batch.top_orgs[str(org.get("id"))] = org[WHERE]
        reader.organization(org, org[WHERE])
    for svc in tables.get("services", []):
        svc_id = svc.get("id")
        svc["phones"] = by.get("phones", "service_id", svc_id)
        svc["schedules"] = by.get("schedules", "service_id", svc_id)
        svc["languages"] = by.get("languages", "service_id", svc_id)
        svc["service_areas"] = by.get("service_areas", "service_id", svc_id)
        svc["attributes"] = by.get("attributes", "link_id", svc_id)
        svc["service_at_locations"] = [
            {"location_id": sal.get("location_id"), WHERE: sal[WHERE]}
            for sal in by.get("service_at_locations", "service_id", svc_id)
        ]
        for key in ("phones", "schedules", "languages", "service_areas", "attributes"):
            if not svc[key]:
                del svc[key]
        reader.service(svc, svc[WHERE])


def _rows(path: Path, reader: HsdsReader, where: str) -> list[dict[str, Any]] | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reader.bad(where, "file", f"not readable UTF-8 CSV: {exc}")
        return None
    rows: list[dict[str, Any]] = []
    try:
        parsed = csv.DictReader(text.splitlines(keepends=True))
        if not parsed.fieldnames or "id" not in parsed.fieldnames:
            reader.bad(where, "id", "the CSV needs a header row with an id column")
            return None
        line = 1
        for row in parsed:
            start, line = line + 1, parsed.line_num
            if None in row:
                reader.bad(f"{where}:{start}", "row", "has more cells than the header")
                continue
            clean: dict[str, Any] = {k: (v if v != "" else None) for k, v in row.items() if k}
            clean[WHERE] = f"{where}:{start}"
            rows.append(clean)
    except csv.Error as exc:
        reader.bad(where, "file", f"not readable CSV: {exc}")
        return None
    return rows


class _Index:
    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        self.tables = tables
        self.cache: dict[tuple[str, str], dict[Any, list[dict[str, Any]]]] = {}

    def get(self, table: str, key: str, value: Any) -> list[dict[str, Any]]:
        if (table, key) not in self.cache:
            grouped: dict[Any, list[dict[str, Any]]] = defaultdict(list)
            for row in self.tables.get(table, []):
                grouped[row.get(key)].append(row)
            self.cache[(table, key)] = grouped
        return list(self.cache[(table, key)].get(value, [])) if value is not None else []
