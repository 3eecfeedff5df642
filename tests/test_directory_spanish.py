"""The directory for Spanish conversations: services that offer Spanish are preferred, a service's own Spanish
name and description (only from a cited page of its own in Spanish) replace the English ones on its card, and
the card's fixed words (hours, address notes) are in Spanish."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from resources.db import make_engine, session_factory
from resources.geo import gazetteer
from resources.loader import load_curated
from resources.schedule import PACIFIC
from resources.search import SearchQuery, search

# Two food services in one Fresno building, alike in all but language: only the ranking preference can
# order them, so each test below fails if the preference (or the Spanish texts) go away.
SEED = """
county: Fresno
organizations:
  - id: fre-test-org
    name: Test Community Pantry
    source_url: https://example.org/pantry
    verified_on: 2026-11-20
    services:
      - id: fre-test-a-english
        name: A pantry in English only
        description: Free groceries.
        categories: [food]
        phone: "(559) 555-0101"
        languages: [en]
        hours: "24/7"
        location: {address: 1 Test St, city: Fresno, zip: "93721"}
      - id: fre-test-b-bilingual
        name: B pantry with Spanish
        description: Free groceries, staff speak Spanish.
        categories: [food]
        phone: "(559) 555-0102"
        languages: [en, es]
        hours: "24/7"
        location: {address: 1 Test St, city: Fresno, zip: "93721"}
        translations:
          es:
            name: Despensa B en español
            description: Comida gratis; el personal habla español.
            source_url: https://example.org/es/despensa
      - id: fre-test-c-hours
        name: C pantry with hours
        categories: [food]
        phone: "(559) 555-0103"
        hours:
          - {days: [mo, tu, we, th, fr], opens: "09:00", closes: "17:00"}
        location: {city: Fresno, confidential: true}
"""
MONDAY_NIGHT = dt.datetime(2026, 11, 30, 22, 0, tzinfo=PACIFIC)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    folder: Path = tmp_path_factory.mktemp("dir-es")
    seed = folder / "fresno_test.yaml"
    seed.write_text(SEED, encoding="utf-8")
    engine = make_engine(f"sqlite:///{folder / 'dir.db'}")
    report = load_curated(engine, paths=[seed])
    assert report.ok, [str(p) for p in report.problems]
    return engine


def _hits(engine: Engine, language: str | None) -> list:
    place = gazetteer().by_name("fresno")
    with session_factory(engine)() as session:
        result = search(session, SearchQuery(categories=("food",), place=place, language=language,
                                             now=MONDAY_NIGHT))
    return [h for h in result.hits if h.id.startswith("fre-test-")]


def test_spanish_conversations_prefer_services_that_offer_spanish(engine: Engine) -> None:
    assert [h.id for h in _hits(engine, None)][:2] == ["fre-test-a-english", "fre-test-b-bilingual"]
    assert [h.id for h in _hits(engine, "es")][:2] == ["fre-test-b-bilingual", "fre-test-a-english"]


def test_a_services_own_spanish_name_and_description_are_used_in_spanish_only(engine: Engine) -> None:
    spanish = {h.id: h for h in _hits(engine, "es")}
    english = {h.id: h for h in _hits(engine, None)}
    assert spanish["fre-test-b-bilingual"].name == "Despensa B en español"
    assert spanish["fre-test-b-bilingual"].description == "Comida gratis; el personal habla español."
    assert english["fre-test-b-bilingual"].name == "B pantry with Spanish"
    # Without a Spanish text of its own, a service keeps its name: we never translate names ourselves.
    assert spanish["fre-test-a-english"].name == "A pantry in English only"


def test_card_words_are_in_the_conversations_language(engine: Engine) -> None:
    spanish = {h.id: h for h in _hits(engine, "es")}
    english = {h.id: h for h in _hits(engine, None)}
    assert spanish["fre-test-a-english"].hours == "Abierto 24/7"
    closed = spanish["fre-test-c-hours"]
    assert closed.hours == "lun–vie 9am–5pm" and closed.opens_next == "9am mañana"
    assert closed.address == "Fresno — te dan la dirección cuando llamas (es privada, por seguridad)"
    assert english["fre-test-c-hours"].hours == "Mon–Fri 9am–5pm"
    assert english["fre-test-c-hours"].opens_next == "9am tomorrow"


def test_reloading_a_changed_translation_updates_it(engine: Engine, tmp_path: Path) -> None:
    seed = tmp_path / "fresno_test.yaml"
    seed.write_text(SEED.replace("Despensa B en español", "Despensa B"), encoding="utf-8")
    report = load_curated(engine, paths=[seed])
    assert report.ok and report.updated
    assert {h.id: h for h in _hits(engine, "es")}["fre-test-b-bilingual"].name == "Despensa B"
    seed.write_text(SEED, encoding="utf-8")
    assert load_curated(engine, paths=[seed]).ok


@pytest.mark.parametrize(("translations", "problem"), [
    ("{es: {name: Despensa}}", "needs the http(s) page in that language"),
    ("{es: {source_url: 'https://example.org/es'}}", "needs a name or a description"),
    ("{en: {name: Pantry, source_url: 'https://example.org'}}", "not another language's code"),
    ("[es]", "must map a language code"),
])
def test_a_translation_without_its_page_or_text_is_refused(tmp_path: Path, translations: str, problem: str) -> None:
    seed = tmp_path / "bad.yaml"
    seed.write_text(SEED.replace("""translations:
          es:
            name: Despensa B en español
            description: Comida gratis; el personal habla español.
            source_url: https://example.org/es/despensa""", f"translations: {translations}"), encoding="utf-8")
    report = load_curated(make_engine(f"sqlite:///{tmp_path / 'dir.db'}"), paths=[seed])
    assert not report.ok and any(problem in str(p) for p in report.problems), [str(p) for p in report.problems]


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=6), st.one_of(st.none(), st.text(max_size=20), st.integers(),
                                                      st.dictionaries(st.text(max_size=12), st.text(max_size=30),
                                                                      max_size=4)), max_size=3))
def test_the_translations_field_never_crashes_the_reader(value: dict) -> None:
    """Whatever a curator types under `translations`, the reader reports problems instead of failing."""
    from resources.curated import _translations
    from resources.records import ServiceRecord, validate_service

    problems: list = []
    records = _translations(value, "x.yaml:1", problems)
    # Every entry is either read or reported, never silently dropped.
    assert len(records) + len(problems) == len(value)
    record = ServiceRecord(id="x", name="x", description="", categories=["food"], source_url="https://example.org",
                           verified_on=dt.date(2026, 1, 1), translations=records)
    found = validate_service(record, set())
    good = [r for r in records if r.language not in ("en", "") and r.source_url.startswith("https://")
            and (r.name or r.description) and len(r.name or "") <= 300]
    if len(good) < len(records):
        assert any(p.field == "translations" for p in found)
