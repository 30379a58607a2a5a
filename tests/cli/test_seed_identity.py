"""A test's seed follows the test, not pytest's root folder: the bundled suites drew other
citizens under ``vneid-harness run`` (root: the package's folder), under ``pytest --pyargs
scenarios`` from a project (node ids ``.venv/lib/python3.11/site-packages/scenarios/…``) and
from elsewhere, so a failure with one citizen did not replay with the same ``--seed``."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import pytest

TEST = """
import pytest

@pytest.mark.parametrize("platform", ["ios"])
def test_x(test_seed, platform):
    print("SEED", test_seed)
"""


def _seed(result: pytest.RunResult) -> str:
    found = re.findall(r"SEED (\S+)", result.stdout.str())
    assert len(found) == 1, result.stdout.str()
    return found[0]


def test_the_same_test_has_the_same_seed_under_any_root_folder(
    pytester: pytest.Pytester,
) -> None:
    package = pytester.path / "deep" / "site" / "teamsuites"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "test_login.py").write_text(TEST)
    args = ("-p", "no:cacheprovider", "-s", "-q")
    from_top = pytester.runpytest(*args, "--rootdir", str(pytester.path), str(package))
    from_package = pytester.runpytest(*args, "--rootdir", str(package), str(package))
    other_seed = pytester.runpytest(*args, "--seed", "7", "--rootdir", str(package), str(package))
    assert from_top.ret == from_package.ret == other_seed.ret == 0
    assert _seed(from_top) == _seed(from_package)
    assert _seed(from_top).startswith("0/")
    assert _seed(other_seed).startswith("7/")
    assert _seed(other_seed).split("/")[1] == _seed(from_top).split("/")[1]


def test_the_seed_is_of_the_module_and_the_name_within_it() -> None:
    from harness.plugin_fixtures import seed_identity

    class Item:
        nodeid = ".venv/lib/python3.11/site-packages/scenarios/test_a.py::TestX::test_y[ios]"
        module = ModuleType("scenarios.test_a")

    assert seed_identity(Item()) == "scenarios.test_a::TestX::test_y[ios]"  # type: ignore[arg-type]

    class Other:
        nodeid = "some/file.yaml::case"
        module = None

    assert seed_identity(Other()) == "some/file.yaml::case"  # type: ignore[arg-type]


def test_a_path_is_not_part_of_it(tmp_path: Path) -> None:
    """(The module's import name is: two files of the same name in two packages differ.)"""
    from harness.plugin_fixtures import seed_identity

    class A:
        nodeid = "x/pkg1/test_a.py::test_y"
        module = ModuleType("pkg1.test_a")

    class B:
        nodeid = "x/pkg2/test_a.py::test_y"
        module = ModuleType("pkg2.test_a")

    assert seed_identity(A()) != seed_identity(B())  # type: ignore[arg-type]
