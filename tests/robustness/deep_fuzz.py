"""The deep Schemathesis run of docs/robustness.md: both providers served by
``vneid-harness serve``, every phase, ``--max-examples`` per operation (default 300), then
the numbers from the HAR and JSON reports: requests, statuses, 5xx, slowest answer.

    .venv/bin/python -m tests.robustness.deep_fuzz [--max-examples 300] [--seed 20261122]

Exits 1 when Schemathesis found a failure or an error, or a 5xx was answered.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.robustness.served_pair import ServeProcess

ST = Path(sys.executable).parent / "st"
CONFIG = Path(__file__).with_name("schemathesis.toml")


def _run(name: str, url: str, out: Path, max_examples: int, seed: int) -> subprocess.Popen[str]:
    log = (out / f"{name}.log").open("w", encoding="utf-8")
    return subprocess.Popen(
        [
            str(ST),
            "--config-file",
            str(CONFIG),
            "run",
            f"{url}/openapi.json",
            "--max-examples",
            str(max_examples),
            "--seed",
            str(seed),
            "--no-color",
            "--report",
            "json,har",
            "--report-dir",
            str(out / name),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _numbers(folder: Path) -> dict[str, Any]:
    report = json.loads(next(folder.glob("json-*.json")).read_text(encoding="utf-8"))
    har = json.loads(next(folder.glob("har-*.json")).read_text(encoding="utf-8"))
    entries = har["log"]["entries"]
    statuses = collections.Counter(e["response"]["status"] for e in entries)
    return {
        "operations": report["operations"]["tested"],
        "test_cases": report["test_cases"]["generated"],
        "requests": len(entries),
        "5xx": sum(n for s, n in statuses.items() if s >= 500),
        "slowest_ms": round(max((e["time"] for e in entries), default=0), 1),
        "failures": len(report["failures"]),
        "errors": len(report["errors"]),
        "statuses": dict(sorted(statuses.items())),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="deep-fuzz-"))
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with ServeProcess() as served:
        runs = {
            name: _run(name, url, out, args.max_examples, args.seed)
            for name, url in (("vneid", served.vneid), ("vssid", served.vssid))
        }
        codes = {name: proc.wait(timeout=3600) for name, proc in runs.items()}
    elapsed = time.monotonic() - started
    results = {name: _numbers(out / name) for name in runs}
    total = sum(r["requests"] for r in results.values())
    print(
        json.dumps(
            {
                "seed": args.seed,
                "max_examples": args.max_examples,
                "elapsed_s": round(elapsed, 1),
                "requests": total,
                "exit_codes": codes,
                "providers": results,
                "reports": str(out),
            },
            indent=2,
        )
    )
    bad = any(codes.values()) or any(
        r["5xx"] or r["failures"] or r["errors"] for r in results.values()
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
