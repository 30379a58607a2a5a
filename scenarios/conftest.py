"""The scenario suites' pytest glue that must run in every process of a run, the
pytest-xdist controller included: the login state machine's exploration figures, printed
at the end of the run.

A pytest-xdist controller does not collect tests, so it never loads the conftest of
``scenarios/properties``; this one it loads (it is in every path's parents and in the
``testpaths``). Each worker explores its share and sends its figures with its
``workeroutput``; the controller adds them up and prints them once, as a run without
workers does."""

from __future__ import annotations

from typing import Any

import pytest

from scenarios.properties import profiles

WORKER_OUTPUT_KEY = "vneid_harness_state_machine"


def pytest_sessionfinish(session: pytest.Session) -> None:
    output: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if output is not None and profiles.STATS.examples:
        output[WORKER_OUTPUT_KEY] = profiles.STATS.to_json()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist: a worker finished; add what its state machine explored."""
    figures = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if figures:
        profiles.STATS.add(figures)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    stats = profiles.STATS
    if stats.examples:
        terminalreporter.write_sep("-", "property suites")
        terminalreporter.write_line(stats.summary())
        if terminalreporter.config.get_verbosity() > 0:
            terminalreporter.write_line(f"outcomes: {stats.coverage()}")
