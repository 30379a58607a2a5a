"""The root of the reports package's errors (itself a :class:`harness.errors.HarnessError`,
which the CLI turns into one line and exit 2)."""

from __future__ import annotations

from harness.errors import HarnessError

__all__ = ["ReportError"]


class ReportError(HarnessError):
    """A report could not be made (a verdict file that is not one, no Allure results, a folder
    in the way, no browser to check a page in); the message says why and what to do."""
