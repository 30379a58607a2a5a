"""The vendor conformance report: one self-contained HTML file (plus the JSON it is made from).

Input is the verdict JSON of a run (:meth:`ConformanceResult.to_json` with the run's metadata:
``target``, ``harness_version``, ``started_at``, ``seed``…), whose tests may carry
``evidence``: ``{"steps": [str, ...], "diagram_svg": str | None}`` (see
:mod:`reports.evidence`). The page lists every clause with its status and the tests behind it,
every test with its status, clauses, message, expected-failure reason and evidence (the
recorded steps and the sequence diagram), the target, the plan, the harness version and the
run date. It loads nothing from the network: the CSS is inline and each diagram is an
``<img>`` with a ``data:`` URI, which also keeps any markup in an SVG inert. Jinja2 escapes
everything else.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from reports.atomic import write_atomic
from reports.errors import ReportError

__all__ = [
    "ReportError",
    "render_conformance_html",
    "write_conformance_html",
    "write_conformance_report",
]

_TEMPLATE = "conformance.html.j2"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["b64"] = lambda text: base64.b64encode(str(text).encode()).decode("ascii")
    return env


def _anchor(nodeid: str, taken: set[str], numbered: dict[str, int]) -> str:
    """A page anchor for ``nodeid`` not in ``taken`` (then added): its first 120 characters,
    followed by ``-2``, ``-3``… when another test took them. ``numbered``: the last number
    each base was given, where the next one with that base starts looking (counting up from
    2 each time made the n-th of thousands of tests sharing a long prefix try n anchors:
    quadratic, 6 s for 8,000 of them in one verdict)."""
    base = "test-" + re.sub(r"[^A-Za-z0-9_-]+", "-", nodeid).strip("-")[:120]
    n = numbered.get(base, 1)
    anchor = base if n == 1 else f"{base}-{n}"
    while anchor in taken:
        n += 1
        anchor = f"{base}-{n}"
    numbered[base] = n
    taken.add(anchor)
    return anchor


def _check(verdict: Mapping[str, Any]) -> None:
    missing = [k for k in ("plan", "ok", "counts", "clauses", "tests") if k not in verdict]
    if missing:
        raise ReportError(
            f"the verdict has no {', '.join(missing)}: give the JSON a "
            "`vneid-harness run` or `conformance` wrote (summary.json or "
            "conformance-PLAN.json)"
        )


def _safe_links(links: object) -> dict[str, str]:
    """The verdict's clause links that are web, file or relative addresses (a verdict JSON
    given to ``vneid-harness report`` may come from anywhere: no ``javascript:`` link)."""
    if not isinstance(links, Mapping):
        return {}
    return {
        str(k): v for k, v in links.items() if isinstance(v, str) and _LINK.match(v) is not None
    }


_LINK = re.compile(r"(?i)(https?:|file:|[^:]*$|[^:]*[/?#])")


def _shown(test: Mapping[str, Any]) -> str:
    """A test's status as the page shows it: EXPECTED FAILED (or WARNING) when an
    expected-failures entry took it."""
    return f"EXPECTED {test['status']}" if test.get("expected_failure") else str(test["status"])


def _counts(verdict: Mapping[str, Any], tests: list[dict[str, Any]]) -> dict[str, Any]:
    """The verdict's counts; for a verdict written before EXPECTED FAILED had a count of its
    own (its FAILED held the expected failures), counted again from its tests."""
    counts = dict(verdict["counts"])
    if "EXPECTED FAILED" not in counts:
        for status in ("FAILED", "WARNING"):
            taken = sum(t["status"] == status and bool(t["expected_failure"]) for t in tests)
            counts[f"EXPECTED {status}"] = taken
            counts[status] = counts.get(status, 0) - taken
    return counts


def render_conformance_html(verdict: Mapping[str, Any]) -> str:
    """The HTML page of ``verdict`` (a run's verdict JSON, as a mapping)."""
    _check(verdict)
    taken: set[str] = set()
    numbered: dict[str, int] = {}
    tests = []
    for test in verdict["tests"]:
        entry = {
            "evidence": None,
            "expected_failure": None,
            "unexpected_pass": None,
            "message": "",
            "duration_s": 0.0,
            **test,
        }
        entry["anchor"] = _anchor(str(entry["test"]), taken, numbered)
        entry["shown"] = _shown(entry)
        tests.append(entry)
    anchors = {t["test"]: t["anchor"] for t in tests}
    statuses = {t["test"]: t["shown"] for t in tests}
    clauses = [
        {"expected_failures": 0, "expected_for": [], **c}
        for c in verdict["clauses"]
        if c.get("in_plan") or c.get("tests")
    ]
    meta = {
        "target": None,
        "harness_version": "?",
        "started_at": "?",
        "duration_s": "?",
        "seed": "?",
        "expected_failures_file": None,
        **verdict,
    }
    return (
        _environment()
        .get_template(_TEMPLATE)
        .render(
            plan=verdict["plan"],
            plan_description=verdict.get("plan_description", ""),
            ok=bool(verdict["ok"]),
            counts=_counts(verdict, tests),
            missing_clauses=verdict.get("missing_clauses", []),
            unreached_clauses=verdict.get("unreached_clauses", []),
            coverage_required=verdict.get("coverage_required", True),
            interrupted=verdict.get("interrupted"),
            setup_warnings=verdict.get("setup_warnings") or [],
            unused_expected=verdict.get("unused_expected_failures", [])
            if verdict.get("coverage_required", True)
            else [],
            clauses=clauses,
            tests=tests,
            anchors=anchors,
            statuses=statuses,
            meta=meta,
            clause_texts={str(c.get("clause")): str(c.get("text", "")) for c in verdict["clauses"]},
            unexpected_passes=[t for t in tests if t.get("unexpected_pass")],
            clause_links=_safe_links(verdict.get("clause_links")),
        )
    )


def write_conformance_report(json_path: Path, html_path: Path | None = None) -> Path:
    """Render the verdict JSON at ``json_path`` to ``html_path`` (default: beside it, ``.html``)."""
    try:
        verdict = json.loads(json_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(
            f"{json_path} does not exist: run `vneid-harness run` or "
            "`vneid-harness conformance --plan NAME` first"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{json_path} is not a verdict JSON ({exc})") from None
    if not isinstance(verdict, dict):
        raise ReportError(f"{json_path} is not a verdict JSON (a {type(verdict).__name__})")
    return write_conformance_html(verdict, html_path or json_path.with_suffix(".html"))


def write_conformance_html(verdict: Mapping[str, Any], html_path: Path) -> Path:
    """Render ``verdict`` to ``html_path`` atomically (:func:`reports.atomic.write_atomic`)."""
    return write_atomic(html_path, render_conformance_html(verdict))
