"""The login state machine's exploration figures are printed at the end of a run, with or
without pytest-xdist workers: the controller adds up what each worker explored, so two
workers report what one process reports for the same seed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(r"login state machine \[dev\]: (\d+) steps in (\d+) examples")


def _figures(*workers: str) -> tuple[int, int]:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "scenarios/properties/test_login_state_machine.py",
            "--hypothesis-profile",
            "dev",
            "--hypothesis-seed",
            "7",
            "-q",
            *workers,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    found = SUMMARY.search(run.stdout)
    assert found, f"no state machine figures in the output:\n{run.stdout[-3000:]}"
    return int(found.group(1)), int(found.group(2))


def test_two_workers_report_what_one_process_reports() -> None:
    steps, examples = _figures("-p", "no:xdist")
    assert examples > 2  # both halves ran examples
    assert steps >= examples
    assert _figures("-n", "2") == (steps, examples)
