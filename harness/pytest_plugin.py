"""The vneid-harness pytest plugin (registered by the ``pytest11`` entry point)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "clause(*ids): the PROTOCOL.md clause ids this test checks"
    )
