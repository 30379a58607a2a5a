"""The plugin's options, and their checks when pytest configures (a part of
:mod:`harness.pytest_plugin`).

Every option of the group ``vneid-harness`` is added here (their names are
:mod:`harness.plugin_options`) and checked before any test, so a wrong one is a usage error
rather than a failure in every test: the checks the CLI and the runner make too come from
:mod:`harness.run_checks`, in the same words. What the options name is read once and kept on
the config: the profile file (:func:`run_profile`), the persona file's citizens
(:func:`citizens`), the deliberately broken mocks (:func:`broken_mocks`). The plugin's helper
plugins (the replay property, the Allure reporter, the UI drivers) are registered here too,
once the options are known to be right.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness import ADMIN_TOKEN_ENV
from harness.plugin_options import (
    DRIVERS,
    OPT_ADMIN_TOKEN,
    OPT_APPIUM_CAPABILITIES,
    OPT_BROKEN_RP,
    OPT_BROKEN_VNEID,
    OPT_DRIVER,
    OPT_EVIDENCE,
    OPT_LIBRARY_DEPRECATIONS,
    OPT_PERSONAS,
    OPT_PLAN,
    OPT_PROFILE,
    OPT_PROTOCOL_URL,
    OPT_REPLAY_AS,
    OPT_SEED,
    OPT_VNEID_URL,
    OPT_VSSID_URL,
)

if TYPE_CHECKING:
    from harness.broken_mocks import BrokenMocks
    from harness.personas import Persona
    from harness.protocol import Profile

__all__ = ["broken_mocks", "citizens", "run_profile"]

_broken_key: pytest.StashKey[BrokenMocks] = pytest.StashKey()
_profile_key = pytest.StashKey["Profile"]()
_citizens_key = pytest.StashKey["tuple[Persona, ...]"]()
"""The --personas file's citizens, read once when pytest configures."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("vneid-harness", "VNeID -> VssID login harness")
    group.addoption(
        OPT_SEED,
        type=int,
        default=0,
        help="seed for personas and provider randomness (replay a run with it)",
    )
    group.addoption(
        OPT_VNEID_URL,
        default=None,
        help="run against this VNeID provider (e.g. one from vneid-harness serve)",
    )
    group.addoption(
        OPT_VSSID_URL, default=None, help="run against this VssID backend (needs --vneid-url too)"
    )
    group.addoption(
        OPT_ADMIN_TOKEN,
        default=os.environ.get(ADMIN_TOKEN_ENV) or None,
        help="admin token for the providers' test-control API (S-6); default: "
        f"${ADMIN_TOKEN_ENV}, as for vneid-harness",
    )
    group.addoption(
        OPT_DRIVER,
        default="sim",
        choices=DRIVERS,
        help="how the apps are driven: sim (in-process), web (Playwright and "
        "Chromium on their web renderings), appium (Appium; docs/drivers.md)",
    )
    group.addoption(
        OPT_APPIUM_CAPABILITIES,
        default=None,
        type=_path_option,
        metavar="FILE",
        help="the appium driver's capabilities file (server, mode, locator, "
        "capabilities per platform); default: the shipped Chromium one",
    )
    group.addoption(
        OPT_PERSONAS,
        default=None,
        type=_path_option,
        help="persona file (YAML/JSON) whose citizens the personas fixture offers",
    )
    group.addoption(
        OPT_PROFILE,
        default=None,
        type=_path_option,
        metavar="FILE",
        help="profile file (YAML/JSON/TOML) of the vendor's overrides of "
        "PROTOCOL.md's defaults (versions, link schemes, hosts and paths, "
        "client id, scope, lifetimes, store links); the embedded mocks follow "
        "it too. 'vneid-harness profile default' prints every field",
    )
    group.addoption(
        OPT_PLAN,
        default=None,
        help="run only the tests of this conformance plan "
        "(vssid-relying-party, vneid-provider, all)",
    )
    group.addoption(
        OPT_BROKEN_RP,
        action="append",
        default=[],
        metavar="CHECK",
        help="make the embedded VssID mock skip this check (nonce, state, iss, "
        "acr, signature, aud, expiry, replay, transaction_expiry, "
        "redirect_uri, userinfo): a deliberately broken relying party, "
        "to see a plan catch it; repeatable",
    )
    group.addoption(
        OPT_BROKEN_VNEID,
        default=None,
        metavar="FAULT|CHECK",
        help="make the embedded VNeID mock carry this fault of its catalog "
        "(GET /_harness/faults, kind fault) on every request of every client "
        "for the whole run, or skip this check of its own (verifier, "
        "code_reuse, redirect_uri, ...: docs/conformance.md lists them): a "
        "deliberately broken provider, to see plan vneid-provider catch it",
    )
    group.addoption(
        OPT_EVIDENCE,
        action="store_true",
        default=False,
        help="attach each test's protocol steps and sequence diagram to its "
        "teardown report (vneid-harness run's conformance report reads them; "
        "they cross from pytest-xdist workers with the report)",
    )
    group.addoption(
        OPT_LIBRARY_DEPRECATIONS,
        action="store_true",
        default=False,
        help="show a DeprecationWarning or PendingDeprecationWarning instead of raising "
        "it (the other filterwarnings entries stay): vneid-harness run sets it for its "
        "own suites, where a library release deprecating a call the harness makes "
        "failed the target's clauses",
    )
    group.addoption(
        OPT_REPLAY_AS,
        default=None,
        metavar="COMMAND",
        help="the command that runs a test of this run again, followed by "
        "-k NAME in each failure's replay line (vneid-harness conformance "
        "sets it when it serves the VNeID a relying party under test trusts, "
        "which ends with the run)",
    )
    group.addoption(
        OPT_PROTOCOL_URL,
        default=None,
        metavar="URL",
        help="where the Allure link of each clause points: PROTOCOL.md's URL (the "
        "clause's anchor is appended) or a template with {clause}, {section}, "
        "{fragment}; default: the PROTOCOL.md beside the project",
    )


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
        workers = sum(
            int(count) if star and count.isascii() and count.isdigit() else 1
            for count, star, _ in counts
        )
    return workers if isinstance(workers, int) else 1


def _problems(config: pytest.Config) -> Iterator[str | None]:
    """What the run's options get wrong, in turn (``None``: that check passed), each asked
    only once the ones before it passed; the checks the CLI and the runner make too are
    :mod:`harness.run_checks`'s, in its words."""
    from harness.conformance.plans import ALL
    from harness.run_checks import (
        admin_token_env_problem,
        admin_token_problem,
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
    yield remote_workers_problem(
        _workers(config), remote, option="-n", one_process="leave out -n, or -n 0"
    )
    alluredir = config.getoption("allure_report_dir", None)  # allure-pytest's --alluredir
    if alluredir and os.path.lexists(alluredir) and not os.path.isdir(alluredir):
        yield (
            f"--alluredir {alluredir}: not a folder; give a folder (made if missing), or "
            "move what is there away"
        )  # allure-pytest's own answer is an INTERNALERROR
    for option, given in (
        (OPT_PROTOCOL_URL, config.getoption(OPT_PROTOCOL_URL, None)),
        (OPT_REPLAY_AS, config.getoption(OPT_REPLAY_AS, None)),
        ("--hypothesis-profile", config.getoption("hypothesis_profile", None)),
    ):
        empty = empty_value_problem(given)  # each fell back to its default without a word
        yield f"{option} {empty}" if empty is not None else None
    yield _hypothesis_profile_problem(config.getoption("hypothesis_profile", None))
    plan = config.getoption(OPT_PLAN, None)
    if plan is not None:
        from harness.conformance import PLANS

        yield plan_problem(plan, PLANS)
    yield vssid_without_vneid_problem(vneid_url, vssid_url)
    broken = broken_mocks(config)  # a usage error of its own for a name that is none
    # as the runner: with a plan that does not grade the mock broken, every selected test
    # passed as if nothing were (no --plan: every test, as plan all)
    yield broken.problem(plan or ALL, remote)


@pytest.hookimpl(tryfirst=True)  # before hypothesis's own pytest_configure loads the profile
def pytest_configure(config: pytest.Config) -> None:
    from harness.http_client import bypass_proxies_for_loopback, redact_http_client_logs

    bypass_proxies_for_loopback()
    redact_http_client_logs()
    problem = next((found for found in _problems(config) if found is not None), None)
    if problem is not None:
        raise pytest.UsageError(problem)
    _read_files(config)
    if config.getoption(OPT_LIBRARY_DEPRECATIONS, False):
        _show_library_deprecations(config)
    protocol_url = config.getoption(OPT_PROTOCOL_URL, None)
    if protocol_url:
        from reports.protocol_links import protocol_url_problem

        problem = protocol_url_problem(protocol_url)
        if problem is not None:
            raise pytest.UsageError(f"{OPT_PROTOCOL_URL}: {problem}")
    from harness.plugin_reports import register_reporters

    register_reporters(config)
    _register_ui(config)


def _show_library_deprecations(config: pytest.Config) -> None:
    """``filterwarnings``'s last entries (which take precedence) show deprecations instead of
    raising them, followed by its ``ignore`` entries again, which keep silencing what they
    silenced (pytest-asyncio's start-up warning; the ``-W`` option would not do: pytest
    reads its module as a literal name, and entries given there come after the file's)."""
    entries = [str(entry) for entry in config.getini("filterwarnings")]
    for entry in (
        "default::DeprecationWarning",
        "default::PendingDeprecationWarning",
        *(e for e in entries if e.strip().startswith("ignore:")),
    ):
        config.addinivalue_line("filterwarnings", entry)


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
        return (
            f"--hypothesis-profile {named!r}: choose one of "
            f"{', '.join(profiles.PROFILES)} (docs/properties.md)"
        )
    return None


def _read_files(config: pytest.Config) -> None:
    """Read the profile and persona files, once: a wrong file stops the run before any
    test, not in each."""
    from harness.errors import ConfigError, PersonaFileError

    profile_file = config.getoption(OPT_PROFILE, None)
    if profile_file is not None:
        from harness.profile_file import load_profile

        try:
            config.stash[_profile_key] = load_profile(profile_file)
        except ConfigError as exc:
            raise pytest.UsageError(f"{OPT_PROFILE}: {exc}") from None
    personas_file = config.getoption(OPT_PERSONAS, None)
    if personas_file is not None:
        from harness.personas import load_personas

        try:
            config.stash[_citizens_key] = tuple(load_personas(personas_file))
        except PersonaFileError as exc:
            raise pytest.UsageError(f"{OPT_PERSONAS}: {exc}") from None


def _register_ui(config: pytest.Config) -> None:
    """``--driver web|appium``: the UI drivers' plugin; for appium, its capabilities file
    read and a remote Appium server asked, before any test (a wrong file, or a URL where no
    Appium answers, is the run's mistake, not a clause's failure)."""
    driver = config.getoption(OPT_DRIVER, "sim")
    if driver == "appium":
        from harness.drivers.appium_config import load_capabilities
        from harness.errors import ConfigError

        try:
            capabilities = load_capabilities(config.getoption(OPT_APPIUM_CAPABILITIES, None))
            if not capabilities.local_server:
                from harness.drivers.appium_server import check_server

                check_server(
                    capabilities.server, capabilities.source, timeout=capabilities.command_timeout
                )
        except ConfigError as exc:
            raise pytest.UsageError(f"{OPT_APPIUM_CAPABILITIES}: {exc}") from None
    if driver != "sim":
        from harness.drivers.pytest_ui import register

        register(config, appium_capabilities=config.getoption(OPT_APPIUM_CAPABILITIES, None))


def broken_mocks(config: pytest.Config) -> BrokenMocks:
    """``--broken-rp`` and ``--broken-vneid`` (:mod:`harness.broken_mocks`), or a usage
    error that lists the names there are."""
    from harness.broken_mocks import BrokenMocks
    from harness.errors import ConfigError

    known = config.stash.get(_broken_key, None)  # checked once (pytest_configure), not per test
    if known is not None:
        return known
    try:
        broken = BrokenMocks.parse(
            config.getoption(OPT_BROKEN_RP, None), config.getoption(OPT_BROKEN_VNEID, None)
        )
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_broken_key] = broken
    return broken


def run_profile(config: pytest.Config) -> Profile:
    """The run's protocol profile: ``--protocol-profile FILE``, or PROTOCOL.md's defaults."""
    from harness.protocol import DEFAULT_PROFILE

    return config.stash.get(_profile_key, DEFAULT_PROFILE)


def citizens(config: pytest.Config) -> tuple[Persona, ...] | None:
    """The ``--personas`` file's citizens (``None``: no file given)."""
    return config.stash.get(_citizens_key, None)
