"""The last S-5 pass over what allure-pytest writes: every status message and trace.

allure-pytest takes some failure text straight from the exception, past the pytest report the
harness plugin scrubs: a fixture that fails to set up or tear down (the container's
``befores``/``afters``), an expected failure (``XFAIL reason`` and its exception), a skip's
reason, an ``allure.step`` block that raised. :class:`AllureResultScrubber` is an
``allure_commons`` plugin that runs before the file writer (``tryfirst``) and scrubs the
``statusDetails`` of each test result, container, fixture and step, recursively, with the
secrets of the test being run (:func:`reports.failures.scrub` through the callable it is
given). Text already scrubbed comes out the same.

Attachments too: a scenario's own ``allure.attach`` (a link from ``Phone.delivered`` with its
``code=``, a persona's passcode in JSON) reached the report as given. Once the file writer has
written an attachment (``trylast``), a text one (UTF-8, UTF-16 with a BOM, else Latin-1:
:func:`as_text`) is scrubbed the same way and written again, in its own encoding, when that
changed it; a binary one (a screenshot, a Playwright trace: :data:`BINARY_SUFFIXES`, or bytes
with a NUL) is left as it is.
The harness's own evidence (HTTP exchanges, links, diagrams: redacted where it is made) is
attached inside :func:`already_scrubbed` and not scrubbed again (some 3,600 attachments in a
``run``, 2.6 s of work).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from allure_commons import hookimpl

from harness.replay import REPLAY_SECTION

REPLAY_HEAD = f"{REPLAY_SECTION}: "
"""What starts a failure's Allure trace when the harness put its replay line there
(:func:`with_replay`)."""
REPLAY_END = "\n\n"

__all__ = ["AllureResultScrubber", "already_scrubbed", "split_replay", "with_replay"]


def with_replay(trace: str | None, replay: str) -> str:
    """A failure's Allure trace headed by its replay line (``how to replay: CMD``), in the
    error box under the message. Not in the message: the report's categories group failures
    by message, and the line names the test, so each failure was a group of its own."""
    return f"{REPLAY_HEAD}{replay}{REPLAY_END}{trace or ''}"


def split_replay(text: str) -> tuple[str, str]:
    """``text`` as the replay head :func:`with_replay` put there (``""`` when none) and the
    rest."""
    if not text.startswith(REPLAY_HEAD) or REPLAY_END not in text:
        return "", text
    head, end, rest = text.partition(REPLAY_END)
    return head + end, rest


_state = threading.local()


@contextmanager
def already_scrubbed() -> Iterator[None]:
    """Attachments made in the block (in this thread) are the harness's own, redacted where
    they were made: :class:`AllureResultScrubber` leaves them as they are."""
    before = getattr(_state, "trusted", False)
    _state.trusted = True
    try:
        yield
    finally:
        _state.trusted = before


BINARY_SUFFIXES = frozenset(
    {
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".webp",
        ".bmp",
        ".ico",
        ".zip",
        ".gz",
        ".tgz",
        ".webm",
        ".mp4",
        ".pdf",
        ".woff",
        ".woff2",
    }
)
"""Attachments kept as they are: images, Playwright traces, videos."""


def as_text(data: bytes | str) -> tuple[str | None, str]:
    """An attachment's text and the encoding that gives its bytes back (``None``: binary).
    UTF-8 (with or without a BOM) and UTF-16 with a BOM are read as such; other bytes
    without a NUL as Latin-1 (a log in a legacy encoding: every byte a character, and the
    secrets it may hold are ASCII); bytes with a NUL are binary. A Latin-1 log with one
    ``é`` in it, or UTF-16 text, was kept unscrubbed, code and passcode in the clear."""
    if isinstance(data, str):
        return data, "utf-8"
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        if b"\x00" in data:
            return None, encoding
        return data.decode("latin-1"), "latin-1"


class AllureResultScrubber:
    """Scrubs results and containers as allure-pytest hands them to its writer."""

    def __init__(self, scrub: Callable[[str], str], results: Path | None = None) -> None:
        self._scrub = scrub
        self._results = results
        """allure-pytest's results folder (``--alluredir``), where attachments are written."""

    @hookimpl(tryfirst=True)
    def report_result(self, result: Any) -> None:
        self._clean(result)

    @hookimpl(tryfirst=True)
    def report_container(self, container: Any) -> None:
        for fixture in [*(container.befores or ()), *(container.afters or ())]:
            self._clean(fixture)

    @hookimpl(trylast=True)
    def report_attached_data(self, body: bytes | str, file_name: str) -> None:
        self._clean_attachment(body, file_name)

    @hookimpl(trylast=True)
    def report_attached_file(self, source: str, file_name: str) -> None:
        self._clean_attachment(None, file_name)

    def _clean_attachment(self, body: bytes | str | None, file_name: str) -> None:
        """The attachment ``file_name`` as written, scrubbed if it is text (``body``: what
        was attached, ``None`` for a file, read back)."""
        if self._results is None or getattr(_state, "trusted", False):
            return
        path = self._results / file_name
        if path.suffix.lower() in BINARY_SUFFIXES:
            return
        try:
            data = path.read_bytes() if body is None else body
        except OSError:  # not written here
            return
        text, encoding = as_text(data)
        if text is None:
            return
        try:
            clean = self._scrub(text)
            if clean == text:
                return
            try:
                data = clean.encode(encoding)
            except UnicodeEncodeError:  # the scrub decoded %-escapes into other characters
                data = clean.encode("utf-8")
        except Exception:  # never fail the test, never keep the secret: the attachment goes
            path.unlink(missing_ok=True)
            return
        partial = path.with_name(f"{path.name}.scrub.tmp")
        try:
            partial.write_bytes(data)
            os.replace(partial, path)
        except OSError:
            partial.unlink(missing_ok=True)
            path.unlink(missing_ok=True)  # never keep the secret: the attachment goes

    def _clean(self, executable: Any) -> None:
        details = getattr(executable, "statusDetails", None)
        if details is not None:
            for name in ("message", "trace"):
                text = getattr(details, name, None)
                if isinstance(text, str) and text:
                    # the replay line heading the trace holds no secret, and its test id
                    # must stay as it is to be pasted (allure_steps)
                    replay, text = split_replay(text) if name == "trace" else ("", text)
                    setattr(details, name, replay + self._scrub(text))
        for step in getattr(executable, "steps", None) or ():
            self._clean(step)
