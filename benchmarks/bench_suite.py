"""Issue 7, item 4: how fast the default ``sim`` suites run, one process against ``-n auto``.

Run: ``.venv/bin/python benchmarks/bench_suite.py [--repeats R]``.

Each repeat runs, one after the other (so a burst of load elsewhere hits all of them alike),
the same pytest commands a user types, as subprocesses from the project folder:

- ``scenarios --ignore=scenarios/properties``: the example-based scenario suites;
- ``scenarios/properties``: the Hypothesis suites (the state machine in two halves);
- ``scenarios``: everything ``vneid-harness run`` runs;

each in one process and with ``-n auto --dist worksteal`` (pytest-xdist, as ``make test``).
It prints each command's median wall time (the whole command: interpreter start, plugins,
collection, tests), its scenarios per second, and the ratio of ``-n auto`` to one process
measured in the same run; for the Hypothesis suites also the generated examples they ran
(each a scenario of its own: a state-machine example is a journey of ~70 steps).
Target: the ``sim`` scenario suites at >= 100 scenarios/s with ``-n auto``. Nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from flowbench import machine

ROOT = Path(__file__).resolve().parent.parent
SUITES = {
    "scenario suites": ["scenarios", "--ignore=scenarios/properties"],
    "property suites": ["scenarios/properties"],
    "all of scenarios/": ["scenarios"],
}
MODES = {"one process": ["-p", "no:xdist"], "-n auto": ["-n", "auto", "--dist", "worksteal"]}


def run(args: list[str]) -> tuple[float, int, int]:
    """Wall seconds of one pytest command, how many tests passed and how many examples the
    Hypothesis tests among them ran (``--hypothesis-show-statistics``); fails loudly."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--hypothesis-show-statistics", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    found = re.search(r"(\d+) passed", done.stdout)
    if done.returncode != 0 or found is None:
        raise SystemExit(
            f"pytest {' '.join(args)} failed (exit {done.returncode}):\n"
            f"{done.stdout[-3000:]}{done.stderr[-2000:]}"
        )
    examples = sum(int(n) for n in re.findall(r"- (\d+) passing, ", done.stdout))
    return wall, int(found.group(1)), examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--suite",
        choices=sorted(SUITES),
        action="append",
        help="only these suites (repeatable; default all)",
    )
    args = parser.parse_args()
    suites = {name: SUITES[name] for name in (args.suite or SUITES)}

    print(f"machine: {machine()}")
    walls: dict[tuple[str, str], list[float]] = {}
    counts: dict[str, int] = {}
    examples: dict[str, int] = {}
    for repeat in range(1, args.repeats + 1):
        line = []
        for suite, suite_args in suites.items():
            for mode, mode_args in MODES.items():
                wall, passed, ran = run([*suite_args, *mode_args])
                walls.setdefault((suite, mode), []).append(wall)
                counts[suite] = passed
                examples[suite] = max(examples.get(suite, 0), ran)
                line.append(f"{suite} / {mode} {wall:5.2f} s")
        print(f"repeat {repeat}: " + " | ".join(line), flush=True)
    print(f"median of {args.repeats} repeats (wall time of the whole command):")
    for suite in suites:
        one = statistics.median(walls[(suite, "one process")])
        many = statistics.median(walls[(suite, "-n auto")])
        print(
            f"  {suite:18s} {counts[suite]:4d} tests: one process {one:5.2f} s = "
            f"{counts[suite] / one:5.0f}/s | -n auto {many:5.2f} s = "
            f"{counts[suite] / many:5.0f}/s | -n auto / one process = {many / one:4.2f}"
        )
        if examples.get(suite):
            print(
                f"  {'':18s} of which Hypothesis tests ran {examples[suite]} generated "
                f"examples: {examples[suite] / many:5.0f} examples/s with -n auto"
            )
    print(f"machine after: {machine()}")


if __name__ == "__main__":
    main()
