"""Issue 7, item 1, in detail: what each call of a login costs above the bare round trip.

Run: ``.venv/bin/python benchmarks/bench_endpoints.py [--rounds N] [--repeats R]``.

``bench_flow.py`` says how far a whole login is above its floor; this says where. Each
repeat times, interleaved in blocks, the login's five phone calls one by one
(``flowbench.protocol_login`` with laps) and the floor's pieces (a bare round trip, the round
trip whose endpoint makes the backend's two inner calls, the ES256 signature and verification),
and prints each call's median and what it costs above its share of the floor: ``start``,
``sessions``, ``authorizations`` and ``me`` against one bare round trip, ``complete``
against the inner-calls round trip plus the cryptography. The sum of the medians is not the
median of the sums; read the shares, not the total. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import statistics
import time
from collections.abc import Callable

from flowbench import Bench, Floor, machine, protocol_login

STEPS = ("start", "sessions", "authorizations", "complete", "me")
FLOOR_PARTS = ("bare round trip", "inner-calls round trip", "ES256 sign + verify")
SHARE = {
    "start": ("bare round trip",),
    "sessions": ("bare round trip",),
    "authorizations": ("bare round trip",),
    "me": ("bare round trip",),
    "complete": ("inner-calls round trip", "ES256 sign + verify"),
}


def login_steps(bench: Bench) -> list[float]:
    """One protocol login, each of its five calls timed on its own."""
    laps: list[float] = []
    protocol_login(bench.target, bench.persona, bench.clients, laps)
    return [after - before for before, after in itertools.pairwise(laps)]


def floor_parts(floor: Floor) -> list[float]:
    clock = time.perf_counter
    t0 = clock()
    floor.bare()
    t1 = clock()
    floor.nested()
    t2 = clock()
    floor.crypto()
    t3 = clock()
    return [t1 - t0, t2 - t1, t3 - t2]


def _blocks(
    samples: dict[str, list[float]], names: tuple[str, ...], fn: Callable[[], list[float]], n: int
) -> None:
    gc.collect()
    gc.disable()
    try:
        for _ in range(n):
            for name, value in zip(names, fn(), strict=True):
                samples[name].append(value)
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300, help="logins timed per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--block", type=int, default=20)
    args = parser.parse_args()

    print(f"machine: {machine()}")
    with Bench.open("bench-endpoints") as bench:
        _run(bench, args.rounds, args.repeats, args.block)
    print(f"machine after: {machine()}")


def _run(bench: Bench, rounds: int, repeats: int, block: int) -> None:
    for _ in range(20):
        login_steps(bench)
        floor_parts(bench.floor)
    above: dict[str, list[float]] = {step: [] for step in STEPS}
    for repeat in range(1, repeats + 1):
        samples: dict[str, list[float]] = {name: [] for name in (*STEPS, *FLOOR_PARTS)}
        done = 0
        while done < rounds:
            n = min(block, rounds - done)
            _blocks(samples, STEPS, lambda: login_steps(bench), n)
            _blocks(samples, FLOOR_PARTS, lambda: floor_parts(bench.floor), n)
            done += n
        median = {name: statistics.median(values) for name, values in samples.items()}
        print(
            f"repeat {repeat}: "
            + ", ".join(f"{name} {median[name] * 1e6:.0f} µs" for name in FLOOR_PARTS)
        )
        for step in STEPS:
            share = sum(median[part] for part in SHARE[step])
            above[step].append(median[step] - share)
            print(
                f"  {step:15s} {median[step] * 1e6:7.0f} µs, "
                f"{(median[step] - share) * 1e6:+6.0f} µs above {' + '.join(SHARE[step])}"
            )
    print(
        f"median over {repeats} repeats, µs above the floor's share: "
        + ", ".join(
            f"{step} {statistics.median(values) * 1e6:+.0f}" for step, values in above.items()
        )
    )


if __name__ == "__main__":
    main()
