"""Root conftest: an index, and Ctrl-C as in a terminal for the tests of it. Options, markers
and fixtures live in harness.pytest_plugin (registered by its pytest11 entry point);
test-only fixtures live beside their tests."""

pytest_plugins = ("pytester",)


def pytest_configure() -> None:
    """Ctrl-C as in a terminal: a shell without job control (``cmd &`` in a CI script,
    ``nohup``) starts pytest with SIGINT ignored, which Python then leaves ignored and every
    child inherits; the Ctrl-C tests (tests/cli/test_interrupted_reports.py,
    tests/drivers/test_playwright_teardown.py) then fail. A handler, unlike SIG_IGN, is reset
    to the default in each child at exec."""
    import signal

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
