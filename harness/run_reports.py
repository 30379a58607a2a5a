"""What a run reports besides its verdict files: the targets as its reports name them
(:func:`targets_shown`), the Allure HTML report and its name (:func:`allure_html`,
:func:`report_name`), and the verdict on the console (:func:`print_verdict`).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from rich.console import Console
from rich.markup import escape

from harness.broken_mocks import BrokenMocks
from harness.conformance.plans import ALL
from harness.conformance.results import ConformanceResult
from harness.protocol.redaction import redact_url
from reports.errors import ReportError
from reports.summary import clause_table

__all__ = ["allure_html", "print_deprecations", "print_verdict", "report_name", "targets_shown"]


class _ReportOptions(Protocol):
    """What this module reads of the run's options (a :class:`harness.run.RunOptions`, which
    it cannot import: the run imports it)."""

    @property
    def vneid_url(self) -> str | None: ...

    @property
    def vssid_url(self) -> str | None: ...

    @property
    def broken(self) -> BrokenMocks: ...

    @property
    def seed(self) -> int: ...


def targets_shown(options: _ReportOptions) -> tuple[str, str]:
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


def report_name(options: _ReportOptions, plan: str) -> str:
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


def print_verdict(
    console: Console,
    result: ConformanceResult,
    options: _ReportOptions,
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
            # a long message is shortened to its first 300 characters here (a TLS advice,
            # a vendor's page): say so, and where the whole of it is
            cut = " … (shortened; the whole message is in summary.html and junit.xml)"
            console.print(
                f"[{colour}]{tag}[/] {escape(test.nodeid)}\n    {escape(test.message)}"
                f"{cut if test.detail else ''}",
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


DEPRECATIONS_SHOWN = 5
"""How many kinds of library deprecation :func:`print_deprecations` names."""


def print_deprecations(console: Console, deprecations: Mapping[tuple[str, str, str], int]) -> None:
    """After the verdict: the deprecation warnings the run showed instead of raising them
    (a library the harness uses deprecates a call it makes: no fault of the target, and no
    failure of the run; ``make test`` and plain pytest raise them, for the harness's own
    developers to fix)."""
    if not deprecations:
        return
    times = sum(deprecations.values())
    console.print(
        f"[yellow]library deprecations[/] (not failures: a library deprecates a call the "
        f"harness makes; plain pytest raises them): {times} warning(s) of "
        f"{len(deprecations)} kind(s)",
        highlight=False,
    )
    ranked = sorted(deprecations.items(), key=lambda kv: -kv[1])
    for (category, message, place), count in ranked[:DEPRECATIONS_SHOWN]:
        console.print(
            f"    {escape(category)} at {escape(place)} ({count} times): {escape(message)}",
            highlight=False,
            soft_wrap=True,
        )
    if len(ranked) > DEPRECATIONS_SHOWN:
        console.print(f"    and {len(ranked) - DEPRECATIONS_SHOWN} more kinds", highlight=False)
