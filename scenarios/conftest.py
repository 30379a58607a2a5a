"""The scenario suites' pytest glue that must run in every process of a run, the
pytest-xdist controller included: the login state machine's exploration figures, printed
at the end of the run.

A pytest-xdist controller does not collect tests, so it never loads the conftest of
``scenarios/properties``; this one it loads (it is in every path's parents and in the
``testpaths``). Each worker explores its share and sends its figures with its
``workeroutput``; the controller adds them up and prints them once, as a run without
workers does."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from scenarios.properties.profiles import RunStats

WORKER_OUTPUT_KEY = "vneid_harness_state_machine"
_PROFILES = "scenarios.properties.profiles"


def _loaded_stats() -> RunStats | None:
    """This process's figures, or ``None`` when no property suite ran here: the profiles
    module imports hypothesis, a third of a second that a run without it need not pay."""
    profiles = sys.modules.get(_PROFILES)
    return None if profiles is None else profiles.STATS


def pytest_sessionfinish(session: pytest.Session) -> None:
    output: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    stats = _loaded_stats()
    if output is not None and stats is not None and stats.examples:
        output[WORKER_OUTPUT_KEY] = stats.to_json()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist: a worker finished; add what its state machine explored."""
    figures = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if figures:
        from scenarios.properties import profiles

        profiles.STATS.add(figures)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    stats = _loaded_stats()
    if stats is not None and stats.examples:
        terminalreporter.write_sep("-", "property suites")
        terminalreporter.write_line(stats.summary())
        if terminalreporter.config.get_verbosity() > 0:
            terminalreporter.write_line(f"outcomes: {stats.coverage()}")
