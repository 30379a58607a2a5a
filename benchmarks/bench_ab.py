"""Issue 7, item 1: two versions of the code, timed side by side, block by block.

Run: ``.venv/bin/python benchmarks/bench_ab.py A B [--blocks N]`` where ``A`` and ``B`` are
checkouts of the project (``git worktree add /tmp/before <commit>`` makes one).

Two runs of ``bench_flow.py`` taken a minute apart on a shared machine differ by up to
±0.07 in their ratio, more than most changes are worth. Here one worker process per
checkout (each importing its own checkout's code, with this interpreter) builds the
providers and waits; the two then take turns, block after block (``A B``, ``B A``, …), each
block timing 20 floors, 20 protocol logins and 20 floors again (gc off inside, as in
``bench_flow.py``), so each block of ``B`` runs within a second of one of ``A`` and meets the
same load. One process can be faster or slower than another running the same code (how its
memory happened to be laid out): the same checkout in two processes has differed by 0.07, so
each version runs in several processes (``--processes``, 3 by default) that take its blocks
in turn. It prints each version's median login / floor ratio and the median of the
block-by-block differences with their quartiles. ``A A`` shows the method's own spread.
For a count that does not depend on load at all, see ``bench_instructions.py``. Nothing here
asserts anything.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

BLOCK = 20
WARMUP = 30


def _worker(tree: Path) -> None:
    """Answer each line on stdin with ``ratio login_us floor_us`` of one block."""
    sys.path[:0] = [str(tree / "benchmarks"), str(tree)]
    from flowbench import Floor, interleave, protocol_login

    from harness.targets import embedded_target
    from harness.world import PersonaPool

    target = embedded_target(seed="bench-ab")
    persona = PersonaPool(target, seed="bench-ab").new()
    floor = Floor()
    clients = (target.vssid.client(), target.vneid.client())

    def login() -> None:
        protocol_login(target, persona, clients)

    interleave([("floor", floor), ("login", login)], rounds=0, warmup=WARMUP)
    print("ready", flush=True)
    for _ in sys.stdin:
        before, took, after = interleave(
            [("floor", floor), ("login", login), ("floor", floor)],
            rounds=BLOCK,
            block=BLOCK,
            warmup=0,
        )
        base = (before.median + after.median) / 2
        print(f"{took.median / base:.5f} {took.median * 1e6:.1f} {base * 1e6:.1f}", flush=True)


def _start(tree: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen(
        [sys.executable, __file__, "--worker", str(tree)],
        cwd=tree,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line != "ready":
        proc.kill()
        raise SystemExit(
            f"the worker for {tree} did not start (said {line!r}); "
            "is it a checkout of this project?"
        )
    return proc


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("a", type=Path, nargs="?", help="a checkout (the baseline)")
    parser.add_argument("b", type=Path, nargs="?", help="another checkout (the change)")
    parser.add_argument("--blocks", type=int, default=60, help="blocks timed per version")
    parser.add_argument(
        "--processes",
        type=int,
        default=3,
        help="worker processes per version, taking blocks in turn",
    )
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        _worker(args.worker.resolve())
        return
    if args.a is None or args.b is None:
        parser.error("give two checkouts, A and B")
    for tree in (args.a, args.b):
        if not (tree / "harness" / "__init__.py").is_file():
            parser.error(
                f"{tree} is not a checkout of this project (no harness/ in it); make "
                "one of another commit with: git worktree add /tmp/before <commit>"
            )
    from flowbench import machine

    trees = [args.a.resolve(), args.b.resolve()]
    print(f"machine: {machine()}")
    workers = [[_start(tree) for _ in range(args.processes)] for tree in trees]
    results: list[list[tuple[float, float, float]]] = [[], []]
    try:
        for i in range(args.blocks):
            for j in (0, 1) if i % 2 == 0 else (1, 0):
                proc = workers[j][i % args.processes]
                assert proc.stdin is not None
                assert proc.stdout is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
                ratio, login, floor = map(float, proc.stdout.readline().split())
                results[j].append((ratio, login, floor))
    finally:
        for proc in (p for group in workers for p in group):
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=30)
    for name, tree, rows in zip("AB", trees, results, strict=True):
        print(
            f"{name} {tree}: login / floor {statistics.median(r[0] for r in rows):.3f} "
            f"(login {statistics.median(r[1] for r in rows):.0f} µs, "
            f"floor {statistics.median(r[2] for r in rows):.0f} µs)"
        )
    diffs = [b[0] - a[0] for a, b in zip(*results, strict=True)]
    low, _, high = statistics.quantiles(diffs, n=4)
    print(
        f"B - A, block by block: median {statistics.median(diffs):+.3f} "
        f"(quartiles {low:+.3f} to {high:+.3f}, {args.blocks} blocks each)"
    )
    print(f"machine after: {machine()}")


if __name__ == "__main__":
    main()
