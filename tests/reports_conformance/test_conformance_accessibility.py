"""The conformance report is read by keyboard, zoomed, on a phone and on paper: measured in
headless Chromium (WCAG 2.2 AA). At 320 CSS px (a phone, or 400 % zoom) the page does not scroll
sideways, only each table in its own focusable box, and every count stays beside its badge;
a sequence diagram is drawn at its own size in a box that scrolls, so its labels keep their
11 px and grow with zoom; keyboard focus never lands under the sticky table header; printed
without backgrounds, the badges and the verdict stay dark text and the whole failure message
prints.

Chromium is required (``make setup`` installs Debian's): without it this test fails, it does
not skip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.conformance import evaluate, get_plan
from harness.conformance.results import TestOutcome
from reports.browser import find_chromium, open_browser, open_page
from reports.conformance_html import render_conformance_html
from reports.evidence import evidence_of
from tests.reports.events import login_trace

WHOLE = "AssertionError: expected vssid's error screen, observed " + "vssid-home " * 60


def _verdict() -> dict[str, Any]:
    outcomes = [
        TestOutcome(
            f"scenarios/test_id_token_checks.py::test_refuses[case_{n:02d}]",
            "passed",
            ("R-9",),
            0.01,
        )
        for n in range(40)
    ]
    outcomes.append(
        TestOutcome(
            "scenarios/test_id_token_checks.py::test_nonce",
            "failed",
            ("R-9",),
            0.02,
            WHOLE[:300],
            False,
            WHOLE,
        )
    )
    verdict = evaluate(get_plan("vssid-relying-party"), outcomes).to_json(
        target={"vneid": "embedded", "vssid": "http://127.0.0.1:9000"},
        harness_version="0.1.0",
        seed=7,
        duration_s=1.5,
        started_at="2026-11-22T05:00:00Z",
        expected_failures_file="/a/rather/long/path/to/the/known-deviations-of-the-vendor.yaml",
    )
    evidence = evidence_of([login_trace()], "scenarios/test_id_token_checks.py::test_nonce")
    for test in verdict["tests"]:
        test["evidence"] = evidence
    return verdict


def _luminance(rgb: str) -> float:
    def channel(value: str) -> float:
        c = int(value) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast_on_white(rgb: str) -> float:
    return 1.05 / (_luminance(rgb) + 0.05)


def test_the_report_reflows_keeps_focus_visible_and_prints_legibly(tmp_path: Path) -> None:
    find_chromium()  # no Chromium: fail now, with the fix
    page_file = tmp_path / "conformance.html"
    page_file.write_text(render_conformance_html(_verdict()), encoding="utf-8")
    with open_browser() as browser:
        with open_page(browser, page_file, width=320, height=800) as view:
            page = view.page
            page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 320, (
                "at 320 px the page itself scrolls sideways (WCAG 1.4.10)"
            )
            boxes = page.locator(".table-scroll")
            assert boxes.count() == 2
            for n in range(2):  # each table scrolls in its own box, which the keyboard reaches
                box = boxes.nth(n)
                assert box.get_attribute("tabindex") == "0"
                assert box.get_attribute("aria-labelledby")
                assert box.evaluate("b => getComputedStyle(b).overflowX") == "auto"
            # "PASSED 40", "FAILED 1": each number on the line of its own badge
            assert page.evaluate("""() => [...document.querySelectorAll('.counts > span')]
                .every(s => s.getClientRects().length === 1)""")
            diagram = page.get_by_test_id("sequence-diagram").first
            assert diagram.evaluate("i => i.getBoundingClientRect().width === i.naturalWidth"), (
                "the diagram is shrunk to the column: its labels become unreadable"
            )
            assert diagram.evaluate("i => i.parentElement.tabIndex") == 0

        with open_page(browser, page_file, width=1280, height=700) as view:
            page = view.page
            page.evaluate("""() => { const all = document.querySelectorAll('a[href], summary');
                                     all[all.length - 1].focus(); }""")
            hidden = []
            for _ in range(80):  # backwards through the tests table, under its sticky header
                page.keyboard.press("Shift+Tab")
                hidden += page.evaluate("""() => {
                    const r = document.activeElement.getBoundingClientRect();
                    const heads = [...document.querySelectorAll('th')]
                        .map(th => th.getBoundingClientRect())
                        .filter(h => h.top <= 1 && h.bottom > 0);
                    const under = heads.length && Math.max(...heads.map(h => h.bottom)) >= r.bottom;
                    return under ? [document.activeElement.outerHTML.slice(0, 80)] : []; }""")
            assert hidden == [], "focus hidden under the sticky header (WCAG 2.4.11)"

            # the known deviations' badge: white on its colour reads as the others do
            known = page.locator(".badge.EXPECTED-FAILED").first.evaluate(
                "b => getComputedStyle(b).backgroundColor"
            )
            assert _contrast_on_white(known) >= 4.5, known
            page.emulate_media(media="print")
            for selector in (
                ".verdict",
                ".badge.PASSED",
                ".badge.FAILED",
                ".badge.EXPECTED-FAILED",
                ".badge.UNTESTED",
            ):
                color, background = page.locator(selector).first.evaluate(
                    "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]"
                )
                assert background == "rgba(0, 0, 0, 0)", (selector, background)
                assert _contrast_on_white(color) >= 4.5, (selector, color)
            whole = page.get_by_test_id("detail").locator("pre")
            assert whole.evaluate("p => p.getClientRects().length") > 0, (
                "the whole failure message is left off the printed page"
            )
