"""The console's table by clause: a clause outside the plan reads as not graded."""

from __future__ import annotations

from rich.console import Console

from harness.conformance import evaluate, get_plan
from harness.conformance.results import TestOutcome
from reports.summary import clause_table


def _rows(outcomes: list[TestOutcome]) -> dict[str, str]:
    console = Console(width=200, record=True, color_system=None)
    console.print(clause_table(evaluate(get_plan("vneid-provider"), outcomes)))
    rows = {}
    for line in console.export_text().splitlines():
        cells = [c.strip() for c in line.split("│") if c.strip()]
        if len(cells) > 2 and cells[0][:2] in ("R-", "T-", "A-", "S-", "P-", "V-"):
            rows[cells[0]] = cells[1]
    return rows


def test_a_clause_outside_the_plan_is_not_graded_unless_its_test_failed() -> None:
    plan = get_plan("vneid-provider")
    outside = [c for c in ("R-1", "R-2", "R-5", "R-9") if c not in plan.clauses]
    inside = sorted(plan.clauses)[0]
    rows = _rows(
        [
            TestOutcome("s.py::test_a", "passed", (outside[0], inside), 0.0),
            TestOutcome("s.py::test_b", "failed", (outside[1],), 0.0, "boom"),
        ]
    )
    assert rows[outside[0]] == "not graded"
    assert rows[outside[1]] == "FAILED"
    assert rows[inside] == "PASSED"
    assert outside[2] not in rows  # outside the plan and not covered: not listed


def test_at_80_columns_the_text_column_keeps_room() -> None:
    """A CI log or a pipe is 80 columns: the counts' full headers took the width and left the
    clause's text column empty, its header too (an installed-package walk). Short headers
    there; the full ones from NARROW columns on."""
    from reports.summary import NARROW

    result = evaluate(get_plan("vneid-provider"), [TestOutcome("s.py::t", "passed", ("T-1",))])
    for width, headers in ((80, "pass fail exp. warn skip"), (NARROW, "passed failed expected")):
        console = Console(width=width, record=True, color_system=None)
        console.print(clause_table(result))
        lines = console.export_text().splitlines()
        header = " ".join(c.strip() for c in lines[2].split("┃") if c.strip())
        assert header.startswith(f"clause status {headers}"), header
        assert header.endswith(" text"), header
        t1 = next(line for line in lines if "T-1" in line)
        assert "POST /token" in t1, t1  # the text's start, however narrow
        assert max(len(line) for line in lines) <= width
