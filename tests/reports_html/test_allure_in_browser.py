"""Looked at, not assumed: a few scenarios run (pytest in a subprocess, with --alluredir),
the report is generated twice, then opened from disk in headless Chromium: the tests are
listed, one test shows its protocol-hop steps and its sequence diagram, the trend shows two
runs. Screenshots go to reports/out/screenshots/ (allure-overview.png, allure-test.png,
allure-diagram.png, allure-trend.png).

Chromium is required (``make setup`` installs Debian's): without it this test fails, it does
not skip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.run import scenarios_dir
from reports.allure_html import generate_report, project_root
from reports.browser import find_chromium, open_browser, open_page, screenshot
from tests.reports_html.allure_page import (
    attachment_names,
    listed_tests,
    open_image_attachment,
    open_test,
    step_titles,
    trend_runs,
)
from tests.reports_html.tiny_results import as_a_later_run

SHOTS = project_root() / "reports" / "out" / "screenshots"
KEYWORD = "lands_on_vssid_home or me_returns_the_same_person"
OPENED = "test_citizen_lands_on_vssid_home[android]"
DIAGRAM = "Sequence diagram"


def _run_scenarios(pytester: pytest.Pytester, results: Path) -> list[dict[str, object]]:
    """Run a few happy-path scenarios in a subprocess; their Allure results, parsed."""
    run = pytester.runpytest_subprocess(
        str(scenarios_dir() / "test_happy_path.py"),
        "-k",
        KEYWORD,
        "-p",
        "no:cacheprovider",
        "--alluredir",
        str(results),
        timeout=300,
    )
    run.assert_outcomes(passed=3)
    return [json.loads(p.read_text(encoding="utf-8")) for p in results.glob("*-result.json")]


def test_the_report_shows_the_scenarios_steps_diagram_and_trend(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    find_chromium()  # no Chromium: fail now, with the fix, before running anything
    results = tmp_path / "allure-results"
    ran = _run_scenarios(pytester, results)
    names = {str(r["name"]) for r in ran}
    assert OPENED in names
    history = tmp_path / "history" / "history.jsonl"
    generate_report(results, tmp_path / "allure-report", history=history)
    report = generate_report(
        as_a_later_run(results, tmp_path / "later-results"),
        tmp_path / "allure-report",
        history=history,
    )
    assert report.history_runs == 2

    with open_browser() as browser, open_page(browser, report.index, timeout_ms=15_000) as view:
        page = view.page
        page.get_by_test_id("report-title").wait_for()
        assert sorted(listed_tests(page)) == sorted(names), "every test run is listed"
        screenshot(page, SHOTS / "allure-overview.png")

        open_test(page, OPENED)
        steps = step_titles(page)
        screenshot(page, SHOTS / "allure-test.png")
        hops = [s for s in steps if " → " in s]
        assert hops, f"no protocol-hop step (A → B: METHOD path → status) in {steps}"
        assert DIAGRAM in attachment_names(page), f"no {DIAGRAM!r} attachment in {steps}"
        image = open_image_attachment(page, DIAGRAM)
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), (
            "the sequence diagram does not render"
        )
        image.scroll_into_view_if_needed()
        screenshot(page, SHOTS / "allure-diagram.png")

        page.goto(f"{report.index.resolve().as_uri()}#charts")
        assert trend_runs(page) == 2, "the trend shows the previous run and this one"
        screenshot(page, SHOTS / "allure-trend.png")
        assert view.external_requests == [], "the report opens offline, from disk"
    for shot in (
        "allure-overview.png",
        "allure-test.png",
        "allure-diagram.png",
        "allure-trend.png",
    ):
        assert (SHOTS / shot).stat().st_size > 10_000
