"""``vneid-harness run`` installed as a package has no ``pyproject.toml`` to pass with ``-c``:
it passes ``harness/suites.ini`` (package data), whose verdict-deciding settings must stay
equal to the project's, and which keeps a user's own ``pytest.ini`` out."""

from __future__ import annotations

import configparser
import tomllib
from pathlib import Path

import pytest

from harness.run import PACKAGED_SETTINGS

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_packaged_settings_are_the_projects() -> None:
    ini = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    packaged = configparser.ConfigParser()
    packaged.read(PACKAGED_SETTINGS, encoding="utf-8")
    section = packaged["pytest"]
    assert section.getboolean("xfail_strict") is ini["xfail_strict"]
    assert [f.strip() for f in section["filterwarnings"].strip().splitlines()] == ini[
        "filterwarnings"
    ]
    assert set(section) == {"xfail_strict", "filterwarnings"}
    verdict_free = {
        "minversion",
        "addopts",
        "testpaths",  # run passes its own or none
        "tmp_path_retention_policy",
    }  # run keeps tmp_path in its own folder
    assert set(ini) - verdict_free == {"xfail_strict", "filterwarnings"}, (
        "a new pytest setting in pyproject.toml: add it to harness/suites.ini if it can "
        "change a verdict"
    )
    package_data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]["harness"]
    assert "suites.ini" in package_data


def test_the_file_acts_as_the_projects_and_keeps_a_users_settings_out(
    pytester: pytest.Pytester,
) -> None:
    """With it, a warning fails a test and an xfail that passes fails the run, and a
    ``pytest.ini`` of the user's in the folder above (a venv inside the project) does not
    apply (it collected nothing: ``python_files = check_*.py``)."""
    pytester.makeini("[pytest]\npython_files = check_*.py\n")
    pytester.makepyfile("""
        import warnings
        import pytest

        def test_warns():
            warnings.warn("deprecated here", UserWarning)

        @pytest.mark.xfail(reason="expected to fail")
        def test_passes_anyway():
            pass
    """)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-c",
        str(PACKAGED_SETTINGS),
        f"--rootdir={pytester.path}",
        str(pytester.path),
    )
    result.assert_outcomes(failed=2)


ASYNCIO_STARTUP_WARNING = """
import warnings

import pytest


def pytest_configure(config):
    # pytest-asyncio's own words (pytest_asyncio/plugin.py), when its loop scope is unset
    warnings.warn(
        pytest.PytestDeprecationWarning(
            'The configuration option "asyncio_default_fixture_loop_scope" is unset.\\n'
            "The event loop scope for asynchronous fixtures will default to the fixture scope."
        )
    )
"""


@pytest.mark.parametrize("settings", ["packaged", "project"])
def test_pytest_asyncio_installed_beside_does_not_stop_the_run(
    pytester: pytest.Pytester, settings: str
) -> None:
    """pytest-asyncio, in a team's virtualenv, warns as pytest configures when its
    ``asyncio_default_fixture_loop_scope`` is unset, which no suite of the harness's sets
    (an unknown setting where it is not installed, which ``--strict-config`` refuses):
    ``filterwarnings = error`` made that an INTERNALERROR of every ``vneid-harness run``
    (exit 3, nothing written). The settings let that one warning through."""
    pytester.makepyfile(fake_asyncio=ASYNCIO_STARTUP_WARNING)
    pytester.makepyfile("def test_passes():\n    pass\n")
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-p",
        "fake_asyncio",
        "-c",
        str(PACKAGED_SETTINGS if settings == "packaged" else PYPROJECT),
        f"--rootdir={pytester.path}",
        str(pytester.path),
    )
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=1)
