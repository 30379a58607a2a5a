"""Seeded randomness (``harness.protocol.runtime``): every seed its own stream."""

from __future__ import annotations

import pytest

from harness.protocol import SeededEntropy


def test_the_same_seed_draws_the_same() -> None:
    assert SeededEntropy(7).token() == SeededEntropy(7).token()
    assert SeededEntropy(-7).token() == SeededEntropy(-7).token()


@pytest.mark.parametrize(("one", "other"), [(5, -5), (1, -1), (5, 6), ("5", 5)])
def test_other_seeds_draw_otherwise(one: int | str, other: int | str) -> None:
    # Python's random.Random seeds an int by its absolute value: -5 drew what 5 drew
    assert SeededEntropy(one).token() != SeededEntropy(other).token()


def test_a_non_negative_int_seed_draws_what_it_always_drew() -> None:
    # the fix for negative seeds leaves every other seed's draws (and so every replay) alone
    import random

    assert SeededEntropy(5).randbytes(16) == random.Random(5).randbytes(16)
    assert SeededEntropy("run/7").randbytes(16) == random.Random("run/7").randbytes(16)
