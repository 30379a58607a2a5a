"""The names the harness's pytest plugin answers to, as constants and nothing else.

The plugin (:mod:`harness.pytest_plugin`) adds these options and registers its helper
plugins under these names; the replay line (:mod:`harness.replay`) gives the options again,
and the reporters (:mod:`reports`) read the labels the plugin writes. A module of constants
only, which imports nothing, so that a reporter can name them without importing the plugin,
a front end of the engine (``tests/test_layering.py``).
"""

from __future__ import annotations

__all__ = [
    "ALLURE_PLUGIN",
    "CLAUSES_LABEL",
    "DRIVERS",
    "OPT_ADMIN_TOKEN",
    "OPT_APPIUM_CAPABILITIES",
    "OPT_BROKEN_RP",
    "OPT_BROKEN_VNEID",
    "OPT_DRIVER",
    "OPT_EVIDENCE",
    "OPT_LIBRARY_DEPRECATIONS",
    "OPT_PERSONAS",
    "OPT_PLAN",
    "OPT_PROFILE",
    "OPT_PROTOCOL_URL",
    "OPT_REPLAY_AS",
    "OPT_SEED",
    "OPT_VNEID_URL",
    "OPT_VSSID_URL",
    "REPLAY_PROPERTY_PLUGIN",
]

# -- the options (group ``vneid-harness``; ``pytest --help`` says what each does) ------------
OPT_SEED = "--seed"
OPT_VNEID_URL = "--vneid-url"
OPT_VSSID_URL = "--vssid-url"
OPT_ADMIN_TOKEN = "--admin-token"
OPT_DRIVER = "--driver"
OPT_APPIUM_CAPABILITIES = "--appium-capabilities"
OPT_PERSONAS = "--personas"
OPT_PROFILE = "--protocol-profile"
OPT_PLAN = "--plan"
OPT_BROKEN_RP = "--broken-rp"  # harness.broken_mocks's BROKEN_RP and BROKEN_VNEID
OPT_BROKEN_VNEID = "--broken-vneid"
OPT_EVIDENCE = "--evidence"
OPT_LIBRARY_DEPRECATIONS = "--library-deprecations-shown"
OPT_REPLAY_AS = "--replay-as"
OPT_PROTOCOL_URL = "--protocol-url"
DRIVERS = ("sim", "web", "appium")
"""The choices of ``--driver``."""

# -- the plugin's helper plugins, by the name each is registered under ------------------------
ALLURE_PLUGIN = "vneid-harness-allure"
"""The Allure reporter (:class:`reports.allure_steps.AllureFlowReporter`), registered only
when allure-pytest writes results (``--alluredir``)."""
REPLAY_PROPERTY_PLUGIN = "vneid-harness-replay-property"
"""The plugin that gives a failed test's replay line to JUnit XML, as the property
``replay`` (:class:`harness.replay._ReplayProperty`)."""

# -- what the plugin writes for the reports -----------------------------------------------------
CLAUSES_LABEL = "clauses"
"""The Allure label each test gets: the clauses it checks as one value, in PROTOCOL.md's
order (``R-9, R-11``). The report's failure categories group by it
(:data:`reports.allure_html.CATEGORIES`), and the stories of a result follow its order
(:class:`reports.allure_steps.OrderedLabels`)."""
