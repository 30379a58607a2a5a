"""Failure text for reports: the clauses in front, secrets out (S-5).

A failing scenario's message is what people read first in JUnit, the console, the conformance
JSON and Allure, so it starts with the clauses the test checks (``Clause(s) R-1, R-3: …``).
It is also free text that never went through the trace's redaction: pytest prints whatever an
assertion compared (a token response), the arguments of the call that failed (a code and its
verifier) and the fixtures' ``repr`` (a relying party with its client secret). So before a
report keeps it, :func:`scrub` takes out every secret value the test's traces saw or were
told about (:meth:`harness.trace.Trace.scrub`), then anything that looks like one: the value
after a secret name (``'access_token': '…'``, ``client_secret='…'``, ``code=…``), the
credential after ``Bearer``/``Basic``, and JWS compact serialisations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from _pytest._code.code import ReprExceptionInfo, ReprTracebackNative

from harness.protocol.redaction import redact_secret_shapes
from harness.trace import Trace, scrub_known

__all__ = ["CLAUSE_PREFIX", "clause_prefix", "clean_report", "scrub"]

CLAUSE_PREFIX = "Clause(s) "


def clause_prefix(clause_ids: Sequence[str]) -> str:
    """``Clause(s) R-1, R-3: `` (empty without clauses)."""
    return f"{CLAUSE_PREFIX}{', '.join(clause_ids)}: " if clause_ids else ""


def scrub(text: str, traces: Iterable[Trace] = (), secrets: Iterable[str | None] = ()) -> str:
    """``text`` without the secrets the ``traces`` know, the extra ``secrets``, and
    anything shaped like a secret (module doc)."""
    for trace in traces:
        text = trace.scrub(text)
    return redact_secret_shapes(scrub_known(text, (s for s in secrets if s)))


def _clean_repr(text: str, crash: Any) -> ReprExceptionInfo:
    """A failure representation rebuilt from scrubbed text: the lines as a native traceback,
    and the crash (JUnit and the console read ``reprcrash.message``). pytest's own kind, so
    pytest-xdist carries it from a worker whole (an object of another kind arrives as a
    string, without its message)."""
    lines = [line + "\n" for line in text.splitlines()]
    return ReprExceptionInfo(reprtraceback=ReprTracebackNative(lines), reprcrash=crash)


def clean_report(
    report: Any,
    clause_ids: Sequence[str],
    traces: Sequence[Trace],
    secrets: Iterable[str | None] = (),
) -> None:
    """Scrub ``report``'s captured output and, when it failed, prefix its crash message with
    the clauses and scrub its failure text (in place). Passing reports matter too: Allure
    attaches the output captured during a test from its teardown report."""
    extra = [s for s in secrets if s]
    if report.sections:
        report.sections = [
            (title, scrub(content, traces, extra)) for title, content in report.sections
        ]
    wasxfail = getattr(report, "wasxfail", None)
    if isinstance(wasxfail, str) and wasxfail:
        report.wasxfail = scrub(wasxfail, traces, extra)  # the xfail reason, as given
    if report.skipped:
        _clean_skipped(report, traces, extra)
    if not report.failed:
        return
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and isinstance(getattr(crash, "message", None), str):
        message = scrub(crash.message, traces, extra)
        if clause_ids and not message.startswith(CLAUSE_PREFIX):
            message = clause_prefix(clause_ids) + message
        crash.message = message
    text = report.longreprtext
    clean = scrub(text, traces, extra)
    if (
        crash is None
        and isinstance(longrepr, str)
        and clause_ids
        and not clean.startswith(CLAUSE_PREFIX)
    ):
        clean = clause_prefix(clause_ids) + clean
    if clean != text:
        report.longrepr = _clean_repr(clean, crash) if crash is not None else clean


def _clean_skipped(report: Any, traces: Sequence[Trace], secrets: list[str]) -> None:
    """A skip's reason (``(path, line, reason)``) or an expected failure's text, scrubbed:
    the console, JUnit and Allure show both."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3 and isinstance(longrepr[2], str):
        report.longrepr = (longrepr[0], longrepr[1], scrub(longrepr[2], traces, secrets))
    elif longrepr is not None:
        text = report.longreprtext
        clean = scrub(text, traces, secrets)
        if clean != text:
            crash = getattr(longrepr, "reprcrash", None)
            if crash is not None and isinstance(getattr(crash, "message", None), str):
                crash.message = scrub(crash.message, traces, secrets)
            report.longrepr = _clean_repr(clean, crash) if crash is not None else clean
