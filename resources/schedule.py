"""Opening hours in California time: open now, when it opens next, and a short human summary.

Services whose curator says they close on holidays are closed on California state holidays, computed for any
year (no per-year table to maintain): see `california_holidays`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# The words of an hours summary per language: a Spanish conversation's cards say "lun–vie 9am–5pm", not
# "Mon–Fri" (am/pm stays: it is how clocks are read in California in both languages).
_WORDS: dict[str, dict[str, object]] = {
    "en": {"days": _DAY_NAMES, "every_day": "Every day", "always": "Open 24/7", "no_hours": "Call for hours",
           "holidays": "closed on holidays", "today": "{clock} today", "tomorrow": "{clock} tomorrow",
           "weekday": "{clock} {day}"},
    "es": {"days": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"), "every_day": "Todos los días",
           "always": "Abierto 24/7", "no_hours": "Llama para saber el horario",
           "holidays": "cerrado los días festivos", "today": "{clock} hoy", "tomorrow": "{clock} mañana",
           "weekday": "{clock} del {day}"},
}


def _words(language: str) -> dict[str, object]:
    return _WORDS.get(language, _WORDS["en"])
_DAY_MIN = 1440


@dataclass(frozen=True, slots=True)
class Opening:
    weekday: int  # 0 = Monday
    opens_min: int
    closes_min: int  # may run past 1440 (overnight)


def now_pacific() -> dt.datetime:
    return dt.datetime.now(PACIFIC)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th (1-based; -1 = last) given weekday (0 = Monday) of a month."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


@cache
def california_holidays(year: int) -> dict[dt.date, str]:
    """California state holidays of a year (the days state offices close, Gov. Code §6700 as CalHR lists them).

    A fixed-date holiday on a Sunday is also observed the Monday after, one on a Saturday the Friday before
    (as federal, county and most agency offices do); both the date itself and the observed day count as closed,
    so a "closed on holidays" service is never shown open on a day it may well be shut.
    """
    fixed = {
        dt.date(year, 1, 1): "New Year's Day",
        dt.date(year, 3, 31): "Cesar Chavez Day",
        dt.date(year, 7, 4): "Independence Day",
        dt.date(year, 11, 11): "Veterans Day",
        dt.date(year, 12, 25): "Christmas Day",
    }
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    days = {
        _nth_weekday(year, 1, 0, 3): "Martin Luther King Jr. Day",
        _nth_weekday(year, 2, 0, 3): "Presidents' Day",
        _nth_weekday(year, 5, 0, -1): "Memorial Day",
        _nth_weekday(year, 9, 0, 1): "Labor Day",
        thanksgiving: "Thanksgiving Day",
        thanksgiving + dt.timedelta(days=1): "Day after Thanksgiving",
    }
    for date, name in fixed.items():
        days[date] = name
        if date.weekday() == 6:
            days[date + dt.timedelta(days=1)] = f"{name} (observed)"
        elif date.weekday() == 5:
            days[date - dt.timedelta(days=1)] = f"{name} (observed)"
    # New Year's Day on a Saturday is observed on Dec 31 of the year before.
    next_new_year = dt.date(year + 1, 1, 1)
    if next_new_year.weekday() == 5:
        days[next_new_year - dt.timedelta(days=1)] = "New Year's Day (observed)"
    return days


def holiday(date: dt.date) -> str | None:
    """The name of the California state holiday on that (Pacific) date, if any."""
    return california_holidays(date.year).get(date)


def is_open(always_open: bool, openings: Sequence[Opening], at: dt.datetime,
            closed_on_holidays: bool = False) -> bool | None:
    """True/False when the hours are known, None when the directory has no hours for the service.

    With `closed_on_holidays`, no opening that starts on a state holiday happens (so last night's overnight
    hours still run into the holiday morning, and a holiday evening's overnight hours do not)."""
    if always_open:
        return True
    if not openings:
        return None
    local = at.astimezone(PACIFIC)
    minute = local.hour * 60 + local.minute
    today = local.weekday()
    yesterday = (today - 1) % 7
    today_off = closed_on_holidays and holiday(local.date()) is not None
    yesterday_off = closed_on_holidays and holiday(local.date() - dt.timedelta(days=1)) is not None
    for o in openings:
        if o.weekday == today and o.opens_min <= minute < o.closes_min and not today_off:
            return True
        # An opening that started yesterday evening and runs past midnight.
        if (o.weekday == yesterday and o.closes_min > _DAY_MIN and minute < o.closes_min - _DAY_MIN
                and not yesterday_off):
            return True
    return False


def next_opening(always_open: bool, openings: Sequence[Opening], at: dt.datetime,
                 closed_on_holidays: bool = False) -> dt.datetime | None:
    """When the service next opens after `at` (within a week, or past holidays), or None if unknown/always open."""
    if always_open or not openings:
        return None
    local = at.astimezone(PACIFIC)
    best: dt.datetime | None = None
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    for days_ahead in range(15 if closed_on_holidays else 8):
        day = midnight + dt.timedelta(days=days_ahead)
        if closed_on_holidays and holiday(day.date()) is not None:
            continue
        for o in openings:
            if o.weekday != day.weekday():
                continue
            start = (day + dt.timedelta(minutes=o.opens_min)).replace(tzinfo=None).replace(tzinfo=PACIFIC)
            if start > local and (best is None or start < best):
                best = start
        if best is not None:
            return best
    return best


def describe_hours(always_open: bool, openings: Sequence[Opening], closed_on_holidays: bool = False,
                   language: str = "en") -> str:
    """"Open 24/7", "Mon–Fri 9am–5pm · Sat 10am–2pm" (+ " · closed on holidays"), or "Call for hours"; in
    Spanish "Abierto 24/7", "lun–vie 9am–5pm · sáb 10am–2pm", "Llama para saber el horario"."""
    words = _words(language)
    if always_open:
        return str(words["always"])
    if not openings:
        return str(words["no_hours"])
    by_span: dict[tuple[int, int], list[int]] = {}
    for o in sorted(openings, key=lambda o: (o.weekday, o.opens_min)):
        by_span.setdefault((o.opens_min, o.closes_min), []).append(o.weekday)
    parts = [f"{_days(days, language)} {_clock(span[0])}–{_clock(span[1])}" for span, days in by_span.items()]
    if closed_on_holidays:
        parts.append(str(words["holidays"]))
    return " · ".join(parts)


def describe_time(moment: dt.datetime, at: dt.datetime, language: str = "en") -> str:
    """"8am today", "9:30am tomorrow", "10am Mon"; in Spanish "8am hoy", "9:30am mañana", "10am del lun"."""
    words = _words(language)
    local, ref = moment.astimezone(PACIFIC), at.astimezone(PACIFIC)
    clock = _clock(local.hour * 60 + local.minute)
    delta = (local.date() - ref.date()).days
    if delta == 0:
        return str(words["today"]).format(clock=clock)
    if delta == 1:
        return str(words["tomorrow"]).format(clock=clock)
    day_names: Sequence[str] = words["days"]  # type: ignore[assignment]
    return str(words["weekday"]).format(clock=clock, day=day_names[local.weekday()])


def _days(days: list[int], language: str = "en") -> str:
    words = _words(language)
    names: Sequence[str] = words["days"]  # type: ignore[assignment]
    days = sorted(set(days))
    if days == list(range(7)):
        return str(words["every_day"])
    runs: list[list[int]] = []
    for d in days:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ", ".join(names[r[0]] if len(r) == 1 else f"{names[r[0]]}–{names[r[-1]]}" for r in runs)


def _clock(minutes: int) -> str:
    minutes %= _DAY_MIN
    hour, minute = divmod(minutes, 60)
    suffix = "am" if hour < 12 else "pm"
    hour12 = hour % 12 or 12
    return f"{hour12}{suffix}" if minute == 0 else f"{hour12}:{minute:02d}{suffix}"
