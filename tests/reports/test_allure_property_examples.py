"""What Allure shows of the phones and examples of a test built on ``fresh_world`` (a
Hypothesis test's world per example): pytest in a subprocess with --alluredir."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from tests.reports.allure_run import AllureRun, run_pytest

TESTS = '''
    from hypothesis import HealthCheck, given, settings, strategies as st

    def test_world_phones(fresh_world):
        with fresh_world() as world:
            world.device("android", vssid="1.6.8")
            world.device("ios", vneid=None)

    def test_fixture_phones(device):
        device("android", vssid="1.6.8")
        device("ios", vneid=None)
'''


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> AllureRun:
    path = tmp_path_factory.mktemp("allure-property-examples")
    (path / "test_examples.py").write_text(textwrap.dedent(TESTS), encoding="utf-8")
    done = run_pytest(path, "-p", "no:schemathesis", "--seed", "4")
    assert "2 passed" in done.output, done.output[-3000:]
    return done


def _labels(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def _parameters(result: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in result.get("parameters", [])}


def test_a_fresh_worlds_phones_are_tagged_as_the_device_fixtures_are(run: AllureRun) -> None:
    """``world.device(...)`` phones carried no platform or version tag (a team's review)."""
    world, fixture = run.result("test_world_phones"), run.result("test_fixture_phones")
    assert _labels(world, "tag") == ["android", "driver:sim", "vssid 1.6.8", "vneid 2.1.0",
                                     "ios", "vssid 1.6.7", "vneid not installed"]
    assert _labels(world, "tag") == _labels(fixture, "tag")
    assert _parameters(world) == {"platform": "'android, ios'",
                                  "VssID app": "'1.6.8, 1.6.7'",
                                  "VNeID app": "'2.1.0, not installed'"}
    assert _parameters(world) == _parameters(fixture)


