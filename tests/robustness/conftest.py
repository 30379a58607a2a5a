"""Fixtures of the robustness tests: a served pair in a thread of this process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.serve import ServedProviders
from tests.robustness.served_pair import pair_in_thread


@pytest.fixture(scope="module")
def served() -> Iterator[ServedProviders]:
    """Both mock providers over real HTTP on free loopback ports (stopped after the module)."""
    with pair_in_thread() as pair:
        yield pair
