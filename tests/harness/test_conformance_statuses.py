"""A known deviation has a status of its own (EXPECTED FAILED), per test, per clause and in
the counts: it was WARNING per clause and FAILED in the counts, so a page showed FAILED 3
beside a green OK, and an approver could not tell it from a ``warning_on_failure`` WARNING."""

from __future__ import annotations

import pytest
from rich.console import Console

from harness.conformance import evaluate, get_plan
from harness.conformance.expected import ExpectedFailure
from harness.conformance.results import STATUS_ORDER, ConformanceResult, TestOutcome
from reports import summary

PLAN = get_plan("vssid-relying-party")
NONCE = ExpectedFailure("*test_nonce*", "R-9", "FAILED", "no nonce check until 2.3", match="nonce")
PRAGMA = ExpectedFailure("*test_pragma", "R-9", "WARNING", "no Pragma header until 2.3")


def _outcome(
    name: str,
    outcome: str,
    clauses: tuple[str, ...] = ("R-9",),
    *,
    warning: bool = False,
    message: str = "",
) -> TestOutcome:
    return TestOutcome(
        f"scenarios/test_x.py::{name}", outcome, clauses, 0.01, message, warning, message
    )


# each test below is one of its kinds: shown, in the reports, as the status beside it
KINDS = {
    "FAILED": _outcome("test_other", "failed", message="state mismatch"),
    "EXPECTED FAILED": _outcome("test_nonce", "failed", message="nonce accepted"),
    "WARNING": _outcome("test_cache", "failed", warning=True, message="no Cache-Control"),
    "EXPECTED WARNING": _outcome("test_pragma", "failed", warning=True, message="no Pragma"),
    "PASSED": _outcome("test_fine", "passed"),
    "SKIPPED": _outcome("test_ios_only", "skipped"),
}


def _run(*outcomes: TestOutcome) -> ConformanceResult:
    return evaluate(PLAN, outcomes, [NONCE, PRAGMA], coverage_required=False)


def test_each_kind_of_test_is_shown_as_its_status() -> None:
    result = _run(*KINDS.values())
    assert [t.shown_status for t in result.tests] == list(KINDS)
    assert [t.status for t in result.tests] == [  # the JSON keeps the outcome's own status
        "FAILED",
        "FAILED",
        "WARNING",
        "WARNING",
        "PASSED",
        "SKIPPED",
    ]
    assert list(KINDS) == list(STATUS_ORDER)


@pytest.mark.parametrize("gravest", STATUS_ORDER)
def test_a_clause_shows_the_gravest_status_of_its_tests(gravest: str) -> None:
    """FAILED > EXPECTED FAILED > WARNING > EXPECTED WARNING > PASSED > SKIPPED: a failure
    the file names is still a failure of the clause (graver than any WARNING), and what is
    news ranks above the same result declared."""
    milder = STATUS_ORDER[STATUS_ORDER.index(gravest) :]
    result = _run(*(KINDS[s] for s in reversed(milder)))
    row = next(c for c in result.clauses if c.clause == "R-9")
    assert row.status == gravest


def test_a_clause_without_tests_is_untested() -> None:
    result = _run(KINDS["PASSED"])
    assert next(c for c in result.clauses if c.clause == "R-1").status == "UNTESTED"


def test_the_counts_count_each_test_once_and_failed_only_what_fails_the_run() -> None:
    result = _run(
        *KINDS.values(), _outcome("test_nonce_missing", "failed", message="nonce missing, accepted")
    )
    counts = result.counts()
    assert {s: counts[s] for s in STATUS_ORDER} == {
        "FAILED": 1,
        "EXPECTED FAILED": 2,
        "WARNING": 1,
        "EXPECTED WARNING": 1,
        "PASSED": 1,
        "SKIPPED": 1,
    }
    assert sum(counts[s] for s in STATUS_ORDER) == len(result.tests)
    assert counts["expected_failures"] == 3  # as before: every test an entry took
    assert counts["unexpected_passes"] == 0
    row = next(c for c in result.to_json()["clauses"] if c["clause"] == "R-9")
    assert (row["failed"], row["warnings"], row["expected_failures"]) == (1, 1, 3)


def test_an_expected_failure_alone_is_ok_and_failed_counts_none() -> None:
    result = _run(KINDS["EXPECTED FAILED"], KINDS["PASSED"])
    assert result.ok is True
    assert result.counts()["FAILED"] == 0
    assert result.counts()["EXPECTED FAILED"] == 1


def test_the_entry_for_one_clause_takes_the_test_for_every_clause_it_covers() -> None:
    """An entry for R-9 takes a test that covers R-9 and R-12 (a relying party that skips
    its nonce check also hands out a session on a failed check): the test failed once, for
    the reason declared, so R-12 shows it as EXPECTED FAILED too, saying the entry was R-9's,
    neither as passing nor as failing the run. A failure of R-12 no entry takes still fails
    it and the run."""
    both = ("R-9", "R-12")
    nonce = _outcome("test_nonce_invalid", "failed", both, message="id_token nonce accepted")
    fine = _outcome("test_error_code", "passed", ("R-12",))
    result = _run(nonce, fine)
    rows = {c.clause: c for c in result.clauses}
    assert (rows["R-9"].status, rows["R-12"].status) == ("EXPECTED FAILED", "EXPECTED FAILED")
    assert rows["R-12"].expected_for == ["R-9"]
    assert rows["R-12"].to_json()["expected_failures"] == 1
    assert rows["R-12"].to_json()["failed"] == 0
    assert result.ok is True
    other = _outcome("test_session_on_error", "failed", ("R-12",), message="a session")
    worse = _run(nonce, fine, other)
    assert {c.clause: c.status for c in worse.clauses}["R-12"] == "FAILED"
    assert worse.ok is False


def test_the_console_table_shows_the_status_and_whose_entry_it_was() -> None:
    nonce = _outcome("test_nonce_invalid", "failed", ("R-9", "R-12"), message="nonce")
    console = Console(record=True, width=220)
    console.print(summary.clause_table(_run(nonce, KINDS["WARNING"])))
    rows = {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:7]]
        for line in console.export_text().splitlines()
        if line.startswith("│")
    }
    # status, passed, failed, expected, warnings
    assert rows["R-9"] == ["EXPECTED FAILED", "0", "0", "1", "1"]
    assert rows["R-12"] == ["EXPECTED FAILED", "0", "0", "1 (for R-9)", "0"]


def test_every_status_has_a_console_style() -> None:
    assert set(summary._STYLE) == {*STATUS_ORDER, "UNTESTED"}


def test_a_narrow_console_shortens_the_text_not_the_counts() -> None:
    """With the expected column, a 160-column console squeezed every count column to
    nothing (rich's last resort for a table wider than the console): the text gives way."""
    nonce = _outcome("test_nonce_invalid", "failed", ("R-9", "R-12"), message="nonce")
    for width in (100, 160):
        console = Console(record=True, width=width)
        console.print(summary.clause_table(_run(nonce)))
        lines = console.export_text().splitlines()
        assert max(map(len, lines)) <= width
        (row,) = [line for line in lines if line.startswith("│ R-12 ")]
        assert [cell.strip() for cell in row.split("│")[1:8]] == [
            "R-12",
            "EXPECTED FAILED",
            "0",
            "0",
            "1 (for R-9)",
            "0",
            "0",
        ], width
