"""Run pytest in a subprocess with ``--alluredir`` and read what allure-pytest wrote.

A subprocess, not pytester's in-process run: the providers' cryptography does not survive
being imported twice in one interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class AllureRun:
    """One finished run: its folder, console output, results and containers."""

    path: Path
    output: str
    returncode: int
    results: list[dict[str, Any]]
    containers: list[dict[str, Any]]

    @property
    def results_dir(self) -> Path:
        return self.path / "allure"

    def result(self, name: str) -> dict[str, Any]:
        found = [r for r in self.results if r["name"] == name]
        assert len(found) == 1, f"{name}: {[r['name'] for r in self.results]}"
        return found[0]

    def befores(self, result: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The set-up fixtures of ``result`` by name (steps recorded there land in them)."""
        return {
            b["name"]: b
            for c in self.containers
            if result["uuid"] in c.get("children", [])
            for b in c.get("befores", [])
        }

    def attachment(self, entry: dict[str, Any]) -> str:
        return (self.results_dir / entry["source"]).read_text(encoding="utf-8")


def run_pytest(path: Path, *args: str, timeout: float = 300) -> AllureRun:
    """``python -m pytest ARGS --alluredir allure`` in ``path``."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        *args,
        "--alluredir",
        "allure",
    ]
    done = subprocess.run(
        command, cwd=path, capture_output=True, text=True, timeout=timeout, check=False
    )
    folder = path / "allure"

    def read(pattern: str) -> list[dict[str, Any]]:
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob(pattern))]

    return AllureRun(
        path,
        done.stdout + done.stderr,
        done.returncode,
        read("*-result.json"),
        read("*-container.json"),
    )


def walk_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every step, depth first."""
    out: list[dict[str, Any]] = []
    for step in steps:
        out.append(step)
        out.extend(walk_steps(step.get("steps", [])))
    return out
