"""Reports: what a run shows people, all computed from recorded events and results.

- the verdict by clause (console table, JSON): :mod:`reports.summary`;
- sequence diagrams of a recorded flow (SVG, Mermaid): :mod:`reports.diagram`;
- failure text with its clauses in front and no secret in it (S-5): :mod:`reports.failures`;
- the Allure steps, attachments, tags, parameters and clause links, registered by the harness
  plugin when allure-pytest writes results: :mod:`reports.allure_steps`
  (with :mod:`reports.protocol_links`).

A run's output goes to ``reports/out/`` (ignored by git).
"""

from reports.diagram import sequence_mermaid, sequence_svg
from reports.failures import clause_prefix, scrub
from reports.summary import clause_table, write_json

__all__ = [
    # summary
    "clause_table",
    "write_json",
    # diagrams
    "sequence_mermaid",
    "sequence_svg",
    # failure text
    "clause_prefix",
    "scrub",
]
