"""Remote targets (``--vneid-url``, ``--vssid-url``) in plain pytest (a part of
:mod:`harness.pytest_plugin`).

The checks ``vneid-harness run`` makes before its tests are made here too
(:mod:`harness.preflight`), and their findings printed before the tests; the targets are
set up once for the session (their health checked, the relying party's configuration kept
and put back at the end) by the ``_remote_target`` fixture, which the ``target`` fixture
hands out; a run whose targets stop answering stops after :data:`UNREACHABLE_IN_A_ROW` tests
in a row that could not reach them. The report header says which providers the run tests.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from harness.plugin_config import run_profile
from harness.plugin_options import (
    OPT_ADMIN_TOKEN,
    OPT_DRIVER,
    OPT_PLAN,
    OPT_PROFILE,
    OPT_SEED,
    OPT_VNEID_URL,
    OPT_VSSID_URL,
)

if TYPE_CHECKING:
    from harness.lease import TargetLeases
    from harness.targets import Target

__all__ = ["UNREACHABLE_IN_A_ROW"]

_PREFLIGHT_PROBLEM = pytest.StashKey[str]()
"""What the checks before the tests found wrong with the targets: refused once the tests are
collected, if one of them uses the targets (a pytest-xdist worker says it again when the
targets' set-up then fails)."""


@pytest.hookimpl(trylast=True)  # after the plugin's signal handling (harness.plugin_signals)
def pytest_sessionstart(session: pytest.Session) -> None:
    """The pre-run warnings of remote targets, before the tests (with ``-q`` too)."""
    # not without a terminal: vneid-harness run (-p no:terminal) made the checks before
    # starting pytest, and the targets are not probed a second time
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None and not hasattr(session.config, "workerinput"):
        for said in _target_warnings(session.config):
            _warn(session.config, said)


def _warn(config: pytest.Config, said: str) -> None:
    """A ``vneid-harness warning: …`` line on the terminal (with ``-q`` too)."""
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None:
        terminal.write_line(f"vneid-harness warning: {said}", yellow=True)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Targets the checks before the tests found wanting (a token-protected control API and
    no ``--admin-token``, a provider that does not answer) are a usage error (4) before the
    first test, as ``vneid-harness run`` refuses them (2): the targets' set-up stopped the
    run at the first test that used them, after the tests before it had passed, with
    pytest.exit's ``! _pytest.outcomes.Exit: …`` line. Selected tests that use no target
    run, and the problem is a warning."""
    problem = session.config.stash.get(_PREFLIGHT_PROBLEM, None)
    uses_targets = not session.config.option.collectonly and any(
        "_remote_target" in getattr(item, "fixturenames", ()) for item in session.items
    )
    if problem is not None and uses_targets:
        raise pytest.UsageError(f"{problem} (no test ran)")
    if problem is not None:
        _warn(session.config, problem)
    elif uses_targets and session.config.getoption(OPT_VNEID_URL, None):
        _take_leases(session)


def pytest_report_header(config: pytest.Config) -> str:
    vneid_url = config.getoption(OPT_VNEID_URL, None)
    from harness.protocol.redaction import redact_url

    vssid_url = config.getoption(OPT_VSSID_URL, None)
    where = (
        (
            f"vneid={redact_url(vneid_url)} "  # a URL's password is not printed (S-5)
            f"vssid={redact_url(vssid_url) if vssid_url else 'embedded'}"
        )
        if vneid_url
        else "embedded providers"
    )
    return (
        f"vneid-harness: seed={config.getoption(OPT_SEED)} "
        f"driver={config.getoption(OPT_DRIVER)} target={where}"
    )


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

    targets = PreflightTargets(
        vneid_url=vneid_url,
        vssid_url=config.getoption(OPT_VSSID_URL, None),
        admin_token=config.getoption(OPT_ADMIN_TOKEN, None),
        profile=config.getoption(OPT_PROFILE, None),
        plan=config.getoption(OPT_PLAN, None) or ALL,
    )
    try:
        reads = TargetReads(targets.admin_token)
        problem = preflight(targets, reads=reads)
        if problem:  # the warnings' reads would wait on a target found wanting (a 5 s probe)
            config.stash[_PREFLIGHT_PROBLEM] = problem  # said once the tests are collected
            return []
        return target_warnings(targets, reads=reads)
    except HarnessError:  # a bad profile file: pytest_configure has refused it already
        return []


@pytest.fixture(scope="session")
def _remote_target(request: pytest.FixtureRequest) -> Iterator[Target | None]:
    config = request.config
    vneid_url = config.getoption(OPT_VNEID_URL)
    if not vneid_url:
        yield None
        return
    from harness.errors import HarnessError
    from harness.targets import remote_target

    target = remote_target(
        vneid_url,
        config.getoption(OPT_VSSID_URL),
        admin_token=config.getoption(OPT_ADMIN_TOKEN),
        seed=config.getoption(OPT_SEED),
        profile=run_profile(config),
    )
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
        pytest.exit(
            f"error: {found}; so the targets' set-up failed: {exc}" if found else f"error: {exc}",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )
    try:
        yield target
    finally:
        try:  # the relying party under test as the run found it
            target.restore()
        except HarnessError as exc:
            print(
                f"warning: could not put the relying party's configuration back as the "
                f"run found it: {exc}",
                file=sys.stderr,
            )
        target.close()


_LEASES: pytest.StashKey[TargetLeases] = pytest.StashKey()
"""The leases this session holds (:mod:`harness.lease`), from its collection to its end."""


def _take_leases(session: pytest.Session) -> None:
    """Hold the providers reached over HTTP for this session (:mod:`harness.lease`), before
    its first test: another user's hold is a usage error with no test run (taken at the
    first test that used a target, a lease another took meanwhile stopped the run in its
    middle, with a partial verdict). Released at the session's end."""
    from harness.lease import LeaseRefused, LeaseTarget, TargetLeases, holder_text
    from harness.protocol.redaction import redact_url

    config = session.config
    token = config.getoption(OPT_ADMIN_TOKEN, None)
    urls = (
        ("VNeID target", config.getoption(OPT_VNEID_URL, None)),
        ("VssID target", config.getoption(OPT_VSSID_URL, None)),
    )
    leases = TargetLeases(
        [LeaseTarget(name, url.rstrip("/"), redact_url(url), token) for name, url in urls if url],
        holder_text(_command()),
    )
    try:
        warnings = leases.acquire()
    except LeaseRefused as exc:
        raise pytest.UsageError(f"{exc} (no test ran)") from None
    config.stash[_LEASES] = leases
    for said in warnings:
        _warn_anywhere(config, said)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Release the leases, after the tests and the targets' teardown (the relying party's
    configuration put back)."""
    leases = session.config.stash.get(_LEASES, None)
    if leases is None:
        return
    del session.config.stash[_LEASES]
    leases.release()
    for said in leases.lost:
        _warn_anywhere(session.config, said)


def _command() -> str:
    """The command this run was started with, as another user is shown it: its name only,
    never its options (an admin token may be among them)."""
    name = os.path.basename(sys.argv[0]) if sys.argv else ""
    if name in ("", "__main__.py", "-c"):
        return "pytest"
    if name == "vneid-harness" and len(sys.argv) > 1 and sys.argv[1].isalpha():
        return f"vneid-harness {sys.argv[1]}"
    return name[:40]


def _warn_anywhere(config: pytest.Config, said: str) -> None:
    """A warning on pytest's terminal, or on standard error where there is none
    (``vneid-harness run`` runs pytest without it), past pytest's capture (at the end of
    collection and of the session, the leases' warnings would be kept out of sight)."""
    import contextlib

    capture = config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        if config.pluginmanager.get_plugin("terminalreporter") is not None:
            _warn(config, said)
        else:
            print(f"vneid-harness warning: {said}", file=sys.stderr)


UNREACHABLE_IN_A_ROW = 3
"""After this many tests in a row that could not reach a remote target, the run stops."""
_UNREACHABLE = pytest.StashKey[int]()
_FAILURES_BEFORE = pytest.StashKey[int]()


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    """Against remote targets, the run stops when they stop answering."""
    report = yield
    if report.when != "teardown" and item.config.getoption(OPT_VNEID_URL, None):
        _stop_when_targets_stop_answering(item, call, report)
    return report


def _stop_when_targets_stop_answering(
    item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport
) -> None:
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
    unreachable = (
        excinfo is not None
        and report.failed
        and (
            excinfo.errisinstance(
                (
                    TargetUnreachable,
                    httpx.TimeoutException,
                    httpx.NetworkError,
                    httpx.RemoteProtocolError,
                )
            )  # the last: died mid-answer
            or (
                report.when == "call"
                and transport_failures() > item.stash.get(_FAILURES_BEFORE, transport_failures())
            )
        )
    )
    if excinfo is None or not unreachable:
        if report.when == "call":  # the test ran and the targets answered it: not in a row
            stash[_UNREACHABLE] = 0
        return
    count = stash[_UNREACHABLE] = stash.get(_UNREACHABLE, 0) + 1
    if count >= UNREACHABLE_IN_A_ROW:
        item.session.shouldstop = (
            f"the targets stopped answering: {count} tests in a row could not reach them "
            f"(last: {clip(redact_secret_shapes(str(excinfo.value)), 300)}); the run stops here"
        )
