"""Each deliberately broken relying party fails plan vssid-relying-party on exactly the clause
it breaks (issue 3): the plan catches real defects, one check at a time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from harness.run import RunOptions, run_suites
from mock_providers.vssid import SKIPPABLE_CHECKS

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
    options = RunOptions(out=tmp_path, plan="vssid-relying-party",
                         extra_args=["--broken-rp", check])
    status = run_suites(options, Console(record=True, width=200))
    data = json.loads(options.result_file.read_text())
    assert status == 1
    assert data["ok"] is False
    failed = {row["clause"] for row in data["clauses"] if row["status"] == "FAILED"}
    # R-12 ("a failed check yields a specific error code, never a session") fails with any
    # skipped check; the rest must be exactly the clause the skipped check enforces.
    assert failed - {"R-12"} == BREAKS[check]
    assert data["counts"]["FAILED"] >= 2
    page = options.result_file.with_suffix(".html").read_text(encoding="utf-8")
    for clause in BREAKS[check]:
        row = page.split(f'id="clause-{clause}"', 1)[1].split("</tr>", 1)[0]
        assert 'class="badge FAILED"' in row, (clause, row[:300])


def test_the_correct_relying_party_passes_the_plan(tmp_path: Path) -> None:
    options = RunOptions(out=tmp_path, plan="vssid-relying-party")
    assert run_suites(options, Console(record=True, width=200)) == 0
