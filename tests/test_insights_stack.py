"""Insights on the real stack: what a search, a crisis and a request for a person add to the counters, that
an erased conversation leaves nothing in them that points to it, who may see them, and that the command
line exports the same numbers as the desk."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import sys

import pytest

from bot.insights.dimensions import (
    AGE_BANDS,
    CHANNELS,
    COUNTY_VALUES,
    EVENT_CATEGORIES,
    LANGUAGES,
    OUTCOMES,
    SEARCH_OUTCOMES,
    iso_week,
)
from bot.insights.models import DIMENSIONS
from bot.launcher import Stack
from tests.conftest import ROOT, Client, DeskClient
from tests.db import cli_env, on_postgres, query, table_dump
from tests.db import columns as table_columns
from tests.privacy_support import stored_occurrences

pytestmark = pytest.mark.stack
VOCABULARY = {"outcome": OUTCOMES, "category": EVENT_CATEGORIES, "county": COUNTY_VALUES, "age_band": AGE_BANDS,
              "language": LANGUAGES, "channel": CHANNELS}


def _counts(stack: Stack) -> dict[tuple, int]:
    rows = query(stack, f"SELECT {', '.join(DIMENSIONS)}, count FROM insight_count")
    return {tuple(r[:-1]): r[-1] for r in rows}


def _added(before: dict[tuple, int], after: dict[tuple, int]) -> dict[tuple, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def _week() -> str:
    return iso_week(dt.datetime.now(dt.UTC))


def test_a_search_is_counted_once_by_its_facts_and_paging_adds_nothing(client: Client, stack: Stack) -> None:
    before = _counts(stack)
    conversation = client.start()
    conversation.say("where can I find a therapist who knows about exploitation for my 15 yo in Fresno")
    added = _added(before, _counts(stack))
    keys = {(k[1], k[2], k[3], k[4], k[5], k[6]) for k in added}
    assert all(k[0] == _week() for k in added)
    assert {(o, c) for o, c, *_ in keys} <= {(o, c) for o in SEARCH_OUTCOMES
                                             for c in ("mental_health", "csec_services")}
    assert {c for _, c, *_ in keys} == {"mental_health", "csec_services"}, "one count per need named"
    assert all(k[2:] == ("Fresno", "15_17", "en", "web") for k in keys)
    assert sum(added.values()) == 2
    before = _counts(stack)
    conversation.say("more")
    assert _added(before, _counts(stack)) == {}, "paging through results is not a new need"


def test_a_crisis_and_a_request_for_a_person_are_counted_under_the_search_context(client: Client,
                                                                                  stack: Stack) -> None:
    conversation = client.start()
    conversation.say("i need a place to sleep in oakland")
    before = _counts(stack)
    conversation.say("i want to kill myself")
    added = _added(before, _counts(stack))
    assert [(k[1], k[3]) for k in added] == [("crisis_protocol", "Alameda")], added
    before = _counts(stack)
    conversation.say("can i talk to a real person")
    added = _added(before, _counts(stack))
    assert [k[1] for k in added] in (["no_advocate_on_duty"], ["went_to_advocate"]), added
    assert all(k[3] == "Alameda" for k in added)


def test_an_erased_conversation_leaves_nothing_in_the_counters_that_points_to_it(client: Client,
                                                                                 stack: Stack) -> None:
    marker = "zanzibarquokka"  # a word nobody else types: if any of the text were kept, it would show up
    before = _counts(stack)
    conversation = client.start()
    conversation.say(f"i need food in fresno {marker}")
    conversation.say("i want to end my life")
    assert conversation.say("delete my messages")
    erased = conversation.send_raw(json.dumps({"text": "yes"}).encode())
    assert erased.status == 200 and erased.body["erased"]["conversations"] == 1
    assert query(stack, "SELECT COUNT(*) FROM message WHERE conversation_id = ?", [conversation.id]) == [(0,)]
    columns = table_columns(stack, "insight_count")
    if on_postgres(stack):
        dump = table_dump(stack)["insight_count"]
    else:
        with sqlite3.connect(stack.data_dir / "navigator.db") as db:
            dump = "\n".join(line for line in db.iterdump() if "insight_count" in line)
            with pytest.raises(sqlite3.OperationalError):
                db.execute("SELECT rowid FROM insight_count")  # WITHOUT ROWID: not even insertion order is kept
    # The counts stay (they are nobody's): the search and the crisis protocol this conversation added.
    added = _added(before, _counts(stack))
    assert {k[1] for k in added} >= {"crisis_protocol"} and any(k[2] == "food" for k in added)
    # What a counter is made of: the dimensions and a count, nothing else.
    assert columns == [*DIMENSIONS, "count"]
    for key in _counts(stack):
        values = dict(zip(DIMENSIONS, key, strict=True))
        assert re.fullmatch(r"\d{4}-W\d{2}", values.pop("week")), "no time finer than an ISO week"
        for name, value in values.items():
            assert value in VOCABULARY[name], (name, value)
    assert conversation.id.lower() not in dump.lower() and marker not in dump.lower()
    assert stored_occurrences(stack, [conversation.id, marker]) == {}


def _seed(stack: Stack) -> None:
    """Counts large enough to be shown, this week, straight into the counters."""
    rows = [("shelter", "Fresno", "nothing_open_now", 23), ("shelter", "Fresno", "cards_shown", 31),
            ("food", "Fresno", "cards_shown", 40), ("shelter", "Alameda", "nothing_within_reach", 19),
            ("food", "Alameda", "cards_shown", 27), ("legal", "Alameda", "cards_shown", 14),
            ("legal", "Fresno", "nothing_within_reach", 12), ("shelter", "Kern", "nothing_within_reach", 15)]
    for category, county, outcome, n in rows:
        query(stack, f"INSERT INTO insight_count ({', '.join(DIMENSIONS)}, count) "
              "VALUES (?, ?, ?, ?, '15_17', 'en', 'web', ?) "
              f"ON CONFLICT ({', '.join(DIMENSIONS)}) DO UPDATE SET count = insight_count.count + excluded.count",
              [_week(), outcome, category, county, n])


@pytest.fixture(scope="module")
def seeded(stack: Stack) -> None:
    _seed(stack)


def test_only_supervisors_see_insights(desk, stack: Stack, seeded) -> None:
    anonymous = DeskClient(stack.url)
    assert anonymous.get("/desk/insights/export.json").status == 401
    advocate = desk("insight-ana", on_duty=False)
    assert advocate.get("/desk/insights").status == 403
    assert advocate.get("/desk/insights/export.csv").status == 403
    supervisor = desk("insight-sam", role="supervisor", on_duty=False)
    page = supervisor.get("/desk/insights")
    assert page.status == 200 and 'data-chart="needs_by_county"' in page.body["raw"]
    exported = supervisor.get("/desk/insights/export.json?county=Fresno")
    assert exported.status == 200
    fresno = exported.body["tables"]["needs_by_county"]
    assert fresno["rows"] == ["Fresno"]
    assert all((isinstance(v, int) and v >= 11) or v in ("<11", "suppressed")
               for v in [*fresno["cells"][0], *fresno["row_totals"], *fresno["column_totals"]])
    assert supervisor.get("/desk/insights/export.json?from=yesterday").status == 400
    assert supervisor.get("/desk/insights/export.json?county=Atlantis").status == 400
    actions = [e["action"] for e in supervisor.get("/desk/api/audit").body["entries"]]
    assert "insights_export" in actions and "insights_view" in actions


def test_the_command_line_exports_the_same_numbers_as_the_desk(desk, stack: Stack, seeded) -> None:
    today = dt.date.today()
    period = f"from={(today - dt.timedelta(days=30)).isoformat()}&to={today.isoformat()}"
    supervisor = desk("insight-sam", role="supervisor", on_duty=False)
    from_desk = supervisor.get(f"/desk/insights/export.json?{period}").body
    env = cli_env(stack, {**os.environ, "PYTHONPATH": str(ROOT)})
    out = subprocess.run([sys.executable, "-m", "bot", "insights", "export", "--from",
                          (today - dt.timedelta(days=30)).isoformat(), "--to", today.isoformat(), "--format", "json"],
                         cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    assert json.loads(out)["tables"] == from_desk["tables"]
    csv_out = subprocess.run([sys.executable, "-m", "bot", "insights", "export", "--from",
                              (today - dt.timedelta(days=30)).isoformat(), "--to", today.isoformat()],
                             cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    assert csv_out.startswith("section,row,column,value,note\n")
    assert "needs_by_county,Fresno,food," in csv_out
    gaps = from_desk["directory_gaps"]["rows"]
    assert gaps and all(g["verified_services"] == 0 for g in gaps)
    kern = next(g for g in gaps if g["county"] == "Kern" and g["category"] == "shelter")
    assert isinstance(kern["searches"], int) and kern["searches"] >= 15, "no shelter in Kern, and youth asked"
    assert gaps.index(kern) < len(gaps) - 400, "gaps with demand come first"
    assert not any(g["county"] == "Fresno" and g["category"] == "shelter" for g in gaps)
