"""HSDS 3.0 import: the official examples, a broken copy, CSV tables, idempotence, dry runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resources.db import session_factory
from resources.importer import import_paths
from resources.models import Service
from tests.hsds_support import (
    EXAMPLES,
    counts,
    dump,
    example_map,
    load_json,
    localised,
    sqlite_engine,
    write_tabular,
)

# Examples with no place in them import as published.
AS_PUBLISHED = {"base.json": 0, "organization_list.json": 0, "service_list.json": 1, "taxonomy.json": 0,
                "taxonomy_list.json": 0, "taxonomy_term.json": 0, "taxonomy_term_list.json": 0}
# Examples whose location is a placeholder off the planet (latitude 100, longitude 101) with a UK postcode
# in a US address: refused as published, imported once that place is a real one.
PLACEHOLDER = ("service_full.json", "organization_full.json", "service_at_location_full.json",
               "service_at_location_list.json", "location.json", "tabular.json")


@pytest.mark.parametrize(("name", "services"), sorted(AS_PUBLISHED.items()))
def test_official_example_imports_as_published(tmp_path: Path, name: str, services: int) -> None:
    engine = sqlite_engine(tmp_path)
    report = import_paths(engine, [EXAMPLES / name], taxonomy=example_map())
    assert report.ok, "\n".join(map(str, report.problems))
    assert counts(engine)[0] == services
    if name == "organization_list.json":
        assert counts(engine)[1] == 1


@pytest.mark.parametrize("name", PLACEHOLDER)
def test_official_example_with_placeholder_place_is_refused_then_imports(tmp_path: Path, name: str) -> None:
    engine = sqlite_engine(tmp_path)
    report = import_paths(engine, [EXAMPLES / name], taxonomy=example_map())
    messages = [str(p) for p in report.problems]
    assert any("latitude" in m and "out of range" in m and "100" in m for m in messages), messages
    assert counts(engine) == (0, 0)

    fixed = tmp_path / name
    fixed.write_text(localised((EXAMPLES / name).read_text()))
    if name == "tabular.json":
        fixed = write_tabular(load_json(fixed), tmp_path / "tables")
    report = import_paths(engine, [fixed], taxonomy=example_map())
    if name == "location.json":  # a place on its own: checked, but there is no service to attach it to
        assert report.ok and counts(engine)[0] == 0
        return
    if name == "service_at_location_list.json":  # its location has coordinates but no address at all
        assert [(p.field, p.message) for p in report.problems] == [
            ("addresses", "needs an address with at least a city")]
        assert counts(engine) == (0, 0)
        return
    assert report.ok, "\n".join(map(str, report.problems))
    with session_factory(engine)() as session:
        service = session.get(Service, "ac148810-d857-441c-9679-408f346de14b")
        assert service is not None
        assert [c.category for c in service.categories] == ["mental_health"]
        assert service.minimum_age == 12 and service.maximum_age == 100
        assert service.alert and service.alert.startswith("Following COVID-19")
        assert service.verified_on.isoformat() == "2005-01-01"
        assert {p.number for p in service.phones} == {"+44 1234 234567"}
        location = service.service_at_locations[0].location
        assert (location.latitude, location.longitude) == (38.5816, -121.4944)
        assert location.address is not None and location.address.address_1 == "1-30 Main Street"


def _broken_service(tmp_path: Path) -> Path:
    doc = json.loads(localised((EXAMPLES / "service_full.json").read_text()))
    doc["phones"][0]["number"] = "12345"
    doc["service_at_locations"][0]["location"]["latitude"] = 123.4
    schedule = doc["schedules"][0]
    schedule.pop("valid_to")
    schedule.update(opens_at="18:00", closes_at="10:00")
    doc["attributes"].append({"id": "0b7c7f2e-2f62-4a8e-9f7e-0f5d0c5d8a11", "taxonomy_term": {
        "id": "0b7c7f2e-2f62-4a8e-9f7e-0f5d0c5d8a12", "name": "snacks", "description": "",
        "taxonomy": "youth-navigator/category", "code": "snacks"}})
    doc["minimum_age"] = "twelve"
    doc["email"] = "not-an-email"
    twin = dict(doc)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps([doc, twin]))
    return path


def test_broken_copy_imports_nothing_and_reports_every_problem_with_path_and_field(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(json.loads(localised((EXAMPLES / "service_list.json").read_text()))))
    broken = _broken_service(tmp_path)
    report = import_paths(engine, [good, broken], taxonomy=example_map())
    messages = [str(p) for p in report.problems]
    expected = [
        "broken.json: $[0].phones[0]: number: not a US phone number",
        "broken.json: $[0].service_at_locations[0].location: latitude: out of range",
        "broken.json: $[0].schedules[0]: closes_at: closes_at 10:00 is before opens_at 18:00",
        "broken.json: $[0]: categories: unknown category 'snacks'",
        "broken.json: $[0]: minimum_age: must be a whole number",
        "broken.json: $[0]: email: not an email address",
        "broken.json: $[1]: id: duplicate id 'ac148810-d857-441c-9679-408f346de14b'",
    ]
    for text in expected:
        assert any(text in m for m in messages), f"missing {text!r} in:\n" + "\n".join(messages)
    assert counts(engine) == (0, 0), "the good file must not be imported either"


def test_overnight_hours_need_to_be_marked(tmp_path: Path) -> None:
    doc = json.loads(localised((EXAMPLES / "service_full.json").read_text()))
    schedule = doc["schedules"][0]
    schedule.pop("valid_to")
    schedule.update(opens_at="20:00", closes_at="02:00", notes="Overnight drop-in", byday="FR,SA")
    path = tmp_path / "overnight.json"
    path.write_text(json.dumps(doc))
    engine = sqlite_engine(tmp_path)
    report = import_paths(engine, [path], taxonomy=example_map())
    assert report.ok, report.problems
    with session_factory(engine)() as session:
        hours = sorted((s.weekday, s.opens_min, s.closes_min) for s in session.get(Service, doc["id"]).schedules)
    assert hours == [(4, 1200, 1560), (5, 1200, 1560)]


@pytest.mark.parametrize(("notes", "closes"), [
    ("Closed on holidays", True), ("Mon-Fri, except holidays", True), ("Holidays: closed", True),
    ("closed Sundays and major holidays", True), ("Open on holidays too", False), ("", False),
])
def test_holiday_closing_is_read_from_schedule_notes(tmp_path: Path, notes: str, closes: bool) -> None:
    doc = json.loads(localised((EXAMPLES / "service_full.json").read_text()))
    schedule = doc["schedules"][0]
    schedule.pop("valid_to")
    schedule.update(opens_at="09:00", closes_at="17:00", notes=notes, byday="MO,TU,WE,TH,FR")
    path = tmp_path / "holidays.json"
    path.write_text(json.dumps(doc))
    engine = sqlite_engine(tmp_path)
    report = import_paths(engine, [path], taxonomy=example_map())
    assert report.ok, report.problems
    with session_factory(engine)() as session:
        assert session.get(Service, doc["id"]).closed_on_holidays is closes


def test_unknown_taxonomy_term_is_an_error_without_a_map(tmp_path: Path) -> None:
    path = tmp_path / "svc.json"
    path.write_text(localised((EXAMPLES / "service_full.json").read_text()))
    report = import_paths(sqlite_engine(tmp_path), [path])
    assert any("no taxonomy term maps to a navigator category" in str(p) and "code='code'" in str(p)
               for p in report.problems), report.problems


def test_reimport_is_idempotent_and_dry_run_changes_nothing(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path)
    path = tmp_path / "org.json"
    path.write_text(localised((EXAMPLES / "organization_full.json").read_text()))
    dry = import_paths(engine, [path], dry_run=True, taxonomy=example_map())
    assert dry.ok and dry.created == ["ac148810-d857-441c-9679-408f346de14b"]
    assert counts(engine) == (0, 0)
    first = import_paths(engine, [path], taxonomy=example_map())
    assert first.created == dry.created
    before = dump(engine)
    second = import_paths(engine, [path], taxonomy=example_map())
    assert second.ok and not second.created and not second.updated
    assert second.unchanged == first.created
    assert dump(engine) == before

    changed = json.loads(path.read_text())
    changed["services"][0]["name"] = "Community Counselling (renamed)"
    path.write_text(json.dumps(changed))
    dry = import_paths(engine, [path], dry_run=True, taxonomy=example_map())
    assert dry.updated == ["ac148810-d857-441c-9679-408f346de14b"]
    assert dump(engine) == before
    assert import_paths(engine, [path], taxonomy=example_map()).updated == dry.updated
    assert dump(engine) != before


def test_csv_tables_report_file_and_line(tmp_path: Path) -> None:
    tables = load_json(EXAMPLES / "tabular.json")
    tables = json.loads(localised(json.dumps(tables)))
    tables["phones.csv"][0]["number"] = "call us"
    folder = write_tabular(tables, tmp_path / "tables")
    report = import_paths(sqlite_engine(tmp_path), [folder], taxonomy=example_map())
    assert any(str(p).endswith("phones.csv:2: number: not a US phone number (nor a +country number): 'call us'")
               for p in report.problems), report.problems


def test_curated_yaml_imports_through_the_same_command(tmp_path: Path) -> None:
    from resources.curated import seed_files

    engine = sqlite_engine(tmp_path)
    report = import_paths(engine, [seed_files()[0]])
    assert report.ok and report.created
