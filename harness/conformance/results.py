"""From test outcomes to a conformance verdict: a status per test and per clause, coverage.

Statuses are the OpenID suite's: PASSED, FAILED, WARNING (allowed but discouraged: a test
marked ``warning_on_failure`` whose own check failed; one whose set-up failed is FAILED),
SKIPPED. A failure the expected-failures file names (a known deviation) is reported as
EXPECTED FAILED (EXPECTED WARNING for a WARNING the file names) and does not fail the run;
an expected failure that passed is reported as an unexpected pass. A clause takes the
gravest status of its tests, in the order of :data:`STATUS_ORDER` (UNTESTED: none). A
clause of the plan that no test covers is an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.conformance.expected import ExpectedFailure
from harness.conformance.plans import Plan
from harness.protocol import CLAUSES
from harness.protocol.text import clip

__all__ = [
    "STATUS_ORDER",
    "ClauseResult",
    "ConformanceResult",
    "TestOutcome",
    "TestResult",
    "evaluate",
]

STATUS_ORDER = ("FAILED", "EXPECTED FAILED", "WARNING", "EXPECTED WARNING", "PASSED", "SKIPPED")
"""The statuses a test is shown with, gravest first: a clause shows the first of its tests'
(UNTESTED when it has none). Gravity first, then whether it is news: a failure the
expected-failures file names is still a failure of the clause, graver than any WARNING, and
an undeclared result ranks above the same result declared."""


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """What pytest said of one test."""

    __test__ = False

    nodeid: str
    outcome: str
    """``passed``, ``failed``, ``skipped`` or ``error``."""
    clauses: tuple[str, ...]
    duration: float = 0.0
    message: str = ""
    """The reason, shortened to a line of at most 300 characters (for reports)."""
    warning_on_failure: bool = False
    detail: str = ""
    """The whole failure message, line breaks kept (what an expected failure's ``match`` is
    searched in); ``message`` when not given."""
    replay: str = ""
    """How to run the test again alone, as it ran (a failed test's; the harness plugin's
    ``pytest --seed N … NODEID``)."""


@dataclass(frozen=True, slots=True)
class TestResult:
    __test__ = False

    nodeid: str
    status: str
    clauses: tuple[str, ...]
    message: str
    duration: float
    expected: ExpectedFailure | None = None
    unexpected_pass: ExpectedFailure | None = None
    replay: str = ""
    detail: str = ""
    """The whole failure message (scrubbed, S-5) when ``message`` is a shortened form of it."""

    @property
    def counts_as_failure(self) -> bool:
        return self.status == "FAILED" and self.expected is None

    @property
    def shown_status(self) -> str:
        """The status the reports show: ``status``, or ``EXPECTED FAILED`` / ``EXPECTED
        WARNING`` when an expected-failures entry took the test (the JSON keeps ``status``
        and names the entry in ``expected_failure``)."""
        return f"EXPECTED {self.status}" if self.expected is not None else self.status

    def to_json(self) -> dict[str, Any]:
        return {
            "test": self.nodeid,
            "status": self.status,
            "clauses": list(self.clauses),
            "message": self.message,
            "duration_s": round(self.duration, 4),
            "expected_failure": self.expected.to_json() if self.expected else None,
            "unexpected_pass": self.unexpected_pass.to_json() if self.unexpected_pass else None,
            **({"replay": self.replay} if self.replay else {}),
            **({"detail": _cut(self.detail)} if self.detail else {}),
        }


@dataclass
class ClauseResult:
    clause: str
    text: str
    in_plan: bool
    tests: list[TestResult] = field(default_factory=list)

    @property
    def status(self) -> str:
        """The gravest of its tests' :attr:`TestResult.shown_status` (:data:`STATUS_ORDER`):
        a clause whose only tests that did not pass are expected failures is EXPECTED
        FAILED, whichever clause of theirs the entries name."""
        shown = {t.shown_status for t in self.tests}
        return next((s for s in STATUS_ORDER if s in shown), "UNTESTED")

    def count(self, status: str) -> int:
        """How many of its tests are shown as ``status`` (FAILED: only those that fail the
        run; the expected ones are EXPECTED FAILED)."""
        return sum(t.shown_status == status for t in self.tests)

    @property
    def expected_failures(self) -> int:
        """How many of its tests an expected-failures entry took (FAILED or WARNING)."""
        return sum(t.expected is not None for t in self.tests)

    @property
    def expected_for(self) -> list[str]:
        """The clauses the entries that took its tests name (``R-9`` on R-12's row, when an
        entry for R-9 took a test that covers both)."""
        return sorted({t.expected.clause for t in self.tests if t.expected is not None})

    def to_json(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "text": self.text,
            "in_plan": self.in_plan,
            "status": self.status,
            "tests": [t.nodeid for t in self.tests],
            "passed": self.count("PASSED"),
            "failed": self.count("FAILED"),
            "warnings": self.count("WARNING"),
            "skipped": self.count("SKIPPED"),
            "expected_failures": self.expected_failures,
            "expected_for": self.expected_for,
        }


@dataclass
class ConformanceResult:
    plan: Plan
    tests: list[TestResult]
    clauses: list[ClauseResult]
    partial: bool = False
    """Whether only part of the plan was selected on purpose (``-k``, explicit paths)."""
    interrupted: str | None = None
    """Why the run stopped before the end (the targets stopped answering, say): the verdict
    is then not ok, and the clauses it did not reach are no coverage error."""
    unused_expected: list[ExpectedFailure] = field(default_factory=list)
    """Expected-failures entries no test of the run used (a glob that matches nothing, a
    clause the test does not cover, an entry an earlier one shadows)."""

    @property
    def coverage_required(self) -> bool:
        """Whether the run is held to the plan's coverage: not when only part of the plan
        was selected (:attr:`partial`), nor when it stopped early."""
        return not self.partial and self.interrupted is None

    def _untested(self) -> list[str]:
        return [c.clause for c in self.clauses if c.in_plan and not c.tests]

    @property
    def missing_clauses(self) -> list[str]:
        """Clauses of the plan that no test covered: an error of the suite. None in a run
        that stopped early: its untested clauses are :attr:`unreached_clauses`, which
        docs/conformance.md does not call a coverage error. (A partial run, not held to the
        plan's coverage, lists the clauses it did not select here, stopped early or not.)"""
        return [] if self._stopped_short() else self._untested()

    @property
    def unreached_clauses(self) -> list[str]:
        """Clauses of the plan a whole run that stopped early did not reach (empty
        otherwise: a partial run's others were never selected)."""
        return self._untested() if self._stopped_short() else []

    def _stopped_short(self) -> bool:
        return self.interrupted is not None and not self.partial

    @property
    def unexpected_passes(self) -> list[TestResult]:
        return [t for t in self.tests if t.unexpected_pass is not None]

    @property
    def ok(self) -> bool:
        covered = not self.missing_clauses or not self.coverage_required
        return (
            covered
            and bool(self.tests)
            and self.interrupted is None
            and not any(t.counts_as_failure for t in self.tests)
        )

    def counts(self) -> dict[str, int]:
        """How many tests are shown with each status of :data:`STATUS_ORDER` (each test
        once: FAILED counts only the failures that fail the run, WARNING only the warnings
        no entry names), ``expected_failures`` (EXPECTED FAILED and EXPECTED WARNING
        together) and ``unexpected_passes``."""
        out = dict.fromkeys(STATUS_ORDER, 0)
        for test in self.tests:
            out[test.shown_status] += 1
        out["expected_failures"] = sum(t.expected is not None for t in self.tests)
        out["unexpected_passes"] = len(self.unexpected_passes)
        return out

    def to_json(self, **meta: Any) -> dict[str, Any]:
        return {
            "plan": self.plan.name,
            "plan_description": self.plan.description,
            **meta,
            "ok": self.ok,
            "counts": self.counts(),
            "missing_clauses": self.missing_clauses,
            "unreached_clauses": self.unreached_clauses,
            "coverage_required": self.coverage_required,
            "interrupted": self.interrupted,
            # in a partial run an entry may just not have been selected: not listed then
            "unused_expected_failures": [e.to_json() for e in self.unused_expected]
            if self.coverage_required
            else [],
            "clauses": [c.to_json() for c in self.clauses],
            "tests": [t.to_json() for t in self.tests],
        }


MAX_DETAIL = 4000
"""Characters of a failure's whole message kept in the verdict (``detail``)."""


def _cut(detail: str) -> str:
    """``detail``, at most :data:`MAX_DETAIL` characters, saying so when it is cut."""
    if len(detail) <= MAX_DETAIL:
        return detail
    return clip(detail, MAX_DETAIL) + (
        f" … (cut at {MAX_DETAIL} characters; the whole text is in junit.xml)"
    )


def _whole(outcome: TestOutcome) -> str:
    """``outcome``'s whole failure message, when its ``message`` is shortened ("" if not)."""
    detail = outcome.detail.strip()
    return detail if detail and " ".join(detail.split()) != outcome.message else ""


def _status(outcome: TestOutcome) -> str:
    if outcome.outcome == "passed":
        return "PASSED"
    if outcome.outcome == "skipped":
        return "SKIPPED"
    # a WARNING is the marked test's own check failing; a set-up that could not reach it
    # (no code, no tokens from the provider: an ``error``) is a failure like any other
    return "WARNING" if outcome.warning_on_failure and outcome.outcome == "failed" else "FAILED"


def evaluate(
    plan: Plan,
    outcomes: Iterable[TestOutcome],
    expected: Sequence[ExpectedFailure] = (),
    *,
    coverage_required: bool = True,
    interrupted: str | None = None,
) -> ConformanceResult:
    """The verdict of a plan's run (``interrupted``: why it stopped early, if it did)."""
    tests: list[TestResult] = []
    used: set[int] = set()
    for outcome in outcomes:
        status = _status(outcome)
        candidates = [e for e in expected if e.matches(outcome.nodeid, outcome.clauses)]
        detail = outcome.detail or outcome.message
        hit = next((e for e in candidates if e.status == status and e.explains(detail)), None)
        if candidates:  # the first takes the test, as do all with a match of their own
            used.add(id(hit or candidates[0]))
            used.update(id(e) for e in candidates if e.match is not None)
        message = outcome.message
        missed = [e for e in candidates if e.status == status]
        if hit is None and missed:
            # it failed, but not as recorded: a new fault must not hide behind the entries
            message = (
                f"{message}\n(not the expected failure of {missed[0].test!r}: no "
                f"entry's 'match' is in this message)"
            )
        surprise = candidates[0] if candidates and status == "PASSED" else None
        tests.append(
            TestResult(
                outcome.nodeid,
                status,
                outcome.clauses,
                message,
                outcome.duration,
                expected=hit,
                unexpected_pass=surprise,
                replay=outcome.replay,
                detail=_whole(outcome),
            )
        )
    rows = {cid: ClauseResult(cid, c.text, cid in plan.clauses) for cid, c in CLAUSES.items()}
    for test in tests:
        for cid in test.clauses:
            if cid in rows:
                rows[cid].tests.append(test)
    return ConformanceResult(
        plan,
        tests,
        list(rows.values()),
        not coverage_required,
        interrupted,
        [e for e in expected if id(e) not in used],
    )
