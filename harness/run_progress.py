"""The run's pytest plugin, :class:`ProgressReporter`: the progress of the suites on the
console, each test's outcome by clause, and the moment this run's results replace the previous
run's.

:func:`harness.run.run_suites` hands it to ``pytest.main`` as an extra plugin. On a terminal the
progress is a Rich bar; elsewhere plain lines (:data:`PLAIN_PROGRESS_STEPS`). Each finished test
is one line of ``results.jsonl``, flushed at once. The previous run's results (Allure's files,
``results.jsonl``, the verdicts) are replaced only once a test of this run reports, so a run
that reports no test leaves them as they were.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pytest
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from harness.conformance.results import TestOutcome
from harness.plugin_options import OPT_LIBRARY_DEPRECATIONS
from harness.processes import interrupts_deferred
from harness.protocol.redaction import redact_secret_shapes
from harness.protocol.text import clip
from harness.replay import replay_of

__all__ = ["PLAIN_PROGRESS_STEPS", "ProgressReporter"]


PLAIN_PROGRESS_STEPS = 10
"""How many plain progress lines a run prints at most when its console is not a terminal
(one each tenth of the tests, and one per test in a run of fewer)."""
RERUN = "rerun"
"""pytest-rerunfailures' outcome of an attempt it runs again (a test's report of each)."""


ALLURE_OUTPUT = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"-(?:result\.json|container\.json|globals\.json|attachment(?:\.[^/]+)?)(?:\.tmp)?"
)
"""The files allure-pytest writes into its folder (``UUID-result.json``, ``-container.json``,
``-globals.json``, ``-attachment.EXT``, and any of them as a ``.tmp`` a killed run left): what
a new run replaces there."""


@dataclass(eq=False)  # a pluggy plugin must be hashable (subset hook callers use sets)
class ProgressReporter:
    """A pytest plugin that shows progress and records outcomes by clause.

    On a terminal the progress is a Rich bar, redrawn in place, naming the last test that
    finished; once the run ends it stays, without a test's name. Elsewhere (a CI log, a
    file, a pipe: ``console.is_terminal`` false, or a dumb terminal) nothing can be redrawn:
    Rich printed the bar once as the run stopped, naming the last test as if it were still
    running, and a bar cut short by a stop. There the progress is plain lines instead,
    ``suites: 30/300 tests finished``, at each tenth of the run
    (:data:`PLAIN_PROGRESS_STEPS`)."""

    console: Console
    journal: Path | None = None
    """A JSON-lines file that gets one line per finished test, flushed at once, so a crash
    of the harness or of pytest keeps the results of every test that ended before it.
    Truncated (opened) only once this run's outputs start (:attr:`started`)."""
    alluredir: Path | None = None
    """Allure's results folder, cleared of what it held from before this run once the
    run's outputs start (:attr:`started`; what ``--clean-alluredir`` would do when pytest
    starts): a run that reports no test leaves the previous results as they were."""
    superseded: Callable[[], Iterable[Path]] = tuple
    """The earlier runs' verdict files (every plan's: ``summary.*``, ``conformance-*.*``, and
    ``junit.xml``), removed once this run's outputs start: a run killed after that (SIGKILL:
    no verdict of its own) left an earlier OK beside its own partial results."""
    outcomes: list[TestOutcome] = field(default_factory=list)
    collect_errors: list[str] = field(default_factory=list)
    _progress: Progress | None = None
    _task: Any = None
    _total: int = 0
    """How many tests the run selected (0 until collection is finished)."""
    _finished: int = 0
    """How many of them finished (their call, or a set-up that did not pass)."""
    _plain_step: int = 0
    """The last tenth of the run a plain progress line was printed for."""
    _journal: TextIO | None = None
    _order: dict[str, int] = field(default_factory=dict)
    _pending: dict[str, TestOutcome] = field(default_factory=dict)
    """Outcomes of tests whose teardown has not reported yet."""
    _properties: dict[str, list[tuple[str, object]]] = field(default_factory=dict)
    """The ``user_properties`` (clauses) of tests whose set-up passed and that have not
    finished: what a crashed worker's report of them lacks."""
    _started: bool = False
    _config: pytest.Config | None = None
    _since_ns: int = field(default_factory=time.time_ns)
    """When this run started (the session's start; until then, when the reporter was made):
    what its tests wrote before the outputs were replaced (a fixture's attachments in the
    first test's set-up) is newer, and kept. It was 0 until the session started, so a run
    stopped before that (a SIGTERM while pytest-xdist started its workers) took every earlier
    result for its own and removed them."""
    stopped: str | None = None
    """Why pytest stopped before the end (``pytest.exit``'s message, a stop the harness
    asked for), as its terminal would have said; ``None`` when it did not."""
    interrupted: bool = False
    """Whether a Ctrl-C or a SIGTERM stopped the run (not pytest.exit, nor a stop asked for)."""
    exitstatus: int | None = None
    """The session's exit status, once it finished."""
    deprecations: dict[tuple[str, str, str], int] = field(default_factory=dict)
    """The deprecation warnings the run showed instead of raising (``--library-deprecations-
    shown``), by category, message and place, with how many times each came."""

    @pytest.hookimpl
    def pytest_warning_recorded(
        self,
        warning_message: warnings.WarningMessage,
        when: str,
        nodeid: str,
        location: tuple[str, int, str] | None,
    ) -> None:
        category = warning_message.category
        if not issubclass(category, DeprecationWarning | PendingDeprecationWarning):
            return
        if self._config is None or not self._config.getoption(OPT_LIBRARY_DEPRECATIONS, False):
            return  # a team's own tests, whose configuration chose to show them
        said = redact_secret_shapes(" ".join(str(warning_message.message).split()))
        place = f"{warning_message.filename}:{warning_message.lineno}"
        key = (category.__name__, clip(said, 300), place)
        self.deprecations[key] = self.deprecations.get(key, 0) + 1

    @pytest.hookimpl
    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # pytest.exit's message, the reason of a stop a plugin asked for (session.shouldstop,
        # raised as Interrupted(reason)), or the interrupt's name (Ctrl-C)
        message = getattr(excinfo.value, "msg", None) or str(excinfo.value)
        ctrl_c = excinfo.type is KeyboardInterrupt
        self.stopped = (
            str(message)
            if message
            else "Ctrl-C or SIGINT (KeyboardInterrupt)"
            if ctrl_c
            else excinfo.typename
        )
        self.interrupted = ctrl_c

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}: {report.longreprtext[-2000:]}")
            # pytest-xdist would run the tests the other modules hold and report them: stop
            # it before it schedules any, as pytest itself stops in one process
            dsession = (
                self._config.pluginmanager.get_plugin("dsession")
                if self._config is not None
                else None
            )
            if dsession is not None and not getattr(dsession, "shouldstop", True):
                dsession.shouldstop = f"collection failed: {report.nodeid}"

    @pytest.hookimpl
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._config = session.config
        self._since_ns = time.time_ns()
        if not self.console.is_terminal or self.console.is_dumb_terminal:
            return  # plain lines (_advance): nothing on the console can be redrawn
        self._progress = Progress(
            TextColumn("[bold]suites"),
            BarColumn(),
            MofNCompleteColumn(),
            # a test's name as text, not markup: "test_x[ios]" showed as "test_x" (so that
            # only an empty id kept its brackets, "test_x[]"), and "test_x[/a]" raised
            TextColumn("{task.fields[current]}", markup=False),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task("run", total=None, current="")

    @pytest.hookimpl
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if session.items:  # in one process (the pytest-xdist controller collects nothing)
            self._collected([item.nodeid for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: Sequence[str]) -> None:
        """Under pytest-xdist the total and the order come from what a worker collected
        (every worker collects the same tests)."""
        if not self._order:
            self._collected(list(ids))

    def _collected(self, ids: list[str]) -> None:
        self._order = {nodeid: i for i, nodeid in enumerate(ids)}
        self._total = len(ids)
        if self._progress is not None:
            self._progress.update(self._task, total=len(ids))

    def _stopped_by_collection(self) -> bool:
        """Whether a collection error stops pytest before any test: in one process pytest
        stops; under pytest-xdist :meth:`pytest_collectreport` stops it."""
        return bool(self.collect_errors)

    @property
    def started(self) -> bool:
        """Whether this run's results replaced the previous run's (once a test finished). A
        run stopped before (a target refusing the set-up, a Ctrl-C in the first test) leaves
        the previous results as they were."""
        return self._started

    @property
    def selected(self) -> int:
        """How many tests the run selected (0 until collection is finished, and 0 when a
        collection error stopped pytest before any test: nothing is replaced then)."""
        return 0 if self._stopped_by_collection() else len(self._order)

    def _start_outputs(self) -> None:
        """Replace the previous run's results, now that this one has a test that finished
        (a run stopped before, a Ctrl-C in the first test, leaves them as they were). What
        this run wrote already, a worker's or the first test's Allure files, is newer than
        its start and stays."""
        self._started = True
        for path in self.superseded():
            if path.is_file() or path.is_symlink():
                with contextlib.suppress(OSError):
                    path.unlink()
            elif path.is_dir():  # the earlier run's Allure report: a --no-report run left it
                shutil.rmtree(path, ignore_errors=True)  # beside this run's verdict
        if self.alluredir is not None:
            self.alluredir.mkdir(parents=True, exist_ok=True)
            self._remove_results(earlier=True)  # the previous run's, not this one's
        if self.journal is not None and self._journal is None:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            if self.journal.is_symlink():  # replaced, as junit.xml and the verdict are: the
                with contextlib.suppress(OSError):  # file it names (outside --out) was
                    self.journal.unlink()  # truncated and written over
            self._journal = self.journal.open("w", encoding="utf-8")

    def discard_partial(self) -> None:
        """A run that never started its outputs (no test reported): remove what it wrote
        into Allure's folder all the same (a fixture's container), so the folder is the
        previous run's again."""
        if not self._started and self.alluredir is not None and self.alluredir.is_dir():
            self._remove_results(earlier=False)

    def drop_unrecorded(self) -> None:
        """After a stop: remove this run's Allure results of tests the run did not record.
        pytest-xdist workers finish, and even start, tests for a while after the controller
        stopped (the signal reaches them later), and the Allure report counted them while
        the verdict and ``results.jsonl`` did not (a CI review: 206 results against 30)."""
        from reports.allure_steps import NODEID_LABEL

        if self.alluredir is None or not self.alluredir.is_dir():
            return
        recorded = {outcome.nodeid for outcome in self.outcomes}
        found: dict[Path, object] = {}
        for entry in self.alluredir.glob("*-result.json"):
            try:
                if entry.lstat().st_mtime_ns < self._since_ns:
                    continue
                labels = json.loads(entry.read_text(encoding="utf-8")).get("labels", [])
                found[entry] = next(
                    (
                        label.get("value")
                        for label in labels
                        if isinstance(label, dict) and label.get("name") == NODEID_LABEL
                    ),
                    None,
                )
            except (OSError, ValueError, AttributeError):
                continue
        # a result without the label is one a stopped worker wrote half (no labels at all)
        labelled = any(nodeid is not None for nodeid in found.values())
        for entry, nodeid in found.items():
            if nodeid not in recorded and (nodeid is not None or labelled):
                entry.unlink(missing_ok=True)

    def _remove_results(self, *, earlier: bool) -> None:
        """Remove allure-pytest's result, container and attachment files of Allure's folder
        from before this run (``earlier``) or from this run. Anything else there is the user's
        (``executor.json``, ``categories.json``, ``environment.properties`` that a CI job
        writes for Allure, a folder of notes) and stays."""
        assert self.alluredir is not None
        for entry in self.alluredir.iterdir():
            if not ALLURE_OUTPUT.fullmatch(entry.name):
                continue
            try:
                if (entry.lstat().st_mtime_ns < self._since_ns) != earlier:
                    continue
                if entry.is_file() or entry.is_symlink():
                    entry.unlink(missing_ok=True)
            except OSError:
                continue

    def ordered_outcomes(self) -> list[TestOutcome]:
        """The outcomes in collection order, however the tests were spread over workers
        (so the verdict and its report read the same from one run to the next)."""
        last = len(self._order)
        return sorted(self.outcomes, key=lambda o: self._order.get(o.nodeid, last))

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """One outcome per test, settled at its teardown: the call's (or the set-up's when
        it did not pass), unless the teardown failed after they passed (an ``error`` then).
        An attempt that pytest-rerunfailures runs again (``--reruns N``, its outcome
        ``rerun``) is none: the last attempt's is the test's, counted once (each attempt
        counted as a test of its own, a failure, and a test that passed on its rerun failed
        the verdict)."""
        if report.outcome == RERUN:
            return
        if report.when not in ("setup", "call", "teardown"):
            if report.failed:  # pytest-xdist's "???": the worker died while running it
                self._crashed(report)
            return
        if report.when == "setup" and report.passed:
            self._properties[report.nodeid] = list(report.user_properties)
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self._pending[report.nodeid] = self._outcome(report)
            self._advance(report.nodeid)
        elif report.when == "teardown":
            self._properties.pop(report.nodeid, None)
            entry = self._pending.pop(report.nodeid, None)
            if report.failed and (entry is None or entry.outcome in ("passed", "skipped")):
                entry = self._outcome(report)
            if entry is not None:
                self._record(entry)

    def _crashed(self, report: pytest.TestReport) -> None:
        """A test whose pytest-xdist worker died while running it (``os._exit``, a signal,
        pytest-timeout's ``thread`` method, the kernel's OOM killer): xdist reports it once,
        failed, ``when="???"``, without its properties. It is an error of the test, with the
        clauses its set-up reported: left out, the verdict of a run whose test crashed its
        worker was OK, exit 0 (pytest's own status, 1, is not the run's)."""
        properties = self._properties.pop(report.nodeid, [])
        entry = self._pending.pop(report.nodeid, None)
        if entry is None:  # the call never reported: the test did not finish
            self._advance(report.nodeid)
        if entry is None or entry.outcome in ("passed", "skipped"):
            report.user_properties = [*properties, *report.user_properties]
            entry = self._outcome(report)
        self._record(entry)

    def _advance(self, nodeid: str) -> None:
        """One more test finished: the bar moves on, or, off a terminal, a plain line at each
        tenth of the run (none before the run knows how many tests it has)."""
        self._finished += 1
        if self._progress is not None:
            short = nodeid.rsplit("::", 1)[-1][:60]
            self._progress.update(self._task, advance=1, current=short)
            return
        if not self._total:
            return
        step = min(self._finished, self._total) * PLAIN_PROGRESS_STEPS // self._total
        if step > self._plain_step:
            self._plain_step = step
            self.console.print(
                f"suites: {self._finished}/{self._total} tests finished",
                highlight=False,
                markup=False,
            )

    def _record(self, entry: TestOutcome) -> None:
        if self._started:
            self._record_started(entry)
            return
        # this run's first finished test: its results replace the last run's (Allure's files
        # from before this run started) as a whole, a Ctrl-C or SIGTERM delivered after (one
        # in the middle left the earlier run's results to be reported as this run's)
        with interrupts_deferred():
            self._start_outputs()
            self._record_started(entry)

    def _outcome(self, report: pytest.TestReport) -> TestOutcome:
        clauses = tuple(str(v) for k, v in report.user_properties if k == "clause")
        warn_only = any(k == "warning_on_failure" for k, _ in report.user_properties)
        outcome: str = report.outcome
        if report.when != "call" and report.failed:
            outcome = "error"
        message = detail = ""
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            detail = (
                str(crash.message)
                if crash is not None
                else report.longreprtext.strip().splitlines()[-1]
            )
            message = " ".join(detail.split())
        elif report.skipped:
            message = " ".join(_skip_reason(report).split())
        return TestOutcome(
            report.nodeid,
            outcome,
            clauses,
            report.duration,
            clip(message, 300),
            warn_only,
            detail,
            replay_of(report) if report.failed else "",
        )

    def _record_started(self, entry: TestOutcome) -> None:
        self.outcomes.append(entry)
        if self._journal is not None:
            self._journal.write(
                json.dumps(
                    {
                        "test": entry.nodeid,
                        "outcome": entry.outcome,
                        "clauses": list(entry.clauses),
                        "duration_s": round(entry.duration, 4),
                        "message": entry.message,
                        "warning_on_failure": entry.warning_on_failure,
                        **({"replay": entry.replay} if entry.replay else {}),
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
            self._journal.flush()

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.exitstatus = int(exitstatus)
        for entry in self._pending.values():  # tests a stop left without their teardown
            self._record(entry)
        self._pending.clear()
        if self.stopped is None and isinstance(session.shouldstop, str) and session.shouldstop:
            self.stopped = session.shouldstop
        if self._progress is not None:
            # the bar stays on the terminal: without the last test's name, which read as
            # the one still running
            self._progress.update(self._task, current="")
            self._progress.stop()
        if self._journal is not None:
            self._journal.close()
            self._journal = None


def _skip_reason(report: pytest.TestReport) -> str:
    """Why a test was skipped (``Skipped: `` taken off), or an expected failure's reason."""
    wasxfail = getattr(report, "wasxfail", None)
    if isinstance(wasxfail, str):
        return f"expected failure: {wasxfail}" if wasxfail else "expected failure"
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return ""
