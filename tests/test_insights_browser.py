"""The insights page in Debian's chromium (headless): a supervisor logs in and sees the charts, the filters
work and nothing breaks the CSP; an advocate gets 403."""

from __future__ import annotations

import pytest

from bot.launcher import Stack
from tests.conftest import DESK_PASSWORD, add_desk_users
from tests.test_insights_stack import _seed

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def _log_in(browser, stack: Stack, name: str, role: str):
    add_desk_users(stack, [name], role)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(stack.url + "/desk")
    page.wait_for_url("**/desk/login")
    page.fill("#name", name)
    page.fill("#password", DESK_PASSWORD)
    page.click("#login-btn")
    page.wait_for_url("**/desk")
    return context, page, errors


def test_a_supervisor_sees_the_charts_and_can_filter(browser, stack: Stack) -> None:
    _seed(stack)
    context, page, errors = _log_in(browser, stack, "browser-sam", "supervisor")
    try:
        page.wait_for_selector("#insights-link:not([hidden])")
        page.click("#insights-link")
        page.wait_for_url("**/desk/insights")
        for chart in ("needs_by_county", "needs_by_week", "unmet_by_county"):
            assert page.locator(f"svg.chart[data-chart={chart}]").is_visible(), chart
        bars = page.locator("svg[data-chart=needs_by_county] rect.bar")
        assert bars.count() >= 2
        values = [int(v) for v in page.locator("svg.chart rect.bar").evaluate_all(
            "els => els.map(e => e.dataset.value)")]
        assert values and min(values) >= 11
        assert page.locator("svg[data-chart=needs_by_county] rect.bar[data-label=Fresno]").count() == 1
        assert page.locator("table[data-table=top_gaps] td", has_text="Kern").count() == 1
        assert page.locator("table[data-table=top_unmet] td", has_text="Fresno").count() >= 1
        page.select_option("select[name=county]", "Fresno")
        page.select_option("select[name=category]", "shelter")
        page.click(".filters button[type=submit]")
        page.wait_for_url("**county=Fresno**")
        assert page.locator("svg[data-chart=needs_by_county] rect.bar").count() == 1
        assert page.locator("table[data-table=needs_by_county] tbody tr").count() == 2  # Fresno and Total
        with page.expect_download() as download:
            page.click("#export-csv")
        assert download.value.suggested_filename.endswith(".csv")
        assert page.locator("script").count() == 0
        assert not [e for e in errors if "Content Security Policy" in e], errors
    finally:
        context.close()


def test_an_advocate_gets_403(browser, stack: Stack) -> None:
    context, page, _ = _log_in(browser, stack, "browser-ana-insights", "advocate")
    try:
        assert page.locator("#insights-link").is_hidden()
        response = page.goto(stack.url + "/desk/insights")
        assert response is not None and response.status == 403
        assert page.locator("svg.chart").count() == 0
    finally:
        context.close()
