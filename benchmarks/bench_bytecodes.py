"""Issue 7, item 1, by function: the Python bytecodes a login executes beyond its floor.

Run: ``.venv/bin/python benchmarks/bench_bytecodes.py [--calls N] [--top K]``.

``bench_instructions.py`` says how much more work a login is than its floor, not where it
is. This counts, with ``sys.settrace`` and ``frame.f_trace_opcodes``, every bytecode each
Python function executes during ``--calls`` floors and as many protocol logins (after a
warm-up of both), then prints the bytecodes per call of each case, the difference by
package, and the ``--top`` functions with the largest difference. The counts do not depend
on the machine or its load (the same code gives the same counts), so two versions of the
code can be compared line by line; time spent in C (JSON, regular expressions, OpenSSL) is
not seen, only the Python that calls it. Tracing makes the calls ~20 times slower; nothing
is timed. Nothing here asserts anything.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from flowbench import Bench

WARMUP = 20
_PREFIXES = ("site-packages/", "/lib/python3.", str(Path(__file__).resolve().parent.parent))

Where = tuple[str, str, int]
"""A function: its name, its file (shortened) and its first line."""


def _short(filename: str) -> str:
    for prefix in _PREFIXES:
        if prefix in filename:
            filename = filename.split(prefix, 1)[1]
            if prefix.startswith("/lib/"):
                filename = filename.split("/", 1)[1]  # "11/json/..." -> "json/..."
            return filename.lstrip("/")
    return filename


def _package(where: Where) -> str:
    return where[1].split("/", 1)[0]


def count_bytecodes(fn: Callable[[], None], calls: int) -> Counter[Where]:
    """Bytecodes executed in each Python function during ``calls`` calls of ``fn``."""
    counts: Counter[Where] = Counter()
    names: dict[Any, Where] = {}

    def tracer(frame: FrameType, event: str, arg: object) -> Any:
        frame.f_trace_opcodes = True
        if event == "opcode":
            code = frame.f_code
            where = names.get(code)
            if where is None:
                where = names[code] = (
                    code.co_qualname,
                    _short(code.co_filename),
                    code.co_firstlineno,
                )
            counts[where] += 1
        return tracer

    sys.settrace(tracer)
    try:
        for _ in range(calls):
            fn()
    finally:
        sys.settrace(None)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=20, help="calls counted per case")
    parser.add_argument("--top", type=int, default=30, help="functions listed")
    args = parser.parse_args()

    with Bench.open("bench-bytecodes") as bench:
        for _ in range(WARMUP):
            bench.floor()
            bench.login()
        base = count_bytecodes(bench.floor, args.calls)
        case = count_bytecodes(bench.login, args.calls)
    n = args.calls
    total_base, total_case = sum(base.values()) / n, sum(case.values()) / n
    print(f"Python bytecodes per call, {n} calls per case after {WARMUP} warm-up calls of each")
    print(f"floor            {total_base:9,.0f}")
    print(
        f"protocol login   {total_case:9,.0f}  ({total_case / total_base:.3f} x floor, "
        f"+{total_case - total_base:,.0f})"
    )

    by_package: Counter[str] = Counter()
    for where in base.keys() | case.keys():
        by_package[_package(where)] += (case[where] - base[where]) / n
    print("\nthe difference by package (login - floor, per call):")
    for package, diff in sorted(by_package.items(), key=lambda item: -abs(item[1])):
        if abs(diff) >= 50:
            print(f"  {diff:+9,.0f}  {package}")

    rows = sorted(
        ((case[w] - base[w]) / n, base[w] / n, case[w] / n, w) for w in base.keys() | case.keys()
    )
    print(f"\nthe {args.top} functions with the largest difference (per call):")
    print(f"  {'login-floor':>11} {'floor':>7} {'login':>7}  function")
    for diff, b, c, (name, filename, line) in sorted(rows, key=lambda r: -r[0])[: args.top]:
        print(f"  {diff:+11,.0f} {b:7,.0f} {c:7,.0f}  {name}  {filename}:{line}")


if __name__ == "__main__":
    main()
