"""``vneid-harness run`` installed as a package has no ``pyproject.toml`` to pass with ``-c``:
it passes the same verdict-deciding settings as options (``harness.run.PACKAGED_SETTINGS``),
which must stay equal to the file's."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from harness.run import PACKAGED_SETTINGS

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_packaged_settings_are_the_projects() -> None:
    ini = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    expected = ["-o", f"xfail_strict={str(ini['xfail_strict']).lower()}",
                "-o", "filterwarnings=" + "\n".join(ini["filterwarnings"])]
    assert list(PACKAGED_SETTINGS) == expected
    verdict_free = {"minversion", "addopts", "testpaths"}  # run passes its own or none
    assert set(ini) - verdict_free == {"xfail_strict", "filterwarnings"}, (
        "a new pytest setting in pyproject.toml: add it to PACKAGED_SETTINGS if it can "
        "change a verdict")


def test_the_options_act_as_the_file_does(pytester: pytest.Pytester) -> None:
    """Given as options (no ini file), a warning fails a test and an xfail that passes fails
    the run, as the project's file makes them."""
    pytester.makepyfile("""
        import warnings
        import pytest

        def test_warns():
            warnings.warn("deprecated here", UserWarning)

        @pytest.mark.xfail(reason="expected to fail")
        def test_passes_anyway():
            pass
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *PACKAGED_SETTINGS)
    result.assert_outcomes(failed=2)
