"""The main job: every scenario suite, as pytest, with a progress display and a clause summary.

Running suites is running pytest (no second runner): :func:`run_suites` calls ``pytest.main``
on the installed ``scenarios`` package with :class:`ProgressReporter` as an extra plugin, and
writes JUnit XML, Allure results and ``summary.json`` under the output folder.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from reports.summary import ClauseSummary, TestOutcome, summarise

__all__ = ["ProgressReporter", "RunOptions", "run_suites", "scenarios_dir"]


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


@dataclass
class ProgressReporter:
    """A pytest plugin that shows progress with Rich and records outcomes by clause."""

    console: Console
    outcomes: list[TestOutcome] = field(default_factory=list)
    collect_errors: list[str] = field(default_factory=list)
    _progress: Progress | None = None
    _task: Any = None

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}: {report.longreprtext[-2000:]}")

    @pytest.hookimpl
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._progress = Progress(
            TextColumn("[bold]suites"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[current]}"), TimeElapsedColumn(),
            console=self.console, transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task("run", total=len(session.items), current="")

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        clauses = tuple(str(v) for k, v in report.user_properties if k == "clause")
        final = report.when == "call" or (report.when == "setup" and not report.passed) or (
            report.when == "teardown" and report.failed)
        if not final:
            return
        outcome: str = report.outcome
        if report.when != "call" and report.failed:
            outcome = "error"
        message = report.longreprtext.strip().splitlines()[-1] if report.failed else ""
        self.outcomes.append(TestOutcome(report.nodeid, outcome, clauses, report.duration,
                                         message[:300]))
        if self._progress is not None and report.when != "teardown":
            short = report.nodeid.rsplit("::", 1)[-1][:60]
            self._progress.update(self._task, advance=1, current=short)

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._progress is not None:
            self._progress.stop()

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
        for outcome in self.outcomes:
            out[outcome.outcome] = out.get(outcome.outcome, 0) + 1
        return out


def _clause_table(rows: list[ClauseSummary]) -> Table:
    table = Table(title="Summary by clause (PROTOCOL.md)", show_lines=False)
    for column in ("clause", "status", "passed", "failed", "skipped"):
        table.add_column(column, no_wrap=True, min_width=max(len(column), 8))
    table.add_column("text", no_wrap=True, overflow="ellipsis")
    style = {"PASSED": "green", "FAILED": "bold red", "SKIPPED": "yellow", "UNTESTED": "dim"}
    for row in rows:
        table.add_row(row.clause, f"[{style[row.status]}]{row.status}", str(row.passed),
                      str(row.failed), str(row.skipped), row.text)
    return table


def run_suites(options: RunOptions, console: Console | None = None) -> int:
    """Run the scenario suites; return pytest's exit status (0 only when all passed)."""
    console = console or Console(stderr=False)
    out = options.out
    out.mkdir(parents=True, exist_ok=True)
    args = [*(options.paths or [str(scenarios_dir())]),
            "-o", "addopts=", "--strict-markers", "--strict-config",
            "-p", "no:terminal", "-p", "no:cacheprovider",
            "--rootdir", str(scenarios_dir().parent),
            "--junitxml", str(out / "junit.xml"),
            "--alluredir", str(out / "allure-results"), "--clean-alluredir",
            "--seed", str(options.seed)]
    if options.vneid_url:
        args += ["--vneid-url", options.vneid_url]
    if options.vssid_url:
        args += ["--vssid-url", options.vssid_url]
    if options.keyword:
        args += ["-k", options.keyword]
    args += list(options.extra_args)
    reporter = ProgressReporter(console)
    started = time.perf_counter()
    status = int(pytest.main(args, plugins=[reporter]))
    elapsed = time.perf_counter() - started
    if status in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        console.print(f"[bold red]pytest could not run the suites (exit {status}); "
                      "see the message above[/]")
        return status
    for error in reporter.collect_errors:
        console.print(f"[bold red]collection error[/] {error}")
    failures = [o for o in reporter.outcomes if o.outcome in ("failed", "error")]
    for failure in failures:
        console.print(f"[bold red]{failure.outcome.upper()}[/] {failure.nodeid}\n"
                      f"    {failure.message}")
    rows = summarise(reporter.outcomes)
    console.print(_clause_table(rows))
    counts = reporter.counts()
    summary = {
        "seed": options.seed, "duration_s": round(elapsed, 3), "exit_status": status,
        "counts": counts, "clauses": [r.to_json() for r in rows],
        "tests": [{"nodeid": o.nodeid, "outcome": o.outcome, "clauses": list(o.clauses),
                   "duration_s": round(o.duration, 4), "message": o.message}
                  for o in reporter.outcomes],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False),
                                      encoding="utf-8")
    console.print(f"{counts['passed']} passed, {counts['failed'] + counts['error']} failed, "
                  f"{counts['skipped']} skipped", highlight=False)
    console.print(f"in {elapsed:.1f}s, seed {options.seed}", highlight=False)
    console.print(f"reports: {out / 'junit.xml'}, {out / 'allure-results'}, "
                  f"{out / 'summary.json'}")
    if status == 0 and not reporter.outcomes:
        console.print("[bold red]no test ran[/]")
        return 5
    return status
