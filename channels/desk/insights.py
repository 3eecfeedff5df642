"""The supervisors' insights page at /desk/insights, and its CSV/JSON exports.

Drawn by the server (HTML tables and SVG charts, no script), from one suppressed report per period
(bot/insights/report.py): filters by county and need only pick rows or columns out of it. Supervisors
only: advocates get 403, no session goes to the login page (the exports answer 401). Every view and export
is written to the audit log, with its period and filters.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from aiohttp import web

from bot.desk.accounts import DeskIdentity
from bot.gateway.keys import AUDIT, STORE
from bot.insights import charts
from bot.insights.dimensions import CATEGORIES, COUNTY_VALUES, OUTCOME_LABELS, SEARCH_OUTCOMES, UNMET_OUTCOMES
from bot.insights.report import RULE, Report, to_csv, to_json, top_gaps
from bot.insights.service import make_report, today
from channels.desk.routes import DIRECTORY, current_identity, desk_api, error

routes = web.RouteTableDef()
DEFAULT_WEEKS = 12
MAX_DAYS = 3 * 366
NO_GAPS = "<tr><td colspan=6 class=muted>No gap with 11 or more searches.</td></tr>"
NO_UNMET = "<tr><td colspan=3 class=muted>No county with 11 or more unmet searches.</td></tr>"


def parse_filters(query: Any) -> tuple[dict[str, Any] | None, str | None]:
    """from/to (YYYY-MM-DD, default: the last 12 weeks), county, category — or what is wrong with them."""
    end_default = today()
    try:
        end = dt.date.fromisoformat(query.get("to") or end_default.isoformat())
        start = dt.date.fromisoformat(query.get("from") or (end - dt.timedelta(weeks=DEFAULT_WEEKS) +
                                                            dt.timedelta(days=1)).isoformat())
    except ValueError:
        return None, "dates are YYYY-MM-DD"
    if start > end:
        start, end = end, start
    if (end - start).days > MAX_DAYS:
        return None, "a period is at most three years"
    county = query.get("county") or None
    category = query.get("category") or None
    if county is not None and county not in COUNTY_VALUES:
        return None, "unknown county"
    if category is not None and category not in CATEGORIES:
        return None, "unknown need"
    return {"start": start, "end": end, "county": county, "category": category}, None


async def _report(request: web.Request, f: dict[str, Any]) -> Report:
    directory = request.app[DIRECTORY].sessions if DIRECTORY in request.app else None
    return await make_report(request.app[STORE], directory, f["start"], f["end"])


def _audit_detail(f: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"from": f["start"].isoformat(), "to": f["end"].isoformat(), "county": f["county"],
            "category": f["category"], **extra}


# ------------------------------------------------------------------------------------------------ page
@routes.get("/desk/insights")
async def insights_page(request: web.Request) -> web.StreamResponse:
    who = await current_identity(request)
    if who is None:
        raise web.HTTPFound("/desk/login")
    if not who.is_supervisor:
        return web.Response(status=403, content_type="text/html", text=_page(
            "Insights", "<main class='insights'><h1>Supervisors only</h1><p>This page is for supervisors. "
            "<a href='/desk'>Back to the desk</a></p></main>"))
    f, problem = parse_filters(request.query)
    if problem or f is None:
        return web.Response(status=400, content_type="text/html", text=_page(
            "Insights", f"<main class='insights'><p class='error'>{escape(problem or '')}</p>"
                        f"<p><a href='/desk/insights'>Start again</a></p></main>"))
    report = await _report(request, f)
    await request.app[AUDIT].record("insights_view", who.id, who.name, **_audit_detail(f))
    return web.Response(content_type="text/html", text=_page("Insights", render(report, f, who)))


@routes.get("/desk/insights/export.{fmt:(csv|json)}")
@desk_api(supervisor=True)
async def insights_export(request: web.Request, who: DeskIdentity) -> web.StreamResponse:
    f, problem = parse_filters(request.query)
    if problem or f is None:
        return error(400, problem or "bad filters")
    report = await _report(request, f)
    fmt = request.match_info["fmt"]
    await request.app[AUDIT].record("insights_export", who.id, who.name, **_audit_detail(f, format=fmt))
    name = f"navigator-insights-{report.weeks[0]}-{report.weeks[-1]}.{fmt}"
    body = to_csv(report, f["county"], f["category"]) if fmt == "csv" else to_json(report, f["county"], f["category"])
    return web.Response(text=body, content_type="text/csv" if fmt == "csv" else "application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ------------------------------------------------------------------------------------------- rendering
def _page(title: str, body: str) -> str:
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<meta name='referrer' content='no-referrer'><meta name='robots' content='noindex'>"
            f"<title>Advocate desk · {escape(title)}</title>"
            "<link rel='stylesheet' href='/desk/assets/desk.css'></head><body>"
            f"{body}</body></html>")


def _cell(value: int | str) -> str:
    if isinstance(value, int):
        return f"<td class='num'>{value}</td>"
    return f"<td class='num hidden-count'>{escape(value)}</td>"


def table_html(view: dict[str, Any], skip_small_rows: bool = False, small_rows: set[str] | None = None) -> str:
    """A published table; rows whose every number reads "<11" may be left out (they say nothing more)."""
    head = "".join(f"<th scope='col'>{escape(c)}</th>" for c in view["column_labels"])
    body = []
    left_out = 0
    for key, label, cells, total in zip(view["rows"], view["row_labels"], view["cells"], view["row_totals"],
                                        strict=True):
        if skip_small_rows and small_rows is not None and key in small_rows:
            left_out += 1
            continue
        body.append(f"<tr><th scope='row'>{escape(label)}</th>{''.join(_cell(c) for c in cells)}{_cell(total)}</tr>")
    foot = (f"<tr class='total'><th scope='row'>Total</th>{''.join(_cell(c) for c in view['column_totals'])}"
            f"{_cell(view['total'])}</tr>")
    note = (f"<p class='muted'>{left_out} more rows read “&lt;11” throughout (in the export).</p>"
            if left_out else "")
    return (f"<div class='table-wrap'><table class='counts' data-table='{escape(view['name'])}'>"
            f"<thead><tr><th></th>{head}<th scope='col'>Total</th></tr></thead>"
            f"<tbody>{''.join(body)}{foot}</tbody></table></div>{note}")


def _small_rows(report: Report, name: str) -> set[str]:
    table = report.tables[name]
    return {r for r in table.spec.rows if table.row_is_small(r)}


def render(report: Report, f: dict[str, Any], who: DeskIdentity) -> str:
    data = report.to_dict(f["county"], f["category"])
    tables = data["tables"]
    county, category = f["county"], f["category"]
    query = "&".join(f"{k}={escape(str(v))}" for k, v in (("from", f["start"].isoformat()),
                                                         ("to", f["end"].isoformat()),
                                                         ("county", county or ""), ("category", category or "")))
    county_options = "".join(f"<option value='{escape(c)}'{' selected' if c == county else ''}>{escape(c)}</option>"
                             for c in COUNTY_VALUES)
    category_options = "".join(
        f"<option value='{escape(c)}'{' selected' if c == category else ''}>{escape(c.replace('_', ' '))}</option>"
        for c in CATEGORIES)
    form = (
        "<form class='filters' method='get' action='/desk/insights'>"
        f"<label>From <input type='date' name='from' value='{f['start'].isoformat()}'></label>"
        f"<label>To <input type='date' name='to' value='{f['end'].isoformat()}'></label>"
        f"<label>County <select name='county'><option value=''>All of California</option>{county_options}"
        "</select></label>"
        f"<label>Need <select name='category'><option value=''>Every need</option>{category_options}</select></label>"
        "<button type='submit'>Show</button>"
        f"<a class='button quiet' id='export-csv' href='/desk/insights/export.csv?{query}'>Export CSV</a>"
        f"<a class='button quiet' id='export-json' href='/desk/insights/export.json?{query}'>Export JSON</a>"
        "</form>")

    # Needs by county: each county's searches (a need's column when one is chosen).
    needs = report.tables["needs_by_county"]
    county_rows = [county] if county else [c for c in needs.spec.rows if not needs.row_is_small(c)]
    if category:
        county_items = [(c, needs.label(c, category)) for c in county_rows]
    else:
        county_items = [(c, needs.row_total(c)) for c in county_rows]
    county_items.sort(key=lambda item: -(item[1] if isinstance(item[1], int) else 0))
    by_county = charts.hbar("needs_by_county", "Searches by county", county_items[:25])

    week_view = tables["needs_by_week"]
    week_values = week_view["cells"] and ([row[0] for row in week_view["cells"]] if category
                                          else week_view["row_totals"])
    by_week = charts.vbar("needs_by_week", "Searches by week",
                          [(w.split("-")[1], v) for w, v in zip(week_view["rows"], week_values or [], strict=False)])

    outcomes = report.tables["outcomes_by_county"]
    outcome_rows = [county] if county else [c for c in outcomes.spec.rows if not outcomes.row_is_small(c)]
    unmet = charts.grouped_hbar("unmet_by_county", "Outcome of searches by county",
                                [OUTCOME_LABELS[o] for o in SEARCH_OUTCOMES],
                                [(c, [outcomes.label(c, o) for o in SEARCH_OUTCOMES]) for c in outcome_rows[:25]])

    gaps = [g for g in top_gaps(report, 1000) if (not county or g["county"] == county)
            and (not category or g["category"] == category)][:10]
    gap_rows = "".join(
        f"<tr><td>{escape(g['county'])}</td><td>{escape(g['category'].replace('_', ' '))}</td>"
        f"{_cell(g['searches'])}{''.join(_cell(g['county_unmet'][o]) for o in UNMET_OUTCOMES)}"
        f"<td class='directory'>{g['unverified_services']}</td></tr>" for g in gaps)
    gap_table = (
        "<table class='counts' data-table='top_gaps'><thead><tr><th>County</th><th>Need</th>"
        "<th>Searches for it</th><th>County: nothing within reach</th><th>County: nothing open now</th>"
        "<th>Services not verified recently</th></tr></thead>"
        f"<tbody>{gap_rows or NO_GAPS}</tbody></table>")
    unmet_items = sorted(((c, o, outcomes.label(c, o)) for c in outcome_rows for o in UNMET_OUTCOMES
                          if isinstance(outcomes.label(c, o), int)), key=lambda item: -int(item[2]))[:10]
    unmet_rows = "".join(f"<tr><td>{escape(c)}</td><td>{escape(OUTCOME_LABELS[o])}</td>{_cell(v)}</tr>"
                         for c, o, v in unmet_items)
    unmet_table = ("<table class='counts' data-table='top_unmet'><thead><tr><th>County</th><th>Outcome</th>"
                   "<th>Searches</th></tr></thead>"
                   f"<tbody>{unmet_rows or NO_UNMET}</tbody></table>")
    all_gaps = data["directory_gaps"]["rows"]
    gap_list = "".join(f"<li>{escape(g['county'])} · {escape(g['category'].replace('_', ' '))} · searches "
                       f"{escape(str(g['searches']))}</li>" for g in all_gaps)

    scope = escape(county or "all of California") + (f" · {escape(category.replace('_', ' '))}" if category else "")
    return (
        "<header class='bar'><strong>Insights</strong>"
        f"<span id='who'>{escape(who.name)} (supervisor)</span><a href='/desk'>Back to the desk</a></header>"
        "<main class='insights'>"
        f"<h1>Unmet needs · {escape(report.weeks[0])} to {escape(report.weeks[-1])} · {scope}</h1>"
        f"<p class='muted'>{escape(RULE)} Whole ISO weeks, California time.</p>{form}"
        f"<section id='needs-by-county'><h2>Needs by county</h2>{by_county}"
        f"{table_html(tables['needs_by_county'], not county, _small_rows(report, 'needs_by_county'))}</section>"
        f"<section id='needs-by-week'><h2>Needs by week (all of California)</h2>{by_week}"
        f"{table_html(week_view)}</section>"
        f"<section id='unmet'><h2>Unmet needs</h2>{unmet}"
        f"{table_html(tables['outcomes_by_county'], not county, _small_rows(report, 'outcomes_by_county'))}"
        f"<h3>By need, all of California</h3>{table_html(tables['outcomes_by_need'])}</section>"
        "<section id='top-gaps'><h2>Top gaps</h2><h3>Where searches most often found nothing</h3>"
        f"{unmet_table}<h3>Needs the directory does not cover, where youth searched for them</h3>"
        f"<p class='muted'>{escape(data['directory_gaps']['definition'])}.</p>{gap_table}"
        f"<details><summary>Every directory gap ({len(all_gaps)})</summary><ul class='gaps'>{gap_list}</ul>"
        "</details></section>"
        "<section id='events'><h2>Requests for a person and crisis protocols</h2>"
        f"{table_html(tables['events_by_county'], not county, _small_rows(report, 'events_by_county'))}"
        f"{table_html(tables['events_by_week'])}</section>"
        f"<section id='who-asked'><h2>Age bands and channels</h2>{table_html(tables['needs_by_age'])}"
        f"{table_html(tables['searches_by_channel'])}</section>"
        "</main>")


def setup(app: web.Application) -> None:
    app.add_routes(routes)
