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

This module takes the run's options (:class:`RunOptions`), refuses the ones it cannot run, and
runs pytest; the rest is in modules of their own: the plugin that follows the run
(:mod:`harness.run_progress`), the output folder (:mod:`harness.run_out`), and what the run
reports on the console and in the Allure report (:mod:`harness.run_reports`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.markup import escape

from harness import __version__
from harness.broken_mocks import BrokenMocks
from harness.conformance import (
    ConformanceResult,
    ExpectedFailure,
    evaluate,
    get_plan,
    load_expected_failures,
)
from harness.conformance.plans import ALL, Plan
from harness.errors import ConfigError
from harness.plugin_options import OPT_LIBRARY_DEPRECATIONS
from harness.preflight import PreflightTargets, TargetReads, preflight, target_warnings
from harness.processes import interrupt_reason
from harness.profile_file import load_profile, profile_overrides
from harness.protocol import Profile
from harness.protocol.text import clip
from harness.replay import PACKAGED_SETTINGS, own_pytest
from harness.run_checks import (
    remote_workers_problem,
    targets_given,
    vssid_without_vneid_problem,
)
from harness.run_out import (
    OutLock,
    drop_nameless_cases,
    make_out,
    out_problem,
    remove_empty,
    unwritable,
    verdict_files,
)
from harness.run_progress import ProgressReporter
from harness.run_reports import (
    allure_html,
    print_deprecations,
    print_verdict,
    report_name,
    targets_shown,
)
from harness.scratch import Scratch
from harness.targets import check_admin_token, check_target_url
from reports.conformance_html import write_conformance_html
from reports.errors import ReportError
from reports.evidence import EvidenceCollector
from reports.protocol_links import clause_links, protocol_of_run
from reports.summary import write_verdict

__all__ = [
    "PACKAGED_SETTINGS",
    "ProgressReporter",
    "RunOptions",
    "allure_html",
    "report_name",
    "run_suites",
    "scenarios_dir",
    "targets_shown",
]


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


def run_suites(
    options: RunOptions, console: Console | None = None, errors: Console | None = None
) -> int:
    """Run a plan's suites (every suite for ``all``); 0 only when the plan's verdict is ok.
    One run at a time per ``options.out`` (:class:`OutLock`)."""
    with OutLock() as lock:
        return _run_suites(options, console, errors, lock)


def _run_suites(
    options: RunOptions, console: Console | None, errors: Console | None, lock: OutLock
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
    plan, expected, profile, overrides = _read_options(options)
    reads, targets = TargetReads(options.admin_token), options.targets()
    problem = (
        _paths_problem(options)
        # before the probes: pytest refused it only after asking the VssID target (exit 4)
        or vssid_without_vneid_problem(options.vneid_url, options.vssid_url)
        or _broken_problem(options)
        or _workers_problem(options)
        or out_problem(options)
        or preflight(targets, reads=reads)
    )
    if problem is not None:
        errors.print(
            f"[bold red]cannot run {_what(options, plan.name)}:[/] {problem}", highlight=False
        )
        return 2
    hints = target_warnings(targets, profile, reads=reads)
    _print_setup_warnings(options, hints, console)
    out = options.out
    absent = [p for p in (out / "allure-results", out, *out.parents) if not p.exists()]
    make_out(out)
    held = lock.acquire(out)
    busy = held or unwritable(out)
    if busy is not None:
        errors.print(
            f"[bold red]cannot run {_what(options, plan.name)}:[/] {busy}", highlight=False
        )
        if held is None:
            # (refused for another run's lock: the folders are that run's, which made them
            # between this run's look and its own mkdir; removed while still empty, that run
            # wrote into a folder nobody held, and a third run was let in beside it)
            remove_empty(absent)
        return 2
    if options.starting:
        console.print(escape(options.starting), highlight=False)
    staged_junit = out / ".junit.xml.partial"  # moved to junit.xml once the outputs started
    args = _pytest_args(options, plan, staged_junit, console)
    reporter = ProgressReporter(
        console,
        journal=out / "results.jsonl",
        alluredir=out / "allure-results",
        superseded=lambda: verdict_files(out),
    )
    evidence = EvidenceCollector()
    started = time.time()
    clock = time.perf_counter()
    status = _pytest_main(args, reporter, evidence, errors, staged_junit)
    elapsed = time.perf_counter() - clock
    if not reporter.started:
        reporter.discard_partial()
        remove_empty(absent)
    elif reporter.stopped:
        reporter.drop_unrecorded()
    ungraded = _ungraded_status(status, reporter, options, plan, console)
    if ungraded is not None:
        return ungraded
    partial = not options.whole_plan or (bool(options.keyword) and not options.paths)
    result = evaluate(
        plan,
        reporter.ordered_outcomes(),
        expected,
        coverage_required=not partial,
        interrupted=reporter.stopped,
    )
    verdict = _verdict_json(
        options,
        plan,
        result,
        overrides=overrides,
        hints=hints,
        started=started,
        elapsed=elapsed,
    )
    evidence.attach(verdict)
    unwritten = _write_reports(verdict, result, options, elapsed, len(hints), console, errors)
    if unwritten is not None:
        return unwritten
    print_deprecations(console, reporter.deprecations)
    if options.allure_report and _allure_interrupted(options, plan, reporter, console, errors):
        return int(pytest.ExitCode.INTERRUPTED)
    if status in _PYTEST_BROKE:
        return status
    if reporter.collect_errors or reporter.interrupted:
        return int(pytest.ExitCode.INTERRUPTED)  # a CI job tells it from a failed verdict
    return 0 if result.ok else 1


def _read_options(
    options: RunOptions,
) -> tuple[Plan, list[ExpectedFailure], Profile | None, dict[str, str]]:
    """The run's plan, expected failures, profile and what the profile overrides, the
    options' values checked: a :class:`ConfigError` before anything is written, so that a
    run that does not start leaves ``--out`` as it was."""
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
    if options.out.exists() and not options.out.is_dir():
        make_out(options.out)  # says it is a file
    return plan, expected, profile, overrides


def _print_setup_warnings(options: RunOptions, hints: Sequence[str], console: Console) -> None:
    """What the checks before the run found that does not stop it, and a broken mock's
    reminder that its verdict is a preview."""
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


def _pytest_args(
    options: RunOptions, plan: Plan, staged_junit: Path, console: Console
) -> list[str]:
    """The pytest command line of the run (:func:`_pytest_main` adds its ``--basetemp``)."""
    out = options.out
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
        # a library release deprecating a call the harness makes is no fault of the target:
        # under filterwarnings = error it failed every clause whose tests made the call
        # (a vendor's verdict NOT OK for the pip resolve of the day); the harness's suites
        # show it after the verdict instead (`make test` and plain pytest keep it an error).
        # A team's own tests keep their configuration's choice
        *(() if team_settings else (OPT_LIBRARY_DEPRECATIONS,)),
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
    return args


def _pytest_main(
    args: list[str],
    reporter: ProgressReporter,
    evidence: EvidenceCollector,
    errors: Console,
    staged_junit: Path,
) -> int:
    """Run pytest with ``args`` and a ``--basetemp`` of the run's own; its exit status. The
    JUnit XML is moved into place once a test reported."""
    # the tests' tmp_path under a folder of the run's own, removed after it: pytest's
    # default, /tmp/pytest-of-USER, makes every session end by deleting the folders of the
    # sessions three before it, whoever ran them; after a `make test` (150,000 files) a run
    # waited 40 s to 8 min on a busy disk for it, the tests long finished (a new user's walk)
    # (held while the run goes: a run killed with SIGKILL leaves it, and the next removes it)
    scratch = Scratch("run")
    try:
        try:
            status = int(
                pytest.main(
                    [*args, f"--basetemp={scratch.path / 'tmp'}"], plugins=[reporter, evidence]
                )
            )
        except (pytest.PytestUnraisableExceptionWarning, BaseExceptionGroup) as leftover:
            status = _status_despite_leftovers(leftover, reporter, errors)
    finally:
        scratch.remove()
        with contextlib.suppress(OSError):  # a disk that filled up, a folder made read-only
            if reporter.started and staged_junit.is_file() and staged_junit.stat().st_size:
                if reporter.stopped:
                    drop_nameless_cases(staged_junit)
                # never an empty one over it
                os.replace(staged_junit, staged_junit.parent / "junit.xml")
            staged_junit.unlink(missing_ok=True)
    return status


_PYTEST_BROKE = (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR)
"""pytest's statuses for a run it could not start or finish (the run's own, whatever its
verdict)."""


def _ungraded_status(
    status: int, reporter: ProgressReporter, options: RunOptions, plan: Plan, console: Console
) -> int | None:
    """The status of a run that ends without a verdict (pytest could not run the suites, the
    run was stopped before any test finished, no test was selected), after saying so; None
    when there is a verdict to make. pytest stopping part way is said here too, and marks the
    run stopped (``reporter.stopped``), which its verdict then says."""
    out = options.out
    if status in _PYTEST_BROKE:
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
    return None


def _verdict_json(
    options: RunOptions,
    plan: Plan,
    result: ConformanceResult,
    *,
    overrides: dict[str, str],
    hints: list[str],
    started: float,
    elapsed: float,
) -> dict[str, Any]:
    """The verdict file's content (``summary.json``)."""
    vneid_shown, vssid_shown = targets_shown(options)
    return result.to_json(
        plan_description=_described(options, plan),
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


def _write_reports(
    verdict: dict[str, Any],
    result: ConformanceResult,
    options: RunOptions,
    elapsed: float,
    before: int,
    console: Console,
    errors: Console,
) -> int | None:
    """Write the verdict files and print the verdict; 2 when a file could not be written
    (said on ``errors``), else None."""
    out = options.out
    # written before anything is printed: a terminal that cannot show the table (a stdout
    # closed by `| head`) must not cost the run its verdict files
    unwritten: ReportError | None = None
    try:
        write_verdict(verdict, options.result_file)
        page = write_conformance_html(verdict, options.result_file.with_suffix(".html"))
    except ReportError as exc:  # a folder in its place, a full disk, no permission
        unwritten = exc
    print_verdict(console, result, options, elapsed, before=before)
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
    return None


def _allure_interrupted(
    options: RunOptions,
    plan: Plan,
    reporter: ProgressReporter,
    console: Console,
    errors: Console,
) -> bool:
    """Make the Allure HTML report; whether it was interrupted (then said on ``errors``)."""
    out = options.out
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
        return True
    return False


def _described(options: RunOptions, plan: Plan) -> str:
    """The verdict's ``plan_description``: the plan's, or for a team's tests given as paths
    what ran (the page said "Every scenario suite: the main job." of three tests)."""
    if not options.paths:
        return plan.description
    return f"the tests in {', '.join(options.paths)}, " + (
        f"held to every clause of plan {plan.name}"
        if options.whole_plan
        else "graded on the clauses they test (the plan's others are not required)"
    )


def _what(options: RunOptions, plan: str) -> str:
    """What a run runs, as its refusals say it: ``plan all``, or ``the tests in PATHS``."""
    if options.paths:
        return f"the tests in {escape(', '.join(options.paths))}"
    return f"plan {plan}"


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


MAX_WORKERS_PER_CPU = 4
"""``--workers`` above this many per CPU is refused: each worker is a Python process with
the whole harness (~100 MB), and a slip of the keyboard (``--workers 100000``) started
processes until the machine gave out."""


def _broken_problem(options: RunOptions) -> str | None:
    """``broken`` with a target, or with a plan that does not grade the mock it breaks (the
    CLI's refusals, for callers of :func:`run_suites`; pytest refused the first only after
    the probes)."""
    return options.broken.problem(options.plan, targets_given(options.vneid_url, options.vssid_url))


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
