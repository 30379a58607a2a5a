"""The last S-5 pass over what allure-pytest writes: every status message and trace.

allure-pytest takes some failure text straight from the exception, past the pytest report the
harness plugin scrubs: a fixture that fails to set up or tear down (the container's
``befores``/``afters``), an expected failure (``XFAIL reason`` and its exception), a skip's
reason, an ``allure.step`` block that raised. :class:`AllureResultScrubber` is an
``allure_commons`` plugin that runs before the file writer (``tryfirst``) and scrubs the
``statusDetails`` of each test result, container, fixture and step, recursively, with the
secrets of the test being run (:func:`reports.failures.scrub` through the callable it is
given). Text already scrubbed comes out the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allure_commons import hookimpl

__all__ = ["AllureResultScrubber"]


class AllureResultScrubber:
    """Scrubs results and containers as allure-pytest hands them to its writer."""

    def __init__(self, scrub: Callable[[str], str]) -> None:
        self._scrub = scrub

    @hookimpl(tryfirst=True)
    def report_result(self, result: Any) -> None:
        self._clean(result)

    @hookimpl(tryfirst=True)
    def report_container(self, container: Any) -> None:
        for fixture in [*(container.befores or ()), *(container.afters or ())]:
            self._clean(fixture)

    def _clean(self, executable: Any) -> None:
        details = getattr(executable, "statusDetails", None)
        if details is not None:
            for name in ("message", "trace"):
                text = getattr(details, name, None)
                if isinstance(text, str) and text:
                    setattr(details, name, self._scrub(text))
        for step in getattr(executable, "steps", None) or ():
            self._clean(step)
