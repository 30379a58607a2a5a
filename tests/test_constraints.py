"""`constraints.txt` pins what `make setup` installs: every requirement of `pyproject.toml`
(the package's and the dev extra's) has exactly one pin, inside the range the project
declares, and the environment the tests run in holds the pinned versions of them."""

from __future__ import annotations

import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from reports.allure_html import project_root

ROOT = project_root()


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for number, line in enumerate((ROOT / "constraints.txt").read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep, f"constraints.txt:{number}: {line!r} is not `name==version`"
        key = canonicalize_name(name)
        assert key not in pins, f"constraints.txt:{number}: {name} is pinned twice"
        pins[key] = Version(version)
    return pins


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        declared.extend(extra)
    return [Requirement(text) for text in declared]


PINS = _pins()
REQUIREMENTS = _requirements()


def test_the_makefile_installs_with_the_constraints() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "CONSTRAINTS := constraints.txt" in makefile
    assert "-c $(CONSTRAINTS) -e '.[dev]'" in makefile
    assert "$(STAMP): pyproject.toml $(CONSTRAINTS)" in makefile  # a new lock reinstalls


@pytest.mark.parametrize("requirement", REQUIREMENTS, ids=lambda r: r.name)
def test_every_requirement_is_pinned_inside_its_range(requirement: Requirement) -> None:
    pin = PINS.get(canonicalize_name(requirement.name))
    assert pin is not None, (
        f"{requirement.name} ({requirement}) has no pin in constraints.txt: run `make lock`"
    )
    assert requirement.specifier.contains(pin, prereleases=True), (
        f"constraints.txt pins {requirement.name}=={pin}, outside pyproject.toml's "
        f"{requirement}: run `make lock`"
    )


@pytest.mark.parametrize("requirement", REQUIREMENTS, ids=lambda r: r.name)
def test_the_environment_holds_the_pinned_version(requirement: Requirement) -> None:
    pin = PINS[canonicalize_name(requirement.name)]
    installed = Version(metadata.version(requirement.name))
    assert installed == pin, (
        f"{requirement.name} {installed} is installed, constraints.txt pins {pin}: run `make setup`"
    )
