"""A tiny Allure results folder written by hand (the allure-pytest format), for fast tests of
the report generation: two tests, one passed with a protocol-hop step and a "Sequence
diagram" SVG attachment, one failed."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

__all__ = ["DIAGRAM", "FAILED", "HOP", "PASSED", "write_tiny_results"]

PASSED = "test_tiny_login_lands_on_home"
FAILED = "test_tiny_refusal_is_reported"
HOP = "VssID app → VssID backend: POST /api/v1/auth/vneid/start → 200"
DIAGRAM = "Sequence diagram"
_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="60">'
    '<text x="10" y="35">VssID app → VssID backend</text></svg>'
)


def _result(name: str, status: str, start: int, **extra: object) -> dict[str, object]:
    return {
        "uuid": str(uuid.uuid4()),
        "historyId": f"tiny-{name}",
        "testCaseId": f"tiny-{name}",
        "fullName": f"tiny.suite#{name}",
        "name": name,
        "status": status,
        "stage": "finished",
        "start": start,
        "stop": start + 25,
        "labels": [
            {"name": "parentSuite", "value": "tiny"},
            {"name": "suite", "value": "test_tiny"},
            {"name": "story", "value": "P-1"},
        ],
        **extra,
    }


def write_tiny_results(folder: Path, *, start: int = 1_790_000_000_000) -> Path:
    """Write the two results (and the attachment) into ``folder``; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    source = f"{uuid.uuid4()}-attachment.svg"
    (folder / source).write_text(_SVG, encoding="utf-8")
    passed = _result(
        PASSED,
        "passed",
        start,
        steps=[
            {
                "name": HOP,
                "status": "passed",
                "stage": "finished",
                "start": start + 1,
                "stop": start + 5,
            },
            {
                "name": "screen vssid:vssid-home",
                "status": "passed",
                "stage": "finished",
                "start": start + 6,
                "stop": start + 7,
            },
        ],
        attachments=[{"name": DIAGRAM, "source": source, "type": "image/svg+xml"}],
    )
    failed = _result(
        FAILED,
        "failed",
        start + 30,
        statusDetails={"message": "AssertionError: expected app-error", "trace": "Traceback …"},
    )
    for result in (passed, failed):
        (folder / f"{result['uuid']}-result.json").write_text(json.dumps(result), encoding="utf-8")
    return folder


def as_a_later_run(results: Path, folder: Path, *, later_ms: int = 60_000) -> Path:
    """``results`` copied into ``folder`` as another run of the same tests: every start and
    stop ``later_ms`` later (Allure's history tells runs apart by them)."""
    import shutil

    shutil.copytree(results, folder)
    for path in folder.glob("*-result.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        for key in ("start", "stop"):
            if isinstance(result.get(key), int):
                result[key] += later_ms
        path.write_text(json.dumps(result), encoding="utf-8")
    return folder
