"""Stopping a run cleanly: Ctrl-C and SIGTERM (a part of :mod:`harness.pytest_plugin`).

A Ctrl-C that Python would ignore (one landing in a garbage-collector callback) is raised
again; a SIGTERM ends the run as a Ctrl-C does, fixtures torn down, and reaches the
pytest-xdist workers at once.
"""

from __future__ import annotations

from typing import Any

import pytest

__all__: list[str] = []

_worker_pids_key = pytest.StashKey["dict[str, int]"]()
"""(pytest-xdist's controller) each running worker's pid, by its gateway id."""


@pytest.hookimpl(trylast=True)  # around pytest's own hook, set while it configured
def pytest_sessionstart(session: pytest.Session) -> None:
    """A Ctrl-C that lands in a garbage-collector callback or a ``__del__`` (Hypothesis
    measures its collections with one) is "ignored" by Python, handed to
    ``sys.unraisablehook`` and, by pytest, turned into a warning at most: the run went on, or
    ended in an unrelated failure. It is raised again on the main thread, with its reason (a
    SIGTERM's), through SIGINT's handler, set for the purpose: a run started as a background
    job of a script has SIGINT ignored, and the SIGTERM forwarded to a pytest-xdist worker
    busy in a Hypothesis test was lost there (the worker ran on until execnet killed it, 10 s
    later; a docs walkthrough)."""
    import sys

    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            import _thread
            import signal
            import threading

            reason = str(unraisable.exc_value)
            before = signal.getsignal(signal.SIGINT)
            if threading.current_thread() is threading.main_thread() and not getattr(
                before, "_raises_again", False
            ):  # one at a time

                def again(signum: int, frame: object) -> None:
                    signal.signal(
                        signal.SIGINT, before if before is not None else signal.default_int_handler
                    )
                    raise KeyboardInterrupt(*([reason] if reason else []))

                again._raises_again = True  # type: ignore[attr-defined]
                signal.signal(signal.SIGINT, again)
            # from another thread, a moment later: raised inside this hook, Python would
            # ignore it again
            threading.Timer(0.05, _thread.interrupt_main).start()
            return
        previous(unraisable)

    sys.unraisablehook = hook
    session.config.add_cleanup(lambda: setattr(sys, "unraisablehook", previous))
    _stop_on_sigterm(session.config)


def _stop_on_sigterm(config: pytest.Config) -> None:
    """SIGTERM (a CI job cancelled or timed out, ``timeout``, ``docker stop``) ends the run as
    a Ctrl-C does: fixtures are torn down (an Appium server started for the run is stopped,
    browsers closed) and ``vneid-harness run`` writes the reports of the tests that finished,
    its verdict interrupted. By default Python dies at once, leaving those running and the
    earlier run's verdict beside this run's results. A handler someone else installed is left
    alone (``vneid-harness``'s own, :func:`harness.processes.sigterm_interrupts`, is taken
    over: it does not reach the workers); it comes back when pytest is done, unless a SIGTERM
    came (a second one kills at once)."""
    import signal
    import threading

    from harness.processes import TERMINATED, interrupting_on_sigterm

    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread() or not (
        previous is signal.SIG_DFL or interrupting_on_sigterm(previous)
    ):
        return

    def terminated(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM kills at once
        _forward_to_workers(config, signum)
        raise KeyboardInterrupt(TERMINATED)

    def restore() -> None:
        if signal.getsignal(signal.SIGTERM) is terminated:
            signal.signal(signal.SIGTERM, previous)

    signal.signal(signal.SIGTERM, terminated)
    config.add_cleanup(restore)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodeready(node: Any) -> None:
    """(pytest-xdist's controller) Remember each worker's pid, for :func:`_forward_to_workers`."""
    pid = getattr(
        getattr(getattr(getattr(node, "gateway", None), "_io", None), "popen", None), "pid", None
    )
    if isinstance(pid, int):
        node.config.stash.setdefault(_worker_pids_key, {})[str(node.gateway.id)] = pid


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    node.config.stash.get(_worker_pids_key, {}).pop(str(node.gateway.id), None)


def _forward_to_workers(config: pytest.Config, signum: int) -> None:
    """Pass a SIGTERM the controller got on to the pytest-xdist workers still running, so
    they stop their tests and tear their fixtures down at once. Otherwise only execnet's
    shutdown reaches them: a SIGINT 5 s later, and a kill 5 s after that, which could cut an
    Appium server's or a browser's teardown short."""
    import contextlib
    import os

    for pid in config.stash.get(_worker_pids_key, {}).values():
        with contextlib.suppress(OSError):  # gone already
            os.kill(pid, signum)
