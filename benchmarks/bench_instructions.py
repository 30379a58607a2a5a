"""Issue 7, item 1, without the noise: instructions per login against instructions per floor.

Run: ``.venv/bin/python benchmarks/bench_instructions.py [--calls N] [--sim]`` (needs
``valgrind``: ``apt-get install valgrind``).

``bench_flow.py`` times a login against its floor; on a shared machine one run of it moves by
±0.05 and two versions of the code are told apart only by alternating many runs. This counts
instead the machine instructions each case executes, under valgrind's cachegrind (no cache
simulation): one child process per case, each building the same providers and warming up
every case alike, then making ``--calls`` calls of its own case; a child that makes none
gives the cost of the set-up, which is subtracted. The counts repeat to about 0.1 % from run
to run (``PYTHONHASHSEED`` is fixed), so a change of a few microseconds shows. They are a
proxy: the time ratio is higher than the instruction ratio, because a login runs at fewer
instructions per cycle than the floor (a larger working set, the ES256 signature's tables
evicted from the cache). Compare versions of the code with this; report item 1 with
``bench_flow.py``. Nothing here asserts anything.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
WARMUP = 20
CASES = ("floor", "protocol login", "sim login")


def _child(case: str, calls: int) -> None:
    """Build the providers, warm every case up, then make ``calls`` calls of ``case``."""
    sys.path.insert(0, str(HERE))
    from flowbench import Bench

    bench = Bench.open("bench-instructions")
    cases: dict[str, Callable[[], None]] = {
        "floor": bench.floor,
        "protocol login": bench.login,
        "sim login": bench.sim,
    }
    for fn in cases.values():
        for _ in range(WARMUP):
            fn()
    fn = cases[case]
    gc.collect()
    gc.disable()  # as bench_flow.py times its blocks
    for _ in range(calls):
        fn()


def _instructions(valgrind: str, case: str, calls: int) -> int:
    """Instructions one child executes in all (set-up, warm-up and ``calls`` calls)."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [
            valgrind,
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            case,
            str(calls),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(
            f"the {case!r} child failed (exit {done.returncode}):\n{done.stderr[-2000:]}"
        )
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=200, help="calls counted per case")
    parser.add_argument("--sim", action="store_true", help="count the sim login too (slower)")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "CALLS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit(
            "valgrind is not installed: apt-get install valgrind "
            "(or time the flow with bench_flow.py)"
        )
    from flowbench import machine

    cases = list(CASES if args.sim else CASES[:2])
    print(f"machine: {machine()}")
    print(
        f"cachegrind, {args.calls} calls per case after {WARMUP} warm-up calls of each, "
        "PYTHONHASHSEED=0"
    )
    jobs = [("set-up", cases[0], 0)] + [(case, case, args.calls) for case in cases]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counts = dict(
            zip(
                [name for name, _, _ in jobs],
                pool.map(lambda job: _instructions(valgrind, job[1], job[2]), jobs),
                strict=True,
            )
        )
    per_call = {case: (counts[case] - counts["set-up"]) / args.calls for case in cases}
    base = per_call["floor"]
    for case in cases:
        ratio = "" if case == "floor" else f"  ({per_call[case] / base:.4f} x floor)"
        print(f"{case:15s} {per_call[case] / 1e6:8.3f} M instructions per call{ratio}")


if __name__ == "__main__":
    main()
