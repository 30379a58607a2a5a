"""Reports: the verdict by clause (console table, JSON); later the Allure steps and the
vendor conformance report. A run's output goes to ``reports/out/`` (ignored by git)."""

from reports.summary import clause_table, write_json

__all__ = ["clause_table", "write_json"]
