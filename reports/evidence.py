"""Evidence for the vendor conformance report: what each test recorded, as steps and a diagram.

Where a test runs (in the one pytest process, or in a pytest-xdist worker), the harness plugin
with ``--evidence`` turns the traces it adopted for the test
(:func:`harness.pytest_plugin.item_traces`: already redacted, S-5) into step titles and a
sequence diagram and attaches them to the test's teardown report (:func:`attach_to_report`).
:class:`EvidenceCollector`, a pytest plugin that ``vneid-harness run`` and ``conformance`` add
to the controlling process, keeps them from the reports; :meth:`EvidenceCollector.attach` then
adds to each test of a verdict JSON ``evidence = {"steps": [...], "diagram_svg": ...}``: the step
titles the Allure results use (:func:`reports.allure_steps.step_title`) and, where it helps a
reader, the sequence diagram (:func:`reports.diagram.sequence_svg`).

Diagrams are kept for every test that did not pass and for the first passing test of each
clause that recorded a flow, so each clause shows one recorded flow and every failure shows
its own; keeping all of them would make the main job's page tens of megabytes for no more
information. (Each is drawn where its test ran, before the verdict decides which to keep:
~0.1 ms and ~5 KB a test, the price of running tests on pytest-xdist workers.) Steps are kept
for every test (at most :data:`MAX_STEPS`).
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

import pytest

from harness.trace import Trace

__all__ = ["MAX_STEPS", "REPORT_ATTR", "EvidenceCollector", "attach_to_report", "evidence_of"]

MAX_STEPS = 200
REPORT_ATTR = "vneid_harness_evidence"
"""The teardown report's attribute holding a test's evidence (plain JSON, so pytest-xdist
carries it from the worker that ran the test to the controller with the report)."""


def evidence_of(traces: Sequence[Trace], title: str) -> dict[str, Any] | None:
    """``{"steps": [...], "diagram_svg": ...}`` of what ``traces`` recorded (already
    redacted, S-5); ``None`` when they recorded nothing."""
    from reports.allure_steps import laned_events, step_title
    from reports.diagram import sequence_svg

    events, lanes = laned_events(traces)
    if not events:
        return None
    steps = [step_title(e) for e in events[:MAX_STEPS]]
    if len(events) > MAX_STEPS:
        steps.append(f"… and {len(events) - MAX_STEPS} more steps")
    return {"steps": steps, "diagram_svg": sequence_svg(events, title=title, lanes=lanes)}


def attach_to_report(report: pytest.TestReport, traces: Sequence[Trace]) -> None:
    """Give a teardown ``report`` its test's evidence (the harness plugin does this where
    the test ran, with ``--evidence``)."""
    evidence = evidence_of(traces, report.nodeid)
    if evidence is not None:
        setattr(report, REPORT_ATTR, evidence)


class EvidenceCollector:
    """Keeps each test's evidence from its teardown report during the run (in one process
    or as the pytest-xdist controller: the evidence arrives with the report); adds it to the
    verdict afterwards. Needs the harness plugin's ``--evidence``."""

    def __init__(self) -> None:
        self.found: dict[str, dict[str, Any]] = {}

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        evidence = getattr(report, REPORT_ATTR, None)
        if report.when == "teardown" and isinstance(evidence, dict):
            self.found[report.nodeid] = evidence

    def attach(self, verdict: MutableMapping[str, Any]) -> None:
        """Add ``evidence`` to every test of ``verdict`` (a :meth:`ConformanceResult.to_json`)."""
        drawn_clauses: set[str] = set()
        for test in verdict.get("tests", []):
            found = self.found.get(test["test"])
            clauses = set(test.get("clauses", ()))
            wanted = found is not None and (
                test["status"] != "PASSED" or not clauses <= drawn_clauses
            )
            if wanted and test["status"] == "PASSED":
                drawn_clauses |= clauses
            test["evidence"] = {
                "steps": list(found["steps"]) if found else [],
                "diagram_svg": found["diagram_svg"] if found and wanted else None,
            }
