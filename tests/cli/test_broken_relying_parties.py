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
}


def test_every_skippable_check_has_an_expectation() -> None:
    assert set(BREAKS) == set(SKIPPABLE_CHECKS)


@pytest.mark.parametrize("check", list(BREAKS))
def test_broken_relying_party_fails_the_plan_on_its_clause(tmp_path: Path, check: str) -> None:
    run = run_plan(tmp_path, "vssid-relying-party", "--broken-rp", check)
    assert run.status == 1
    assert run.verdict["ok"] is False
    # R-12 ("a failed check yields a specific error code, never a session") fails with any
    # skipped check; the rest must be exactly the clause the skipped check enforces.
    assert run.failed_clauses() - {"R-12"} == BREAKS[check]
    assert run.verdict["counts"]["FAILED"] >= 2
    run.assert_badged_failed(BREAKS[check])


def test_the_correct_relying_party_passes_the_plan(tmp_path: Path) -> None:
    assert run_plan(tmp_path, "vssid-relying-party").status == 0
