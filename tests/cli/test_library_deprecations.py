"""A library release that deprecates a call the harness makes: under ``vneid-harness run``
a deprecation warning is shown after the verdict, not raised (``filterwarnings = error``
made it fail every clause whose tests made the call: a vendor's verdict NOT OK for the pip
resolve of the day); plain pytest keeps raising it, for the harness's own developers."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from rich.console import Console

from harness.apps.base import App
from harness.run import RunOptions, run_suites


@pytest.fixture
def deprecated_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every screen an app shows calls something a library has just deprecated."""
    shown = App.show

    def show(self: App, screen: object) -> object:
        warnings.warn(
            "show() is deprecated; use display() (token=eyJhbGciOiJFUzI1NiJ9.e30.c2ln)",
            DeprecationWarning,
            stacklevel=1,
        )
        return shown(self, screen)  # type: ignore[arg-type]

    monkeypatch.setattr(App, "show", show)


@pytest.mark.usefixtures("deprecated_call")
def test_a_library_deprecation_is_shown_after_the_verdict_not_failed(tmp_path: Path) -> None:
    console = Console(record=True, width=300)
    status = run_suites(
        RunOptions(
            out=tmp_path / "out",
            keyword="test_citizen_lands_on_vssid_home",
            workers=1,
            allure_report=False,
        ),
        console,
    )
    said = console.export_text()
    assert status == 0, said[-3000:]
    assert "verdict OK" in said
    assert "library deprecations (not failures" in said
    line = next(x for x in said.splitlines() if "show() is deprecated" in x)
    assert line.lstrip().startswith("DeprecationWarning at "), line
    assert "eyJhbGciOiJFUzI1NiJ9.e30.c2ln" not in said  # S-5, as every message


def test_without_the_run_a_deprecation_still_fails(pytester: pytest.Pytester) -> None:
    """The option is the run's; the project's settings alone keep raising it."""
    pytester.makepyfile("""
        import warnings

        def test_calls_a_deprecated_function():
            warnings.warn("old", DeprecationWarning)
    """)
    settings = Path(__file__).resolve().parents[2] / "harness" / "suites.ini"
    shown = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-c",
        str(settings),
        f"--rootdir={pytester.path}",
        "--library-deprecations-shown",
    )
    shown.assert_outcomes(passed=1)
    raised = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-c", str(settings), f"--rootdir={pytester.path}"
    )
    raised.assert_outcomes(failed=1)
