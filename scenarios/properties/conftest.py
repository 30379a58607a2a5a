"""The property suites' pytest glue: which hypothesis profile runs and what a failure prints.
The state machine's exploration figures are printed by ``scenarios/conftest.py``, which the
pytest-xdist controller loads too."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from harness.replay import REPLAY_SECTION, item_replay
from scenarios.properties import profiles


def pytest_configure(config: pytest.Config) -> None:
    profiles.set_cli_profile(config.getoption("hypothesis_profile", None))


LONG_TESTS = "test_login_state_machine.py::test_login_state_machine["
"""The two halves of the state machine: the longest tests of the run by far."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The state machine's first half runs first and its second half last: pytest-xdist
    hands each worker a contiguous run of the tests (``--dist worksteal``, ``load``), so
    with two or more workers the halves start on different workers and overlap instead of
    queueing behind each other (measured on 2 cores, ``pytest scenarios -n auto --dist
    worksteal``: 16.6 s → 11.6 s). Without xdist the order changes nothing."""
    halves = [item for item in items if LONG_TESTS in item.nodeid]
    if len(halves) != 2:
        return
    rest = [item for item in items if LONG_TESTS not in item.nodeid]
    items[:] = [halves[0], *rest, halves[1]]


@pytest.fixture(scope="session")
def embedded_only(request: pytest.FixtureRequest) -> None:
    """Skip a test that drives the embedded mock providers' Python API (clocks, faults) or
    builds its own embedded world, when the run targets other providers (--vneid-url): its
    verdict would be about the mocks, not about them. Session-scoped, so hypothesis tests may
    use it."""
    if request.config.getoption("--vneid-url", None):
        pytest.skip("drives the embedded mock providers; this run targets --vneid-url")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
    call: pytest.CallInfo[None],
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failure's replay command (the harness plugin's, made just before) runs it with
    this run's Hypothesis profile and seed. Every failure here gets it: the login state
    machine runs Hypothesis from a plain function (``run_state_machine_as_test``), and the
    model's unit tests ignore the variable."""
    report = yield
    if report.failed:
        env, extra, note = profiles.replay_parts()
        report.sections[:] = [
            (
                title,
                item_replay(item, env=env, extra=extra, note=note, hypothesis=True)
                if title == REPLAY_SECTION
                else text,
            )
            for title, text in report.sections
        ]
    return report
