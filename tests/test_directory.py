"""The directory's service layer: gazetteer, request parser, schedules, validation, loading and search."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from resources.curated import read_curated_file, seed_files
from resources.db import make_engine, session_factory
from resources.geo import build_gazetteer_data, gazetteer
from resources.loader import load_curated
from resources.models import Service
from resources.query import parse_age, parse_request
from resources.records import dial_digits
from resources.schedule import PACIFIC, Opening, describe_hours, is_open, next_opening
from resources.search import SearchQuery, search

GAZ = gazetteer()


@pytest.mark.parametrize(
    ("text", "name", "county"),
    [
        ("need somewhere safe to sleep tonight im in east oakland, im 16", "East Oakland", "Alameda"),
        ("therapist for my 15 yo in Fresno", "Fresno", "Fresno"),
        ("food near 95823", "Sacramento 95823", "Sacramento"),
        ("lgbtq friendly shelter in sf", "San Francisco", "San Francisco"),
        ("near the tenderloin", "Tenderloin", "San Francisco"),
        ("san joaquin county", "San Joaquin County", "San Joaquin"),
        ("im in orange", "Orange", "Orange"),
    ],
)
def test_gazetteer_finds_the_place(text: str, name: str, county: str) -> None:
    place = GAZ.find_in_text(text)
    assert place is not None and place.name == name and place.county == county


@pytest.mark.parametrize("text", ["orange juice please", "hope you can help", "i need a lawyer", "la la la"])
def test_everyday_words_are_not_places(text: str) -> None:
    assert GAZ.find_in_text(text) is None


def test_compiled_gazetteer_matches_its_sources() -> None:
    import json

    from resources.geo import GAZETTEER_FILE

    assert json.loads(GAZETTEER_FILE.read_text()) == json.loads(json.dumps(build_gazetteer_data()))


@pytest.mark.parametrize(
    ("text", "categories", "age", "caregiver"),
    [
        ("need somewhere safe to sleep tonight im in east oakland, im 16", ("shelter",), 16, False),
        ("where can I find a therapist who knows about exploitation for my 15 yo in Fresno",
         ("mental_health", "csec_services"), 15, True),
        ("clinic for plan b", ("medical", "sexual_health"), None, False),
        ("somewhere to crash", ("shelter",), None, False),
        ("lawyer for my court date", ("legal",), None, False),
        ("my foster daughter is 14 and needs a doctor", ("medical",), 14, True),
    ],
)
def test_parser_reads_needs_age_and_who_is_asking(text, categories, age, caregiver) -> None:
    parsed = parse_request(text, GAZ)
    assert parsed.categories == categories
    assert parsed.age == age
    assert parsed.caregiver is caregiver


def test_parser_reads_preferences() -> None:
    assert "lgbtq_affirming" in parse_request("trans friendly shelter", GAZ).tags
    assert "parenting_youth" in parse_request("me and my baby need a place", GAZ).tags
    assert parse_request("skip", GAZ).skip_location


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_parser_never_crashes(text: str) -> None:
    parsed = parse_request(text, GAZ)
    assert parsed.age is None or 5 <= parsed.age <= 25


def test_numbers_that_are_not_ages() -> None:
    assert parse_age("i have 300 dollars") is None
    assert parse_age("95823") is None


def test_dial_digits_reads_printed_formats() -> None:
    assert dial_digits("415-441-KIDS (5437)") == "4154415437"
    assert dial_digits("1-888-373-7888") == "8883737888"
    assert dial_digits("call us") is None


def _at(weekday: int, hour: int, minute: int = 0) -> dt.datetime:
    monday = dt.datetime(2026, 11, 23, tzinfo=PACIFIC)  # a Monday
    return monday + dt.timedelta(days=weekday, hours=hour, minutes=minute)


def test_schedule_open_now_including_overnight() -> None:
    weekdays = [Opening(d, 9 * 60, 17 * 60) for d in range(5)]
    assert is_open(False, weekdays, _at(0, 10)) is True
    assert is_open(False, weekdays, _at(0, 17)) is False
    assert is_open(False, weekdays, _at(5, 10)) is False
    overnight = [Opening(4, 20 * 60, 26 * 60)]  # Friday 8pm – Saturday 2am
    assert is_open(False, overnight, _at(4, 23)) is True
    assert is_open(False, overnight, _at(5, 1, 30)) is True
    assert is_open(False, overnight, _at(5, 2, 30)) is False
    assert is_open(True, [], _at(3, 3)) is True
    assert is_open(False, [], _at(3, 3)) is None


def test_next_opening_and_summary() -> None:
    weekdays = [Opening(d, 8 * 60, 17 * 60) for d in range(5)]
    upcoming = next_opening(False, weekdays, _at(4, 18))  # Friday evening → Monday 8am
    assert upcoming is not None and upcoming.weekday() == 0 and upcoming.hour == 8
    assert describe_hours(False, weekdays) == "Mon–Fri 8am–5pm"
    assert describe_hours(True, []) == "Open 24/7"
    assert describe_hours(False, []) == "Call for hours"


def test_every_seed_file_is_valid_and_cites_its_sources() -> None:
    for path in seed_files():
        organizations, problems = read_curated_file(path, GAZ)
        assert not problems, "\n".join(map(str, problems))
        for org in organizations:
            for service in org.services:
                assert service.source_url.startswith("http"), service.id
                assert service.verified_on <= dt.date.today()


def test_the_curated_directory_is_big_enough() -> None:
    counties = set()
    organizations = 0
    for path in seed_files():
        records, _ = read_curated_file(path, GAZ)
        organizations += len(records)
        counties.add(path.stem)
    assert organizations >= 60
    assert {"alameda", "san_francisco", "los_angeles", "sacramento", "fresno", "san_diego", "san_joaquin",
            "santa_clara"} <= counties


BROKEN = """
county: Alameda
organizations:
  - id: ala-test
    name: Test
    source_url: https://example.org
    verified_on: 2026-01-01
    services:
      - id: ala-test-1
        name: Good one
        categories: [food]
        phone: "(510) 555-0100"
      - id: ala-test-2
        name: Bad one
        categories: [snacks]
        phone: "12345"
        hours:
          - {days: [mo], opens: "17:00", closes: "09:00"}
        location: {city: Atlantis}
"""


def test_invalid_file_imports_nothing_and_reports_every_problem(tmp_path: Path) -> None:
    seed = tmp_path / "broken.yaml"
    seed.write_text(BROKEN)
    engine = make_engine(f"sqlite:///{tmp_path / 'dir.db'}")
    report = load_curated(engine, paths=[seed])
    messages = [str(p) for p in report.problems]
    assert any("categories: unknown category 'snacks'" in m for m in messages)
    assert any("phone: not a US phone number" in m for m in messages)
    assert any("closes_at is before opens_at" in m for m in messages)
    assert any("unknown California city" in m for m in messages)
    assert all(m.startswith(str(seed)) or m.startswith("broken.yaml") or ":" in m for m in messages)
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Service)) == 0


def test_loading_twice_changes_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'dir.db'}")
    first = load_curated(engine)
    second = load_curated(engine)
    assert first.ok and second.ok
    assert not second.created and not second.updated
    assert len(second.unchanged) == len(first.created)


@pytest.fixture(scope="module")
def directory_sessions(tmp_path_factory: pytest.TempPathFactory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('dir') / 'dir.db'}")
    assert load_curated(engine).ok
    return session_factory(engine)


def test_search_ranks_by_distance_and_respects_age(directory_sessions) -> None:
    place = GAZ.by_name("san francisco")
    with directory_sessions() as session:
        result = search(session, SearchQuery(categories=("shelter",), place=place, age=16))
    local = [h for h in result.hits if h.distance_km is not None]
    assert local, "expected located shelters near San Francisco"
    assert [h.distance_km for h in local] == sorted(h.distance_km for h in local)
    with directory_sessions() as session:
        for hit in result.hits:
            service = session.get(Service, hit.id)
            assert service.minimum_age is None or service.minimum_age <= 16
            assert service.maximum_age is None or service.maximum_age >= 16


def test_search_without_a_place_gives_statewide_lines(directory_sessions) -> None:
    with directory_sessions() as session:
        result = search(session, SearchQuery(categories=("shelter",)))
    assert result.hits and all(h.scope == "statewide" for h in result.hits)
    assert any(h.phone == "1-800-786-2929" for h in result.hits)


def test_confidential_addresses_are_never_shown(directory_sessions) -> None:
    from resources.models import Location

    with directory_sessions() as session:
        confidential = session.scalars(select(Location).where(Location.confidential.is_(True))).all()
        for location in confidential:
            assert location.address is None or location.address.address_1 is None


@pytest.mark.parametrize("place_name", ["east oakland", "fresno", "95823", "san diego", "stockton", "san jose"])
def test_every_card_can_be_reached(directory_sessions, place_name: str) -> None:
    from resources.models import CATEGORIES

    place = GAZ.find_in_text(place_name)
    with directory_sessions() as session:
        for category in CATEGORIES:
            for hit in search(session, SearchQuery(categories=(category,), place=place)).hits:
                reachable = hit.phone or hit.text or hit.url or not hit.address.endswith(("call for address",
                                                                                           "Call for details"))
                assert reachable, f"{hit.id} has no way to reach it"


@pytest.mark.parametrize(
    ("text", "categories", "place", "age", "caregiver"),
    [
        ("necesito un lugar pa dormir en fresno", ("shelter",), "Fresno", None, False),
        ("ando en la calle, tengo 16", ("shelter",), None, 16, False),
        ("mi hija de crianza de 15 necesita una clínica en San José", ("medical",), "San Jose", 15, True),
        ("comida cerca de 95823", ("food",), "Sacramento 95823", None, False),
        ("necesito un shelter en oakland", ("shelter",), "Oakland", None, False),
        ("donde consigo la pastilla del día siguiente en sacramento", ("sexual_health",), "Sacramento", None, False),
        ("soy trabajadora social, busco terapia para una joven de 14", ("mental_health",), None, 14, True),
        ("me corté", (), None, None, False),
        ("se trata de otra cosa", (), None, None, False),
        ("comida en LA", ("food",), "Los Angeles", None, False),
    ],
)
def test_parser_reads_spanish_and_spanglish(text, categories, place, age, caregiver) -> None:
    parsed = parse_request(text, GAZ, "es")
    assert parsed.categories == categories
    assert (parsed.place.name if parsed.place else None) == place
    assert parsed.age == age
    assert parsed.caregiver is caregiver


def test_spanish_skip_words_and_english_behaviour_unchanged() -> None:
    assert parse_request("prefiero no decir", GAZ, "es").skip_location
    assert not parse_request("prefiero no decir", GAZ).skip_location
    assert parse_request("necesito comida", GAZ).categories == ()  # English conversations read English words only
    assert parse_request("i need food", GAZ, "es").categories == ("food",)


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_spanish_parser_never_crashes(text: str) -> None:
    parsed = parse_request(text, GAZ, "es")
    assert parsed.age is None or 5 <= parsed.age <= 25
