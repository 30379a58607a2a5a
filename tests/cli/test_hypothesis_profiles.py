"""``--hypothesis-profile dev|ci|deep`` works from any pytest command line (issue 4)."""

from __future__ import annotations

import pytest


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


def test_an_unknown_profile_is_refused_by_hypothesis(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                           "--hypothesis-profile", "nightly")
    assert result.ret != 0
    assert "nightly" in result.stderr.str() + result.stdout.str()
