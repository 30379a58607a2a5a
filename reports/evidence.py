"""Evidence for the vendor conformance report: what each test recorded, as steps and a diagram.

:class:`EvidenceCollector` is a pytest plugin (``vneid-harness run`` and ``conformance`` add
it) that keeps, per test, the traces the harness plugin adopted for it
(:func:`harness.pytest_plugin.item_traces`: already redacted, S-5). :meth:`attach` then adds
to each test of a verdict JSON ``evidence = {"steps": [...], "diagram_svg": ...}``: the step
titles the Allure results use (:func:`reports.allure_steps.step_title`) and, where it helps a
reader, the sequence diagram (:func:`reports.diagram.sequence_svg`).

Diagrams are drawn for every test that did not pass and for the first passing test of each
clause that recorded a flow, so each clause shows one recorded flow and every failure shows
its own; drawing all of them would make the main job's page tens of megabytes for no more
information. Steps are kept for every test (at most :data:`MAX_STEPS`).
"""

from __future__ import annotations

from collections.abc import Generator, MutableMapping
from typing import Any

import pytest

from harness.trace import Trace

__all__ = ["MAX_STEPS", "EvidenceCollector"]

MAX_STEPS = 200


class EvidenceCollector:
    """Collects each test's traces during the run; adds evidence to the verdict afterwards."""

    def __init__(self) -> None:
        self.traces: dict[str, list[Trace]] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
            self, item: pytest.Item, call: pytest.CallInfo[None],
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if report.when == "teardown":
            from harness.pytest_plugin import item_traces

            traces = item_traces(item)
            if traces:
                self.traces[item.nodeid] = traces
        return report

    def attach(self, verdict: MutableMapping[str, Any]) -> None:
        """Add ``evidence`` to every test of ``verdict`` (a :meth:`ConformanceResult.to_json`)."""
        from reports.allure_steps import merged_events, step_title
        from reports.diagram import sequence_svg

        drawn_clauses: set[str] = set()
        for test in verdict.get("tests", []):
            events = merged_events(self.traces.get(test["test"], ()))
            clauses = set(test.get("clauses", ()))
            wanted = bool(events) and (test["status"] != "PASSED"
                                       or not clauses <= drawn_clauses)
            if wanted and test["status"] == "PASSED":
                drawn_clauses |= clauses
            steps = [step_title(e) for e in events[:MAX_STEPS]]
            if len(events) > MAX_STEPS:
                steps.append(f"… and {len(events) - MAX_STEPS} more steps")
            test["evidence"] = {
                "steps": steps,
                "diagram_svg": sequence_svg(events, title=test["test"]) if wanted else None,
            }
