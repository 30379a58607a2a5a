"""Looked at, not assumed (issue 5 items 4 and 6): a plan runs against a deliberately broken
relying party, with one known deviation in an expected-failures file; the conformance report it
writes is opened from disk in headless Chromium, with the network refused: the verdict, the
failed clause with its tests, the expected failure and a rendered sequence diagram are there.
Screenshots go to reports/out/screenshots/ (conformance-overview.png, conformance-failure.png).

Chromium is required (``make setup`` installs Debian's): without it this test fails, it does
not skip."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from harness.run import RunOptions, run_suites
from reports.allure_html import project_root
from reports.browser import find_chromium, open_browser, open_page, screenshot

SHOTS = project_root() / "reports" / "out" / "screenshots"
EXPECTED = """
expected_failures:
- test: "*test_relying_party_refuses_a_faulty_provider[[]id_token_nonce_missing[]]"
  clause: R-9
  status: FAILED
  reason: our relying party accepts a token without nonce until release 2.3
- test: "*test_citizen_lands_on_vssid_home[[]ios[]]"
  clause: P-1
  status: FAILED
  reason: recorded as failing, but it passes
"""


def test_the_conformance_report_shows_the_failed_clause_its_evidence_and_metadata(
    tmp_path: Path,
) -> None:
    find_chromium()  # no Chromium: fail now, with the fix, before running anything
    expected = tmp_path / "known-deviations.yaml"
    expected.write_text(EXPECTED, encoding="utf-8")
    options = RunOptions(
        out=tmp_path / "out",
        plan="vssid-relying-party",
        keyword="nonce or lands_on_vssid_home",
        expected_failures=expected,
        extra_args=["--broken-rp", "nonce"],
    )
    assert run_suites(options, Console(record=True, width=200)) == 1
    verdict = json.loads(options.result_file.read_text(encoding="utf-8"))
    page_file = options.result_file.with_suffix(".html")
    assert verdict["counts"]["expected_failures"] == 1
    assert verdict["counts"]["unexpected_passes"] == 1
    failed = [t for t in verdict["tests"] if t["status"] == "FAILED"]
    assert failed, "skipping the nonce check must fail some R-9 test"
    assert all(t["evidence"]["diagram_svg"] for t in failed), "every failure has its diagram"

    with open_browser() as browser, open_page(browser, page_file, width=1280, height=900) as view:
        page = view.page
        assert page.get_by_test_id("verdict").inner_text() == "NOT OK"
        assert page.get_by_test_id("plan").inner_text() == "vssid-relying-party"
        assert "embedded" in page.inner_text("dl.meta")
        row = page.locator("#clause-R-9")
        assert "FAILED" in row.inner_text()
        screenshot(page, SHOTS / "conformance-overview.png")

        clause_link = row.locator("td").first.locator("a")  # the clause's text in PROTOCOL.md
        if clause_link.count():  # (when ../shared/PROTOCOL.md is beside the checkout)
            assert clause_link.get_attribute("href", timeout=5000).endswith(  # type: ignore[union-attr]
                "PROTOCOL.md#6-what-the-relying-party-must-check-r"
            )
        row.locator("summary").click()
        first = row.locator("details a").first
        first.click()
        evidence = page.locator(f"#{first.get_attribute('href', timeout=5000)[1:]}")  # type: ignore[index]
        assert "FAILED" in evidence.inner_text()
        text = page.inner_text("body")
        assert (
            "Expected failure (FAILED, R-9): our relying party accepts a token without "
            "nonce until release 2.3" in text
        )
        assert "Unexpected pass" in text
        image = evidence.get_by_test_id("sequence-diagram")
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), (
            "the sequence diagram does not render"
        )
        screenshot(page, SHOTS / "conformance-failure.png")
        assert view.external_requests == [], "the report opens offline, from disk"
    for shot in ("conformance-overview.png", "conformance-failure.png"):
        assert (SHOTS / shot).stat().st_size > 10_000, shot
