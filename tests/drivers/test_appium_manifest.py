"""Appium's manifest of installed drivers records absolute paths: a checkout moved or copied
with its ``node_modules`` (a CI cache restored into another workspace) made Appium refuse
every session ("Could not find a driver for automationName 'Chromium' … Could not read the
driver manifest at /old/path/…"). The harness removes such a manifest before Appium starts,
and Appium writes it again from ``node_modules``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.drivers import appium_server
from harness.drivers.appium_server import APPIUM_MANIFEST, AppiumServer, drop_stale_manifest

MANIFEST = """drivers:
  chromium:
    automationName: chromium
    pkgName: appium-chromium-driver
    installType: npm
    installPath: {path}
plugins: {{}}
schemaRev: 4
"""


def _manifest(root: Path, install_path: Path) -> Path:
    manifest = root / APPIUM_MANIFEST
    manifest.parent.mkdir(parents=True)
    manifest.write_text(MANIFEST.format(path=install_path), encoding="utf-8")
    return manifest


def test_a_manifest_naming_a_driver_that_is_gone_is_removed(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, tmp_path / "moved-away" / "appium-chromium-driver")
    drop_stale_manifest(tmp_path)
    assert not manifest.exists()


def test_a_manifest_whose_drivers_are_there_is_kept(tmp_path: Path) -> None:
    driver = tmp_path / "node_modules" / "appium-chromium-driver"
    driver.mkdir(parents=True)
    manifest = _manifest(tmp_path, driver)
    drop_stale_manifest(tmp_path)
    assert manifest.read_text(encoding="utf-8") == MANIFEST.format(path=driver)


@pytest.mark.parametrize("text", ["", "- a list\n", "drivers: [1, 2]\n", ": not yaml: ["])
def test_no_manifest_or_one_of_another_shape_is_left_to_appium(tmp_path: Path, text: str) -> None:
    drop_stale_manifest(tmp_path)  # none: nothing to do
    manifest = tmp_path / APPIUM_MANIFEST
    manifest.parent.mkdir(parents=True)
    manifest.write_text(text, encoding="utf-8")
    drop_stale_manifest(tmp_path)
    assert manifest.read_text(encoding="utf-8") == text


def test_the_server_drops_a_stale_manifest_before_appium_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = _manifest(tmp_path, Path("/nonexistent/appium-chromium-driver"))
    monkeypatch.setattr(appium_server, "appium_executable", lambda root: root / "appium")
    monkeypatch.setattr(appium_server, "node_executable", lambda: Path("/usr/bin/node"))

    def started(*args: object, **kwargs: object) -> None:
        assert not manifest.exists(), "Appium started with the stale manifest"
        raise OSError("stand-in: Appium is not started here")

    monkeypatch.setattr(subprocess, "Popen", started)
    with pytest.raises(OSError, match="stand-in"):
        AppiumServer(tmp_path).start()
