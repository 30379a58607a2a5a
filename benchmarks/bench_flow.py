"""Issue 7, item 1: one full login over the embedded providers against its floor.

Run: ``.venv/bin/python benchmarks/bench_flow.py [--rounds N] [--repeats R]``.

Each repeat times, interleaved in blocks, the floor (five bare round trips through the same
in-process transport, one of them making the backend's two inner calls, plus one ES256
signature and one verification: see ``flowbench.py``), the login as bare protocol calls,
and the login as the suites run it (a simulated phone, its apps and trace), and prints each
median and its ratio to the floor. The ratios of all repeats are summarised by their
median; the headline. It also prints the ratio block by block (each block of logins over the
floor's block that ran beside it, median over all blocks), which cancels most of the load that
changes between blocks: use it to compare two versions of the code. Target: protocol login /
floor ≤ 1.5. Nothing here asserts a time.

With ``--same-requests`` it also times ``flowbench.SameRequestsFloor``, a diagnostic for the
issue's owner and not the issue's floor: the floor's round trips carrying the login's own
requests (the same headers and bodies) and getting its own answers (recorded from a real
login) from bare endpoints. The login over it is the providers' own work alone.
"""

from __future__ import annotations

import argparse
import statistics

from flowbench import Bench, SameRequestsFloor, interleave, machine, paired_ratios


def _quartiles(values: list[float]) -> str:
    low, _, high = statistics.quantiles(values, n=4)
    return f"{low:.2f}–{high:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300, help="logins timed per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--same-requests",
        action="store_true",
        help="also time flowbench.SameRequestsFloor (a diagnostic for the "
        "issue's owner, not the issue's floor)",
    )
    args = parser.parse_args()

    print(f"machine: {machine()}")
    with Bench.open("bench-flow") as bench:
        same = SameRequestsFloor(bench.target, bench.persona) if args.same_requests else None
        try:
            _run(bench, args.rounds, args.repeats, same)
        finally:
            if same is not None:
                same.close()
    print(f"machine after: {machine()}")


def _run(bench: Bench, rounds: int, repeats: int, same: SameRequestsFloor | None) -> None:
    ratios: dict[str, list[float]] = {"protocol login": [], "sim login": []}
    paired: dict[str, list[float]] = {"protocol login": [], "sim login": []}
    over_same: list[float] = []
    for repeat in range(1, repeats + 1):
        floor_t, proto_t, sim_t, *same_t = interleave(
            [
                ("floor", bench.floor),
                ("protocol login", bench.login),
                ("sim login", bench.sim),
                *([("same-requests floor", same)] if same is not None else []),
            ],
            rounds=rounds,
        )
        base = floor_t.median
        line = [f"repeat {repeat}: floor {base * 1e3:6.3f} ms"]
        for timing in (proto_t, sim_t):
            ratios[timing.name].append(timing.median / base)
            paired[timing.name].extend(paired_ratios(timing, floor_t))
            line.append(
                f"{timing.name} {timing.median * 1e3:6.3f} ms ({timing.median / base:4.2f}x)"
            )
        if same_t:
            over_same.append(proto_t.median / same_t[0].median)
            line.append(
                f"same-requests floor {same_t[0].median * 1e3:6.3f} ms "
                f"(protocol login / it {over_same[-1]:4.2f})"
            )
        print(" | ".join(line), flush=True)
    print(
        f"median over {repeats} repeats of {rounds}: "
        + ", ".join(
            f"{name} / floor = {statistics.median(r):.2f} (min {min(r):.2f}, max {max(r):.2f})"
            for name, r in ratios.items()
        )
    )
    print(
        "block by block (each block of logins over the floor's block run beside it; steadier "
        "on a noisy machine, for comparing changes): "
        + ", ".join(
            f"{name} / floor = {statistics.median(r):.2f} (quartiles {_quartiles(r)})"
            for name, r in paired.items()
        )
    )
    if over_same:
        print(
            f"diagnostic, not the target: protocol login / same-requests floor = "
            f"{statistics.median(over_same):.2f} (min {min(over_same):.2f}, "
            f"max {max(over_same):.2f}); the providers' own work alone, over the login's "
            "own requests and answers sent to bare endpoints (flowbench.SameRequestsFloor)"
        )


if __name__ == "__main__":
    main()
