"""Seeded randomness and the manual clock (``harness.protocol.runtime``): every seed its own
stream; the clock moves by finite seconds only."""

from __future__ import annotations

import pytest

from harness.protocol import ManualClock, SeededEntropy


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


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), float("-inf"), 10**400, "60"])
def test_a_manual_clock_moves_only_by_a_finite_number_of_seconds(seconds: object) -> None:
    """``advance(nan)`` left a clock every deadline compared false with (a code, a session,
    a token never expired); ``advance(inf)`` raised ``OverflowError`` at the next ID token's
    ``int(now)``, far from the line that moved it; ``set(10**400)`` an ``OverflowError``."""
    clock = ManualClock(1000.0)
    with pytest.raises(ValueError, match=r"ManualClock\.advance\(.*\): give a finite number"):
        clock.advance(seconds)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"ManualClock\.set\(.*\): give a finite number"):
        clock.set(seconds)  # type: ignore[arg-type]
    assert clock.now() == 1000.0
    clock.advance(-0.5)
    clock.set(clock.now() + 1)
    assert clock.now() == 1000.5
