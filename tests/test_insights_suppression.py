"""Small-cell suppression, proved on random tables: nothing under 11 is shown, directly or by subtraction
(the attacker in tests/insights_checker.py shares no code with bot/insights/suppress.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.desk.accounts import DeskIdentity
from bot.insights.dimensions import AGE_BANDS, CATEGORIES, CHANNELS, LANGUAGES, OUTCOMES, iso_week, weeks_between
from bot.insights.report import Table, build_report, to_csv, to_json
from bot.insights.suppress import suppress
from channels.desk.insights import render
from tests.insights_checker import check_view, recover

COUNT = st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 80), st.integers(0, 30))


def _view(table) -> dict:
    n, m = len(table.rows), len(table.columns)
    return {"cells": [[table.label(("cell", i, j)) for j in range(m)] for i in range(n)],
            "row_totals": [table.label(("row", i)) for i in range(n)],
            "column_totals": [table.label(("col", j)) for j in range(m)], "total": table.label(("all",))}


@st.composite
def tables(draw):
    n, m = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    return [[draw(COUNT) for _ in range(m)] for _ in range(n)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_count_under_11_can_be_read_or_worked_out(counts) -> None:
    table = suppress([f"r{i}" for i in range(len(counts))], [f"c{j}" for j in range(len(counts[0]))], counts)
    assert check_view(_view(table), counts) == []


def test_the_checker_does_catch_what_naive_suppression_gives_away() -> None:
    counts = [[5, 20, 30], [40, 50, 60]]
    naive = {"cells": [["<11", 20, 30], [40, 50, 60]], "row_totals": [55, 150], "column_totals": [45, 70, 90],
             "total": 205}
    assert recover(naive, counts) == {("c", (0, 0)): 5}
    # Two small cells that must add up to 20 are both 10; a bridge between two loops is exact too.
    assert recover({"cells": [["<11", "<11", 30]], "row_totals": [50], "column_totals": ["<11", "<11", 30],
                    "total": 50}, [[10, 10, 30]])
    loops = [[3, 4, 0, 0], [5, 6, 0, 0], [0, 0, 7, 8], [0, 9, 2, 1]]
    hidden = [["<11"] * 4 for _ in loops]
    view = {"cells": hidden, "row_totals": [c if c >= 11 else "<11" for c in map(sum, loops)],
            "column_totals": ["<11" if sum(col) < 11 else sum(col) for col in zip(*loops, strict=True)],
            "total": sum(map(sum, loops))}
    assert check_view(view, loops), "the lone link between the two blocks is found"


def test_a_lone_small_cell_gets_a_partner_in_its_row_and_column() -> None:
    table = suppress(["a", "b"], ["x", "y"], [[5, 20], [40, 50]])
    view = _view(table)
    assert view["cells"] == [["<11", "suppressed"], ["suppressed", "suppressed"]] or check_view(view, [[5, 20],
                                                                                                      [40, 50]]) == []
    assert view["cells"][0][0] == "<11" and sum(isinstance(c, str) for row in view["cells"] for c in row) >= 4


# ----------------------------------------------------------------------------- the report, every output
COUNTIES = ("Fresno", "Alameda", "Los Angeles", "unknown")
START = dt.date(2026, 10, 5)


@st.composite
def counters(draw):
    rows = []
    for _ in range(draw(st.integers(0, 60))):
        rows.append({"week": iso_week(START + dt.timedelta(days=draw(st.integers(0, 27)))),
                     "outcome": draw(st.sampled_from(OUTCOMES)),
                     "category": draw(st.sampled_from(CATEGORIES[:4])),
                     "county": draw(st.sampled_from(COUNTIES)),
                     "age_band": draw(st.sampled_from(AGE_BANDS)),
                     "language": draw(st.sampled_from(LANGUAGES[:2])),
                     "channel": draw(st.sampled_from(CHANNELS[:2])),
                     "count": draw(COUNT)})
    return rows


def _true_matrix(rows: list[dict], spec) -> list[list[int]]:
    from bot.insights.dimensions import EVENT_OUTCOMES, SEARCH_OUTCOMES

    outcomes = SEARCH_OUTCOMES if spec.universe == "search" else EVENT_OUTCOMES
    weeks = set(weeks_between(START, START + dt.timedelta(days=27)))
    return [[sum(r["count"] for r in rows if r["outcome"] in outcomes and r["week"] in weeks
                 and r[spec.row_dim] == row and r[spec.col_dim] == col) for col in spec.columns]
            for row in spec.rows]


def _csv_views(text: str) -> dict[str, dict]:
    """The CSV export read back into tables (label strings turned back into numbers)."""
    lines = list(csv.DictReader(io.StringIO(text)))
    views: dict[str, dict] = {}
    for line in lines:
        if line["section"] in ("period", "rule", "directory_gaps"):
            continue
        v = views.setdefault(line["section"], {"rows": [], "columns": [], "values": {}})
        if line["row"] != "Total" and line["row"] not in v["rows"]:
            v["rows"].append(line["row"])
        if line["column"] != "Total" and line["column"] not in v["columns"]:
            v["columns"].append(line["column"])
        value = line["value"]
        v["values"][(line["row"], line["column"])] = int(value) if value.isdigit() else value
    out = {}
    for name, v in views.items():
        vals = v["values"]
        out[name] = {"cells": [[vals[(r, c)] for c in v["columns"]] for r in v["rows"]],
                     "row_totals": [vals[(r, "Total")] for r in v["rows"]],
                     "column_totals": [vals[("Total", c)] for c in v["columns"]], "total": vals[("Total", "Total")]}
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counters())
def test_every_export_and_view_of_a_random_report_keeps_the_rule(rows) -> None:
    report = build_report(rows, START, START + dt.timedelta(days=27), coverage={})
    as_json = json.loads(to_json(report))["tables"]
    as_csv = _csv_views(to_csv(report))
    for name, table in report.tables.items():
        assert isinstance(table, Table)
        truth = _true_matrix(rows, table.spec)
        assert check_view(as_json[name], truth) == [], name
        assert as_csv[name] == {k: as_json[name][k] for k in ("cells", "row_totals", "column_totals", "total")}
    # Totals shared by several tables read the same everywhere (else one table would undo another's hiding).
    need_totals = [as_json["needs_by_county"]["column_totals"], as_json["needs_by_week"]["column_totals"],
                   as_json["needs_by_age"]["column_totals"], as_json["outcomes_by_need"]["row_totals"]]
    assert all(t == need_totals[0] for t in need_totals)
    assert as_json["needs_by_county"]["row_totals"] == as_json["outcomes_by_county"]["row_totals"]
    assert as_json["outcomes_by_county"]["column_totals"] == as_json["outcomes_by_need"]["column_totals"]
    assert as_json["events_by_county"]["column_totals"] == as_json["events_by_week"]["column_totals"]
    assert len({as_json[n]["total"] for n in ("needs_by_county", "needs_by_week", "outcomes_by_county",
                                              "outcomes_by_need", "needs_by_age", "searches_by_channel")}) == 1
    # Filtered views are the same numbers, picked out.
    fresno = report.to_dict("Fresno", "shelter")["tables"]["needs_by_county"]
    whole = as_json["needs_by_county"]
    i, j = whole["rows"].index("Fresno"), whole["columns"].index("shelter")
    assert fresno["cells"] == [[whole["cells"][i][j]]] and fresno["total"] == whole["total"]
    # The page: no number under 11 anywhere, in tables or charts.
    who = DeskIdentity(1, "sam", "supervisor", "x", False)
    for county, category in ((None, None), ("Fresno", None), (None, "food")):
        page = render(report, {"start": START, "end": START + dt.timedelta(days=27), "county": county,
                               "category": category}, who)
        numbers = [int(n) for n in re.findall(r"<td class='num'>(\d+)</td>", page)]
        numbers += [int(n) for n in re.findall(r'data-value="(\d+)"', page)]
        assert all(n >= 11 for n in numbers), (county, category)
