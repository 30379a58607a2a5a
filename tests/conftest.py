"""The harness's own tests: Hypothesis without its per-example deadline. The deadline is a
timed assertion: on a loaded CI machine an example that took over 200 ms failed a test whose
code was right (seen once here: a persona file written and read back per example). The
property suites under ``scenarios/`` pick their own settings (``scenarios/properties/profiles.py``),
which this does not change."""

from hypothesis import settings

settings.register_profile("harness-tests", deadline=None)
settings.load_profile("harness-tests")
