"""The main job: every scenario suite, as pytest, with a progress display and a clause summary.

Running suites is running pytest (no second runner): :func:`run_suites` calls ``pytest.main``
on the installed ``scenarios`` package with :class:`ProgressReporter` as an extra plugin, and
writes JUnit XML, Allure results and ``summary.json`` under the output folder, then (with
``allure_report``, as ``vneid-harness run`` does) the Allure HTML report
``allure-report/index.html``, its trend kept in ``history/history.jsonl``.

A run that reports no test writes nothing: the previous results (Allure's, ``results.jsonl``)
are replaced only once a test of this run reports (under pytest-xdist: once the selection is
known to hold one), and ``junit.xml`` is moved into place only then, so ``-k`` with a typo, or
a target that refuses the run's set-up, leaves the previous run's reports as they were.
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import json
import os
import re
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pytest
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from harness import __version__
from harness.broken_mocks import BrokenMocks
from harness.conformance import evaluate, get_plan, load_expected_failures
from harness.conformance.plans import ALL
from harness.conformance.results import ConformanceResult, TestOutcome
from harness.errors import ConfigError
from harness.folder_lock import FolderLock
from harness.preflight import PreflightTargets, TargetReads, preflight, target_warnings
from harness.processes import interrupt_reason, interrupts_deferred
from harness.profile_file import load_profile, profile_overrides
from harness.protocol.redaction import redact_url
from harness.protocol.text import clip
from harness.replay import own_pytest, replay_of
from harness.run_checks import (
    broken_plan_problem,
    broken_with_targets_problem,
    remote_workers_problem,
    targets_given,
    vssid_without_vneid_problem,
)
from harness.targets import check_admin_token, check_target_url
from reports.conformance_html import write_conformance_html
from reports.errors import ReportError
from reports.evidence import EvidenceCollector
from reports.protocol_links import clause_links, protocol_of_run
from reports.summary import clause_table, write_verdict

__all__ = ["ProgressReporter", "RunOptions", "allure_html", "run_suites", "scenarios_dir"]


PACKAGED_SETTINGS = Path(__file__).with_name("suites.ini")
"""``pyproject.toml``'s pytest settings that decide a verdict, in a file shipped with the
package, for a harness installed as one (no ``pyproject.toml`` beside it): an installed run
dropped them, and a warning that fails a scenario in the checkout passed; without a ``-c``,
pytest also read a user's own ``pytest.ini`` above site-packages (two reviews).
``tests/cli/test_run_settings.py`` keeps them equal to the project's."""


def scenarios_dir() -> Path:
    import scenarios

    return Path(scenarios.__file__).resolve().parent


@dataclass
class RunOptions:
    out: Path = Path("reports/out")
    seed: int = 0
    vneid_url: str | None = None
    vssid_url: str | None = None
    keyword: str | None = None
    extra_args: Sequence[str] = ()
    paths: Sequence[str] = ()
    """Test files or folders to run instead of the harness's suites."""
    whole_plan: bool = True
    """Whether the verdict requires every clause of the plan to be tested (not for a run
    narrowed with ``keyword`` to part of the harness's suites, nor for a team's own tests
    given on the command line, which test what they test)."""
    plan: str = ALL
    expected_failures: Path | None = None
    admin_token: str | None = None
    workers: int | None = 1
    """pytest-xdist workers: ``1`` (or ``0``) one process, ``N`` that many, ``None`` one per
    CPU (``-n auto``). Only for the embedded mocks: every test there builds its own
    providers, while tests against remote providers share their state (request logs,
    clocks, faults) and must take turns."""
    profile: Path | None = None
    """The vendor's profile file (``--protocol-profile``): PROTOCOL.md's defaults it
    overrides, followed by the embedded mocks and expected of the targets."""
    protocol_url: str | None = None
    """Where the reports' clause links go (``--protocol-url``; default: PROTOCOL.md's
    ``file://`` URL)."""
    replay_as: str | None = None
    """The command that runs a test of this run again (before ``-k NAME``), when a plain
    pytest line cannot: ``conformance`` serving the VNeID a relying party under test trusts
    (it ends with the run)."""
    personas: Path | None = None
    """A persona file (``--personas``) whose citizens the ``personas`` fixture offers (a
    team's own tests that call ``personas.from_file()``)."""
    starting: str | None = None
    """A line to print once the run starts, after every refusal before it (``conformance``
    says where it serves the harness VNeID: printed before a refusal, it read as if the run
    had started)."""
    broken: BrokenMocks = field(default_factory=BrokenMocks)
    """Deliberately broken embedded mocks (``--broken-rp``, ``--broken-vneid``): to preview
    what a plan says of an implementation that gets something wrong."""
    allure_report: bool = False
    """Generate the Allure HTML report at the end (:mod:`reports.allure_html`); a missing
    or failing ``allure`` is reported on the console and does not change the exit status,
    which is the suites' verdict."""

    @property
    def result_file(self) -> Path:
        name = "summary.json" if self.plan == ALL else f"conformance-{self.plan}.json"
        return self.out / name

    def targets(self) -> PreflightTargets:
        """What the checks before the run read of these options (:mod:`harness.preflight`)."""
        return PreflightTargets(
            vneid_url=self.vneid_url,
            vssid_url=self.vssid_url,
            admin_token=self.admin_token,
            profile=self.profile,
            plan=self.plan,
        )


PLAIN_PROGRESS_STEPS = 10
"""How many plain progress lines a run prints at most when its console is not a terminal
(one each tenth of the tests, and one per test in a run of fewer)."""


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
        it did not pass), unless the teardown failed after they passed (an ``error`` then)."""
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self._pending[report.nodeid] = self._outcome(report)
            self._advance(report.nodeid)
        elif report.when == "teardown":
            entry = self._pending.pop(report.nodeid, None)
            if report.failed and (entry is None or entry.outcome in ("passed", "skipped")):
                entry = self._outcome(report)
            if entry is not None:
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


class _OutLock:
    """One run at a time writes into an ``--out`` folder: two mixed their results silently
    (one's verdict over the other's, a history line of a run that never was). A
    :class:`~harness.folder_lock.FolderLock` held for the run (``report`` takes it too)."""

    def __init__(self) -> None:
        self.lock: FolderLock | None = None

    def acquire(self, out: Path) -> str | None:
        """Why the run cannot write into ``out`` (another run or report holds it), or
        ``None``."""
        lock = FolderLock(out)
        if not lock.acquire():
            return (
                f"another vneid-harness run or report is writing into --out {out}; wait "
                "for it to end, or give this one another --out"
            )
        self.lock = lock
        return None

    def __enter__(self) -> _OutLock:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None


def run_suites(
    options: RunOptions, console: Console | None = None, errors: Console | None = None
) -> int:
    """Run a plan's suites (every suite for ``all``); 0 only when the plan's verdict is ok.
    One run at a time per ``options.out`` (:class:`_OutLock`)."""
    with _OutLock() as lock:
        return _run_suites(options, console, errors, lock)


def _run_suites(
    options: RunOptions, console: Console | None, errors: Console | None, lock: _OutLock
) -> int:
    """Run a plan's suites (every suite for ``all``); 0 only when the plan's verdict is ok.

    Writes JUnit XML, Allure results and the verdict JSON under ``options.out``. Usage and
    configuration errors return 2 before any test runs; a bad expected-failures file or an
    output folder that cannot be made raise :class:`ConfigError` before it. A run that
    selects no test writes nothing (``options.out`` is left as it was) and returns pytest's
    5 (no tests collected), or 2 when collection failed.
    """
    errors = errors or console or Console(stderr=True)  # where a refusal to run goes
    console = console or Console()
    check_admin_token(options.admin_token)
    check_target_url("--vneid-url", options.vneid_url)  # "" is refused, not taken for None
    check_target_url("--vssid-url", options.vssid_url)
    plan = get_plan(options.plan)
    if options.keyword is not None:
        _check_keyword(options.keyword)
    expected = (
        load_expected_failures(options.expected_failures) if options.expected_failures else []
    )
    profile = load_profile(options.profile) if options.profile is not None else None
    overrides = profile_overrides(profile) if profile is not None else {}
    # refusals before anything is written: a run that does not start leaves --out as it was
    if options.out.exists() and not options.out.is_dir():
        _make_out(options.out)  # says it is a file
    reads, targets = TargetReads(options.admin_token), options.targets()
    problem = (
        _paths_problem(options)
        # before the probes: pytest refused it only after asking the VssID target (exit 4)
        or vssid_without_vneid_problem(options.vneid_url, options.vssid_url)
        or _broken_problem(options)
        or _workers_problem(options)
        or _out_problem(options)
        or preflight(targets, reads=reads)
    )
    if problem is not None:
        errors.print(f"[bold red]cannot run plan {plan.name}:[/] {problem}", highlight=False)
        return 2
    hints = target_warnings(targets, profile, reads=reads)
    for hint in hints:
        console.print(f"[yellow]warning:[/] {escape(hint)}", highlight=False)
    for role, how in (
        ("VNeID", options.broken.describe_vneid()),
        ("VssID", options.broken.describe_rp()),
    ):
        if how:  # a preview of a failing verdict, not a verdict on anyone's server
            console.print(
                f"[yellow]warning:[/] the embedded {role} mock is {escape(how)}: "
                "the verdict is that of a broken mock, to show what the plan says "
                "of an implementation that gets this wrong",
                highlight=False,
            )
    out = options.out
    absent = [p for p in (out / "allure-results", out, *out.parents) if not p.exists()]
    _make_out(out)
    busy = lock.acquire(out) or _unwritable(out)
    if busy is not None:
        errors.print(f"[bold red]cannot run plan {plan.name}:[/] {busy}", highlight=False)
        _remove_empty(absent)
        return 2
    if options.starting:
        console.print(escape(options.starting), highlight=False)
    staged_junit = out / ".junit.xml.partial"  # moved to junit.xml once the outputs started
    settings = scenarios_dir().parent / "pyproject.toml"  # not there in a wheel install
    root, team_settings = _setup_of(
        options.paths,
        warn=lambda said: console.print(f"[yellow]warning:[/] {escape(said)}", highlight=False),
    )
    if (
        team_settings is not None
        and settings.is_file()
        and Path(team_settings).resolve() == settings.resolve()
    ):
        team_settings = None  # the harness's own suites given as paths
    args = [
        *(options.paths or [str(scenarios_dir())]),
        # a team's own configuration is not held to the harness's strictness about it
        "-o",
        "addopts=",
        "--strict-markers",
        *(() if team_settings else ("--strict-config",)),
        "-p",
        "no:terminal",
        "-p",
        "no:cacheprovider",
        # as the project's addopts (dropped above): schemathesis's plugin swaps
        # Hypothesis's printer for one that prints every falsifying example empty, and
        # neither it nor locust's has anything for a run of scenarios
        "-p",
        "no:schemathesis",
        "-p",
        "no:locust",
        # the project's settings (xfail_strict, filterwarnings = error) by name: pytest
        # looks for them from the paths given, which may be a suite elsewhere, and each
        # xdist worker reads a separate option's value (--alluredir /tmp/…) as a path;
        # installed as a package, the same settings from harness/suites.ini; a team's
        # tests given as paths, their own configuration's (markers, filterwarnings, …),
        # as plain pytest would take it (its addopts dropped too: the run's options decide)
        "-c",
        team_settings or str(settings if settings.is_file() else PACKAGED_SETTINGS),
        # the CLI may have imported plugin modules (faker) before pytest starts
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        f"--rootdir={root}",
        f"--junitxml={staged_junit}",
        # not --clean-alluredir: ProgressReporter clears it once a test reports
        f"--alluredir={out / 'allure-results'}",
        f"--seed={options.seed}",
        f"--plan={plan.name}",
        "--evidence",
    ]
    for flag, value in (
        ("--vneid-url", options.vneid_url),
        ("--vssid-url", options.vssid_url),
        ("--admin-token", options.admin_token),
        ("-k", options.keyword),
        ("--protocol-profile", options.profile and str(options.profile)),
        # whole: the replay line names it, to be pasted from anywhere
        ("--personas", options.personas and str(options.personas.resolve())),
        ("--protocol-url", options.protocol_url),
        ("--replay-as", options.replay_as),
    ):
        if value:  # -kVALUE: an expression that starts with '-' is not read as an option
            args += [f"-k{value}"] if flag == "-k" else [f"{flag}={value}"]
    if options.workers is None or options.workers > 1:
        args += [
            "-n",
            "auto" if options.workers is None else str(options.workers),
            "--dist",
            "worksteal",
        ]
    args += options.broken.pytest_args() + list(options.extra_args)
    reporter = ProgressReporter(
        console,
        journal=out / "results.jsonl",
        alluredir=out / "allure-results",
        superseded=lambda: _verdict_files(out),
    )
    evidence = EvidenceCollector()
    # the tests' tmp_path under a folder of the run's own, removed after it: pytest's
    # default, /tmp/pytest-of-USER, makes every session end by deleting the folders of the
    # sessions three before it, whoever ran them; after a `make test` (150,000 files) a run
    # waited 40 s to 8 min on a busy disk for it, the tests long finished (a new user's walk)
    scratch = Path(tempfile.mkdtemp(prefix="vneid-harness-run-"))
    args.append(f"--basetemp={scratch / 'tmp'}")
    started = time.time()
    clock = time.perf_counter()
    try:
        try:
            status = int(pytest.main(args, plugins=[reporter, evidence]))
        except (pytest.PytestUnraisableExceptionWarning, BaseExceptionGroup) as leftover:
            status = _status_despite_leftovers(leftover, reporter, errors)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        with contextlib.suppress(OSError):  # a disk that filled up, a folder made read-only
            if reporter.started and staged_junit.is_file() and staged_junit.stat().st_size:
                if reporter.stopped:
                    _drop_nameless_cases(staged_junit)
                os.replace(staged_junit, out / "junit.xml")  # never an empty one over it
            staged_junit.unlink(missing_ok=True)
    elapsed = time.perf_counter() - clock
    if not reporter.started:
        reporter.discard_partial()
        _remove_empty(absent)
    elif reporter.stopped:
        reporter.drop_unrecorded()
    broken = status in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR)
    if broken:
        why = f": {reporter.stopped}" if reporter.stopped else "; see the message above"
        if not reporter.started:
            console.print(
                f"[bold red]pytest could not run the suites (exit {status})[/]"
                f"{escape(why)} (nothing written: {escape(str(out))} is left as it "
                "was)",
                highlight=False,
            )
            return status
        # some tests ran and their results replaced the earlier ones: the verdict follows
        # them, so that every report of the folder speaks of this run
        console.print(
            f"[bold red]pytest stopped the suites (exit {status})[/]{escape(why)}", highlight=False
        )
        reporter.stopped = reporter.stopped or f"pytest stopped with exit status {status}"
    for error in reporter.collect_errors:
        console.print(f"[bold red]collection error[/] {error}")
    if not reporter.started and reporter.stopped and not reporter.collect_errors:
        console.print(
            f"[bold red]the run was interrupted before any test finished:[/] "
            f"{escape(reporter.stopped)} (nothing written: {escape(str(out))} is "
            "left as it was)",
            highlight=False,
        )
        return status
    if not reporter.started:
        said = (
            "no test ran: collection failed"
            if reporter.collect_errors
            else " ".join(
                [
                    "no test matched",
                    *([f"-k {options.keyword!r}"] if options.keyword else []),
                    *(["in " + ", ".join(options.paths)] if options.paths else []),
                    f"of plan {plan.name}",
                ]
            )
        )
        console.print(
            f"[bold red]{escape(said)}[/] (nothing written: {escape(str(out))} is left as it was)",
            highlight=False,
        )
        return status
    partial = not options.whole_plan or (bool(options.keyword) and not options.paths)
    result = evaluate(
        plan,
        reporter.ordered_outcomes(),
        expected,
        coverage_required=not partial,
        interrupted=reporter.stopped,
    )
    vneid_shown, vssid_shown = targets_shown(options)
    verdict = result.to_json(
        target={
            "vneid": vneid_shown,
            "vssid": vssid_shown,
            "profile": str(options.profile) if options.profile else None,
            "profile_overrides": overrides,
        },
        setup_warnings=hints,
        harness_version=__version__,
        seed=options.seed,
        duration_s=round(elapsed, 3),
        started_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        expected_failures_file=str(options.expected_failures)
        if options.expected_failures
        else None,
        clause_links=clause_links(
            options.protocol_url, protocol_of_run(Path(_root_of(options.paths)))
        ),
    )
    evidence.attach(verdict)
    # written before anything is printed: a terminal that cannot show the table (a stdout
    # closed by `| head`) must not cost the run its verdict files
    unwritten: ReportError | None = None
    try:
        write_verdict(verdict, options.result_file)
        page = write_conformance_html(verdict, options.result_file.with_suffix(".html"))
    except ReportError as exc:  # a folder in its place, a full disk, no permission
        unwritten = exc
    _print_verdict(console, result, options, elapsed, before=len(hints))
    if unwritten is not None:
        errors.print(
            f"[bold red]the verdict is not complete:[/] {escape(str(unwritten))}. The "
            f"tests' results are in {escape(str(out / 'junit.xml'))} and "
            f"{escape(str(out / 'results.jsonl'))}; free that path or give another "
            "--out, and run again",
            highlight=False,
        )
        return 2
    console.print(
        f"reports: {out / 'junit.xml'}, {out / 'allure-results'}, "
        f"{options.result_file}, {page} (results as they came: "
        f"{out / 'results.jsonl'})",
        highlight=False,
    )
    if options.allure_report:
        try:
            allure_html(
                out,
                console,
                name=report_name(options, plan.name),
                whole_run=reporter.stopped is None,
            )
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM (the CLI's sigterm_interrupts)
            errors.print(
                f"[bold red]the Allure HTML report was interrupted[/] "
                f"({escape(interrupt_reason(exc))}): allure, if it had started, was "
                "stopped; the tests' "
                "results and the verdict are written, the history is as it was; "
                f"make the report with `{escape(own_pytest('vneid-harness'))} "
                "report --results "
                f"{escape(str(out / 'allure-results'))} --out "
                f"{escape(str(out / 'allure-report'))}`",
                highlight=False,
            )
            return int(pytest.ExitCode.INTERRUPTED)
    if broken:
        return status
    if reporter.collect_errors or reporter.interrupted:
        return int(pytest.ExitCode.INTERRUPTED)  # a CI job tells it from a failed verdict
    return 0 if result.ok else 1


def _check_keyword(keyword: str) -> None:
    """A ``-k`` expression pytest cannot parse is one :class:`ConfigError` now, not a crash
    of every pytest-xdist worker (an INTERNALERROR) after the earlier results went."""
    from _pytest.mark.expression import Expression

    try:
        Expression.compile(keyword)
    except SyntaxError as exc:
        raise ConfigError(
            f"-k {keyword!r} is not a pytest -k expression ({exc.msg}, at "
            f"column {exc.offset}); names joined with and, or, not and "
            "parentheses, e.g. -k 'happy_path and not android'"
        ) from None


ALLURE_OUTPUT = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"-(?:result\.json|container\.json|globals\.json|attachment(?:\.[^/]+)?)(?:\.tmp)?"
)
"""The files allure-pytest writes into its folder (``UUID-result.json``, ``-container.json``,
``-globals.json``, ``-attachment.EXT``, and any of them as a ``.tmp`` a killed run left): what
a new run replaces there."""


def _verdict_files(out: Path) -> list[Path]:
    """The verdicts a run of any plan writes into ``out`` (``run`` and ``conformance`` share
    ``reports/out``), its JUnit XML and the Allure report made from its results."""
    return [
        *out.glob("summary.json"),
        *out.glob("summary.html"),
        *out.glob("conformance-*.json"),
        *out.glob("conformance-*.html"),
        out / "junit.xml",
        out / "allure-report",
    ]


def _status_despite_leftovers(
    leftover: BaseException, reporter: ProgressReporter, errors: Console
) -> int:
    """A stopped run's status, when pytest raised after its session the warnings of what the
    stop left behind. A SIGTERM while pytest-xdist was starting its workers left a worker's
    process and pipes to the garbage collector; their ResourceWarnings, errors under the
    suites' ``filterwarnings = error``, came out of ``pytest.main`` as a 120-line traceback
    and exit 1 (a failed verdict's status) instead of the interrupted run's 2. Anything else,
    or a run that was not stopped, is raised as it came (a leak of the harness's own)."""
    if isinstance(leftover, BaseExceptionGroup):
        matched, rest = leftover.split(pytest.PytestUnraisableExceptionWarning)
        warnings = len(matched.exceptions) if matched is not None else 0
    else:
        rest, warnings = None, 1
    # stopped while xdist started its workers (pytest's session start), the session never
    # finished: an interrupt is then pytest's INTERRUPTED, as a later one is
    status = (
        reporter.exitstatus
        if reporter.exitstatus is not None
        else (int(pytest.ExitCode.INTERRUPTED) if reporter.interrupted else None)
    )
    if rest is not None or not warnings or reporter.stopped is None or status is None:
        raise leftover
    errors.print(
        f"[yellow]warning:[/] the stopped run left {warnings} resource(s) open "
        "(pytest-xdist workers stopped while starting); they are closed as the "
        "process ends",
        highlight=False,
    )
    return status


def _paths_problem(options: RunOptions) -> str | None:
    """Why a test path given cannot be run: one that starts with ``-`` reached pytest as an
    option (``--basetemp=DIR`` deleted DIR, and with no path left the whole folder ran);
    one that does not exist said only "no test matched", exit 5."""
    for given in options.paths:
        if given.startswith("-"):
            # not "./-x": the CLI reads paths as Path, which drops the "./" again
            return (
                f"test path {given!r} starts with '-', which pytest would take for an "
                f"option; give a file so named by its absolute path "
                f"({Path(given).absolute()})"
            )
        path = Path(given.split("::", 1)[0])  # a node id: its file
        if not path.exists():
            return f"test path {given!r}: {path} does not exist"
    return None


def _out_problem(options: RunOptions) -> str | None:
    """Why the run cannot write its outputs into ``options.out`` where earlier ones are: an
    entry of the kind it writes replaced by another (``results.jsonl`` a folder, a named pipe,
    which blocked the run for ever; ``allure-results`` a file). Found before anything is
    written, so the earlier run's reports stay as they were."""
    out = options.out
    files = [out / name for name in ("junit.xml", "results.jsonl", ".junit.xml.partial")]
    files += [options.result_file, options.result_file.with_suffix(".html")]
    for path in files:
        if (path.exists() or path.is_symlink()) and not path.is_file():
            kind = "a folder" if path.is_dir() else "not a regular file"
            return (
                f"--out {out}: {path} is {kind}, and the run writes a file there; move it "
                "away, or give another --out"
            )
    results = out / "allure-results"
    if results.exists() and not results.is_dir():
        return (
            f"--out {out}: {results} is not a folder, and the run writes Allure's results "
            "into it; move it away, or give another --out"
        )
    return None


WRITE_PROBE_BYTES = 256 * 1024
"""What the run writes into ``--out`` before it starts, to find a full disk or a read-only
folder while the earlier run's reports are still there (a run writes megabytes)."""


def _unwritable(out: Path) -> str | None:
    """Why the run cannot write into ``out`` (``None``: it can)."""
    probe = out / f".write-probe-{os.getpid()}"
    try:
        with probe.open("wb") as file:
            file.write(b"\0" * WRITE_PROBE_BYTES)
            file.flush()
            os.fsync(file.fileno())
    except OSError as exc:
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        return (
            f"--out {out} cannot be written ({exc.strerror}); "
            + ("free space on its disk" if full else "make it writable")
            + ", or give another --out (the earlier run's reports there are as they were)"
        )
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return None


def _drop_nameless_cases(junit: Path) -> None:
    """Remove the ``<testcase>`` elements without a name from pytest's JUnit XML of a stopped
    run: pytest-xdist workers stopped in a test leave one each (no name, no class, no
    outcome), which CI's JUnit readers counted as passed tests the verdict does not have."""
    import xml.etree.ElementTree as ET

    try:
        tree = ET.parse(junit)  # noqa: S314 (pytest's own file, just written)
    except ET.ParseError:
        return
    changed = False
    for suite in tree.iter("testsuite"):
        for case in [case for case in suite.findall("testcase") if not case.get("name")]:
            suite.remove(case)  # pytest's counts have none of them
            changed = True
    if changed:
        tree.write(junit, encoding="utf-8", xml_declaration=True)


def _make_out(out: Path) -> None:
    """The output folder, created with its parents; a :class:`ConfigError` when it cannot be."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        problem = (
            "is a file, not a folder"
            if out.exists() and not out.is_dir()
            else f"cannot be created ({exc.strerror})"
        )
        raise ConfigError(
            f"--out {out} {problem}; give a folder for the reports (it is created if missing)"
        ) from None


def _root_of(paths: Sequence[str]) -> str:
    """The run's root folder (:func:`_setup_of`)."""
    return _setup_of(paths)[0]


def _setup_of(
    paths: Sequence[str], *, warn: Callable[[str], None] | None = None
) -> tuple[str, str | None]:
    """The run's root folder, which node ids (and so each test's seed) are relative to: the
    harness's for its own suites; for tests given as paths, the folder plain ``pytest``
    started here would take for them (pytest's own rules: the nearest folder above them with
    a pytest configuration or ``setup.py``, else a common folder), so that a test draws the
    same citizens in both (a folder holding the harness's and theirs, ``/`` for
    ``/tmp/team``, had named every test ``tmp/team/…``); and the pytest configuration file
    pytest would read for them there (``None``: none, or the harness's own suites).

    When pytest cannot say (its internal ``determine_setup`` takes other arguments in
    another release, or refuses the configuration it finds), the folder holding the paths,
    and ``warn`` is told: the node ids, so every test's seed, may then differ from plain
    pytest's, and a run that silently took another root drew other citizens."""
    if not paths:
        return str(scenarios_dir().parent), None
    try:  # pytest's rules change between releases: ask pytest
        from _pytest.config.findpaths import determine_setup

        rootdir, inipath = determine_setup(
            inifile=None,
            override_ini=None,
            args=list(paths),
            rootdir_cmd_arg=None,
            invocation_dir=Path.cwd(),
        )[:2]
        return str(rootdir), str(inipath) if inipath is not None else None
    except Exception as exc:  # another pytest's signature, a configuration it refuses
        folder = _folder_holding(paths)
        if warn is not None:
            warn(
                f"pytest could not say which root folder it would take for the tests given "
                f"({type(exc).__name__}: {clip(str(exc), 200)}); the run takes {folder}, "
                "the folder holding them, and names its tests from there: their node ids, "
                "and so each test's seed and citizens, may differ from a plain pytest run's "
                "(and no pytest configuration of theirs is read)"
            )
        return folder, None


def _folder_holding(paths: Sequence[str]) -> str:
    """(When pytest cannot say) the folder holding ``paths``."""
    import os.path

    given = [Path(p).resolve() for p in paths]
    return os.path.commonpath([str(p if p.is_dir() else p.parent) for p in given])


def _remove_empty(folders: Sequence[Path]) -> None:
    """Remove the folders a run that selected no test created (``--out`` and its missing
    parents, Allure's results folder), deepest first, each only if empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except FileNotFoundError:  # not made (a refusal before Allure's folder was)
            continue
        except OSError:  # not empty: nor are its parents
            return


MAX_WORKERS_PER_CPU = 4
"""``--workers`` above this many per CPU is refused: each worker is a Python process with
the whole harness (~100 MB), and a slip of the keyboard (``--workers 100000``) started
processes until the machine gave out."""


def _broken_problem(options: RunOptions) -> str | None:
    """``broken`` with a target, or with a plan that does not grade the mock it breaks (the
    CLI's refusals, for callers of :func:`run_suites`; pytest refused the first only after
    the probes)."""
    broken = options.broken
    given = [
        name for name, on in (("--broken-rp", broken.rp), ("--broken-vneid", broken.vneid)) if on
    ]
    return broken_with_targets_problem(
        given, targets_given(options.vneid_url, options.vssid_url)
    ) or broken_plan_problem(options.plan, bool(broken.rp), broken.vneid is not None)


def _workers_problem(options: RunOptions) -> str | None:
    if options.workers is not None and options.workers <= 1:
        return None
    cpus = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )  # the CPUs this process may use (a container's)
    most = MAX_WORKERS_PER_CPU * cpus
    if options.workers is not None and options.workers > most:
        return (
            f"--workers {options.workers} is more than this machine can run: at most "
            f"{most} ({MAX_WORKERS_PER_CPU} per CPU); leave it out for one per CPU"
        )
    remote = remote_workers_problem(
        options.workers,
        targets_given(options.vneid_url, options.vssid_url),
        option="--workers",
        one_process="--workers 1",
    )
    if remote is not None:
        return remote
    if importlib.util.find_spec("xdist") is None:
        return "more than one worker needs pytest-xdist: pip install pytest-xdist"
    return None


def targets_shown(options: RunOptions) -> tuple[str, str]:
    """The VNeID and the VssID a run tests, as its reports name them: a target's URL
    (its password redacted), or ``embedded``, with how a deliberately broken mock is
    broken."""

    def shown(url: str | None, broken: str) -> str:
        if url:
            return redact_url(url)
        return f"embedded, {broken}" if broken else "embedded"

    return (
        shown(options.vneid_url, options.broken.describe_vneid()),
        shown(options.vssid_url, options.broken.describe_rp()),
    )


def report_name(options: RunOptions, plan: str) -> str:
    """The Allure report's name: which plan ran against which providers (three reports of
    one CI job, the main job and two vendor plans, read alike)."""
    from reports.allure_html import DEFAULT_NAME

    if plan == ALL and not options.vneid_url and not options.vssid_url and not options.broken:
        return DEFAULT_NAME
    vneid, vssid = targets_shown(options)
    return f"VNeID → VssID login: plan {plan} (VNeID {vneid}, VssID {vssid}) (vneid-harness)"


def allure_html(
    out: Path, console: Console, *, name: str | None = None, whole_run: bool = True
) -> Path | None:
    """Generate ``out/allure-report/index.html`` from ``out/allure-results`` (history in
    ``out/history/``), named ``name`` (default: :data:`reports.allure_html.DEFAULT_NAME`);
    on failure print why and how to fix it, and return ``None``. A run that stopped before
    its end (not ``whole_run``) is not added to the history file."""

    from reports.allure_html import (
        DEFAULT_NAME,
        AllureToolMissing,
        generate_report,
        waiting_message,
    )

    try:
        made = generate_report(
            out / "allure-results",
            out / "allure-report",
            name=name or DEFAULT_NAME,
            history=out / "history" / "history.jsonl",
            append_history=whole_run,
            on_wait=lambda folder: console.print(escape(waiting_message(folder)), highlight=False),
        )
    except AllureToolMissing as exc:
        console.print(f"[yellow]no Allure HTML report:[/] {escape(str(exc))}", highlight=False)
        return None
    except ReportError as exc:
        console.print(
            f"[bold red]the Allure HTML report failed:[/] {escape(str(exc))}", highlight=False
        )
        return None
    for warning in made.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    console.print(made.describe(), highlight=False, markup=False)
    return made.index


def _print_verdict(
    console: Console,
    result: ConformanceResult,
    options: RunOptions,
    elapsed: float,
    *,
    before: int = 0,
) -> None:
    """The failures, the clause table and the counts; ``before``: how many warnings were
    printed before the tests (:func:`target_warnings`), which the counts name apart from
    the tests' own WARNING status."""
    for test in result.tests:
        if test.status in ("FAILED", "WARNING"):
            tag = test.shown_status
            colour = (
                "magenta" if test.expected else "yellow" if test.status == "WARNING" else "bold red"
            )
            console.print(
                f"[{colour}]{tag}[/] {escape(test.nodeid)}\n    {escape(test.message)}",
                highlight=False,
            )
            if test.replay and not test.expected:
                console.print(
                    f"    to replay it alone: {escape(test.replay)}",
                    highlight=False,
                    soft_wrap=True,
                )
    if result.coverage_required:  # in a partial run an entry may just not have been run
        for entry in result.unused_expected:
            console.print(
                f"[yellow]UNUSED EXPECTED FAILURE[/] test {escape(entry.test)!r}, "
                f"clause {entry.clause}: no test of the run matched it (does the "
                "glob match a test id, does that test cover the clause, does an "
                "earlier entry take it?): fix or remove the entry",
                highlight=False,
            )
    for test in result.unexpected_passes:
        said = test.unexpected_pass.status if test.unexpected_pass else "FAILED"
        console.print(
            f"[yellow]UNEXPECTED PASS[/] {escape(test.nodeid)} passed although the "
            f"expected-failures file says {said}: update the file",
            highlight=False,
        )
    console.print(clause_table(result))
    if result.interrupted:
        reached = (
            f"{len(result.unreached_clauses)} clauses of the plan were not reached"
            if not result.partial
            else "a partial run"
        )
        console.print(
            f"[bold red]the run stopped early:[/] {escape(result.interrupted)} "
            f"({len(result.tests)} tests ran; {reached})",
            highlight=False,
        )
    elif result.missing_clauses and result.coverage_required:
        console.print(
            f"[bold red]coverage error:[/] no test of plan {result.plan.name} covers "
            f"{', '.join(result.missing_clauses)}",
            highlight=False,
        )
    elif result.missing_clauses:
        console.print(
            f"(a partial run: {len(result.missing_clauses)} clauses of the plan were not selected)",
            highlight=False,
        )
    # the clause table's statuses, counted once each (FAILED: only what fails the run)
    counts = result.counts()
    console.print(
        f"{counts['PASSED']} passed, {counts['FAILED']} failed, "
        f"{counts['EXPECTED FAILED']} expected failed, {counts['SKIPPED']} skipped",
        highlight=False,
    )
    also = f" (and {before} before the tests, printed above)" if before else ""
    console.print(
        f"{counts['WARNING']} warnings{also}, {counts['EXPECTED WARNING']} expected "
        f"warnings, {counts['unexpected_passes']} unexpected passes; "
        f"in {elapsed:.1f}s, seed {options.seed}; verdict "
        f"{'OK' if result.ok else 'NOT OK'}",
        highlight=False,
    )
    failed = [t for t in result.tests if t.status == "FAILED" and not t.expected]
    if failed and not result.interrupted and not any(t.replay for t in failed):
        # (a run stopped early: its last failures say why; each failure with its own
        # replay line said it above)
        name = failed[0].nodeid.rsplit("::", 1)[-1].split("[", 1)[0]
        console.print(
            f"to run a failed test again alone: the same command with --seed "
            f"{options.seed} -k {shlex.quote(name)} (its test name; the same seed "
            "gives it the same citizens)",
            highlight=False,
        )
