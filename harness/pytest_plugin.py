"""The vneid-harness pytest plugin, registered once by the ``pytest11`` entry point.

What it gives a run, each listed where it is kept up to date rather than here:

- **options** of the group ``vneid-harness`` (``pytest --help`` says what each does; their
  names are :mod:`harness.plugin_options`): the seed, the remote targets and their admin
  token, the driver, the persona and profile files, the plan, the deliberately broken mocks,
  the evidence for ``vneid-harness run``, the replay command, the clause links' URL. Each is
  checked when pytest configures, so a wrong one is a usage error before any test;
- **markers** ``clause(*ids)`` (PROTOCOL.md's clause ids, checked at collection), ``plan(*names)``
  (``--plan`` keeps only its tests) and ``warning_on_failure``;
- **fixtures**, the public ones in README.md's "Writing scenarios" (``target``, ``vneid``,
  ``vssid``, ``personas``, ``persona``, ``device``, ``rp``, ``fresh_world``, ``adopt_trace``,
  and the seeds ``harness_seed`` and ``test_seed``). Heavy imports happen inside fixtures and
  hooks, so loading pytest stays cheap.

Reports: every trace a test's phones and relying party record is kept on the test
(:func:`item_traces`). A failed test's message starts with its clauses and is scrubbed of
secrets (:mod:`reports.failures`), and its report gets the line that runs it again
(:mod:`harness.replay`). When allure-pytest writes results, the Allure reporter
(:mod:`reports.allure_steps`) is registered too: steps per hop, diagram, tags, parameters and
clause links; without ``--alluredir`` none of that runs. Against remote targets, the checks
``vneid-harness run`` makes before its tests are made here too (:mod:`harness.preflight`), and
their findings printed before the tests.

The plugin is a front end, as the CLI is: neither the reporters nor the engine import it
(``tests/test_layering.py``).
"""

from __future__ import annotations

import functools
import os
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness import ADMIN_TOKEN_ENV
from harness.plugin_options import (
    ALLURE_PLUGIN,
    CLAUSES_LABEL,
    DRIVERS,
    OPT_ADMIN_TOKEN,
    OPT_APPIUM_CAPABILITIES,
    OPT_BROKEN_RP,
    OPT_BROKEN_VNEID,
    OPT_DRIVER,
    OPT_EVIDENCE,
    OPT_PERSONAS,
    OPT_PLAN,
    OPT_PROFILE,
    OPT_PROTOCOL_URL,
    OPT_REPLAY_AS,
    OPT_SEED,
    OPT_VNEID_URL,
    OPT_VSSID_URL,
    REPLAY_PROPERTY_PLUGIN,
)
from harness.replay import REPLAY_SECTION, _ReplayProperty, item_replay

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from harness.broken_mocks import BrokenMocks
    from harness.personas import Persona
    from harness.protocol import Profile
    from harness.rp import TestRelyingParty
    from harness.targets import SecretSink, Target, VNeIDHandle, VssIDHandle
    from harness.trace import Trace
    from harness.world import Device, DeviceFactory, FreshWorld, PersonaPool
    from reports.allure_steps import AllureFlowReporter

__all__ = [
    "OPT_ADMIN_TOKEN",
    "OPT_APPIUM_CAPABILITIES",
    "OPT_BROKEN_RP",
    "OPT_BROKEN_VNEID",
    "OPT_DRIVER",
    "OPT_PERSONAS",
    "OPT_PLAN",
    "OPT_PROFILE",
    "OPT_PROTOCOL_URL",
    "OPT_SEED",
    "OPT_VNEID_URL",
    "OPT_VSSID_URL",
    "item_traces",
    "run_profile",
]


_remote_key = pytest.StashKey["Target | None"]()
_traces_key = pytest.StashKey["list[Trace]"]()
_allure_key = pytest.StashKey["AllureFlowReporter"]()
_people_key = pytest.StashKey["list[list[Persona]]"]()
_sink_key: pytest.StashKey[SecretSink] = pytest.StashKey()
_broken_key: pytest.StashKey[BrokenMocks] = pytest.StashKey()
_profile_key = pytest.StashKey["Profile"]()
_citizens_key = pytest.StashKey["tuple[Persona, ...]"]()
"""The --personas file's citizens, read once when pytest configures."""
_worker_pids_key = pytest.StashKey["dict[str, int]"]()
"""(pytest-xdist's controller) each running worker's pid, by its gateway id."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("vneid-harness", "VNeID -> VssID login harness")
    group.addoption(OPT_SEED, type=int, default=0,
                    help="seed for personas and provider randomness (replay a run with it)")
    group.addoption(OPT_VNEID_URL, default=None,
                    help="run against this VNeID provider (e.g. one from vneid-harness serve)")
    group.addoption(OPT_VSSID_URL, default=None,
                    help="run against this VssID backend (needs --vneid-url too)")
    group.addoption(OPT_ADMIN_TOKEN, default=os.environ.get(ADMIN_TOKEN_ENV) or None,
                    help="admin token for the providers' test-control API (S-6); default: "
                         f"${ADMIN_TOKEN_ENV}, as for vneid-harness")
    group.addoption(OPT_DRIVER, default="sim", choices=DRIVERS,
                    help="how the apps are driven: sim (in-process), web (Playwright and "
                         "Chromium on their web renderings), appium (Appium; docs/drivers.md)")
    group.addoption(OPT_APPIUM_CAPABILITIES, default=None, type=_path_option, metavar="FILE",
                    help="the appium driver's capabilities file (server, mode, locator, "
                         "capabilities per platform); default: the shipped Chromium one")
    group.addoption(OPT_PERSONAS, default=None, type=_path_option,
                    help="persona file (YAML/JSON) whose citizens the personas fixture offers")
    group.addoption(OPT_PROFILE, default=None, type=_path_option, metavar="FILE",
                    help="profile file (YAML/JSON/TOML) of the vendor's overrides of "
                         "PROTOCOL.md's defaults (versions, link schemes, hosts and paths, "
                         "client id, scope, lifetimes, store links); the embedded mocks follow "
                         "it too. 'vneid-harness profile default' prints every field")
    group.addoption(OPT_PLAN, default=None,
                    help="run only the tests of this conformance plan "
                         "(vssid-relying-party, vneid-provider, all)")
    group.addoption(OPT_BROKEN_RP, action="append", default=[], metavar="CHECK",
                    help="make the embedded VssID mock skip this check (nonce, state, iss, "
                         "acr, signature, aud, expiry, replay, transaction_expiry, "
                         "redirect_uri, userinfo): a deliberately broken relying party, "
                         "to see a plan catch it; repeatable")
    group.addoption(OPT_BROKEN_VNEID, default=None, metavar="FAULT|CHECK",
                    help="make the embedded VNeID mock carry this fault of its catalog "
                         "(GET /_harness/faults, kind fault) on every request of every client "
                         "for the whole run, or skip this check of its own (verifier, "
                         "code_reuse, redirect_uri, ...: docs/conformance.md lists them): a "
                         "deliberately broken provider, to see plan vneid-provider catch it")
    group.addoption(OPT_EVIDENCE, action="store_true", default=False,
                    help="attach each test's protocol steps and sequence diagram to its "
                         "teardown report (vneid-harness run's conformance report reads them; "
                         "they cross from pytest-xdist workers with the report)")
    group.addoption(OPT_REPLAY_AS, default=None, metavar="COMMAND",
                    help="the command that runs a test of this run again, followed by "
                         "-k NAME in each failure's replay line (vneid-harness conformance "
                         "sets it when it serves the VNeID a relying party under test trusts, "
                         "which ends with the run)")
    group.addoption(OPT_PROTOCOL_URL, default=None, metavar="URL",
                    help="where the Allure link of each clause points: PROTOCOL.md's URL (the "
                         "clause's anchor is appended) or a template with {clause}, {section}, "
                         "{fragment}; default: the PROTOCOL.md beside the project")


def _path_option(value: str) -> Path:
    """A file option's value: an empty one (an unset shell variable) is not "." (the folder
    the run started in)."""
    import argparse

    from harness.run_checks import empty_path_problem

    problem = empty_path_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return Path(value)


def _workers(config: pytest.Config) -> int:
    """How many pytest-xdist workers the run asked for (``-n``, or ``-d --tx 2*popen``); 1
    in a worker, and without pytest-xdist (the tests run in this process)."""
    if hasattr(config, "workerinput"):
        return 1
    workers = getattr(config.option, "numprocesses", None)
    if not workers and getattr(config.option, "dist", "no") != "no":  # -d --tx 2*popen
        counts = [spec.partition("*") for spec in getattr(config.option, "tx", None) or []]
        workers = sum(int(count) if star and count.isdigit() else 1
                      for count, star, _ in counts)
    return workers if isinstance(workers, int) else 1


def _problems(config: pytest.Config) -> Iterator[str | None]:
    """What the run's options get wrong, in turn (``None``: that check passed), each asked
    only once the ones before it passed; the checks the CLI and the runner make too are
    :mod:`harness.run_checks`'s, in its words."""
    from harness.broken_mocks import BROKEN_RP, BROKEN_VNEID
    from harness.run_checks import (
        admin_token_env_problem,
        admin_token_problem,
        broken_with_targets_problem,
        empty_value_problem,
        plan_problem,
        remote_workers_problem,
        target_url_problem,
        targets_given,
        vssid_without_vneid_problem,
    )

    vneid_url = config.getoption(OPT_VNEID_URL, None)
    vssid_url = config.getoption(OPT_VSSID_URL, None)
    remote = targets_given(vneid_url, vssid_url)
    admin_token = config.getoption(OPT_ADMIN_TOKEN, None)
    if remote:  # without targets the token is unused: an empty variable is no mistake then
        yield admin_token_env_problem(admin_token, os.environ)
    yield admin_token_problem(admin_token)
    yield target_url_problem(OPT_VNEID_URL, vneid_url)
    yield target_url_problem(OPT_VSSID_URL, vssid_url)
    yield remote_workers_problem(_workers(config), remote, option="-n",
                                 one_process="leave out -n, or -n 0")
    alluredir = config.getoption("allure_report_dir", None)  # allure-pytest's --alluredir
    if alluredir and os.path.lexists(alluredir) and not os.path.isdir(alluredir):
        yield (f"--alluredir {alluredir}: not a folder; give a folder (made if missing), or "
               "move what is there away")  # allure-pytest's own answer is an INTERNALERROR
    for option, given in ((OPT_PROTOCOL_URL, config.getoption(OPT_PROTOCOL_URL, None)),
                          (OPT_REPLAY_AS, config.getoption(OPT_REPLAY_AS, None)),
                          ("--hypothesis-profile", config.getoption("hypothesis_profile", None))):
        empty = empty_value_problem(given)  # each fell back to its default without a word
        yield f"{option} {empty}" if empty is not None else None
    yield _hypothesis_profile_problem(config.getoption("hypothesis_profile", None))
    plan = config.getoption(OPT_PLAN, None)
    if plan is not None:
        from harness.conformance import PLANS

        yield plan_problem(plan, PLANS)
    yield vssid_without_vneid_problem(vneid_url, vssid_url)
    broken = _broken(config)  # a usage error of its own for a name that is none
    yield broken_with_targets_problem(
        [name for name, on in ((BROKEN_RP, broken.rp), (BROKEN_VNEID, broken.vneid)) if on],
        remote)


@pytest.hookimpl(tryfirst=True)  # before hypothesis's own pytest_configure loads the profile
def pytest_configure(config: pytest.Config) -> None:
    from harness.http_client import bypass_proxies_for_loopback, redact_http_client_logs

    bypass_proxies_for_loopback()
    redact_http_client_logs()
    problem = next((found for found in _problems(config) if found is not None), None)
    if problem is not None:
        raise pytest.UsageError(problem)
    config.addinivalue_line(
        "markers", "clause(*ids): the PROTOCOL.md clause ids this test checks"
    )
    config.addinivalue_line(
        "markers", "plan(*names): the conformance plans this test belongs to"
    )
    config.addinivalue_line(
        "markers", "warning_on_failure: a failure of the test's own check (not of its set-up) is a "
        "WARNING (allowed but discouraged)"
    )
    profile_file = config.getoption(OPT_PROFILE, None)
    if profile_file is not None:
        from harness.errors import ConfigError
        from harness.profile_file import load_profile

        try:
            config.stash[_profile_key] = load_profile(profile_file)
        except ConfigError as exc:
            raise pytest.UsageError(f"{OPT_PROFILE}: {exc}") from None
    personas_file = config.getoption(OPT_PERSONAS, None)
    if personas_file is not None:
        from harness.errors import PersonaFileError
        from harness.personas import load_personas

        try:  # read here, once: a wrong file stops the run before any test, not in each
            config.stash[_citizens_key] = tuple(load_personas(personas_file))
        except PersonaFileError as exc:
            raise pytest.UsageError(f"{OPT_PERSONAS}: {exc}") from None
    protocol_url = config.getoption(OPT_PROTOCOL_URL, None)
    if protocol_url:
        from reports.protocol_links import protocol_url_problem

        problem = protocol_url_problem(protocol_url)
        if problem is not None:
            raise pytest.UsageError(f"{OPT_PROTOCOL_URL}: {problem}")
    if not config.pluginmanager.has_plugin(REPLAY_PROPERTY_PLUGIN):
        config.pluginmanager.register(_ReplayProperty(), REPLAY_PROPERTY_PLUGIN)
    if getattr(config.option, "allure_report_dir", None):
        _register_allure(config)
    if config.getoption(OPT_DRIVER, "sim") == "appium":
        from harness.drivers.appium_config import load_capabilities
        from harness.errors import ConfigError

        try:  # before any test: a wrong file is the run's mistake, not a clause's failure
            capabilities = load_capabilities(config.getoption(OPT_APPIUM_CAPABILITIES, None))
            if not capabilities.local_server:  # and so is a URL where no Appium answers
                from harness.drivers.appium_server import check_server

                check_server(capabilities.server, capabilities.source,
                             timeout=capabilities.command_timeout)
        except ConfigError as exc:
            raise pytest.UsageError(f"{OPT_APPIUM_CAPABILITIES}: {exc}") from None
    if config.getoption(OPT_DRIVER, "sim") != "sim":
        from harness.drivers.pytest_ui import register

        register(config, appium_capabilities=config.getoption(OPT_APPIUM_CAPABILITIES, None))


def _hypothesis_profile_problem(named: str | None) -> str | None:
    """``--hypothesis-profile dev|ci|deep``: the property suites' profiles must be registered
    before hypothesis loads the one named, which is before those suites are collected."""
    if not named:
        return None
    import importlib

    from hypothesis import settings
    from hypothesis.errors import InvalidArgument

    profiles = importlib.import_module("scenarios.properties.profiles")
    try:
        settings.get_profile(named)
    except InvalidArgument:  # hypothesis's own check would be an INTERNALERROR
        return (f"--hypothesis-profile {named!r}: choose one of "
                f"{', '.join(profiles.PROFILES)} (docs/properties.md)")
    return None


@pytest.hookimpl(trylast=True)  # around pytest's own hook, set while it configured
def pytest_sessionstart(session: pytest.Session) -> None:
    """A Ctrl-C that lands in a garbage-collector callback or a ``__del__`` (Hypothesis
    measures its collections with one) is "ignored" by Python, handed to
    ``sys.unraisablehook`` and, by pytest, turned into a warning at most: the run went on, or
    ended in an unrelated failure. It is raised again on the main thread, with its reason (a
    SIGTERM's), through SIGINT's handler, set for the purpose: a run started as a background
    job of a script has SIGINT ignored, and the SIGTERM forwarded to a pytest-xdist worker
    busy in a Hypothesis test was lost there (the worker ran on until execnet killed it, 10 s
    later; a docs walkthrough)."""
    import sys

    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            import _thread
            import signal
            import threading

            reason = str(unraisable.exc_value)
            before = signal.getsignal(signal.SIGINT)
            if threading.current_thread() is threading.main_thread() \
                    and not getattr(before, "_raises_again", False):  # one at a time

                def again(signum: int, frame: object) -> None:
                    signal.signal(signal.SIGINT, before if before is not None
                                  else signal.default_int_handler)
                    raise KeyboardInterrupt(*([reason] if reason else []))

                again._raises_again = True  # type: ignore[attr-defined]
                signal.signal(signal.SIGINT, again)
            # from another thread, a moment later: raised inside this hook, Python would
            # ignore it again
            threading.Timer(0.05, _thread.interrupt_main).start()
            return
        previous(unraisable)

    sys.unraisablehook = hook
    session.config.add_cleanup(lambda: setattr(sys, "unraisablehook", previous))
    _stop_on_sigterm(session.config)
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None and not hasattr(session.config, "workerinput"):  # also with -q
        for said in _target_warnings(session.config):
            terminal.write_line(f"vneid-harness warning: {said}", yellow=True)


def _stop_on_sigterm(config: pytest.Config) -> None:
    """SIGTERM (a CI job cancelled or timed out, ``timeout``, ``docker stop``) ends the run as
    a Ctrl-C does: fixtures are torn down (an Appium server started for the run is stopped,
    browsers closed) and ``vneid-harness run`` writes the reports of the tests that finished,
    its verdict interrupted. By default Python dies at once, leaving those running and the
    earlier run's verdict beside this run's results. A handler someone else installed is left
    alone (``vneid-harness``'s own, :func:`harness.processes.sigterm_interrupts`, is taken
    over: it does not reach the workers); it comes back when pytest is done, unless a SIGTERM
    came (a second one kills at once)."""
    import signal
    import threading

    from harness.processes import TERMINATED, interrupting_on_sigterm

    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread() \
            or not (previous is signal.SIG_DFL or interrupting_on_sigterm(previous)):
        return

    def terminated(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM kills at once
        _forward_to_workers(config, signum)
        raise KeyboardInterrupt(TERMINATED)

    def restore() -> None:
        if signal.getsignal(signal.SIGTERM) is terminated:
            signal.signal(signal.SIGTERM, previous)

    signal.signal(signal.SIGTERM, terminated)
    config.add_cleanup(restore)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodeready(node: Any) -> None:
    """(pytest-xdist's controller) Remember each worker's pid, for :func:`_forward_to_workers`."""
    pid = getattr(getattr(getattr(getattr(node, "gateway", None), "_io", None), "popen", None),
                  "pid", None)
    if isinstance(pid, int):
        node.config.stash.setdefault(_worker_pids_key, {})[str(node.gateway.id)] = pid


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    node.config.stash.get(_worker_pids_key, {}).pop(str(node.gateway.id), None)


def _forward_to_workers(config: pytest.Config, signum: int) -> None:
    """Pass a SIGTERM the controller got on to the pytest-xdist workers still running, so
    they stop their tests and tear their fixtures down at once. Otherwise only execnet's
    shutdown reaches them: a SIGINT 5 s later, and a kill 5 s after that, which could cut an
    Appium server's or a browser's teardown short."""
    import contextlib
    import os

    for pid in config.stash.get(_worker_pids_key, {}).values():
        with contextlib.suppress(OSError):  # gone already
            os.kill(pid, signum)


def _register_allure(config: pytest.Config) -> None:
    from reports.allure_steps import AllureFlowReporter
    from reports.protocol_links import default_protocol_url, protocol_of_run

    found = protocol_of_run(config.rootpath)
    protocol_url = config.getoption(OPT_PROTOCOL_URL, None) or default_protocol_url(found)
    reporter = AllureFlowReporter(config, protocol_url=protocol_url, protocol_file=found,
                                  clause_ids=_clause_ids, clean_message=_clean_message,
                                  scrub=_scrub_for)
    config.stash[_allure_key] = reporter
    config.pluginmanager.register(reporter, ALLURE_PLUGIN)


def _allure(config: pytest.Config) -> AllureFlowReporter | None:
    return config.stash.get(_allure_key, None)


def _broken(config: pytest.Config) -> BrokenMocks:
    """``--broken-rp`` and ``--broken-vneid`` (:mod:`harness.broken_mocks`), or a usage
    error that lists the names there are."""
    from harness.broken_mocks import BrokenMocks
    from harness.errors import ConfigError

    known = config.stash.get(_broken_key, None)  # checked once (pytest_configure), not per test
    if known is not None:
        return known
    try:
        broken = BrokenMocks.parse(config.getoption(OPT_BROKEN_RP, None),
                                   config.getoption(OPT_BROKEN_VNEID, None))
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_broken_key] = broken
    return broken


def run_profile(config: pytest.Config) -> Profile:
    """The run's protocol profile: ``--protocol-profile FILE``, or PROTOCOL.md's defaults."""
    from harness.protocol import DEFAULT_PROFILE

    return config.stash.get(_profile_key, DEFAULT_PROFILE)


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


def _adopt_trace(item: pytest.Item, trace: Trace) -> None:
    traces = item.stash.setdefault(_traces_key, [])
    if any(t is trace for t in traces):
        return
    traces.append(trace)
    reporter = _allure(item.config)
    if reporter is not None:
        reporter.watch(item, trace)


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
    return [item.config.getoption(OPT_ADMIN_TOKEN, None), DEFAULT_VSSID_CLIENT_SECRET,
            DEFAULT_RP_CLIENT_SECRET, *(p.passcode for made in people for p in made),
            *(sink.known() if sink is not None else ())]


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
    ids = _clause_ids(item)
    return clean if not ids or clean.startswith(CLAUSE_PREFIX) else clause_prefix(ids) + clean


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """A failure's message names the test's clauses; its text and the captured output keep
    no secret (S-5)."""
    report = yield
    if report.when != "teardown" and item.config.getoption(OPT_VNEID_URL, None):
        _stop_when_targets_stop_answering(item, call, report)
    if report.failed or report.skipped or report.sections:
        from reports.failures import clean_report

        clean_report(report, _clause_ids(item), _adopted_traces(item), _known_secrets(item))
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


UNREACHABLE_IN_A_ROW = 3
"""After this many tests in a row that could not reach a remote target, the run stops."""
_UNREACHABLE = pytest.StashKey[int]()
_FAILURES_BEFORE = pytest.StashKey[int]()


def _stop_when_targets_stop_answering(item: pytest.Item, call: pytest.CallInfo[None],
                                      report: pytest.TestReport) -> None:
    """A target that stops answering (down, or silent until every call times out) would
    fail every remaining test, each after its timeout: stop the run after
    :data:`UNREACHABLE_IN_A_ROW` such tests instead, saying why. A test counts when it
    failed with a transport error, or failed after one of the harness's calls to a target
    failed while it ran (an app shows such a failure as a ``provider_unavailable`` screen,
    and the test then fails on that screen)."""
    import httpx

    from harness.http_client import transport_failures
    from harness.protocol.redaction import redact_secret_shapes
    from harness.protocol.text import clip
    from harness.targets import TargetUnreachable

    stash = item.config.stash
    excinfo = call.excinfo
    if report.when == "setup":
        item.stash[_FAILURES_BEFORE] = transport_failures()
    unreachable = excinfo is not None and report.failed and (
        excinfo.errisinstance((TargetUnreachable, httpx.TimeoutException, httpx.NetworkError,
                               httpx.RemoteProtocolError))  # the last: died mid-answer
        or (report.when == "call"
            and transport_failures() > item.stash.get(_FAILURES_BEFORE, transport_failures())))
    if excinfo is None or not unreachable:
        if report.when == "call":  # the test ran and the targets answered it: not in a row
            stash[_UNREACHABLE] = 0
        return
    count = stash[_UNREACHABLE] = stash.get(_UNREACHABLE, 0) + 1
    if count >= UNREACHABLE_IN_A_ROW:
        item.session.shouldstop = (
            f"the targets stopped answering: {count} tests in a row could not reach them "
            f"(last: {clip(redact_secret_shapes(str(excinfo.value)), 300)}); the run stops here")


def pytest_report_header(config: pytest.Config) -> str:
    vneid_url = config.getoption(OPT_VNEID_URL, None)
    from harness.protocol.redaction import redact_url

    vssid_url = config.getoption(OPT_VSSID_URL, None)
    where = (f"vneid={redact_url(vneid_url)} "  # a URL's password is not printed (S-5)
             f"vssid={redact_url(vssid_url) if vssid_url else 'embedded'}") \
        if vneid_url else "embedded providers"
    return (f"vneid-harness: seed={config.getoption(OPT_SEED)} "
            f"driver={config.getoption(OPT_DRIVER)} target={where}")


def _target_warnings(config: pytest.Config) -> list[str]:
    """What ``vneid-harness run`` says before the tests about remote targets whose set-up
    would fail many tests for itself (``harness.preflight.target_warnings``: an issuer other than
    the URL, another minimum app version than the run's profile; a relying party that trusts
    another issuer, which ``run`` refuses): plain pytest prints them before the tests."""
    vneid_url = config.getoption(OPT_VNEID_URL, None)
    if not vneid_url:
        return []
    from harness.conformance.plans import ALL
    from harness.errors import HarnessError
    from harness.preflight import PreflightTargets, TargetReads, preflight, target_warnings

    targets = PreflightTargets(vneid_url=vneid_url,
                               vssid_url=config.getoption(OPT_VSSID_URL, None),
                               admin_token=config.getoption(OPT_ADMIN_TOKEN, None),
                               profile=config.getoption(OPT_PROFILE, None),
                               plan=config.getoption(OPT_PLAN, None) or ALL)
    try:
        reads = TargetReads(targets.admin_token)
        problem = preflight(targets, reads=reads)
        if problem:  # the warnings' reads would wait on a target found wanting (a 5 s probe)
            config.stash[_PREFLIGHT_PROBLEM] = problem
            return [problem]
        return target_warnings(targets, reads=reads)
    except HarnessError:  # a bad profile file: pytest_configure has refused it already
        return []


_PREFLIGHT_PROBLEM = pytest.StashKey[str]()
"""What the checks before the tests found wrong with the targets (plain pytest goes on, and
says it again when the targets' set-up then fails)."""


def _clause_ids(item: pytest.Item) -> tuple[str, ...]:
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
    if plan is None or plan == "all":
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
                    return (f"{item.nodeid}: the {kind} marker takes ids as text, one argument "
                            f"each (@pytest.mark.{kind}('{next(iter(known))}', ...)), not "
                            f"{mark.args!r:.60}{' and keywords' if mark.kwargs else ''}")
                unknown = [a for a in mark.args if a not in known]
                if unknown:
                    what = "PROTOCOL.md does not have" if kind == "clause" \
                        else "is not a conformance plan"
                    return (f"{item.nodeid}: {kind} marker names {', '.join(unknown)}, which "
                            f"{what}; valid ids: {', '.join(known)}")
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
        ids = _clause_ids(item)
        if item.get_closest_marker("warning_on_failure") is not None:
            item.user_properties.append(("warning_on_failure", "yes"))
        for cid in ids:
            item.user_properties.append(("clause", cid))
            item.add_marker(pytest.mark.allure_label(cid, label_type="story"))
        if ids:  # the report's failure categories group by it (reports.allure_html), so in
            # PROTOCOL.md's order (_clause_ids): clause("S-4", "S-1") was a group beside "S-1, S-4"
            item.add_marker(pytest.mark.allure_label(", ".join(ids), label_type=CLAUSES_LABEL))
        families = dict.fromkeys(SECTIONS[cid.split("-")[0]] for cid in ids)
        for section in families:
            item.add_marker(pytest.mark.allure_label(section, label_type="epic"))
        if ids:
            weights = [CLAUSES[cid].weight for cid in ids]
            top = min(weights, key=["blocker", "critical", "normal", "minor"].index)
            item.add_marker(pytest.mark.allure_label(top, label_type="severity"))
        module = getattr(item, "module", None)
        theme = (module.__doc__ or "").strip().splitlines()[0] if module and module.__doc__ \
            else None
        if theme:
            item.add_marker(pytest.mark.allure_label(theme, label_type="feature"))


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def harness_seed(request: pytest.FixtureRequest) -> int:
    """The run's seed (``--seed``)."""
    seed: int = request.config.getoption(OPT_SEED)
    return seed


@pytest.fixture
def test_seed(request: pytest.FixtureRequest, harness_seed: int) -> str:
    """A seed for this test alone, derived from the run's seed and the test id (replayable)."""
    return f"{harness_seed}/{zlib.crc32(request.node.nodeid.encode()):08x}"


@pytest.fixture(scope="session")
def _remote_target(request: pytest.FixtureRequest) -> Iterator[Target | None]:
    config = request.config
    vneid_url = config.getoption(OPT_VNEID_URL)
    if not vneid_url:
        yield None
        return
    from harness.errors import HarnessError
    from harness.targets import remote_target

    target = remote_target(vneid_url, config.getoption(OPT_VSSID_URL),
                           admin_token=config.getoption(OPT_ADMIN_TOKEN),
                           seed=config.getoption(OPT_SEED), profile=run_profile(config))
    stage = "health"
    try:
        target.vneid.health()
        target.vssid.health()
        stage = "set-up"
        target.snapshot()
    except HarnessError as exc:  # one line for the run, not one error per test
        target.close()
        # a set-up that failed after the health checks: the cause the checks before the
        # tests found (swapped URLs) comes first; a health check says its own
        found = config.stash.get(_PREFLIGHT_PROBLEM, None) if stage == "set-up" else None
        pytest.exit(f"error: {found}; so the targets' set-up failed: {exc}" if found else
                    f"error: {exc}", returncode=pytest.ExitCode.USAGE_ERROR)
    try:
        yield target
    finally:
        try:  # the relying party under test as the run found it
            target.restore()
        except HarnessError as exc:
            import sys

            print(f"warning: could not put the relying party's configuration back as the "
                  f"run found it: {exc}", file=sys.stderr)
        target.close()


@pytest.fixture
def target(request: pytest.FixtureRequest, _remote_target: Target | None,
           test_seed: str) -> Iterator[Target]:
    """The providers under test: fresh embedded mocks per test, or the remote ones."""
    from harness.trace import Trace

    trace = Trace()  # the scenario's own calls to the providers (``vneid.client()``…)
    _adopt_trace(request.node, trace)
    if _remote_target is not None:
        from harness.errors import ConfigError

        try:  # a target that went away (TargetUnreachable) fails the test: the run stops
            # after three such tests in a row (_stop_when_targets_stop_answering)
            _remote_target.begin_test(test_seed)
        except ConfigError as exc:  # what the target lacks, it lacks for every test: once
            pytest.exit(f"error: {exc}", returncode=pytest.ExitCode.USAGE_ERROR)
        _remote_target.vneid.trace = _remote_target.vssid.trace = trace
        yield _remote_target
        _remote_target.vneid.trace = _remote_target.vssid.trace = None
        _remote_target.reset_clocks()
        return
    from harness.targets import embedded_target

    embedded = embedded_target(
        seed=test_seed, profile=run_profile(request.config),
        **_broken(request.config).embedded_target())
    embedded.vneid.trace = embedded.vssid.trace = trace
    yield embedded
    embedded.close()


@pytest.fixture
def vneid(target: Target) -> VNeIDHandle:
    """The VNeID identity provider: its control API, clients, request log."""
    return target.vneid


@pytest.fixture
def vssid(target: Target) -> VssIDHandle:
    """The VssID backend: its control API, clients, request log."""
    return target.vssid


@pytest.fixture
def personas(request: pytest.FixtureRequest, target: Target, test_seed: str) -> PersonaPool:
    """Synthetic citizens registered with the providers: ``personas.new(level=2, ...)``."""
    from harness.world import PersonaPool

    pool = PersonaPool(target, seed=test_seed, file=request.config.getoption(OPT_PERSONAS),
                       citizens=request.config.stash.get(_citizens_key, None))
    # the list, not the pool: an item outlives its test, and the pool holds the providers
    request.node.stash.setdefault(_people_key, []).append(pool.made)
    reporter = _allure(request.config)
    if reporter is not None:
        reporter.personas(request.node, pool.registered)
    return pool


@pytest.fixture
def device(request: pytest.FixtureRequest, target: Target) -> Iterator[DeviceFactory]:
    """A phone factory: ``device("ios", vssid="1.6.7", vneid="2.1.0")`` (``None``: not
    installed; by default each app at the run's profile's minimum version). The phone is
    driven by ``--driver``."""
    from harness.world import make_device

    made: list[Device] = []
    driver_name: str = request.config.getoption(OPT_DRIVER)
    runtime = None
    if driver_name != "sim":  # the session's phone server, browser, Appium (started lazily)
        from harness.drivers.pytest_ui import ui_runtime

        runtime = ui_runtime(request.config)

    def factory(platform: str = "ios", **kwargs: Any) -> Device:
        extra = sorted(set(kwargs) - {"vssid", "vneid"})
        if extra:
            from harness.errors import ConfigError

            said = "; the driver is the run's --driver" if "driver" in extra else ""
            raise ConfigError(f"device(): unknown argument(s) {', '.join(extra)}; it takes "
                              f"platform, vssid= and vneid= (versions, None: not installed){said}")
        dev = make_device(target, platform, driver=driver_name, runtime=runtime, **kwargs)
        made.append(dev)
        _adopt_trace(request.node, dev.trace)
        _report_device(request.node, dev, driver_name)
        return dev

    yield factory
    if runtime is not None:  # a failed test keeps its traces and last screens
        from harness.drivers.pytest_ui import keep_failure_artifacts

        keep_failure_artifacts(request.node, made)
    for dev in made:
        dev.close()


def _report_device(item: pytest.Item, dev: Device, driver: str) -> None:
    """Give Allure the phone's platform, driver and app versions (tags and parameters)."""
    reporter = _allure(item.config)
    if reporter is not None:
        installed = dev.phone.installed
        versions = [dev.phone.app(a).version if a in installed else None
                    for a in ("vssid", "vneid")]
        reporter.device(item, dev.platform, driver, *versions)


@pytest.fixture
def fresh_world(request: pytest.FixtureRequest,
                test_seed: str) -> Callable[..., AbstractContextManager[FreshWorld]]:
    """For a Hypothesis test, a world per example: ``with fresh_world(salt) as world:`` gives
    embedded providers (``world.target``, with the run's profile), citizens
    (``world.personas``) and simulated phones (``world.device(platform, vssid=…,
    vneid=…)``), seeded from the test's seed and ``salt`` (draw it, and an example replays
    with its own citizens), wired as the fixtures are (traces adopted, passcodes scrubbed)
    and closed at the block's end; in Allure each block is one step (``example 3: salt=17``,
    the one Hypothesis reports ``falsifying example …``) and its phones are tagged as the
    ``device`` fixture's are. Function-scoped like ``test_seed``: the test says
    ``suppress_health_check=[HealthCheck.function_scoped_fixture]``. Skipped against
    ``--vneid-url``: it builds the embedded mocks."""
    import contextlib

    from harness.targets import embedded_target
    from harness.trace import Trace
    from harness.world import FreshWorld, PersonaPool

    if request.config.getoption(OPT_VNEID_URL, None):
        pytest.skip("builds embedded mock providers for each example; this run targets "
                    "--vneid-url")

    def adopt(trace: Trace) -> None:
        _adopt_trace(request.node, trace)

    @contextlib.contextmanager
    def world(salt: object = "") -> Iterator[FreshWorld]:
        seed = f"{test_seed}/{salt}"
        reporter = _allure(request.config)  # in Allure, each example one step of its own
        with (reporter.example(request.node, "" if salt == "" else f"salt={salt!r}")
              if reporter is not None else contextlib.nullcontext()):
            target = embedded_target(
                seed=seed, profile=run_profile(request.config),
                **_broken(request.config).embedded_target())
            trace = Trace()
            adopt(trace)
            target.vneid.trace = target.vssid.trace = trace
            pool = PersonaPool(target, seed=seed)
            request.node.stash.setdefault(_people_key, []).append(pool.made)
            made = FreshWorld(target, pool, adopt,
                              on_device=lambda dev: _report_device(request.node, dev, "sim"))
            try:
                yield made
            finally:
                made.close()

    return world


@pytest.fixture
def adopt_trace(request: pytest.FixtureRequest) -> Callable[[Trace], Trace]:
    """For a trace the test made itself (a phone from ``make_device``, a backend or a target
    of its own): ``adopt_trace(trace)`` makes it count like the fixtures' traces, so its
    exchanges become the test's Allure steps and sequence diagram, its conformance evidence,
    and its secrets are scrubbed from failure text. Returns the trace."""

    from harness.errors import ConfigError
    from harness.trace import Trace

    def adopt(trace: Trace) -> Trace:
        if not isinstance(trace, Trace):
            hint = " (a phone: give phone.trace)" if isinstance(
                getattr(trace, "trace", None), Trace) else ""
            raise ConfigError(f"adopt_trace: give a harness.trace.Trace{hint}, not "
                              f"{type(trace).__name__}")
        _adopt_trace(request.node, trace)
        return trace

    return adopt


@pytest.fixture
def persona(personas: PersonaPool) -> Persona:
    """One level-2 citizen with a VssID account: the happy-path user."""
    return personas.new()


@pytest.fixture
def rp(request: pytest.FixtureRequest, target: Target,
       test_seed: str) -> Iterator[TestRelyingParty]:
    """A relying party of the harness's own, registered at the VNeID provider, for probing
    the provider directly (token endpoint, PKCE, redirect URIs); its calls are traced."""
    from harness.protocol import SeededEntropy
    from harness.rp import TestRelyingParty
    from harness.trace import Trace

    trace = Trace()
    _adopt_trace(request.node, trace)
    client = TestRelyingParty(target.vneid, target.profile, trace=trace,
                              entropy=SeededEntropy(f"{test_seed}/rp")).register()
    yield client
    client.close()
