"""The reports package's public names are the ones we mean (STYLE 3)."""

from __future__ import annotations

import reports


def test_exported_members() -> None:
    assert sorted(reports.__all__) == [
        "clause_prefix",
        "clause_table",
        "scrub",
        "sequence_mermaid",
        "sequence_svg",
        "write_json",
    ]
    for name in reports.__all__:
        assert callable(getattr(reports, name)), name
