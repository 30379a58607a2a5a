"""`make setup` installs the report tools: npm's allure (`npm ci` when node_modules/ is
missing or the lock changed) and Debian's Chromium (apt-get when it is missing), and does
nothing when everything is there. Run on a copy of the Makefile with stand-ins for npm,
node and apt-get that log their calls; the real lock is checked against the install."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from reports.allure_html import project_root

ROOT = project_root()


def _script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


class Project:
    """A copy of the Makefile and the Node manifests, with logged stand-in tools."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        for name in (
            "Makefile",
            "package.json",
            "package-lock.json",
            "pyproject.toml",
            "constraints.txt",
        ):
            shutil.copy(ROOT / name, folder / name)
        stamp = folder / ".venv" / ".installed-stamp"  # the Python part is set up already
        stamp.parent.mkdir()
        stamp.touch()
        later = time.time() + 5
        os.utime(stamp, (later, later))
        self.log = folder / "calls.log"
        self.chromium = folder / "bin" / "chromium"
        tools = folder / "tools"
        tools.mkdir()
        self.npm = _script(tools / "npm", f'echo "npm $*" >> {self.log}\nmkdir -p node_modules')
        self.node = _script(tools / "node", 'exec node "$@"')
        self.apt = _script(
            tools / "apt-get",
            (
                f'echo "apt-get $*" >> {self.log}\n'
                f'case "$*" in *install*) mkdir -p {self.chromium.parent} && '
                f'printf "#!/bin/sh\\n" > {self.chromium} && chmod +x {self.chromium};; esac'
            ),
        )

    def setup(self, **overrides: str) -> subprocess.CompletedProcess[str]:
        variables = {
            "NPM": str(self.npm),
            "NODE": str(self.node),
            "APT_GET": str(self.apt),
            "CHROMIUM": str(self.chromium),
            "SUDO": "",
            **overrides,
        }
        return subprocess.run(
            ["make", "--no-print-directory", "setup", *(f"{k}={v}" for k, v in variables.items())],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def project(tmp_path: Path) -> Project:
    if shutil.which("make") is None:
        pytest.fail("make is not installed (apt-get install -y make)")
    return Project(tmp_path)


def test_setup_installs_what_is_missing_then_nothing(project: Project) -> None:
    first = project.setup()
    assert first.returncode == 0, first.stdout + first.stderr
    assert project.calls() == [
        "npm ci --no-audit --no-fund --loglevel=error",
        "apt-get -qq update",
        "apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-liberation",
    ]
    assert (project.folder / "node_modules" / ".installed-stamp").is_file()
    again = project.setup()
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(project.calls()) == 3, "a second setup installs nothing"
    assert "npm" not in again.stdout
    assert "apt-get" not in again.stdout


def test_setup_reinstalls_node_tools_when_the_lock_changes(project: Project) -> None:
    assert project.setup().returncode == 0
    lock = project.folder / "package-lock.json"
    later = time.time() + 10
    os.utime(lock, (later, later))
    assert project.setup().returncode == 0
    assert [c for c in project.calls() if c.startswith("npm")] == [
        "npm ci --no-audit --no-fund --loglevel=error"
    ] * 2
    shutil.rmtree(project.folder / "node_modules")
    assert project.setup().returncode == 0
    assert len([c for c in project.calls() if c.startswith("npm")]) == 3
    assert len([c for c in project.calls() if "install" in c]) == 1, "Chromium once only"


def test_setup_needs_node_20(project: Project) -> None:
    # a Node older than 20.19 fails the Makefile's `node -e <version >= 20.19>` check
    old = _script(project.folder / "tools" / "node18", "exit 1")
    done = project.setup(NODE=str(old))
    assert done.returncode != 0
    assert "Node.js 20 or later (20.19+) is needed" in done.stderr
    assert not any(c.startswith("npm") for c in project.calls())


def test_package_json_pins_allure_3_and_the_install_matches() -> None:
    manifest = json.loads((ROOT / "package.json").read_text())
    assert manifest["private"] is True
    assert manifest["name"] == "vneid-harness-tools"
    pinned = manifest["dependencies"]["allure"]
    assert pinned[0].isdigit(), "an exact version, not a range"
    assert pinned.startswith("3.")
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"][""]["dependencies"] == manifest["dependencies"]
    assert lock["packages"]["node_modules/allure"]["version"] == pinned
    installed = ROOT / "node_modules" / "allure" / "package.json"
    assert json.loads(installed.read_text())["version"] == pinned, (
        "node_modules is stale: run `make setup`"
    )


def test_the_versions_named_outside_package_json_are_its_pins() -> None:
    """An installed harness has no package.json: its "npm install allure@…" fix
    (``ALLURE_VERSION``) and the README's npm lines name the versions, which must stay those
    ``make setup`` installs and the tests ran with."""
    from harness.drivers.appium_server import (
        APPIUM_CHROMIUM_DRIVER_VERSION,
        APPIUM_VERSION,
        appium_executable,
    )
    from harness.errors import ConfigError
    from reports.allure_html import ALLURE_VERSION

    pins = json.loads((ROOT / "package.json").read_text())["dependencies"]
    assert pins["allure"] == ALLURE_VERSION
    assert pins["appium"] == APPIUM_VERSION
    assert pins["appium-chromium-driver"] == APPIUM_CHROMIUM_DRIVER_VERSION
    with pytest.raises(ConfigError) as missing:  # Appium's fix names the pins, as Allure's does
        appium_executable(ROOT / "no-such-folder")
    fix = f"appium@{APPIUM_VERSION} appium-chromium-driver@{APPIUM_CHROMIUM_DRIVER_VERSION}"
    assert fix in str(missing.value)
    readme = (ROOT / "README.md").read_text()
    for name in ("allure", "appium", "appium-chromium-driver"):
        named = set(re.findall(rf"npm install .*?(?<![\w-]){re.escape(name)}@(\S+)", readme))
        assert named == {pins[name]}, (name, named)


def test_node_modules_is_ignored_by_git() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "node_modules/" in ignored
