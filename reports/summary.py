"""The console and JSON forms of a run's verdict by clause (consumes
:class:`harness.conformance.ConformanceResult`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table

from harness.conformance.results import ConformanceResult
from reports.atomic import write_atomic

__all__ = ["NARROW", "ClauseTable", "clause_table", "write_json", "write_verdict"]

_STYLE = {
    "PASSED": "green",
    "FAILED": "bold red",
    "EXPECTED FAILED": "magenta",
    "WARNING": "yellow",
    "EXPECTED WARNING": "magenta",
    "SKIPPED": "yellow",
    "UNTESTED": "dim",
}


NARROW = 110
"""Below this many columns (an 80-column terminal or CI log) the counts' headers are short
(``pass``, ``fail``, ``exp.``, ``warn``, ``skip``): with the full ones the counts took the
whole width and the clause's text column was left empty, its header too."""
_SHORT = {
    "passed": "pass",
    "failed": "fail",
    "expected": "exp.",
    "warnings": "warn",
    "skipped": "skip",
}


class ClauseTable:
    """:func:`clause_table`'s renderable: the table is laid out for the width it is printed
    at (a Rich renderable learns it only then)."""

    def __init__(self, title: str, rows: list[tuple[str, ...]]) -> None:
        self.title = title
        self.rows = rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.table(options.max_width)

    def table(self, width: int) -> Table:
        """The table for a console ``width`` columns wide."""
        # the text takes the width the counts leave (a shortened text rather than squeezed
        # counts: rich's last resort, when a table is wider than the console, narrows every
        # column)
        table = Table(title=self.title, expand=True)
        columns = ("clause", "status", "passed", "failed", "expected", "warnings", "skipped")
        narrow = width < NARROW
        for n, column in enumerate(columns):
            header = _SHORT.get(column, column) if narrow else column
            widest = max((len(r[n]) for r in self.rows), default=0) if column == "expected" else 0
            least = 4 if narrow else 8
            table.add_column(
                header,
                no_wrap=True,
                min_width=16 if column == "status" else max(len(header), least, widest),
            )
        table.add_column("text", no_wrap=True, overflow="ellipsis", ratio=1)
        for cells in self.rows:
            table.add_row(*cells)
        return table


def clause_table(result: ConformanceResult) -> ClauseTable:
    """One row per clause of the plan (every clause of PROTOCOL.md for the plan ``all``), and
    one per clause outside it that a test covered, as ``not graded`` (unless it failed).
    ``failed`` and ``warnings`` count what no expected-failures entry took; ``expected``
    what one did (``3 (for R-9)`` when the entries that took them name other clauses).
    Printed narrower than :data:`NARROW` columns, the counts' headers are short."""
    rows: list[tuple[str, ...]] = []
    for row in result.clauses:
        if not row.in_plan and not row.tests:
            continue
        status = row.status if row.tests or not row.in_plan else "UNTESTED"
        # a clause outside the plan, covered on the harness's own mock: not the target's
        # verdict (a failed test there still fails the run, and says so)
        shown = (
            f"[{_STYLE[status]}]{status}"
            if row.in_plan or status == "FAILED"
            else "[dim]not graded"
        )
        others = [c for c in row.expected_for if c != row.clause]
        expected = str(row.expected_failures) + (f" (for {', '.join(others)})" if others else "")
        rows.append(
            (
                row.clause,
                shown,
                str(row.count("PASSED")),
                str(row.count("FAILED")),
                expected,
                str(row.count("WARNING")),
                str(row.count("SKIPPED")),
                row.text,
            )
        )
    return ClauseTable(f"Plan {result.plan.name}: result by clause (PROTOCOL.md)", rows)


def write_json(result: ConformanceResult, path: Path, **meta: Any) -> Path:
    """Write ``result``'s verdict JSON (with ``meta``: target, version, date…) to ``path``."""
    return write_verdict(result.to_json(**meta), path)


def write_verdict(verdict: Mapping[str, Any], path: Path) -> Path:
    """Write a verdict JSON atomically (:func:`reports.atomic.write_atomic`: a
    :class:`~reports.errors.ReportError` naming ``path`` when it cannot be written)."""
    return write_atomic(path, json.dumps(verdict, indent=2, ensure_ascii=False))
