"""pytest-timeout's time limits where pytest's terminal is off (``vneid-harness run``'s ``-p
no:terminal``): :mod:`harness.plugin_timeout` sets the timers through pytest-timeout's own
hooks. pytest-timeout is not a dependency of the project, so a stand-in plugin here declares
its two hooks and calls them around each test as it does, with its own timer last (which,
as pytest-timeout's, needs pytest's terminal)."""

from __future__ import annotations

import pytest

STAND_IN = """
import pytest


class Hooks:
    @pytest.hookspec(firstresult=True)
    def pytest_timeout_set_timer(item, settings):
        pass

    @pytest.hookspec(firstresult=True)
    def pytest_timeout_cancel_timer(item):
        pass


def pytest_addhooks(pluginmanager):
    pluginmanager.add_hookspecs(Hooks)


def pytest_addoption(parser):
    parser.addoption("--stand-in-method", default="signal")


class Settings:
    def __init__(self, method):
        self.timeout = 0.5
        self.method = method
        self.func_only = False
        self.disable_debugger_detection = False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    method = item.config.getoption("--stand-in-method")
    item.ihook.pytest_timeout_set_timer(item=item, settings=Settings(method))
    try:
        return (yield)
    finally:
        item.ihook.pytest_timeout_cancel_timer(item=item)


@pytest.hookimpl(trylast=True)
def pytest_timeout_set_timer(item, settings):
    # pytest-timeout's own timer: at the timeout it writes through pytest's terminal
    with open("own-timer", "a") as out:
        out.write(item.nodeid + "\\n")
    return True


@pytest.hookimpl(trylast=True)
def pytest_timeout_cancel_timer(item):
    return True
"""

TESTS = """
import time


def test_hangs():
    time.sleep(5)
    open("hang-finished", "w").close()


def test_quick():
    open("quick-finished", "w").close()
"""


def test_a_signal_timeout_without_a_terminal_fails_the_test_and_the_run_goes_on(
    pytester: pytest.Pytester,
) -> None:
    """Under ``run`` the test failed with a bare ``AssertionError`` (pytest asserts a
    terminal when pytest-timeout asks for one)."""
    pytester.makeconftest(STAND_IN)
    pytester.makepyfile(TESTS)
    result = pytester.runpytest_subprocess(
        "-p", "no:terminal", "-p", "no:cacheprovider", "--junitxml=junit.xml"
    )
    assert result.ret == 1
    junit = (pytester.path / "junit.xml").read_text(encoding="utf-8")
    assert 'message="Failed: Timeout (&gt;0.5s) from pytest-timeout."' in junit, junit
    assert not (pytester.path / "hang-finished").exists()
    assert (pytester.path / "quick-finished").exists()  # the next test ran
    assert not (pytester.path / "own-timer").exists()


def test_a_thread_timeout_without_a_terminal_ends_the_process(
    pytester: pytest.Pytester,
) -> None:
    """Under ``run`` the timer thread died on pytest's assertion and the test ran on past
    its limit; pytest-timeout's thread method ends the process, with the stacks."""
    pytester.makeconftest(STAND_IN)
    pytester.makepyfile(TESTS)
    result = pytester.runpytest_subprocess(
        "-p", "no:terminal", "-p", "no:cacheprovider", "--stand-in-method=thread"
    )
    assert result.ret == 1
    said = result.stderr.str()
    assert (
        "Timeout: test_a_thread_timeout_without_a_terminal_ends_the_process.py::test_hangs" in said
    )
    assert "Stack of MainThread" in said, said
    assert "time.sleep(5)" in said, said
    assert not (pytester.path / "hang-finished").exists()
    assert not (pytester.path / "quick-finished").exists()


def test_with_a_terminal_pytest_timeout_keeps_its_own_timers(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(STAND_IN)
    pytester.makepyfile("def test_quick():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert (pytester.path / "own-timer").read_text(encoding="utf-8").split() == [
        "test_with_a_terminal_pytest_timeout_keeps_its_own_timers.py::test_quick"
    ]


@pytest.mark.parametrize("method", ["signal", "thread"])
@pytest.mark.parametrize("timeout", ["float('inf')", "1e20", "float('nan')"])
def test_a_timeout_no_clock_takes_is_no_limit_not_an_internal_error(
    pytester: pytest.Pytester, method: str, timeout: str
) -> None:
    """``--timeout inf`` (pytest-timeout reads it with ``float()``, as ``nan``) reached
    ``setitimer``: an ``OverflowError`` (``ValueError`` for NaN), an INTERNALERROR that
    ended the run (exit 3); the thread method's timer died on it, or for NaN fired at once
    and ended the process at the first test."""
    pytester.makeconftest(STAND_IN.replace("self.timeout = 0.5", f"self.timeout = {timeout}"))
    pytester.makepyfile(TESTS.replace("time.sleep(5)", "time.sleep(0)"))
    result = pytester.runpytest_subprocess(
        "-p", "no:terminal", "-p", "no:cacheprovider", f"--stand-in-method={method}"
    )
    said = result.stderr.str()
    assert result.ret == 0, said
    assert (pytester.path / "hang-finished").exists()
    assert (pytester.path / "quick-finished").exists()
    assert "Error" not in said, said  # no OverflowError in the timer's thread either
    if "nan" in timeout:
        assert "timeout for test_a_timeout_no_clock_takes_is_no_limit_not_an_internal_error" in said
        assert said.count("is nan, not a number of seconds") == 1, said  # once, not a test
