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


def test_the_correct_relying_party_passes_the_plan(tmp_path: Path) -> None:
    assert run_plan(tmp_path, "vssid-relying-party").status == 0
