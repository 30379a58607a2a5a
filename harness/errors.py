"""The error root of the harness engine.

Hierarchy (the classes defined elsewhere are named by their module)::

    HarnessError            misuse or failure of the harness itself (not a protocol refusal)
    ├── ConfigError         bad options, files or targets: the message says what to change
    ├── NoSuchElement       a screen has no element of that id (also a ``KeyError``)
    │   └── ErrorScreenInstead
    │                       …because the app stopped on an error screen (also an
    │                       ``AssertionError``: the target's failure, not the test's)
    ├── PersonaFileError    a persona file that cannot be read or does not validate
    ├── targets.TargetUnreachable
    │                       a provider under test did not answer (down, refusing, silent)
    ├── targets.ControlError
    │                       a test-control API call was refused (carries the §8 error body)
    └── reports.errors.ReportError
        │                   a report cannot be read, made or written
        ├── reports.browser.BrowserMissing
        │                   no Chromium to drive (a report's screenshot or check)
        └── reports.allure_html.AllureToolMissing
                            no usable ``allure`` executable (or no ``node`` to run it)

A ``vneid-harness`` command that stops on one prints it as one line and exits 2 (README.md,
"Exit status"). Protocol refusals are :class:`harness.protocol.ProtocolError`; they carry a §8 code
and clause.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ErrorScreenInstead",
    "HarnessError",
    "NoSuchElement",
    "PersonaFileError",
    "parse_problem",
]


class HarnessError(Exception):
    """Root of the harness's own errors."""


class ConfigError(HarnessError):
    """An option, file or target is wrong; the message says what to change."""


class NoSuchElement(HarnessError, KeyError):
    """A screen has no element of the id asked for; the message lists the ones present.
    Also a ``KeyError``, as a lookup by id (``Screen.element``) raised before."""

    def __str__(self) -> str:  # not KeyError's quoted form
        return str(self.args[0]) if self.args else ""


class ErrorScreenInstead(NoSuchElement, AssertionError):
    """The element is missing because the app stopped on an error screen where the test
    expected the screen with it: the target refused or failed a step before, which is the
    check failing, not the test or the harness. An ``AssertionError`` too, so reports file
    it as a failure (Allure: *failed*, under the clause's category), not as a test error
    (*broken*), which a vendor reads as the harness's fault."""


class PersonaFileError(HarnessError):
    """A persona file cannot be read, parsed or validated; nothing stored was changed."""


def parse_problem(error: BaseException | str, limit: int = 600) -> str:
    """A YAML or JSON parser's complaint on one line, with the line and column of the file
    where the parser gives them: PyYAML's own text spans four lines and names the line of
    ``"<unicode string>"``."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or getattr(error, "context", None)
    if mark is not None and problem:
        text = f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    elif isinstance(error, ValueError):  # a TOML integer of 5,000 digits: Python's advice
        from harness.protocol.strict_json import json_error_text

        text = json_error_text(error)
    else:
        text = str(error)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
