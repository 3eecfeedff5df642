"""Search quality on a small fictional directory (example.org, 555-01xx numbers): holidays and overnight hours in
California time, eligibility filters, ranking by distance, open now, fit and freshness, and honest empty
results."""

from __future__ import annotations

import datetime as dt

import pytest

from resources.db import make_engine, session_factory
from resources.geo import gazetteer
from resources.loader import load_curated
from resources.query import categories_in, parse_request
from resources.schedule import PACIFIC, Opening, california_holidays, describe_hours, holiday, is_open, next_opening
from resources.search import SearchQuery, search

GAZ = gazetteer()
OAKLAND = GAZ.by_zip("94612")  # downtown; 94601 (East Oakland) is 5.4 km away
WEEKDAYS_8_TO_5 = '[{days: [mo, tu, we, th, fr], opens: "08:00", closes: "17:00"}]'
NIGHTS = '[{days: [mo, tu, we, th, fr, sa, su], opens: "20:00", closes: "08:00", overnight: true}]'

DIRECTORY = f"""
county: Alameda
organizations:
  - id: test-org
    name: Synthetic Test Organization
    url: https://example.org/test
    source_url: https://example.org/test
    verified_on: 2026-10-01
    services:
      - id: test-clinic-holidays
        name: Test Clinic A (closes on holidays)
        categories: [medical]
        phone: "(510) 555-0101"
        closed_on_holidays: true
        hours: {WEEKDAYS_8_TO_5}
        location: {{city: Oakland, address: 1 Test Way, zip: "94612"}}
      - id: test-clinic-every-weekday
        name: Test Clinic B
        categories: [medical]
        phone: "(510) 555-0102"
        hours: {WEEKDAYS_8_TO_5}
        location: {{city: Oakland, address: 3 Test Way, zip: "94601"}}
      - id: test-night-shelter
        name: Test Night Shelter (closes on holidays)
        categories: [shelter]
        phone: "(510) 555-0103"
        closed_on_holidays: true
        hours: {NIGHTS}
        min_age: 12
        max_age: 24
        location: {{city: Oakland, confidential: true}}
      - id: test-girls-shelter
        name: Test Shelter for Girls
        categories: [shelter]
        phone: "(510) 555-0104"
        hours: "24/7"
        tags: [girls_only, youth_only]
        min_age: 12
        max_age: 17
        location: {{city: Oakland, confidential: true}}
      - id: test-boys-shelter
        name: Test Shelter for Boys
        categories: [shelter]
        phone: "(510) 555-0105"
        hours: "24/7"
        tags: [boys_only]
        min_age: 12
        max_age: 24
        location: {{city: Oakland, confidential: true}}
      - id: test-adult-shelter
        name: Test Adult Shelter
        categories: [shelter]
        phone: "(510) 555-0106"
        hours: "24/7"
        min_age: 18
        location: {{city: Oakland, address: 5 Test Way, zip: "94612"}}
      - id: test-drop-in-near
        name: Test Drop-in Near
        categories: [drop_in]
        phone: "(510) 555-0107"
        hours: "24/7"
        location: {{city: Oakland, address: 7 Test Way, zip: "94612"}}
      - id: test-drop-in-lgbtq
        name: Test Drop-in LGBTQ+
        categories: [drop_in]
        phone: "(510) 555-0108"
        hours: "24/7"
        tags: [lgbtq_affirming, minors_without_consent]
        location: {{city: Oakland, address: 9 Test Way, zip: "94601"}}
      - id: test-legal-stale
        name: Test Legal A (checked long ago)
        categories: [legal]
        phone: "(510) 555-0109"
        hours: "24/7"
        verified_on: 2024-01-05
        location: {{city: Oakland, address: 11 Test Way, zip: "94612"}}
      - id: test-legal-fresh
        name: Test Legal B (checked recently)
        categories: [legal]
        phone: "(510) 555-0110"
        hours: "24/7"
        location: {{city: Oakland, address: 11 Test Way, zip: "94612"}}
      - id: test-food-day
        name: Test Food B (daytime)
        categories: [food]
        phone: "(510) 555-0111"
        hours: [{{days: [mo, tu, we, th, fr, sa, su], opens: "09:00", closes: "13:00"}}]
        location: {{city: Oakland, address: 13 Test Way, zip: "94612"}}
      - id: test-food-evening
        name: Test Food A (evening)
        categories: [food]
        phone: "(510) 555-0112"
        hours: [{{days: [mo, tu, we, th, fr, sa, su], opens: "17:00", closes: "19:00"}}]
        location: {{city: Oakland, address: 13 Test Way, zip: "94612"}}
"""


def _pacific(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PACIFIC)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("quality")
    seed = folder / "alameda.yaml"
    seed.write_text(DIRECTORY)
    engine = make_engine(f"sqlite:///{folder / 'dir.db'}")
    report = load_curated(engine, paths=[seed])
    assert report.ok, report.problems
    return session_factory(engine)


def _ids(sessions, **query) -> list[str]:
    with sessions() as session:
        return [h.id for h in search(session, SearchQuery(place=OAKLAND, radius_km=25.0, **query)).hits
                if h.scope == "local"]


def _hits(sessions, **query) -> dict:  # type: ignore[type-arg]
    with sessions() as session:
        return {h.id: h for h in search(session, SearchQuery(place=OAKLAND, radius_km=25.0, **query)).hits}


# ---- youth wording ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        ("somewhere to crash", ("shelter",)),
        ("clinic for plan b", ("medical", "sexual_health")),
        ("lawyer for my court date", ("legal",)),
        ("got kicked out and need somewhere to crash tonight", ("shelter",)),
        ("i ran away from home", ("shelter",)),
        ("been sleeping in the park", ("shelter",)),
        ("need to get tested", ("sexual_health",)),
        ("where can i get the morning after pill", ("sexual_health",)),
        ("i need a public defender", ("legal",)),
        ("my friend got arrested", ("legal",)),
        ("he makes me have sex for money", ("csec_services",)),
        ("had sex for a place to stay", ("csec_services", "shelter")),
        ("my tooth hurts so bad", ("medical",)),
        ("safe sex for teens", ("sexual_health",)),
    ],
)
def test_youth_wording_maps_to_categories(text: str, categories: tuple[str, ...]) -> None:
    assert categories_in(text) == categories


def test_eligibility_words_become_preferences() -> None:
    parsed = parse_request("shelter for boys in oakland, im 15", GAZ)
    assert parsed.categories == ("shelter",) and "boys_only" in parsed.tags and parsed.age == 15
    assert "minors_without_consent" in parse_request("clinic without my parents knowing", GAZ).tags
    assert "lgbtq_affirming" in parse_request("trans friendly drop in", GAZ).tags


# ---- holidays and hours in California time ------------------------------------------------------------------


def test_california_state_holidays_are_computed_for_any_year() -> None:
    assert set(california_holidays(2026)) == {
        dt.date(2026, 1, 1), dt.date(2026, 1, 19), dt.date(2026, 2, 16), dt.date(2026, 3, 31),
        dt.date(2026, 5, 25), dt.date(2026, 7, 3), dt.date(2026, 7, 4), dt.date(2026, 9, 7),
        dt.date(2026, 11, 11), dt.date(2026, 11, 26), dt.date(2026, 11, 27), dt.date(2026, 12, 25),
    }  # July 4th 2026 is a Saturday: observed Friday the 3rd
    assert holiday(dt.date(2027, 7, 5)) == "Independence Day (observed)"  # a Sunday: observed Monday
    assert holiday(dt.date(2027, 12, 24)) == "Christmas Day (observed)"  # a Saturday
    assert holiday(dt.date(2027, 12, 31)) == "New Year's Day (observed)"  # Jan 1st 2028 is a Saturday
    assert holiday(dt.date(2040, 11, 22)) == "Thanksgiving Day"
    assert holiday(dt.date(2040, 5, 28)) == "Memorial Day"
    assert holiday(dt.date(2026, 11, 25)) is None


def test_holiday_closing_and_overnight_hours() -> None:
    weekdays = [Opening(d, 8 * 60, 17 * 60) for d in range(5)]
    thanksgiving = _pacific(2026, 11, 26, 10)
    assert is_open(False, weekdays, thanksgiving) is True
    assert is_open(False, weekdays, thanksgiving, closed_on_holidays=True) is False
    # Wednesday evening before Thanksgiving: next open is Monday (Thursday and Friday are holidays)
    upcoming = next_opening(False, weekdays, _pacific(2026, 11, 25, 18), closed_on_holidays=True)
    assert upcoming == _pacific(2026, 11, 30, 8)
    # Christmas week 2026 + New Year: a Friday holiday, then the weekend
    assert next_opening(False, weekdays, _pacific(2026, 12, 24, 18), True) == _pacific(2026, 12, 28, 8)
    nights = [Opening(d, 20 * 60, 32 * 60) for d in range(7)]
    assert is_open(False, nights, _pacific(2026, 11, 25, 23), True) is True  # Wednesday night
    assert is_open(False, nights, _pacific(2026, 11, 26, 2), True) is True  # began Wednesday: runs on
    assert is_open(False, nights, _pacific(2026, 11, 26, 23), True) is False  # would begin on Thanksgiving
    assert is_open(False, nights, _pacific(2026, 11, 27, 2), True) is False
    assert is_open(False, nights, _pacific(2026, 11, 28, 23), True) is True  # Saturday
    assert is_open(False, nights, _pacific(2026, 11, 27, 2)) is True  # without the holiday flag
    assert describe_hours(False, weekdays, True) == "Mon–Fri 8am–5pm · closed on holidays"


def test_hours_are_read_in_california_time_across_daylight_saving() -> None:
    weekdays = [Opening(d, 8 * 60, 17 * 60) for d in range(5)]
    # 15:30 UTC is 8:30am in summer (PDT) but 7:30am in winter (PST)
    assert is_open(False, weekdays, dt.datetime(2026, 7, 15, 15, 30, tzinfo=dt.UTC)) is True
    assert is_open(False, weekdays, dt.datetime(2026, 12, 16, 15, 30, tzinfo=dt.UTC)) is False
    # 00:30 UTC Tuesday is still Monday in California: 5:30pm in summer (closed), 4:30pm in winter (open)
    assert is_open(False, weekdays, dt.datetime(2026, 7, 14, 0, 30, tzinfo=dt.UTC)) is False
    assert is_open(False, weekdays, dt.datetime(2026, 12, 15, 0, 30, tzinfo=dt.UTC)) is True


def test_open_now_search_honours_holidays(sessions) -> None:
    wednesday, thanksgiving = _pacific(2026, 11, 25, 10), _pacific(2026, 11, 26, 10)
    both = {"test-clinic-holidays", "test-clinic-every-weekday"}
    assert set(_ids(sessions, categories=("medical",), open_now=True, now=wednesday)) == both
    assert set(_ids(sessions, categories=("medical",), open_now=True, now=thanksgiving)) == {
        "test-clinic-every-weekday"}
    card = _hits(sessions, categories=("medical",), now=thanksgiving)["test-clinic-holidays"]
    assert card.open_now is False and card.opens_next == "8am Mon" and card.hours.endswith("closed on holidays")
    # the overnight shelter: open the night before Thanksgiving into the morning, not on Thanksgiving night
    for now, expected in ((_pacific(2026, 11, 26, 2), True), (_pacific(2026, 11, 26, 23), False),
                          (_pacific(2026, 11, 28, 23), True)):
        found = "test-night-shelter" in _ids(sessions, categories=("shelter",), age=16, open_now=True, now=now)
        assert found is expected, now
        assert _hits(sessions, categories=("shelter",), age=16, now=now)["test-night-shelter"].open_now is expected


# ---- eligibility ----------------------------------------------------------------------------------------


def test_age_limits_filter(sessions) -> None:
    now = _pacific(2026, 11, 25, 22)
    assert "test-adult-shelter" not in _ids(sessions, categories=("shelter",), age=15, now=now)
    assert "test-girls-shelter" in _ids(sessions, categories=("shelter",), age=15, now=now)
    assert "test-girls-shelter" not in _ids(sessions, categories=("shelter",), age=19, now=now)
    assert "test-adult-shelter" in _ids(sessions, categories=("shelter",), age=19, now=now)


def test_gender_specific_places_are_not_offered_to_the_other(sessions) -> None:
    now = _pacific(2026, 11, 25, 22)
    boys = _ids(sessions, categories=("shelter",), age=15, tags=("boys_only",), now=now)
    assert "test-boys-shelter" in boys and "test-girls-shelter" not in boys
    assert boys[0] == "test-boys-shelter"
    girls = _ids(sessions, categories=("shelter",), age=15, tags=("girls_only",), now=now, open_now=True)
    assert "test-girls-shelter" in girls and "test-boys-shelter" not in girls
    anyone = _ids(sessions, categories=("shelter",), age=15, now=now)
    assert {"test-girls-shelter", "test-boys-shelter"} <= set(anyone)


def test_affirming_and_confidential_places_rank_first_when_asked_for(sessions) -> None:
    now = _pacific(2026, 11, 25, 22)
    assert _ids(sessions, categories=("drop_in",), now=now)[:2] == ["test-drop-in-near", "test-drop-in-lgbtq"]
    for tag in ("lgbtq_affirming", "minors_without_consent"):
        assert _ids(sessions, categories=("drop_in",), tags=(tag,), now=now)[0] == "test-drop-in-lgbtq"


# ---- ranking: open now, freshness ---------------------------------------------------------------------------


def test_fresher_facts_rank_first_at_the_same_place(sessions) -> None:
    assert _ids(sessions, categories=("legal",), now=_pacific(2026, 11, 25, 12)) == [
        "test-legal-fresh", "test-legal-stale"]


def test_what_is_open_now_ranks_first(sessions) -> None:
    assert _ids(sessions, categories=("food",), now=_pacific(2026, 11, 25, 10)) == [
        "test-food-day", "test-food-evening"]
    assert _ids(sessions, categories=("food",), now=_pacific(2026, 11, 25, 18)) == [
        "test-food-evening", "test-food-day"]


# ---- honest empty results -------------------------------------------------------------------------------------


def test_nothing_open_names_the_earliest_opening_and_lines_to_call(sessions) -> None:
    from actions.content import content
    from actions.search import _intro
    from actions.search_state import SearchState

    # 3am Wednesday: both food places are closed; the evening one (5pm) ranks first by name, but the daytime
    # one opens first (9am today), and that is what the reply must say.
    now = _pacific(2026, 11, 25, 3)
    with sessions() as session:
        result = search(session, SearchQuery(categories=("food",), place=OAKLAND, radius_km=25.0, now=now))
    local = [h for h in result.hits if h.scope == "local"]
    assert [h.id for h in local] == ["test-food-evening", "test-food-day"]
    assert not result.any_open_now and all(h.open_now is False for h in local)
    assert result.first_opening == "9am today"
    state = SearchState(categories=("food",), place=OAKLAND, anywhere=False, age=None, tags=(), caregiver=False,
                        offset=0, language="en")
    words = content("en")
    text = _intro(words, result, state, 0, words.need_label("food"), OAKLAND.name)
    assert "Nothing nearby is open right now. The first place opens at 9am today." in text
    assert "24/7" in text and any(line.contact_line() in text for line in words.lines_for(("food",)))
