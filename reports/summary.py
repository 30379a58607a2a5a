"""The summary by clause of a run: which tests cover each PROTOCOL.md clause and how they did.

Consumes test outcomes (a node id, an outcome, the clauses it cites); produces a table the CLI
prints and a JSON document written beside the JUnit XML.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.protocol import CLAUSES

__all__ = ["ClauseSummary", "TestOutcome", "summarise"]


@dataclass(frozen=True, slots=True)
class TestOutcome:
    nodeid: str
    outcome: str
    """``passed``, ``failed``, ``skipped`` or ``error``."""
    clauses: tuple[str, ...]
    duration: float = 0.0
    message: str = ""

    __test__ = False  # not a pytest test class


@dataclass
class ClauseSummary:
    clause: str
    text: str
    tests: list[str] = field(default_factory=list)
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def status(self) -> str:
        if self.failed:
            return "FAILED"
        if self.passed:
            return "PASSED"
        return "SKIPPED" if self.skipped else "UNTESTED"

    def to_json(self) -> dict[str, Any]:
        return {"clause": self.clause, "text": self.text, "status": self.status,
                "passed": self.passed, "failed": self.failed, "skipped": self.skipped,
                "tests": self.tests}


def summarise(outcomes: Iterable[TestOutcome]) -> list[ClauseSummary]:
    """One row per clause of PROTOCOL.md, in document order, untested ones included."""
    rows = {cid: ClauseSummary(cid, c.text) for cid, c in CLAUSES.items()}
    for outcome in outcomes:
        for cid in outcome.clauses:
            row = rows.get(cid)
            if row is None:
                continue
            row.tests.append(outcome.nodeid)
            if outcome.outcome == "passed":
                row.passed += 1
            elif outcome.outcome in ("failed", "error"):
                row.failed += 1
            else:
                row.skipped += 1
    return list(rows.values())
