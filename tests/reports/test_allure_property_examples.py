"""What Allure shows of the phones and examples of a test built on ``fresh_world`` (a
Hypothesis test's world per example): pytest in a subprocess with --alluredir."""

from __future__ import annotations

import re
import textwrap
from typing import Any

import pytest

from reports.allure_steps import FALSIFYING, MERMAID_ATTACHMENT
from tests.reports.allure_run import AllureRun, run_pytest, walk_steps

TESTS = """
    from hypothesis import HealthCheck, given, settings, strategies as st

    from harness.flows import login_with_vneid

    PER_EXAMPLE = settings(max_examples=12, deadline=None, database=None, derandomize=True,
                           suppress_health_check=[HealthCheck.function_scoped_fixture])

    @PER_EXAMPLE
    @given(salt=st.integers(0, 50), platform=st.sampled_from(["ios", "android"]))
    def test_fails_in_its_world(fresh_world, salt, platform):
        with fresh_world(salt) as world:
            citizen = world.personas.new()
            screen = login_with_vneid(world.device(platform).driver, citizen)
            assert salt < 3, f"{screen.id} with passcode {citizen.passcode}"

    @PER_EXAMPLE
    @given(salt=st.integers(0, 50))
    def test_fails_after_its_world(fresh_world, salt):
        with fresh_world(salt) as world:
            world.device("android").driver.open_app("vssid")
        assert salt < 2

    @settings(max_examples=3, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(salt=st.integers(0, 50))
    def test_passes(fresh_world, salt):
        with fresh_world(salt) as world:
            world.device("ios").driver.open_app("vssid")

    def test_world_phones(fresh_world):
        with fresh_world() as world:
            world.device("android", vssid="1.6.8")
            world.device("ios", vneid=None).driver.open_app("vssid")

    def test_fixture_phones(device):
        device("android", vssid="1.6.8")
        device("ios", vneid=None)
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> AllureRun:
    path = tmp_path_factory.mktemp("allure-property-examples")
    (path / "test_examples.py").write_text(textwrap.dedent(TESTS), encoding="utf-8")
    done = run_pytest(path, "-p", "no:schemathesis", "--seed", "4")
    assert "2 failed, 3 passed" in done.output, done.output[-3000:]
    return done


def _titles(steps: list[dict[str, Any]]) -> list[str]:
    return [s["name"] for s in steps]


def _labels(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def _parameters(result: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in result.get("parameters", [])}


def _mermaid(run: AllureRun, result: dict[str, Any]) -> str:
    [mermaid] = [a for a in result["attachments"] if a["name"] == MERMAID_ATTACHMENT]
    return run.attachment(mermaid)


def test_a_fresh_worlds_phones_are_tagged_as_the_device_fixtures_are(run: AllureRun) -> None:
    """``world.device(...)`` phones carried no platform or version tag (a team's review)."""
    world, fixture = run.result("test_world_phones"), run.result("test_fixture_phones")
    assert _labels(world, "tag") == [
        "android",
        "driver:sim",
        "vssid 1.6.8",
        "vneid 2.1.0",
        "ios",
        "vssid 1.6.7",
        "vneid not installed",
    ]
    assert _labels(world, "tag") == _labels(fixture, "tag")
    assert _parameters(world) == {
        "platform": "android, ios",
        "VssID app": "1.6.8, 1.6.7",
        "VNeID app": "2.1.0, not installed",
    }
    assert _parameters(world) == _parameters(fixture)


def test_each_example_is_one_step_and_the_falsifying_one_is_marked(run: AllureRun) -> None:
    """A failing Hypothesis test on ``fresh_world`` gave one flat list of every hop of every
    example and shrink attempt (some 1,500 steps); each example is now one parent step."""
    result = run.result("test_fails_in_its_world")
    steps = result["steps"]
    titles = _titles(steps)
    assert len(steps) > 3, "generation and shrinking ran several examples"
    numbers = []
    for title in titles:
        shape = re.fullmatch(r"(?:falsifying )?example (\d+): salt=(\d+)", title)
        assert shape is not None, f"every top-level step is an example: {titles}"
        numbers.append(int(shape.group(1)))
    assert numbers == list(range(1, len(steps) + 1))
    falsifying = [s for s in steps if s["name"].startswith(FALSIFYING)]
    assert falsifying == [steps[-1]], titles
    [last] = falsifying
    # the example Hypothesis printed, shrunk
    printed = r"test_fails_in_its_world\([\sE]*fresh_world=world,[\sE]*salt=3,[\sE]*platform='ios',"
    assert re.search(printed, run.output), run.output[-3000:]
    assert last["name"] == f"{FALSIFYING} {len(steps)}: salt=3"
    assert last["status"] == "failed"
    message = last["statusDetails"]["message"]
    assert message.startswith("AssertionError: vssid-home with passcode"), message
    assert "assert salt < 3" in last["statusDetails"]["trace"]
    assert _parameters(last) == {"phone": "ios, driver:sim, vssid 1.6.7, vneid 2.1.0"}
    hops = _titles(walk_steps(last["steps"]))
    assert "VssID app → VssID backend: POST /api/v1/auth/vneid/start → 200" in hops
    assert hops[-1] == "screen vssid:vssid-home"
    # the other examples: passed or failed, each with its own hops, none marked
    assert {s["status"] for s in steps[:-1]} == {"passed", "failed"}
    assert all(s["steps"] for s in steps)
    for step in steps:  # the failure text keeps no secret (S-5)
        said = step.get("statusDetails", {}).get("message", "")
        assert not re.search(r"passcode \d", said), said


def test_tags_and_diagram_are_the_falsifying_examples(run: AllureRun) -> None:
    """Tags, parameters and a sequence diagram of every example at once said nothing of the
    failure: they are the falsifying example's."""
    result = run.result("test_fails_in_its_world")
    phones = {p["value"] for s in result["steps"] for p in s["parameters"]}
    assert any(phone.startswith("android") for phone in phones), "examples ran on android"
    assert [t for t in _labels(result, "tag") if t != "hypothesis"] == [
        "ios",
        "driver:sim",
        "vssid 1.6.7",
        "vneid 2.1.0",
    ]
    assert _parameters(result)["platform"] == "ios"
    mermaid = _mermaid(run, result)
    [title] = [line for line in mermaid.splitlines() if line.lstrip().startswith("title ")]
    assert f"{FALSIFYING} {len(result['steps'])}: salt=3" in title
    assert mermaid.count("GET /api/v1/me") == 1, "one example's login, not every one's"


def test_a_failure_after_the_world_marks_the_last_example_hypothesis_ran(run: AllureRun) -> None:
    result = run.result("test_fails_after_its_world")
    steps = result["steps"]
    assert steps[-1]["name"] == f"{FALSIFYING} {len(steps)}: salt=2"
    assert steps[-1]["status"] == "failed"
    assert not any(s["name"].startswith(FALSIFYING) for s in steps[:-1])


def test_a_passing_property_test_groups_its_examples_too(run: AllureRun) -> None:
    result = run.result("test_passes")
    steps = result["steps"]
    assert [re.sub(r": salt=\d+$", "", t) for t in _titles(steps)] == [
        "example 1",
        "example 2",
        "example 3",
    ]
    assert {s["status"] for s in steps} == {"passed"}
    assert all(
        _titles(s["steps"])
        == ["foreground: launcher → VssID app (user)", "screen vssid:vssid-login"]
        for s in steps
    )
    mermaid = _mermaid(run, result)
    assert "example 3" in mermaid
    assert mermaid.count("vssid-login") == 1, "the last example's diagram"


def test_a_world_outside_hypothesis_is_not_an_example(run: AllureRun) -> None:
    titles = _titles(run.result("test_world_phones")["steps"])
    assert titles, "its hops are steps"
    assert not any("example" in t for t in titles), titles
