"""The vneid-harness pytest plugin, registered once by the ``pytest11`` entry point.

This module is its index: the plugin is made of parts, each a module named for what it does
and registered as a plugin of its own when pytest loads this one (:data:`PARTS`), so that
pytest finds their hooks and fixtures (in pytest-xdist's workers too), and ``-p
no:vneid_harness`` leaves all of them out. What a run gets, each listed where it is kept up
to date rather than here:

- **options** of the group ``vneid-harness`` (``pytest --help`` says what each does; their
  names are :mod:`harness.plugin_options`), added and checked when pytest configures, so a
  wrong one is a usage error before any test: :mod:`harness.plugin_config` (the checks the
  CLI and the runner make too are :mod:`harness.run_checks`'s, in the same words);
- **markers** ``clause(*ids)`` (PROTOCOL.md's clause ids, checked at collection), ``plan(*names)``
  (``--plan`` keeps only its tests) and ``warning_on_failure``, and the labels each test
  gets from them: :mod:`harness.plugin_markers`;
- **fixtures**, the public ones in README.md's "Writing scenarios" (``target``, ``vneid``,
  ``vssid``, ``personas``, ``persona``, ``device``, ``rp``, ``fresh_world``, ``adopt_trace``,
  and the seeds ``harness_seed`` and ``test_seed``): :mod:`harness.plugin_fixtures`;
- **reports**: each test's traces (:func:`item_traces`), failure text that names the clauses
  and keeps no secret, the replay line, the evidence, the Allure reporter:
  :mod:`harness.plugin_reports`;
- **remote targets** (``--vneid-url``): the checks before the tests, the session's set-up,
  a stop when the targets stop answering: :mod:`harness.plugin_remote`;
- **Ctrl-C and SIGTERM** that end a run cleanly, in pytest-xdist's workers too:
  :mod:`harness.plugin_signals`;
- **pytest-timeout's time limits** where pytest's terminal is off (``vneid-harness run``):
  :mod:`harness.plugin_timeout`.

The plugin is a front end, as the CLI is: neither the reporters nor the engine import any of
its parts (``tests/test_layering.py``).
"""

from __future__ import annotations

from types import ModuleType

import pytest

from harness import (
    plugin_config,
    plugin_fixtures,
    plugin_markers,
    plugin_remote,
    plugin_reports,
    plugin_signals,
    plugin_timeout,
)
from harness.plugin_config import run_profile
from harness.plugin_options import (
    OPT_ADMIN_TOKEN,
    OPT_APPIUM_CAPABILITIES,
    OPT_BROKEN_RP,
    OPT_BROKEN_VNEID,
    OPT_DRIVER,
    OPT_PERSONAS,
    OPT_PLAN,
    OPT_PROFILE,
    OPT_PROTOCOL_URL,
    OPT_SEED,
    OPT_VNEID_URL,
    OPT_VSSID_URL,
)
from harness.plugin_reports import item_traces

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
    "PARTS",
    "item_traces",
    "run_profile",
]

PARTS: tuple[ModuleType, ...] = (
    plugin_config,
    plugin_markers,
    plugin_reports,
    plugin_signals,
    plugin_timeout,
    plugin_remote,
    plugin_fixtures,
)
"""The plugin's parts, registered in this order, each under its module's name (``-p
no:harness.plugin_remote`` leaves one out). Where two parts implement one hook with the same
priority the order counts: ``pytest_sessionstart`` (both ``trylast``) sets up the signal
handling (:mod:`harness.plugin_signals`) before the remote targets' checks, which may wait
seconds on a target (:mod:`harness.plugin_remote`)."""


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """Register the plugin's parts (:data:`PARTS`): pytest calls this as it loads the plugin,
    and calls the parts' own ``pytest_addoption`` (the options) as each is registered. Not
    ``pytest_plugins``: that marks each part for assertion rewriting, and pytest warns of a
    part already imported (by this module) that it cannot rewrite."""
    for part in PARTS:
        if pluginmanager.get_plugin(part.__name__) is None:  # (-p no:NAME: not registered)
            pluginmanager.register(part, part.__name__)
