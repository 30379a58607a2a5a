"""``--hypothesis-profile dev|ci|deep`` works from any pytest command line (issue 4)."""

from __future__ import annotations

import pytest

from harness.pytest_plugin import own_pytest


@pytest.mark.parametrize(("profile", "examples"), [("dev", 25), ("ci", 200), ("deep", 2000)])
def test_the_harness_plugin_registers_the_profiles_before_hypothesis_loads_one(
        pytester: pytest.Pytester, profile: str, examples: int) -> None:
    pytester.makepyfile("""
        from hypothesis import settings

        def test_profile():
            print("PROFILE", settings.get_current_profile_name(), settings().max_examples)
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s",
                                           "--hypothesis-profile", profile)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*PROFILE {profile} {examples}*"])


def test_an_unknown_profile_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """Hypothesis's own refusal was an INTERNALERROR with a traceback."""
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                           "--hypothesis-profile", "nightly")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --hypothesis-profile 'nightly': choose one of dev, "
                                 "ci, deep (docs/properties.md)"])
    assert "INTERNALERROR" not in result.stderr.str() + result.stdout.str()


def test_a_deep_run_chooses_and_names_its_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The failure note of a random run pointed to an @seed(N) that hypothesis prints only for
    flaky failures; now the seed is chosen up front and the note names it."""
    from hypothesis import core

    from scenarios.properties import profiles

    monkeypatch.setattr(core, "global_force_seed", None)
    monkeypatch.setattr(profiles, "_cli_profile", "deep")
    chosen = profiles.active_settings()
    seed = core.global_force_seed
    assert isinstance(seed, int)
    assert not chosen.derandomize
    assert f"--hypothesis-seed={seed}`" in profiles.failure_note()
    assert (f"`VNEID_HARNESS_HYPOTHESIS_PROFILE=deep {own_pytest()} 'scenarios/properties/t.py::"
            f"test_m[half 1]' --hypothesis-seed={seed}`") in profiles.failure_note(
                "scenarios/properties/t.py::test_m[half 1]")
    profiles.active_settings()
    assert core.global_force_seed == seed  # once per process

    monkeypatch.setattr(core, "global_force_seed", None)
    monkeypatch.setattr(profiles, "_cli_profile", "dev")  # random, with a database; with CI
    dev = profiles.active_settings()  # set, hypothesis's ci profile, its parent, derandomizes it
    assert core.global_force_seed is None
    note = profiles.failure_note()
    if dev.derandomize:
        assert "derandomized" in note
    else:
        assert "database" in note
        assert "@reproduce_failure" in note
    assert "@seed" not in note

    monkeypatch.setattr(profiles, "_cli_profile", "ci")
    profiles.active_settings()
    assert core.global_force_seed is None
    assert "derandomized" in profiles.failure_note()
