"""The representative subset of the scenario suites, unchanged, under the web and appium
drivers (``make test`` runs this; the full suites run under ``sim``).

Each run is a pytest subprocess (in-process, a second import of the providers' cryptography
fails), with the session's browser and servers started and stopped by the plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.drivers.appium_server import appium_executable
from harness.drivers.web import chromium_executable

ROOT = Path(__file__).resolve().parents[2]

SUBSET = (
    # the happy path, on both platforms
    "scenarios/test_happy_path.py::test_citizen_lands_on_vssid_home",
    # a level-1 account is refused (P-2, A-7, R-3)
    "scenarios/test_preconditions.py::test_level1_account_is_refused_before_any_token",
    # VNeID missing: its store page
    "scenarios/test_app_links.py::test_missing_vneid_sends_the_user_to_its_store_listing",
    # VssID too old: no VNeID entry, and a downgrade during the hand-off (V-4, V-6)
    "scenarios/test_versions.py::test_old_vssid_shows_no_vneid_entry[1.6.6]",
    "scenarios/test_versions.py::test_vssid_downgraded_during_the_hand_off_shows_the_update_screen",
    # the user cancels in VNeID
    "scenarios/test_user_actions.py::test_user_cancels_in_vneid",
)
"""Node ids relative to the project root (a parametrized test runs all its cases)."""
SUBSET_TESTS = 11


def run_subset(pytester: pytest.Pytester, driver: str) -> pytest.RunResult:
    result = pytester.runpytest_subprocess(
        *(str(ROOT / node) for node in SUBSET),
        "--driver",
        driver,
        f"--rootdir={ROOT}",
        "-c",
        str(ROOT / "pyproject.toml"),
        "-p",
        "no:cacheprovider",
        "--durations=3",
    )
    return result


def test_the_subset_passes_under_the_web_driver(pytester: pytest.Pytester) -> None:
    chromium_executable()  # fails naming `make setup` when Chromium is missing
    result = run_subset(pytester, "web")
    result.assert_outcomes(passed=SUBSET_TESTS)
    result.stdout.fnmatch_lines(["*driver=web*"])


def test_the_subset_passes_under_the_appium_driver(pytester: pytest.Pytester) -> None:
    chromium_executable()
    appium_executable(ROOT)  # fails naming `make setup` when npm's packages are missing
    result = run_subset(pytester, "appium")
    result.assert_outcomes(passed=SUBSET_TESTS)
    result.stdout.fnmatch_lines(["*driver=appium*"])
