"""HSDS 3.0 export: valid against the official schemas, round trip, confidential locations, curation."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import text

from resources.curation import CurationError, history, restore, retire, set_alert, stale
from resources.db import create_schema, make_engine, session_factory
from resources.export import export_document, write_export
from resources.geo import gazetteer
from resources.importer import import_paths
from resources.loader import load_curated
from resources.models import Service
from resources.search import SearchQuery, search
from tests.hsds_support import HSDS, dump, example_map, localised, sqlite_engine
from tests.services import unavailable

CONFIDENTIAL = """
county: Alameda
organizations:
  - id: ala-safe-house
    name: Test Safe House
    source_url: https://example.org/safe
    verified_on: 2026-01-05
    services:
      - id: ala-safe-house-beds
        name: Emergency beds
        categories: [shelter]
        phone: "(510) 555-0142"
        hours: "24/7"
        location: {address: 742 Hidden Lane, city: Oakland, zip: "94607", confidential: true}
      - id: ala-safe-house-evening
        name: Evening drop-in
        categories: [drop_in]
        phone: "(510) 555-0143"
        verified_on: 2025-01-02
        closed_on_holidays: true
        hours:
          - {days: [fr, sa], opens: "20:00", closes: "02:00", overnight: true}
          - {days: [mo, tu], opens: "09:00", closes: "24:00"}
        location: {address: 1 Open St, city: Oakland, zip: "94612"}
"""


def _validators() -> tuple[jsonschema.Draft202012Validator, jsonschema.Draft202012Validator]:
    assert HSDS is not None
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    assert "uuid" in checker.checkers and "email" in checker.checkers
    load = lambda name: json.loads((HSDS / "compiled" / name).read_text())  # noqa: E731
    return (jsonschema.Draft202012Validator(load("organization.json"), format_checker=checker),
            jsonschema.Draft202012Validator(load("service.json"), format_checker=checker))


@pytest.fixture()
def directory(tmp_path: Path):
    """The curated seed, the hotlines, an official example and a confidential shelter, in one database."""
    engine = sqlite_engine(tmp_path, "a.db")
    assert load_curated(engine).ok
    example = tmp_path / "example.json"
    example.write_text(localised((HSDS / "examples" / "organization_full.json").read_text()))
    extra = tmp_path / "safe.yaml"
    extra.write_text(CONFIDENTIAL)
    report = import_paths(engine, [example, extra], taxonomy=example_map())
    assert report.ok, report.problems
    return engine


def test_export_validates_against_the_official_schemas(directory, tmp_path: Path) -> None:
    organization_schema, service_schema = _validators()
    out = tmp_path / "export.json"
    with session_factory(directory)() as session:
        written = write_export(session, out)
    document = json.loads(out.read_text())
    assert written == sum(len(o["services"]) for o in document["contents"]) > 140
    errors = []
    for org in document["contents"]:
        errors += [f"{org['id']}: {e.json_path}: {e.message}" for e in organization_schema.iter_errors(org)]
        for service in org["services"]:
            errors += [f"{service['id']}: {e.json_path}: {e.message}" for e in service_schema.iter_errors(service)]
    assert not errors, "\n".join(errors[:20])


def test_the_schema_check_can_fail() -> None:
    organization_schema, service_schema = _validators()
    assert list(service_schema.iter_errors({"id": "not-a-uuid", "name": "x", "status": "open"}))
    assert list(organization_schema.iter_errors({"id": str(uuid.uuid4()), "name": "x"}))  # no description


def test_round_trip_import_of_export_equals_the_directory(directory, tmp_path: Path) -> None:
    out = tmp_path / "export.json"
    with session_factory(directory)() as session:
        write_export(session, out)
    copy = sqlite_engine(tmp_path, "b.db")
    report = import_paths(copy, [out])
    assert report.ok, report.problems[:10]
    original, copied = dump(directory), dump(copy)
    assert original["services"].keys() == copied["services"].keys()
    for service_id, fields in original["services"].items():
        assert copied["services"][service_id] == fields, service_id
    assert copied == original
    # and a second round changes nothing at all
    again = import_paths(copy, [out])
    assert not again.created and not again.updated


def test_round_trip_sees_a_difference(directory, tmp_path: Path) -> None:
    out = tmp_path / "export.json"
    with session_factory(directory)() as session:
        document = export_document(session)
    document["contents"][0]["services"][0]["name"] += " (edited)"
    out.write_text(json.dumps(document))
    copy = sqlite_engine(tmp_path, "b.db")
    assert import_paths(copy, [out]).ok
    assert dump(copy) != dump(directory)


def test_confidential_location_never_leaves_beyond_city_and_county(directory) -> None:
    with session_factory(directory)() as session:
        document = json.dumps(export_document(session))
        service = session.get(Service, "ala-safe-house-beds")
        location = service.service_at_locations[0].location
        oakland = gazetteer().by_name("Oakland")
        assert (location.latitude, location.longitude) == (oakland.latitude, oakland.longitude)
        assert location.address.address_1 is None and location.address.postal_code is None
        cards = [h.to_card() for h in search(session, SearchQuery(categories=("shelter",), place=oakland)).hits]
    assert "Hidden Lane" not in document
    safe_house = next(o for o in json.loads(document)["contents"] if o["name"] == "Test Safe House")
    beds = next(s for s in safe_house["services"] if s["name"] == "Emergency beds")
    assert "94607" not in json.dumps(beds) and "742" not in json.dumps(beds)
    address = beds["service_at_locations"][0]["location"]["addresses"][0]
    assert (address["address_1"], address["postal_code"], address["city"]) == ("", "", "Oakland")
    card = next(c for c in cards if c["id"] == "ala-safe-house-beds")
    assert "Hidden" not in json.dumps(cards) and "94607" not in json.dumps(cards)
    assert card["address"].startswith("Oakland — address shared when you call")
    assert set(card) >= {"id", "name", "organization", "category", "description", "phone", "phone_dial", "text",
                         "url", "address", "open_now", "hours", "opens_next", "distance_km", "verified_on",
                         "source_url", "alert"}


def test_stale_retire_and_history(directory) -> None:
    sessions = session_factory(directory)
    oakland = gazetteer().by_name("Oakland")
    with sessions() as session:
        old = [s.id for s in stale(session, 180, today=dt.date(2026, 1, 10))]
        assert "ala-safe-house-evening" in old and "ala-safe-house-beds" not in old
        assert "ala-safe-house-evening" not in [s.id for s in stale(session, 400, today=dt.date(2026, 1, 10))]
    with sessions() as session, session.begin():
        retire(session, "ala-safe-house-beds", reason="closed for good")
    with sessions() as session:
        hits = search(session, SearchQuery(categories=("shelter",), place=oakland)).hits
        assert "ala-safe-house-beds" not in {h.id for h in hits}
        service = session.get(Service, "ala-safe-house-beds")
        assert service.status == "inactive" and service.retired_on == dt.date.today()
        assert [h.action for h in history(session, "ala-safe-house-beds")] == ["created", "retired"]
        assert "ala-safe-house-beds" not in [s.id for s in stale(session, 0, today=dt.date(2030, 1, 1))]
        with pytest.raises(CurationError):
            retire(session, "ala-safe-house-beds")
        with pytest.raises(CurationError):
            retire(session, "no-such-service")


def test_reimport_does_not_revive_a_retired_service(directory, tmp_path: Path) -> None:
    sessions = session_factory(directory)
    with sessions() as session, session.begin():
        retire(session, "ala-safe-house-beds")
    extra = tmp_path / "safe.yaml"
    report = import_paths(directory, [extra])
    assert report.ok and any("retired" in str(w) for w in report.warnings)
    with sessions() as session:
        assert session.get(Service, "ala-safe-house-beds").status == "inactive"
    with sessions() as session, session.begin():
        restore(session, "ala-safe-house-beds")
    with sessions() as session:
        hits = search(session, SearchQuery(categories=("shelter",), place=gazetteer().by_name("Oakland"))).hits
        assert "ala-safe-house-beds" in {h.id for h in hits}


def test_alert_is_carried_into_cards(directory) -> None:
    sessions = session_factory(directory)
    oakland = gazetteer().by_name("Oakland")
    with sessions() as session, session.begin():
        set_alert(session, "ala-safe-house-beds", "Closed for repairs until Dec 3", closed=True)
        set_alert(session, "ala-safe-house-evening", "Hours changed: now opens 21:00")
    with sessions() as session:
        cards = {h.id: h.to_card() for h in search(session, SearchQuery(categories=("shelter", "drop_in"),
                                                                          place=oakland)).hits}
        closed = cards["ala-safe-house-beds"]
        assert closed["alert"] == "Closed for repairs until Dec 3" and closed["open_now"] is False
        assert cards["ala-safe-house-evening"]["alert"] == "Hours changed: now opens 21:00"
        assert list(cards).index("ala-safe-house-beds") == len(cards) - 1 or all(
            c["open_now"] is False or c["id"] != "ala-safe-house-beds" for c in cards.values())


def test_cli_import_export_stale_retire(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from resources.__main__ import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    seed = tmp_path / "safe.yaml"
    seed.write_text(CONFIDENTIAL)
    assert main(["import", str(seed), "--dry-run"]) == 0
    assert "ala-safe-house-beds" in capsys.readouterr().out
    assert main(["import", str(seed)]) == 0
    assert main(["export", str(tmp_path / "out.json")]) == 0
    assert main(["stale", "--days", "180"]) == 0
    assert "ala-safe-house-evening" in capsys.readouterr().out
    assert main(["retire", "ala-safe-house-beds"]) == 0
    assert main(["retire", "nope"]) == 1
    assert main(["generate", "--services", "5"]) == 1, "must refuse a database with real services"
    bad = tmp_path / "bad.yaml"
    bad.write_text(CONFIDENTIAL.replace('"(510) 555-0142"', '"555"'))
    assert main(["import", str(bad)]) == 1
    assert "nothing was written" in capsys.readouterr().err


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        engine = make_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return url
    except Exception:
        return None


def test_round_trip_on_postgres(tmp_path: Path) -> None:
    url = _postgres_url()
    if url is None:
        unavailable("PostgreSQL at 127.0.0.1:5432 (database test, trust auth)")  # fails under .ci/run
    schema = f"hsds_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        engine = make_engine(url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}")
        create_schema(engine)
        seed = tmp_path / "safe.yaml"
        seed.write_text(CONFIDENTIAL)
        assert load_curated(engine).ok
        assert import_paths(engine, [seed]).ok
        out = tmp_path / "export.json"
        with session_factory(engine)() as session:
            write_export(session, out)
        sqlite_copy = sqlite_engine(tmp_path, "copy.db")
        assert import_paths(sqlite_copy, [out]).ok
        assert dump(sqlite_copy) == dump(engine)
        engine.dispose()
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_search_index_follows_reimport_and_rebuilds(directory, tmp_path: Path) -> None:
    from sqlalchemy import delete

    from resources.models import SearchPoint

    moved = tmp_path / "moved.yaml"
    moved.write_text(CONFIDENTIAL.replace("{address: 1 Open St, city: Oakland, zip: \"94612\"}",
                                          "{address: 1 Open St, city: Fresno, zip: \"93721\"}"))
    report = import_paths(directory, [moved])
    assert report.updated == ["ala-safe-house-evening"]
    fresno, oakland = gazetteer().by_name("Fresno"), gazetteer().by_name("Oakland")
    sessions = session_factory(directory)

    def local_ids(place) -> set[str]:
        with sessions() as session:
            hits = search(session, SearchQuery(categories=("drop_in",), place=place, radius_km=25.0)).hits
        return {h.id for h in hits if h.scope == "local"}

    assert "ala-safe-house-evening" in local_ids(fresno)
    assert "ala-safe-house-evening" not in local_ids(oakland)
    before = local_ids(fresno)
    with sessions() as session, session.begin():
        session.execute(delete(SearchPoint))  # as in a database built before the table existed
    assert not local_ids(fresno)
    create_schema(directory)
    assert local_ids(fresno) == before


def test_generate_fills_an_empty_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from resources.__main__ import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bench.db'}")
    assert main(["generate", "--services", "40"]) == 0
    engine = sqlite_engine(tmp_path, "bench.db")
    services = dump(engine)["services"]
    assert len(services) == 40
    assert all(s["name"].startswith("Synthetic Service") for s in services.values())
    assert all("555-01" in phone[2] for s in services.values() for phone in s["phones"])
