"""The plugin's markers, and what collection makes of them (a part of
:mod:`harness.pytest_plugin`).

``clause(*ids)`` names the PROTOCOL.md clauses a test checks and ``plan(*names)`` the
conformance plans it belongs to; both are checked at collection (a misspelt plan would drop
its test from ``--plan`` without a word). ``--plan`` keeps only its plan's tests, and each test
gets its labels: the seed and clauses as JUnit properties, Allure's epic, story, severity and
feature. ``warning_on_failure`` makes a failure of the test's own check a WARNING.
"""

from __future__ import annotations

import functools
from collections.abc import Generator, Iterable
from typing import Any

import pytest

from harness.conformance.plans import ALL
from harness.plugin_options import CLAUSES_LABEL, OPT_PLAN, OPT_SEED

__all__ = ["clause_ids"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(*ids): the PROTOCOL.md clause ids this test checks")
    config.addinivalue_line("markers", "plan(*names): the conformance plans this test belongs to")
    config.addinivalue_line(
        "markers",
        "warning_on_failure: a failure of the test's own check (not of its set-up) is a "
        "WARNING (allowed but discouraged)",
    )


def clause_ids(item: pytest.Item) -> tuple[str, ...]:
    """The clauses of ``item``'s ``clause`` markers, once each, in PROTOCOL.md's order (as
    every report lists them: ``clause("S-5", "A-1")`` reads ``A-1, S-5``; an id PROTOCOL.md
    lacks, which the marker check refuses, last)."""
    ids = dict.fromkeys(cid for mark in item.iter_markers("clause") for cid in mark.args)
    place = _clause_places()
    return tuple(sorted(ids, key=lambda cid: place.get(cid, len(place))))


@functools.cache
def _clause_places() -> dict[str, int]:
    """Each clause id's place in PROTOCOL.md."""
    from harness.protocol import CLAUSES

    return {cid: n for n, cid in enumerate(CLAUSES)}


def _select_plan(config: pytest.Config, items: list[pytest.Item]) -> None:
    plan = config.getoption(OPT_PLAN, None)
    if plan is None or plan == ALL:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        names = {n for mark in item.iter_markers("plan") for n in mark.args}
        (keep if plan in names else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _check_markers(items: list[pytest.Item]) -> None:
    """Usage errors for ``clause`` and ``plan`` markers that name what does not exist (or
    give something other than text): a misspelt plan would drop its test from ``--plan``."""
    problem = _marker_problem(items)
    if problem is not None:
        raise pytest.UsageError(problem)


def _marker_problem(items: Iterable[object]) -> str | None:
    """What :func:`_check_markers` refuses, for the first of ``items`` it finds it in."""
    from harness.conformance import PLANS
    from harness.protocol import CLAUSES

    for item in items:
        if not isinstance(item, pytest.Item):
            continue
        for kind, known in (("clause", CLAUSES), ("plan", PLANS)):
            for mark in item.iter_markers(kind):
                if mark.kwargs or not all(isinstance(a, str) for a in mark.args):
                    return (
                        f"{item.nodeid}: the {kind} marker takes ids as text, one argument "
                        f"each (@pytest.mark.{kind}('{next(iter(known))}', ...)), not "
                        f"{mark.args!r:.60}{' and keywords' if mark.kwargs else ''}"
                    )
                unknown = [a for a in mark.args if a not in known]
                if unknown:
                    what = (
                        "PROTOCOL.md does not have"
                        if kind == "clause"
                        else "is not a conformance plan"
                    )
                    return (
                        f"{item.nodeid}: {kind} marker names {', '.join(unknown)}, which "
                        f"{what}; valid ids: {', '.join(known)}"
                    )
    return None


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    """In a pytest-xdist worker a marker :func:`_check_markers` refuses fails the collection
    of its module, with the same words: a usage error raised there ended the worker, and the
    run in an INTERNALERROR ("no active workers") that never said why."""
    report = yield
    if report.passed and hasattr(collector.config, "workerinput"):
        problem = _marker_problem(report.result)
        if problem is not None:
            report.outcome = "failed"
            report.longrepr = problem
    return report


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from harness.protocol import CLAUSES, SECTIONS

    if not hasattr(config, "workerinput"):  # a worker failed such a module's collection
        _check_markers(items)
    _select_plan(config, items)
    seed = str(config.getoption(OPT_SEED))
    for item in items:
        item.user_properties.append(("seed", seed))  # JUnit <property>, replay with it
        item.add_marker(pytest.mark.allure_label(seed, label_type="seed"))
        ids = clause_ids(item)
        if item.get_closest_marker("warning_on_failure") is not None:
            item.user_properties.append(("warning_on_failure", "yes"))
        for cid in ids:
            item.user_properties.append(("clause", cid))
            item.add_marker(pytest.mark.allure_label(cid, label_type="story"))
        if ids:  # the report's failure categories group by it (reports.allure_html), so in
            # PROTOCOL.md's order (clause_ids): clause("S-4", "S-1") was a group beside "S-1, S-4"
            item.add_marker(pytest.mark.allure_label(", ".join(ids), label_type=CLAUSES_LABEL))
        families = dict.fromkeys(SECTIONS[cid.split("-")[0]] for cid in ids)
        for section in families:
            item.add_marker(pytest.mark.allure_label(section, label_type="epic"))
        if ids:
            weights = [CLAUSES[cid].weight for cid in ids]
            top = min(weights, key=["blocker", "critical", "normal", "minor"].index)
            item.add_marker(pytest.mark.allure_label(top, label_type="severity"))
        module = getattr(item, "module", None)
        theme = (
            (module.__doc__ or "").strip().splitlines()[0] if module and module.__doc__ else None
        )
        if theme:
            item.add_marker(pytest.mark.allure_label(theme, label_type="feature"))
