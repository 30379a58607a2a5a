"""Hypothesis profiles of the property suites, registered once: ``dev``, ``ci`` and ``deep``.

=========  ======================================================  ===========================
profile    what for                                                examples x stateful steps
=========  ======================================================  ===========================
``dev``    a quick local run while editing (random, database on)    25 x 25
``ci``     ``make test``: derandomized, so every run is the same   200 x 100 (>= 5,000 steps)
``deep``   nightly: random seeds, many more examples               2,000 x 100
=========  ======================================================  ===========================

Which one runs, first match wins:

1. ``pytest --hypothesis-profile NAME`` (hypothesis's own option). Hypothesis loads the profile
   while pytest configures, before this package is collected, so the harness plugin imports
   this module first (``harness.plugin_config.pytest_configure``, ``tryfirst``).
2. ``VNEID_HARNESS_HYPOTHESIS_PROFILE=NAME`` in the environment.
3. ``ci``.

``--hypothesis-seed N`` replays a seed: it turns derandomization off for these tests (a
derandomized test ignores hypothesis's global seed), so the seed printed on a failure of the
``deep`` profile (chosen by :func:`active_settings` when none is given), or any seed,
reproduces with the same command plus ``--hypothesis-seed N``. A ``dev`` failure replays from
hypothesis's database with the same command.

Our ``ci`` extends hypothesis's built-in ``ci`` profile (derandomize, no database, print_blob,
no deadline, ``too_slow`` suppressed), so replacing it under the same name keeps what
hypothesis's own ``ci`` gives every other test when the ``CI`` variable loads it.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Verbosity, settings
from hypothesis import core as _hypothesis_core

__all__ = [
    "DEFAULT_PROFILE",
    "ENV_VAR",
    "PROFILES",
    "RunStats",
    "STATS",
    "active_profile_name",
    "active_settings",
    "replay_parts",
    "register_profiles",
]

ENV_VAR = "VNEID_HARNESS_HYPOTHESIS_PROFILE"
DEFAULT_PROFILE = "ci"
PROFILES = ("dev", "ci", "deep")
CI_MIN_STEPS = 5_000
"""The ci profile must explore at least this many state-machine steps per run (issue 4)."""

_SLOW_OK = (HealthCheck.too_slow, HealthCheck.data_too_large)
_cli_profile: str | None = None


def register_profiles() -> None:
    """Register ``dev``, ``ci`` and ``deep`` (idempotent: same values every time)."""
    base_ci = settings.get_profile("ci")  # hypothesis's built-in, or ours from an earlier call
    settings.register_profile(
        "dev",
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=_SLOW_OK,
        print_blob=True,
    )
    settings.register_profile(
        "ci",
        base_ci,
        max_examples=200,
        stateful_step_count=100,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=_SLOW_OK,
    )
    settings.register_profile(
        "deep",
        max_examples=2_000,
        stateful_step_count=100,
        derandomize=False,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=_SLOW_OK,
        verbosity=Verbosity.normal,
    )


register_profiles()


def set_cli_profile(name: str | None) -> None:
    """Called by ``conftest.py`` with ``--hypothesis-profile``'s value (None when absent)."""
    global _cli_profile
    _cli_profile = name


def active_profile_name() -> str:
    """``--hypothesis-profile`` if it names one of ours, else the environment, else ``ci``."""
    if _cli_profile in PROFILES:
        return _cli_profile
    name = os.environ.get(ENV_VAR, "").strip() or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ValueError(f"{ENV_VAR}={name!r}: choose one of {', '.join(PROFILES)}")
    return name


def forced_seed() -> object:
    """The seed of ``--hypothesis-seed`` (None when not given)."""
    return _hypothesis_core.global_force_seed


def active_settings() -> settings:
    """The settings every test of this package runs with (see the module doc).

    A random profile without a database (``deep``) gets its seed chosen here, once per
    process, as if given with ``--hypothesis-seed``: hypothesis prints the seed it drew itself
    only for a flaky failure, so a plain failure could not be replayed from it."""
    chosen = settings.get_profile(active_profile_name())
    if forced_seed() is None and not chosen.derandomize and chosen.database is None:
        setattr(_hypothesis_core, "global_force_seed", random.SystemRandom().getrandbits(32))  # noqa: B010
    if forced_seed() is not None and chosen.derandomize:
        # A derandomized test ignores --hypothesis-seed; let the given seed decide instead.
        chosen = settings(chosen, derandomize=False, database=None)
    return chosen


def replay_parts() -> tuple[dict[str, str], list[str], str]:
    """What a failing test's replay command (``harness.replay.item_replay``) needs
    besides the harness plugin's: the profile's variable, ``--hypothesis-seed`` when a seed
    was chosen or given, and what to know about the replay (a comment after the command)."""
    name = active_profile_name()
    chosen = active_settings()
    seed = forced_seed()
    env = {ENV_VAR: name}
    if seed is not None:
        return env, [f"--hypothesis-seed={seed}"], f"hypothesis profile {name!r}, seed {seed}"
    if chosen.derandomize:
        return (
            env,
            [],
            (
                f"hypothesis profile {name!r}, derandomized (the seed is derived from the test "
                "itself): the run's own command reproduces this exact run; which modules are "
                "loaded feeds hypothesis's constant pool, so this narrower command may explore "
                "differently (the shrunk steps above replay anywhere); add --hypothesis-seed=N to "
                "explore another seed"
            ),
        )
    return (
        env,
        [],
        (
            f"hypothesis profile {name!r}, random seed, failing examples kept in hypothesis's "
            "database (.hypothesis/ in the folder pytest ran from): this command replays this "
            "failure first; or add the @reproduce_failure(...) decorator printed above to the test"
        ),
    )


@dataclass
class RunStats:
    """What the login state machine explored in this process (printed at the end of the run)."""

    examples: int = 0
    steps: int = 0
    seconds: float = 0.0
    profile: str = ""
    outcomes: Counter[str] = field(default_factory=Counter)
    """What the steps ended in (screens, refusals, token answers): how much ground a run
    covered, not only how many steps it took."""

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        per_example = self.steps / self.examples if self.examples else 0.0
        return (
            f"login state machine [{self.profile}]: {self.steps} steps in {self.examples} "
            f"examples ({per_example:.1f} steps/example) in {self.seconds:.1f} s, "
            f"{self.steps_per_second:.0f} steps/s "
            f"({1000 / self.steps_per_second if self.steps else 0:.2f} ms/step incl. "
            "world setup and invariants)"
        )

    def coverage(self, top: int = 40) -> str:
        """The outcomes seen, most frequent first."""
        return ", ".join(f"{what} x{count}" for what, count in self.outcomes.most_common(top))

    def to_json(self) -> dict[str, Any]:
        """What a pytest-xdist worker sends its controller (``workeroutput`` takes JSON)."""
        return {
            "examples": self.examples,
            "steps": self.steps,
            "seconds": self.seconds,
            "profile": self.profile,
            "outcomes": dict(self.outcomes),
        }

    def add(self, other: Mapping[str, Any]) -> None:
        """Add a worker's figures (:meth:`to_json`) to these: the whole run's exploration.
        ``seconds`` adds up the time spent in the state machine on every worker."""
        self.examples += int(other["examples"])
        self.steps += int(other["steps"])
        self.seconds += float(other["seconds"])
        self.profile = self.profile or str(other["profile"])
        self.outcomes.update({str(k): int(v) for k, v in other["outcomes"].items()})


STATS = RunStats()
