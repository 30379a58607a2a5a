"""pytest-timeout's time limits where pytest's terminal is off (a part of
:mod:`harness.pytest_plugin`).

``vneid-harness run`` and ``conformance`` run pytest without its terminal (``-p
no:terminal``: the run shows its own progress). pytest-timeout, installed beside the harness
in a team's virtualenv, writes the stacks of a test out of time through that terminal, and
pytest's ``Config.get_terminal_writer`` asserts there is one: under ``run`` its ``signal``
method failed the test with a bare ``AssertionError``, and its ``thread`` method did nothing
at all (the assertion ended its timer thread, the test ran on past its limit). A review of
the harness beside a team's plugins found it.

pytest-timeout lets another plugin set and cancel its timers (its hooks
``pytest_timeout_set_timer`` and ``pytest_timeout_cancel_timer``, made for that). Where
there is no terminal, this part does, the same two ways, writing the stacks to standard
error: ``signal`` fails the test (``Timeout (>5.0s) from pytest-timeout.``, its own words)
and the run goes on, ``thread`` ends the process as pytest-timeout does. Where there is a
terminal (plain ``pytest``) pytest-timeout keeps its own timers. Without pytest-timeout
these hooks are never called.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

import pytest

__all__: list[str] = []

_CANCEL = pytest.StashKey[Callable[[], None]]()
_SAID_NAN = pytest.StashKey[bool]()
FAILURE_MESSAGE = "Timeout (>%ss) from pytest-timeout."
"""pytest-timeout's own failure message (``PYTEST_FAILURE_MESSAGE``)."""


def _terminal_off(item: pytest.Item) -> bool:
    return item.config.pluginmanager.get_plugin("terminalreporter") is None


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool | None:
    """The test's timer when pytest's terminal is off (``None``: pytest-timeout's own)."""
    if not _terminal_off(item):
        return None
    timeout = float(settings.timeout)
    if not timeout < threading.TIMEOUT_MAX:
        # ``--timeout inf`` (or 1e20, about 3e12 years): a limit no clock reaches is none,
        # and setitimer and Timer raise OverflowError for it (an INTERNALERROR that ended
        # the run); NaN (``--timeout nan``, which pytest-timeout's float() reads) raised
        # ValueError, and the thread method's timer fired at once and ended the process
        if math.isnan(timeout) and not item.config.stash.get(_SAID_NAN, False):
            item.config.stash[_SAID_NAN] = True  # once a run, not once a test
            sys.stderr.write(
                f"vneid-harness: pytest-timeout's timeout for {item.nodeid} is nan, not a "
                "number of seconds: it runs without a time limit (and so does every other "
                "test given nan). Give --timeout (or the timeout marker) a positive number "
                "of seconds, or 0 for none\n"
            )
        item.stash[_CANCEL] = lambda: None
        return True
    if settings.method == "signal" and threading.current_thread() is threading.main_thread():

        def out_of_time(signum: int, frame: Any) -> None:
            __tracebackhide__ = True
            _write_stacks("Timeout")
            pytest.fail(FAILURE_MESSAGE % settings.timeout)

        previous = signal.signal(signal.SIGALRM, out_of_time)
        signal.setitimer(signal.ITIMER_REAL, timeout)

        def cancel() -> None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    else:  # "thread" (pytest-timeout's choice too for a test off the main thread)
        timer = threading.Timer(timeout, _end_process, (item,))
        timer.name = f"vneid-harness timeout {item.nodeid}"
        timer.daemon = True
        timer.start()

        def cancel() -> None:
            timer.cancel()
            timer.join()

    item.stash[_CANCEL] = cancel
    return True


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_timeout_cancel_timer(item: pytest.Item) -> bool | None:
    """Cancel the timer set above (``None``: none was; pytest-timeout's own, if any)."""
    cancel = item.stash.get(_CANCEL, None)
    if cancel is None:
        return None
    del item.stash[_CANCEL]
    cancel()
    return True


def _end_process(item: pytest.Item) -> None:
    """The ``thread`` method's end, as pytest-timeout's: what the test printed, the stacks,
    and ``os._exit(1)`` (the results written so far stay: ``results.jsonl``)."""
    try:
        capture = item.config.pluginmanager.get_plugin("capturemanager")
        if capture is not None:
            capture.suspend_global_capture(item)
            out, err = capture.read_global_capture()
            for title, text in (("Captured stdout", out), ("Captured stderr", err)):
                if text:
                    sys.stderr.write(f"{' ' + title + ' ':~^78}\n{text}")
        _write_stacks(f"Timeout: {item.nodeid} (thread method: the process ends)")
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)


def _write_stacks(title: str) -> None:
    """The stacks of every other thread, on standard error (the run's console)."""
    here = threading.get_ident()
    names = {t.ident: t.name for t in threading.enumerate()}
    lines = [f"{' ' + title + ' ':+^78}\n"]
    for ident, frame in sys._current_frames().items():
        if ident == here:
            continue
        lines.append(f"{' Stack of ' + names.get(ident, '<unknown>') + ' ':~^78}\n")
        lines.extend(traceback.format_stack(frame))
    sys.stderr.write("".join(lines))
    sys.stderr.flush()
