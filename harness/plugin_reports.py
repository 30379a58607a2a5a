"""What a test leaves for the reports, and what it may not leave in them (a part of
:mod:`harness.pytest_plugin`).

Every trace a test's phones and relying party record is kept on the test
(:func:`item_traces`; the fixtures adopt them with :func:`adopt_trace`). A failed test's
message starts with its clauses and is scrubbed of secrets (:mod:`reports.failures`, S-5), and
its report gets the line that runs it again (:mod:`harness.replay`); with ``--evidence`` each
test's steps and sequence diagram go with its teardown report. When allure-pytest writes
results the Allure reporter (:mod:`reports.allure_steps`) is registered too
(:func:`register_reporters`): steps per hop, diagram, tags, parameters and clause links;
without ``--alluredir`` none of that runs.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from harness.plugin_markers import clause_ids
from harness.plugin_options import (
    ALLURE_PLUGIN,
    OPT_ADMIN_TOKEN,
    OPT_EVIDENCE,
    OPT_PROTOCOL_URL,
    REPLAY_PROPERTY_PLUGIN,
)
from harness.replay import REPLAY_PROPERTY, REPLAY_SECTION, _ReplayProperty, item_replay

if TYPE_CHECKING:
    from harness.personas import Persona
    from harness.targets import SecretSink
    from harness.trace import Trace
    from reports.allure_steps import AllureFlowReporter

__all__ = [
    "adopt_trace",
    "allure_reporter",
    "item_traces",
    "register_reporters",
    "remember_personas",
]

_traces_key = pytest.StashKey["list[Trace]"]()
_allure_key = pytest.StashKey["AllureFlowReporter"]()
_people_key = pytest.StashKey["list[list[Persona]]"]()
_sink_key: pytest.StashKey[SecretSink] = pytest.StashKey()


def register_reporters(config: pytest.Config) -> None:
    """The plugin's reporters: the replay line as a JUnit property, and, when allure-pytest
    writes results (``--alluredir``), the Allure reporter."""
    if not config.pluginmanager.has_plugin(REPLAY_PROPERTY_PLUGIN):
        config.pluginmanager.register(_ReplayProperty(), REPLAY_PROPERTY_PLUGIN)
    if getattr(config.option, "allure_report_dir", None):
        _register_allure(config)


def _register_allure(config: pytest.Config) -> None:
    from reports.allure_steps import AllureFlowReporter
    from reports.protocol_links import default_protocol_url, protocol_of_run

    found = protocol_of_run(config.rootpath)
    protocol_url = config.getoption(OPT_PROTOCOL_URL, None) or default_protocol_url(found)
    reporter = AllureFlowReporter(
        config,
        protocol_url=protocol_url,
        protocol_file=found,
        clause_ids=clause_ids,
        clean_message=_clean_message,
        scrub=_scrub_for,
    )
    config.stash[_allure_key] = reporter
    config.pluginmanager.register(reporter, ALLURE_PLUGIN)


def allure_reporter(config: pytest.Config) -> AllureFlowReporter | None:
    """The run's Allure reporter (``None``: allure-pytest writes no results)."""
    return config.stash.get(_allure_key, None)


# -- traces and failure text ------------------------------------------------------------
def item_traces(item: pytest.Item) -> list[Trace]:
    """The traces ``item`` recorded into (its phones', its relying party's, the scenario's own
    calls to the providers'), in creation order; empty ones are left out.

    Kept for the whole run, so a report written at the end can still read them."""
    return [t for t in item.stash.get(_traces_key, ()) if len(t)]  # recorded something


def _adopted_traces(item: pytest.Item) -> list[Trace]:
    """Every trace adopted for ``item``, empty ones too: scrubbing failure text needs the
    secrets each remembers (a relying party's client secret) even before it recorded."""
    return list(item.stash.get(_traces_key, ()))


def adopt_trace(item: pytest.Item, trace: Trace) -> None:
    """Count ``trace`` as ``item``'s: its exchanges become the test's Allure steps and
    evidence, its secrets are scrubbed from the test's failure text."""
    traces = item.stash.setdefault(_traces_key, [])
    if any(t is trace for t in traces):
        return
    traces.append(trace)
    reporter = allure_reporter(item.config)
    if reporter is not None:
        reporter.watch(item, trace)


def remember_personas(item: pytest.Item, made: list[Persona]) -> None:
    """The citizens ``item`` made (the list, not the pool: an item outlives its test, and the
    pool holds the providers), whose passcodes its failure text may not show."""
    item.stash.setdefault(_people_key, []).append(made)


def _known_secrets(item: pytest.Item) -> list[str | None]:
    """Secrets of the test that no trace may have seen: the admin token, the passcodes of
    its citizens, registered or not (compared in an assertion before any login, say), the
    default client secrets, and whatever the embedded providers of the test's targets hold
    (a verifier of VssID's backend, a citizen's passcode in a world the test made itself:
    ``pytest -l`` prints them as locals)."""
    from harness.rp import DEFAULT_RP_CLIENT_SECRET
    from mock_providers.defaults import DEFAULT_VSSID_CLIENT_SECRET

    people = item.stash.get(_people_key, [])
    sink = item.stash.get(_sink_key, None)
    return [
        item.config.getoption(OPT_ADMIN_TOKEN, None),
        DEFAULT_VSSID_CLIENT_SECRET,
        DEFAULT_RP_CLIENT_SECRET,
        *(p.passcode for made in people for p in made),
        *(sink.known() if sink is not None else ()),
    ]


@pytest.hookimpl(tryfirst=True)  # before the fixtures adopt this attempt's traces
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Each attempt at a test starts afresh. pytest-rerunfailures (``--reruns N``) runs a
    failed test again on the same item, which kept the failed attempt's traces, citizens and
    JUnit ``replay`` property: the passing attempt's evidence then held the failed one's
    steps (a clock moved, a fault armed) and its JUnit test case a replay line, as a
    failure's. (Allure's steps and diagram are the attempt's own already.)"""
    if _traces_key in item.stash:
        del item.stash[_traces_key]
    if _people_key in item.stash:
        del item.stash[_people_key]
    item.user_properties[:] = [
        (name, value) for name, value in item.user_properties if name != REPLAY_PROPERTY
    ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """Each test's embedded targets give their secrets to a sink of its own (S-5)."""
    from harness.targets import secrets_collected

    with secrets_collected() as sink:
        item.stash[_sink_key] = sink
        try:
            return (yield)
        finally:
            del item.stash[_sink_key]


def _scrub_for(item: pytest.Item | None, text: str) -> str:
    """``text`` without the secrets of ``item`` (``None``: no test is running, only what is
    shaped like a secret goes) (S-5)."""
    from reports.failures import scrub

    if item is None:
        return scrub(text)
    return scrub(text, _adopted_traces(item), _known_secrets(item))


def _clean_message(item: pytest.Item, text: str) -> str:
    from reports.failures import CLAUSE_PREFIX, clause_prefix

    clean = _scrub_for(item, text)
    ids = clause_ids(item)
    return clean if not ids or clean.startswith(CLAUSE_PREFIX) else clause_prefix(ids) + clean


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    """A failure's message names the test's clauses; its text and the captured output keep
    no secret (S-5)."""
    report = yield
    if report.failed or report.skipped or report.sections:
        from reports.failures import clean_report

        clean_report(report, clause_ids(item), _adopted_traces(item), _known_secrets(item))
    if report.failed:
        # the seed is what makes the run replayable: say it where the failure is (the
        # property suites' conftest rewrites it with their Hypothesis profile: item_replay).
        # After the scrub, which took a test id holding a known value (a fake verifier as a
        # parameter) for a secret, and the pasted line ran nothing; the line holds no secret
        # (its URLs redacted, the admin token named by its variable)
        report.sections.append((REPLAY_SECTION, item_replay(item)))
    if report.when == "teardown" and item.config.getoption(OPT_EVIDENCE):
        from reports.evidence import attach_to_report

        attach_to_report(report, item_traces(item))
    return report
