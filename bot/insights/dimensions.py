"""The closed vocabularies of the insight counters, and how a raw fact is folded into them.

Every dimension has a fixed set of values: whatever an action or a channel hands us is mapped into it (an
unknown value becomes "unknown" or "other"), so no free text can ever reach the counters. Kept free of heavy
imports: the action server imports `age_band` from here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")

# resources.models.CATEGORIES, plus "none" for a crisis or a handoff outside any search.
CATEGORIES = ("shelter", "drop_in", "food", "medical", "sexual_health", "mental_health", "legal", "hotline",
              "csec_services", "caregiver_support")
EVENT_CATEGORIES = (*CATEGORIES, "none")
# The 58 counties of California (as the gazetteer and the directory spell them, without "County").
COUNTIES = (
    "Alameda", "Alpine", "Amador", "Butte", "Calaveras", "Colusa", "Contra Costa", "Del Norte", "El Dorado",
    "Fresno", "Glenn", "Humboldt", "Imperial", "Inyo", "Kern", "Kings", "Lake", "Lassen", "Los Angeles",
    "Madera", "Marin", "Mariposa", "Mendocino", "Merced", "Modoc", "Mono", "Monterey", "Napa", "Nevada",
    "Orange", "Placer", "Plumas", "Riverside", "Sacramento", "San Benito", "San Bernardino", "San Diego",
    "San Francisco", "San Joaquin", "San Luis Obispo", "San Mateo", "Santa Barbara", "Santa Clara",
    "Santa Cruz", "Shasta", "Sierra", "Siskiyou", "Solano", "Sonoma", "Stanislaus", "Sutter", "Tehama",
    "Trinity", "Tulare", "Tuolumne", "Ventura", "Yolo", "Yuba",
)
UNKNOWN = "unknown"
COUNTY_VALUES = (*COUNTIES, UNKNOWN)
AGE_BANDS = ("under_12", "12_14", "15_17", "18_20", "21_24", UNKNOWN)
AGE_BAND_LABELS = {"under_12": "under 12", "12_14": "12–14", "15_17": "15–17", "18_20": "18–20",
                   "21_24": "21–24", UNKNOWN: "unknown"}
LANGUAGES = ("en", "es", "other")
CHANNELS = ("web", "sms", "other")
# What came of it. The first three are a search's; the last two are events of their own.
SEARCH_OUTCOMES = ("cards_shown", "nothing_within_reach", "nothing_open_now")
EVENT_OUTCOMES = ("went_to_advocate", "no_advocate_on_duty", "crisis_protocol")
OUTCOMES = (*SEARCH_OUTCOMES, *EVENT_OUTCOMES)
OUTCOME_LABELS = {"cards_shown": "cards shown", "nothing_within_reach": "nothing within reach",
                  "nothing_open_now": "nothing open now", "went_to_advocate": "went to an advocate",
                  "no_advocate_on_duty": "asked for a person, nobody on duty",
                  "crisis_protocol": "crisis protocol"}
UNMET_OUTCOMES = ("nothing_within_reach", "nothing_open_now")


def age_band(age: Any) -> str:
    """under 12, 12–14, 15–17, 18–20, 21–24; anything else (no age, 25 or older, nonsense) is "unknown"."""
    if isinstance(age, bool) or not isinstance(age, (int, float)):
        return UNKNOWN
    years = int(age)
    if years < 0:
        return UNKNOWN
    if years < 12:
        return "under_12"
    for last, band in ((14, "12_14"), (17, "15_17"), (20, "18_20"), (24, "21_24")):
        if years <= last:
            return band
    return UNKNOWN


def iso_week(moment: dt.datetime | dt.date) -> str:
    """"2026-W07": the ISO week (California time) — the finest time the counters know."""
    if isinstance(moment, dt.datetime):
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(PACIFIC).date()
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(week: str) -> dt.date:
    year, number = week.split("-W")
    return dt.date.fromisocalendar(int(year), int(number), 1)


def weeks_between(start: dt.date, end: dt.date) -> list[str]:
    """Every ISO week that touches [start, end], in order (a period is always whole weeks)."""
    if end < start:
        start, end = end, start
    first = start - dt.timedelta(days=start.weekday())
    weeks = []
    day = first
    while day <= end:
        weeks.append(iso_week(day))
        day += dt.timedelta(days=7)
    return weeks


def _pick(value: Any, allowed: tuple[str, ...], fallback: str) -> str:
    return value if isinstance(value, str) and value in allowed else fallback


@dataclass(frozen=True, slots=True)
class Fact:
    """One thing that happened, already folded into the vocabularies. There is deliberately no field for a
    conversation, a person, a text or a time: the week is added by the recorder."""

    outcome: str
    category: str = "none"
    county: str = UNKNOWN
    age_band: str = UNKNOWN
    language: str = "other"
    channel: str = "other"

    @classmethod
    def of(cls, outcome: str, category: Any = "none", county: Any = UNKNOWN, age: Any = UNKNOWN,
           language: Any = "other", channel: Any = "other") -> Fact | None:
        if outcome not in OUTCOMES:
            return None
        return cls(outcome=outcome,
                   category=_pick(category, EVENT_CATEGORIES, "none"),
                   county=_pick(county, COUNTY_VALUES, UNKNOWN),
                   age_band=_pick(age, AGE_BANDS, UNKNOWN),
                   language=_pick(language, LANGUAGES, "other"),
                   channel=_pick(channel, CHANNELS, "other"))


def facts_from_control(control: Any, language: str, channel: str) -> tuple[list[Fact], dict[str, Any]]:
    """The `insight` control field an action sent (actions/insight.py) → search facts, and the context
    (county, age band, need) that a crisis or handoff in the same turn is counted under."""
    if not isinstance(control, list):
        control = [control]
    facts: list[Fact] = []
    context: dict[str, Any] = {}
    for item in control:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("context"), dict):
            context = item["context"]
        for search in item.get("searches") or []:
            if isinstance(search, dict) and search.get("outcome") in SEARCH_OUTCOMES:
                fact = Fact.of(search["outcome"], search.get("category"), search.get("county"),
                               search.get("age_band"), language, channel)
                if fact is not None and fact.category != "none":
                    facts.append(fact)
    return facts, context


def event_fact(outcome: str, context: dict[str, Any], language: str, channel: str) -> Fact | None:
    return Fact.of(outcome, context.get("category", "none"), context.get("county", UNKNOWN),
                   context.get("age_band", UNKNOWN), language, channel)
