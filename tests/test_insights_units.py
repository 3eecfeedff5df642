"""The insight counters' vocabularies and the facts that reach them: only closed lists of values get in."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from actions.insight import search_outcome
from bot.engine import to_chat_messages
from bot.insights.dimensions import COUNTIES, Fact, age_band, facts_from_control, iso_week, weeks_between
from resources.geo import gazetteer


def test_age_bands() -> None:
    expected = {None: "unknown", 5: "under_12", 11: "under_12", 12: "12_14", 14: "12_14", 15: "15_17",
                17: "15_17", 18: "18_20", 20: "18_20", 21: "21_24", 24: "21_24", 25: "unknown", -1: "unknown",
                "15": "unknown", True: "unknown", 16.0: "15_17"}
    assert {age: age_band(age) for age in expected} == expected


def test_weeks_are_iso_weeks_in_california_time() -> None:
    # Monday 5 Jan 2026, 07:00 UTC is still Sunday night in California: week 1, not week 2.
    assert iso_week(dt.datetime(2026, 1, 5, 7, 0, tzinfo=dt.UTC)) == "2026-W01"
    assert iso_week(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)) == "2026-W02"
    assert weeks_between(dt.date(2026, 1, 1), dt.date(2026, 1, 12)) == ["2026-W01", "2026-W02", "2026-W03"]


def test_the_county_list_is_the_gazetteers() -> None:
    assert set(COUNTIES) == {c for c in gazetteer().counties if c}
    assert len(COUNTIES) == 58


def test_free_text_never_reaches_a_counter() -> None:
    control = [{"searches": [{"category": "shelter", "county": "my name is Ana, 555-0100", "age_band": "15",
                              "outcome": "cards_shown"},
                             {"category": "a bed for tonight", "county": "Fresno", "outcome": "cards_shown"},
                             {"category": "food", "county": "Fresno", "outcome": "whatever I typed"},
                             "shelter in fresno"],
                "context": {"county": "Fresno", "age_band": "15_17", "category": "shelter"}}, "junk", None]
    facts, context = facts_from_control(control, "tl", "carrier pigeon")
    assert facts == [Fact("cards_shown", "shelter", "unknown", "unknown", "other", "other")]
    assert context == {"county": "Fresno", "age_band": "15_17", "category": "shelter"}
    assert Fact.of("not an outcome") is None
    assert set(Fact.__dataclass_fields__) == {"outcome", "category", "county", "age_band", "language", "channel"}


def test_the_engines_insight_fields_are_collected_and_never_shown() -> None:
    output = [{"custom": {"text": "Here are places", "resources": [{"id": "x"}],
                          "insight": {"searches": [{"category": "food"}]}}},
              {"custom": {"text": "", "insight": {"context": {"county": "Fresno"}}}},
              {"custom": {"text": "hi", "handoff": "requested"}}]
    messages, control = to_chat_messages(output)
    assert [m["text"] for m in messages] == ["Here are places", "hi"]
    assert all("insight" not in m for m in messages)
    assert control["insight"] == [{"searches": [{"category": "food"}]}, {"context": {"county": "Fresno"}}]
    assert control["handoff"] == "requested"


def _hit(scope: str, open_now: bool | None) -> SimpleNamespace:
    return SimpleNamespace(scope=scope, open_now=open_now)


def test_search_outcomes() -> None:
    assert search_outcome([], located=True) == "nothing_within_reach"
    assert search_outcome([_hit("statewide", True)], located=True) == "nothing_within_reach"
    assert search_outcome([_hit("local", False), _hit("county", False), _hit("statewide", True)],
                          located=True) == "nothing_open_now"
    assert search_outcome([_hit("local", False), _hit("local", None)], located=True) == "cards_shown"
    assert search_outcome([_hit("statewide", True)], located=False) == "cards_shown"
    assert search_outcome([], located=False) == "nothing_within_reach"
