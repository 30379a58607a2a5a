"""Each deliberately broken relying party fails plan vssid-relying-party on exactly the clause
it breaks (issue 3): the plan catches real defects, one check at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_providers.vssid import SKIPPABLE_CHECKS
from tests.cli.plan_runs import run_plan

BREAKS = {
    "nonce": {"R-9"},
    "state": {"R-1"},
    "iss": {"R-2", "R-6"},
    "acr": {"R-10"},
    "signature": {"R-5"},
    "aud": {"R-7"},
    "expiry": {"R-8"},
    # a transaction completed twice: the test of an error callback's transaction
    # completes it again too
    "replay": {"R-1", "R-3"},
    "transaction_expiry": {"R-1"},
    "redirect_uri": {"R-4"},
    "userinfo": {"T-5"},
}


def test_every_skippable_check_has_an_expectation() -> None:
    assert set(BREAKS) == set(SKIPPABLE_CHECKS)


def test_the_options_help_lists_every_skippable_check() -> None:
    """``--broken-rp``'s help (the CLI's and the pytest plugin's) lists the checks by hand
    (the mock's package is not imported to print help): it names each one there is."""
    import re

    from harness import cli, plugin_config
    from harness.plugin_options import OPT_BROKEN_RP

    helps = {"vneid-harness": cli.BrokenRpOption.__metadata__[0].help}

    class Group:
        def addoption(self, name: str, **kwargs: object) -> None:
            if name == OPT_BROKEN_RP:
                helps["pytest"] = str(kwargs["help"])

    class Parser:
        def getgroup(self, *args: object, **kwargs: object) -> Group:
            return Group()

        def addini(self, *args: object, **kwargs: object) -> None:
            pass

    plugin_config.pytest_addoption(Parser())  # type: ignore[arg-type]
    assert set(helps) == {"vneid-harness", "pytest"}
    for where, text in helps.items():
        listed = re.search(r"\(([a-z_, ]+)\)", text)
        assert listed is not None, (where, text)
        assert tuple(listed[1].split(", ")) == SKIPPABLE_CHECKS, (where, text)


@pytest.mark.parametrize("check", list(BREAKS))
def test_broken_relying_party_fails_the_plan_on_its_clause(tmp_path: Path, check: str) -> None:
    run = run_plan(tmp_path, "vssid-relying-party", "--broken-rp", check)
    assert run.status == 1
    assert run.verdict["ok"] is False
    # R-12 ("a failed check yields a specific error code, never a session") fails with most
    # skipped checks (the tests of those checks are tagged with it); the rest must be exactly
    # the clauses the skipped check enforces.
    assert run.failed_clauses() - {"R-12"} == BREAKS[check]
    assert run.verdict["counts"]["FAILED"] >= len(BREAKS[check])
    run.assert_badged_failed(BREAKS[check])


def test_a_known_deviation_is_expected_failed_alike_in_console_json_and_page(
    tmp_path: Path,
) -> None:
    """A new user's run: the relying party skips its nonce check, and the expected-failures
    file records it for R-9. The verdict is OK, and every report says EXPECTED FAILED with
    the same numbers: the console said "0 failed (and 3 more …)", "0 warnings, 3 expected
    failures" under a table of WARNING clauses, and the page FAILED 3 beside a green OK. R-12,
    which the same tests cover, is EXPECTED FAILED too, as R-9's entry says."""
    known = tmp_path / "xf.yaml"
    known.write_text(
        'expected_failures:\n  - test: "*"\n    clause: R-9\n    status: FAILED\n'
        '    reason: "no nonce check until release 2.3"\n'
        '    match: "nonce|id_token_invalid"\n',
        encoding="utf-8",
    )
    run = run_plan(
        tmp_path / "out", "vssid-relying-party", "--broken-rp", "nonce", expected_failures=known
    )
    assert run.status == 0, run.console[-3000:]
    assert run.verdict["ok"] is True
    counts = run.verdict["counts"]
    assert counts["FAILED"] == counts["WARNING"] == counts["EXPECTED WARNING"] == 0
    assert counts["EXPECTED FAILED"] == counts["expected_failures"] > 0
    assert sum(
        counts[s]
        for s in ("PASSED", "FAILED", "EXPECTED FAILED", "WARNING", "EXPECTED WARNING", "SKIPPED")
    ) == len(run.verdict["tests"])
    rows = {row["clause"]: row for row in run.verdict["clauses"]}
    for clause in ("R-9", "R-12"):
        assert rows[clause]["status"] == "EXPECTED FAILED", rows[clause]
        assert rows[clause]["failed"] == rows[clause]["warnings"] == 0
        assert rows[clause]["expected_failures"] == counts["EXPECTED FAILED"]
        assert rows[clause]["expected_for"] == ["R-9"]
    assert {
        row["status"]
        for clause, row in rows.items()
        if row["in_plan"] and clause not in ("R-9", "R-12")
    } == {"PASSED"}
    # the console: its table and its counts lines
    expected = counts["EXPECTED FAILED"]
    assert (
        f"{counts['PASSED']} passed, 0 failed, {expected} expected failed, "
        f"{counts['SKIPPED']} skipped"
    ) in run.console
    assert "0 warnings, 0 expected warnings, 0 unexpected passes;" in run.console
    assert run.console.count("│ EXPECTED FAILED │") == 2
    assert f"│ {expected} (for R-9) │" in run.console  # R-12's expected column
    assert "WARNING │" not in run.console
    assert "; verdict OK reports: " in run.console
    # the page: the same numbers on its badges, and the same clause statuses
    assert run.badges() == {
        s: counts[s] for s in ("PASSED", "FAILED", "EXPECTED FAILED", "WARNING", "SKIPPED")
    }
    for clause in ("R-9", "R-12"):
        row = run.page.split(f'id="clause-{clause}"', 1)[1].split("</tr>", 1)[0]
        assert '<span class="badge EXPECTED-FAILED">EXPECTED FAILED</span>' in row, row[:300]
        said = row.split("<summary>", 1)[1].split("</summary>", 1)[0]  # "52 tests: 49 passed…"
        assert said.endswith(f"passed, {expected} expected"), said
    r12 = run.page.split('id="clause-R-12"', 1)[1].split("</tr>", 1)[0]
    assert "as the entry for R-9 says" in r12
    assert 'class="badge FAILED">FAILED</span> 0' in run.page


def test_the_correct_relying_party_passes_the_plan(tmp_path: Path) -> None:
    assert run_plan(tmp_path, "vssid-relying-party").status == 0
