"""The docs' example suites run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_teams_property_tests_of_the_docs_pass() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
         "no:schemathesis", str(ROOT / "docs" / "examples" / "team_properties")],
        capture_output=True, text=True, check=False, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b3 passed\b", done.stdout), done.stdout


def test_a_fresh_worlds_secrets_are_scrubbed_and_its_example_replays(
        pytester: pytest.Pytester) -> None:
    """A world a Hypothesis test built by hand printed its citizen's passcode in the failure
    (a team's review): ``fresh_world`` wires it as the fixtures are. The same seed and salt
    give the same citizen."""
    pytester.makepyfile("""
        from hypothesis import HealthCheck, given, settings, strategies as st

        @settings(max_examples=3, deadline=None, database=None, derandomize=True,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(salt=st.integers(0, 5))
        def test_leaky(fresh_world, salt):
            with fresh_world(salt) as world:
                citizen = world.personas.new()
                print("CITIZEN", salt, citizen.personal_id)
                assert citizen.passcode == "never", f"passcode {citizen.passcode}"
    """)
    first = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:schemathesis",
                                          "--seed", "9")
    again = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:schemathesis",
                                          "--seed", "9")
    first.assert_outcomes(failed=1)
    said = first.stdout.str()
    assert "passcode [REDACTED]" in said, said
    assert not re.search(r"passcode \d", said), said
    citizens = [line for line in said.splitlines() if line.startswith("CITIZEN")]
    assert citizens
    assert citizens == [line for line in again.stdout.str().splitlines()
                        if line.startswith("CITIZEN")]


def _readme_block(after: str, lang: str) -> str:
    """The first ``lang`` code block of the README after the text ``after``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(after)
    match = re.compile(rf"^```{lang}\n(.*?)^```$", re.S | re.M).search(text, start)
    assert match is not None, f"no {lang} block after {after!r} in README.md"
    return match.group(1)


def test_the_readmes_persona_file_example_loads(tmp_path: Path) -> None:
    """The persona-file format was documented nowhere: the README's example is what
    ``personas check`` and ``serve --personas`` read."""
    from harness.personas import load_personas

    path = tmp_path / "personas.yaml"
    path.write_text(_readme_block("A persona file (", "yaml"), encoding="utf-8")
    first, second = load_personas(path)
    assert (first.level, first.bhxh_code, first.status) == (1, "4855128937", "active")
    assert (second.level, second.vssid_account, second.passcode) == (2, None, "013807")
