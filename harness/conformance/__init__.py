"""Conformance plans for vendors: named selections of the scenario suites, run as pytest.

- :mod:`.plans`: the plans (``vssid-relying-party``, ``vneid-provider``, ``all``) and the
  clauses each must cover;
- :mod:`.expected`: the expected-failures file (known deviations a vendor records);
- :mod:`.results`: outcomes → PASSED / FAILED / WARNING / SKIPPED per test (EXPECTED FAILED
  or EXPECTED WARNING when the expected-failures file names it) and per clause, coverage,
  and the JSON written under ``reports/out/``.
"""

from harness.conformance.expected import ExpectedFailure, load_expected_failures
from harness.conformance.plans import PLANS, Plan, get_plan
from harness.conformance.results import ConformanceResult, TestResult, evaluate

__all__ = [
    "PLANS",
    "ConformanceResult",
    "ExpectedFailure",
    "Plan",
    "TestResult",
    "evaluate",
    "get_plan",
    "load_expected_failures",
]
