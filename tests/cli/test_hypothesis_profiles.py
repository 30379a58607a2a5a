"""``--hypothesis-profile dev|ci|deep`` works from any pytest command line (issue 4)."""

from __future__ import annotations

import pytest

from harness.replay import own_pytest


@pytest.mark.parametrize(("profile", "examples"), [("dev", 25), ("ci", 200), ("deep", 2000)])
def test_the_harness_plugin_registers_the_profiles_before_hypothesis_loads_one(
    pytester: pytest.Pytester, profile: str, examples: int
) -> None:
    pytester.makepyfile("""
        from hypothesis import settings

        def test_profile():
            print("PROFILE", settings.get_current_profile_name(), settings().max_examples)
    """)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-s", "--hypothesis-profile", profile
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*PROFILE {profile} {examples}*"])


def test_an_unknown_profile_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """Hypothesis's own refusal was an INTERNALERROR with a traceback."""
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--hypothesis-profile", "nightly"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --hypothesis-profile 'nightly': choose one of dev, ci, deep (docs/properties.md)"]
    )
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
    env, extra, note = profiles.replay_parts()
    assert env == {"VNEID_HARNESS_HYPOTHESIS_PROFILE": "deep"}
    assert extra == [f"--hypothesis-seed={seed}"]
    assert note == f"hypothesis profile 'deep', seed {seed}"
    profiles.active_settings()
    assert core.global_force_seed == seed  # once per process

    monkeypatch.setattr(core, "global_force_seed", None)
    monkeypatch.setattr(profiles, "_cli_profile", "dev")  # random, with a database; with CI
    dev = profiles.active_settings()  # set, hypothesis's ci profile, its parent, derandomizes it
    assert core.global_force_seed is None
    env, extra, note = profiles.replay_parts()
    assert env == {"VNEID_HARNESS_HYPOTHESIS_PROFILE": "dev"}
    assert extra == []
    if dev.derandomize:
        assert "derandomized" in note
    else:
        assert "database" in note
        assert "@reproduce_failure" in note
    assert "@seed" not in note

    monkeypatch.setattr(profiles, "_cli_profile", "ci")
    profiles.active_settings()
    assert core.global_force_seed is None
    assert "derandomized" in profiles.replay_parts()[2]


def test_a_property_suite_failure_replays_with_its_profile(pytester: pytest.Pytester) -> None:
    """The property suites' failures said "how to reproduce" in a section of their own, which
    ``vneid-harness run`` did not read: no ``replay`` in summary.json or results.jsonl, and no
    command at all for the derandomized ``ci`` profile. Their replay is the harness's now,
    with the profile's variable and the seed (the suites' conftest hooks, loaded here as
    ``scenarios/properties/conftest.py`` loads them)."""
    import shlex

    pytester.makeconftest("""
        from scenarios.properties.conftest import pytest_configure, pytest_runtest_makereport
    """)
    pytester.makepyfile(
        test_props="""
        from hypothesis import given, settings, strategies as st
        from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

        @settings(database=None)
        @given(st.integers(min_value=0, max_value=9))
        def test_minor(minor):
            assert minor < 5

        class Counter(RuleBasedStateMachine):
            n = 0

            @rule()
            def step(self):
                self.n += 1
                assert self.n < 3

        def test_machine():  # as the login state machine runs: no @given of its own
            run_state_machine_as_test(Counter, settings=settings(database=None))
    """
    )
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-p",
        "no:schemathesis",
        "--hypothesis-profile",
        "deep",
        "--hypothesis-seed",
        "1234",
    )
    result.assert_outcomes(failed=2)
    lines = [
        line for line in result.stdout.lines if line.startswith("VNEID_HARNESS_HYPOTHESIS_PROFILE=")
    ]
    assert len(lines) == 2, result.stdout.str()
    for line, test in zip(lines, ("test_minor", "test_machine"), strict=True):
        command, _, comment = line.partition("  # ")
        assert shlex.split(command) == [
            "VNEID_HARNESS_HYPOTHESIS_PROFILE=deep",
            own_pytest(),
            "--hypothesis-seed=1234",
            f"test_props.py::{test}",
        ]
        assert comment == "hypothesis profile 'deep', seed 1234"
    assert "how to reproduce" not in result.stdout.str()
