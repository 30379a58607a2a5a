"""`vneid-harness run`'s progress display: a Rich bar on a terminal, plain lines elsewhere (a CI
log, a pipe), where Rich left one line at the end that named the last test as if it still ran."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from harness.run_progress import ProgressReporter


def _report(nodeid: str, when: str, outcome: str = "passed") -> pytest.TestReport:
    name = nodeid.rsplit("::", 1)[-1]
    return pytest.TestReport(nodeid, ("t.py", 0, name), {}, outcome, None, when)


def _run(reporter: ProgressReporter, ids: list[str]) -> None:
    """The hooks pytest calls for a run of ``ids``, each test passing."""
    session: Any = SimpleNamespace(config=None, shouldstop=False, items=[])
    reporter.pytest_sessionstart(session)
    reporter._collected(ids)
    for nodeid in ids:
        for when in ("setup", "call", "teardown"):
            reporter.pytest_runtest_logreport(_report(nodeid, when))
    reporter.pytest_sessionfinish(session, 0)


@pytest.mark.parametrize(
    ("tests", "shown"),
    [
        (3, [1, 2, 3]),  # fewer than ten: one line per test
        (25, [3, 5, 8, 10, 13, 15, 18, 20, 23, 25]),  # one line per tenth of the run
    ],
)
def test_off_a_terminal_progress_is_plain_lines(tests: int, shown: list[int]) -> None:
    out = io.StringIO()
    reporter = ProgressReporter(Console(file=out, width=100))
    _run(reporter, [f"s/t.py::test_x[case{i}]" for i in range(tests)])
    assert out.getvalue().splitlines() == [f"suites: {n}/{tests} tests finished" for n in shown]
    assert [o.nodeid for o in reporter.outcomes] == [
        f"s/t.py::test_x[case{i}]" for i in range(tests)
    ]


def test_a_stopped_run_off_a_terminal_leaves_no_partial_bar() -> None:
    """Rich's bar, printed once as a stopped run ended: ``suites ━━━━╸── 1/20 test_x``."""
    out = io.StringIO()
    reporter = ProgressReporter(Console(file=out, width=100))
    session: Any = SimpleNamespace(config=None, shouldstop="stopped", items=[])
    reporter.pytest_sessionstart(session)
    reporter._collected([f"t.py::test_{i}" for i in range(20)])
    for when in ("setup", "call", "teardown"):
        reporter.pytest_runtest_logreport(_report("t.py::test_0", when))
    reporter.pytest_sessionfinish(session, 2)
    assert out.getvalue() == ""  # not yet a tenth of the run
    assert reporter.stopped == "stopped"


def test_a_dumb_terminal_gets_plain_lines_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    out = io.StringIO()
    reporter = ProgressReporter(Console(file=out, width=100, force_terminal=True))
    _run(reporter, ["t.py::test_a", "t.py::test_b"])
    assert out.getvalue().splitlines() == [
        "suites: 1/2 tests finished",
        "suites: 2/2 tests finished",
    ]


def test_on_a_terminal_the_bar_ends_without_the_last_tests_name() -> None:
    out = io.StringIO()
    reporter = ProgressReporter(
        Console(file=out, width=100, force_terminal=True, color_system=None)
    )
    _run(reporter, ["t.py::test_first", "t.py::test_last_one"])
    assert reporter._progress is not None
    (task,) = reporter._progress.tasks
    assert (task.completed, task.total, task.fields["current"]) == (2, 2, "")
    assert "suites:" not in out.getvalue()  # no plain line on a terminal


def test_the_bar_names_a_test_with_its_parametrization_as_pytest_does() -> None:
    """The bar read a test's name as Rich markup: ``test_x[ios]`` showed as ``test_x``, so
    an empty id alone kept its brackets (``test_x[]``), and ``test_x[/a]`` raised
    MarkupError from the bar's refresh."""
    out = io.StringIO()
    reporter = ProgressReporter(
        Console(file=out, width=120, force_terminal=True, color_system=None)
    )
    session: Any = SimpleNamespace(config=None, shouldstop=False, items=[])
    reporter.pytest_sessionstart(session)
    names = ["test_x[ios]", "test_x[]", "test_x[/a]", "test_x[bold]"]
    reporter._collected([f"t.py::{name}" for name in names])
    assert reporter._progress is not None
    for name in names:
        reporter._advance(f"t.py::{name}")
        reporter._progress.refresh()
        shown = out.getvalue().rstrip()
        assert re.search(rf" {re.escape(name)} \d+:\d\d:\d\d$", shown), shown[-200:]
    reporter.pytest_sessionfinish(session, 0)


def test_an_attempt_run_again_is_no_outcome_of_its_own() -> None:
    """pytest-rerunfailures (``--reruns 2``, from ``PYTEST_ADDOPTS`` under ``vneid-harness
    run``) reports each attempt it runs again with the outcome ``rerun``: the run counted it
    as a test of its own and a failure, so a test that passed at its second attempt made
    ``1 passed, 1 failed`` of one test and a NOT OK verdict. The last attempt is the test's."""
    out = io.StringIO()
    reporter = ProgressReporter(Console(file=out, width=100))
    session: Any = SimpleNamespace(config=None, shouldstop=False, items=[])
    reporter.pytest_sessionstart(session)
    ids = ["t.py::test_flaky", "t.py::test_steady"]
    reporter._collected(ids)
    for outcomes in (("passed", "rerun", "passed"), ("passed", "passed", "passed")):
        for when, outcome in zip(("setup", "call", "teardown"), outcomes, strict=True):
            reporter.pytest_runtest_logreport(_report(ids[0], when, outcome))
    for when in ("setup", "call", "teardown"):
        reporter.pytest_runtest_logreport(_report(ids[1], when))
    reporter.pytest_sessionfinish(session, 0)
    assert [(o.nodeid, o.outcome) for o in reporter.outcomes] == [
        (ids[0], "passed"),
        (ids[1], "passed"),
    ]
    assert out.getvalue().splitlines() == [
        "suites: 1/2 tests finished",
        "suites: 2/2 tests finished",
    ]


@pytest.mark.parametrize("died_in", ["call", "teardown"])
def test_a_test_whose_worker_crashed_is_an_error_of_its_clauses(died_in: str) -> None:
    """pytest-xdist reports a test whose worker died (``os._exit``, a signal, pytest-timeout's
    ``thread`` method) once, failed, with ``when="???"`` and no properties: the run left it
    out, and ``run --workers 2`` of a passing test and a crashing one said ``1 passed, 0
    failed``, verdict OK, exit 0."""
    out = io.StringIO()
    reporter = ProgressReporter(Console(file=out, width=100))
    session: Any = SimpleNamespace(config=None, shouldstop=False, items=[])
    reporter.pytest_sessionstart(session)
    nodeid = "t.py::test_crashes"
    reporter._collected([nodeid])
    setup = _report(nodeid, "setup")
    setup.user_properties = [("seed", "0"), ("clause", "T-3")]
    reporter.pytest_runtest_logreport(setup)
    if died_in == "teardown":
        reporter.pytest_runtest_logreport(_report(nodeid, "call"))
    crash = _report(nodeid, "???", "failed")
    crash.longrepr = f"worker 'gw0' crashed while running {nodeid!r}"
    reporter.pytest_runtest_logreport(crash)
    reporter.pytest_sessionfinish(session, 1)
    assert [(o.nodeid, o.outcome, o.clauses) for o in reporter.outcomes] == [
        (nodeid, "error", ("T-3",))
    ]
    assert "crashed" in reporter.outcomes[0].message
    assert out.getvalue().splitlines() == ["suites: 1/1 tests finished"]
