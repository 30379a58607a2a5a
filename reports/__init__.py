"""Reports: the clause summary of a run, Allure labels, and (later) the conformance report.

A run's output goes to ``reports/out/`` (ignored by git).
"""

from reports.summary import ClauseSummary, TestOutcome, summarise

__all__ = ["ClauseSummary", "TestOutcome", "summarise"]
