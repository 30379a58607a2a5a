"""Schemathesis against both served providers, a bounded run with a fixed seed: zero 5xx,
zero responses that break the OpenAPI document, zero hangs (a response over 5 s is a
failure). The deep run (over 10,000 requests) is in docs/robustness.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.serve import ServedProviders

ST = Path(sys.executable).parent / "st"
CONFIG = Path(__file__).with_name("schemathesis.toml")
SEED = "20261122"
BOUNDED = [
    "--max-examples",
    "10",
    "--seed",
    SEED,
    "--phases",
    "examples,fuzzing,stateful",
    "--workers",
    "1",
    "--no-color",
]


def _fuzz(url: str, reports: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(ST),
            "--config-file",
            str(CONFIG),
            "run",
            f"{url}/openapi.json",
            *BOUNDED,
            "--report",
            "json",
            "--report-dir",
            str(reports),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _report(folder: Path) -> dict[str, Any]:
    files = sorted(folder.glob("*.json"))
    assert files, f"no schemathesis report in {folder}"
    report: dict[str, Any] = json.loads(files[-1].read_text(encoding="utf-8"))
    return report


def test_both_providers_survive_a_bounded_fuzz_run(served: ServedProviders, tmp_path: Path) -> None:
    runs = {
        name: (_fuzz(url, tmp_path / name), tmp_path / name)
        for name, url in (("vneid", served.vneid_url), ("vssid", served.vssid_url))
    }
    outputs: dict[str, str] = {}
    try:
        for name, (proc, _) in runs.items():
            outputs[name], _ = proc.communicate(timeout=240)
    finally:
        for proc, _ in runs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    for name, (proc, folder) in runs.items():
        report = _report(folder)
        tail = outputs[name][-6000:]
        assert proc.returncode == 0, f"{name}:\n{tail}"
        assert report["failures"] == [], f"{name}:\n{tail}"
        assert report["errors"] == [], f"{name}:\n{tail}"
        assert report["operations"]["tested"] == report["operations"]["total"], name
        assert report["test_cases"]["generated"] >= 100, name
        assert report["seed"] == int(SEED)
