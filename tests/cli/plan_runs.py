"""A conformance plan run in-process, as the tests of deliberately broken implementations
(``--broken-rp``, ``--broken-vneid``) read it: its exit status, verdict, per-test results and
conformance page."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.run import RunOptions, run_suites


@dataclass(frozen=True)
class PlanRun:
    status: int
    verdict: dict[str, Any]
    """``summary.json``."""
    results: list[dict[str, Any]]
    """``results.jsonl``: one row per test."""
    page: str
    """The conformance report (``summary.html``)."""
    console: str = ""
    """What the run printed, its spaces and line breaks each made one space."""

    def failed_clauses(self) -> set[str]:
        """The clauses the verdict says FAILED."""
        return {row["clause"] for row in self.verdict["clauses"] if row["status"] == "FAILED"}

    def assert_badged_failed(self, clauses: set[str]) -> None:
        """Each of ``clauses`` wears the FAILED badge in its row of the page."""
        for clause in clauses:
            row = self.page.split(f'id="clause-{clause}"', 1)[1].split("</tr>", 1)[0]
            assert 'class="badge FAILED"' in row, (clause, row[:300])

    def badges(self) -> dict[str, int]:
        """The page's counts line: each status badge and the number beside it."""
        line = self.page.split('data-testid="counts">', 1)[1].split("</p>", 1)[0]
        return {
            name: int(n)
            for name, n in re.findall(r'<span class="badge [A-Z-]+">([A-Z ]+)</span> (\d+)', line)
        }


def run_plan(
    out: Path, plan: str, *extra_args: str, expected_failures: Path | None = None
) -> PlanRun:
    options = RunOptions(
        out=out, plan=plan, extra_args=list(extra_args), expected_failures=expected_failures
    )
    console = Console(record=True, width=200)
    status = run_suites(options, console)
    results = [
        json.loads(line)
        for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return PlanRun(
        status,
        json.loads(options.result_file.read_text(encoding="utf-8")),
        results,
        options.result_file.with_suffix(".html").read_text(encoding="utf-8"),
        " ".join(console.export_text().split()),
    )
