"""Opening hours in California time: open now, when it opens next, and a short human summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_MIN = 1440


@dataclass(frozen=True, slots=True)
class Opening:
    weekday: int  # 0 = Monday
    opens_min: int
    closes_min: int  # may run past 1440 (overnight)


def now_pacific() -> dt.datetime:
    return dt.datetime.now(PACIFIC)


def is_open(always_open: bool, openings: Sequence[Opening], at: dt.datetime) -> bool | None:
    """True/False when the hours are known, None when the directory has no hours for the service."""
    if always_open:
        return True
    if not openings:
        return None
    local = at.astimezone(PACIFIC)
    minute = local.hour * 60 + local.minute
    today = local.weekday()
    yesterday = (today - 1) % 7
    for o in openings:
        if o.weekday == today and o.opens_min <= minute < o.closes_min:
            return True
        # An opening that started yesterday evening and runs past midnight.
        if o.weekday == yesterday and o.closes_min > _DAY_MIN and minute < o.closes_min - _DAY_MIN:
            return True
    return False


def next_opening(always_open: bool, openings: Sequence[Opening], at: dt.datetime) -> dt.datetime | None:
    """When the service next opens after `at` (within a week), or None if unknown/always open."""
    if always_open or not openings:
        return None
    local = at.astimezone(PACIFIC)
    best: dt.datetime | None = None
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    for days_ahead in range(8):
        day = midnight + dt.timedelta(days=days_ahead)
        for o in openings:
            if o.weekday != day.weekday():
                continue
            start = (day + dt.timedelta(minutes=o.opens_min)).replace(tzinfo=None).replace(tzinfo=PACIFIC)
            if start > local and (best is None or start < best):
                best = start
        if best is not None:
            return best
    return best


def describe_hours(always_open: bool, openings: Sequence[Opening]) -> str:
    """"Open 24/7", "Mon–Fri 9am–5pm · Sat 10am–2pm", or "Call for hours"."""
    if always_open:
        return "Open 24/7"
    if not openings:
        return "Call for hours"
    by_span: dict[tuple[int, int], list[int]] = {}
    for o in sorted(openings, key=lambda o: (o.weekday, o.opens_min)):
        by_span.setdefault((o.opens_min, o.closes_min), []).append(o.weekday)
    parts = [f"{_days(days)} {_clock(span[0])}–{_clock(span[1])}" for span, days in by_span.items()]
    return " · ".join(parts)


def describe_time(moment: dt.datetime, at: dt.datetime) -> str:
    """"8am today", "9:30am tomorrow", "10am Mon"."""
    local, ref = moment.astimezone(PACIFIC), at.astimezone(PACIFIC)
    clock = _clock(local.hour * 60 + local.minute)
    delta = (local.date() - ref.date()).days
    if delta == 0:
        return f"{clock} today"
    if delta == 1:
        return f"{clock} tomorrow"
    return f"{clock} {_DAY_NAMES[local.weekday()]}"


def _days(days: list[int]) -> str:
    days = sorted(set(days))
    if days == list(range(7)):
        return "Every day"
    runs: list[list[int]] = []
    for d in days:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ", ".join(
        _DAY_NAMES[r[0]] if len(r) == 1 else f"{_DAY_NAMES[r[0]]}–{_DAY_NAMES[r[-1]]}" for r in runs
    )


def _clock(minutes: int) -> str:
    minutes %= _DAY_MIN
    hour, minute = divmod(minutes, 60)
    suffix = "am" if hour < 12 else "pm"
    hour12 = hour % 12 or 12
    return f"{hour12}{suffix}" if minute == 0 else f"{hour12}:{minute:02d}{suffix}"
