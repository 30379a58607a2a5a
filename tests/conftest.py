"""Settings of the harness's own tests (not of the suites under ``scenarios/``, nor of a run).

- Hypothesis without its per-example deadline. The deadline is a timed assertion: on a loaded
  CI machine an example that took over 200 ms failed a test whose code was right (seen once
  here: a persona file written and read back per example). The property suites under
  ``scenarios/`` pick their own settings (``scenarios/properties/profiles.py``), which this
  does not change.
- Ctrl-C as in a terminal: a shell without job control (``cmd &`` in a CI script, ``nohup``)
  starts pytest with SIGINT ignored, which Python then leaves ignored and every child
  inherits; the Ctrl-C tests (``tests/cli/test_interrupted_reports.py``,
  ``tests/drivers/test_playwright_teardown.py``) then failed. A handler, unlike SIG_IGN, is
  reset to the default in each child at exec. (A run of the suites started that way still
  ignores SIGINT, as the shell meant: docs/reports.md.)
- Without the variables that set a command's options (:data:`OPTION_VARIABLES`): a developer
  who exported ``VNEID_HARNESS_ADMIN_TOKEN`` for the ``serve`` in another terminal (README,
  "Serving the mock providers"), or a CI job that sets it for the whole pipeline, had every
  test that starts ``serve`` or ``run`` pass it on unasked, and ten of the 23 tests of
  ``test_cli_serve.py`` and ``test_shared_pair.py`` failed (``HTTP 403 … needs the admin
  token``). A test of such a variable sets it itself. (The ones that say where a tool is,
  ``VNEID_HARNESS_ALLURE`` and ``VNEID_HARNESS_CHROMIUM``, and the Hypothesis profile the
  suites run under, ``VNEID_HARNESS_HYPOTHESIS_PROFILE``, are kept.)
"""

import os
import signal

from hypothesis import settings

settings.register_profile("harness-tests", deadline=None)
settings.load_profile("harness-tests")

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

OPTION_VARIABLES = (
    "VNEID_HARNESS_ADMIN_TOKEN",
    "VNEID_HARNESS_PROTOCOL_URL",
    "VNEID_HARNESS_RP_CLIENT_SECRET",
)
"""The environment variables that give ``vneid-harness`` commands an option's value."""

for _name in OPTION_VARIABLES:
    os.environ.pop(_name, None)
