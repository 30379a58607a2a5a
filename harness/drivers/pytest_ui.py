"""The UI drivers' part of the harness's pytest plugin: session resources, failure artifacts.

Registered by the plugin (:mod:`harness.plugin_config`) only when ``--driver`` is ``web`` or
``appium``, so ``--driver sim`` loads none of it. It holds the session's :class:`UIRuntime`
(the phone screen server, Chromium, the Appium server: each started when a device first
needs it, all stopped at the end of the session, also when tests failed), notes which tests
failed, and keeps a failed test's artifacts (the Playwright trace, the last screen) under
``<alluredir>/../traces/`` (else ``reports/out/traces/``), attached to its Allure result.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.drivers.rendered import allure_recording
from harness.drivers.runtime import UIRuntime

if TYPE_CHECKING:
    from harness.world import Device

__all__ = [
    "PLUGIN_NAME",
    "UIPlugin",
    "artifacts_dir",
    "keep_failure_artifacts",
    "node_root",
    "register",
    "ui_runtime",
]

PLUGIN_NAME = "vneid-harness-ui"
_failed_key = pytest.StashKey[bool]()
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class UIPlugin:
    """Session state of the UI drivers (one per run, per xdist worker)."""

    def __init__(self, config: pytest.Config, *, appium_capabilities: Path | None) -> None:
        self.config = config
        self.appium_capabilities = appium_capabilities
        self.runtime: UIRuntime | None = None

    def runtime_for_session(self) -> UIRuntime:
        if self.runtime is None:
            self.runtime = UIRuntime(
                root=node_root(self.config), appium_capabilities=self.appium_capabilities
            )
        return self.runtime

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, Any]:
        report = yield
        if report.failed and report.when in ("setup", "call"):
            item.stash[_failed_key] = True
        return report

    def close(self) -> None:
        runtime, self.runtime = self.runtime, None
        if runtime is not None:
            runtime.close()

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.close()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.close()


def register(config: pytest.Config, *, appium_capabilities: Path | None) -> UIPlugin:
    """Register the UI plugin for this run (once)."""
    existing = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if isinstance(existing, UIPlugin):
        return existing
    plugin = UIPlugin(config, appium_capabilities=appium_capabilities)
    config.pluginmanager.register(plugin, PLUGIN_NAME)
    return plugin


def ui_runtime(config: pytest.Config) -> UIRuntime:
    """The session's UI runtime (the UI plugin must be registered)."""
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if not isinstance(plugin, UIPlugin):
        raise pytest.UsageError(
            "the UI drivers' plugin is not registered; pass --driver web or --driver appium"
        )
    return plugin.runtime_for_session()


def node_root(config: pytest.Config) -> Path:
    """The folder whose ``node_modules`` holds Appium: the run's root directory, else the
    project this harness is installed from (an editable install), else the working
    directory; the root directory when none has it (the error then names ``make setup``)."""
    candidates = (config.rootpath, Path(__file__).resolve().parents[2], Path.cwd())
    for folder in candidates:
        if (folder / "node_modules" / ".bin" / "appium").exists():
            return folder
    return config.rootpath


def artifacts_dir(config: pytest.Config) -> Path:
    """Where failed tests' artifacts go: beside the Allure results, else reports/out."""
    alluredir = getattr(config.option, "allure_report_dir", None)
    if alluredir:
        return Path(alluredir).resolve().parent / "traces"
    return config.rootpath / "reports" / "out" / "traces"


def keep_failure_artifacts(item: pytest.Item, devices: Sequence[Device]) -> list[Path]:
    """When ``item`` failed: each device's artifacts (before the devices are closed),
    attached to the Allure result when Allure records."""
    if not item.stash.get(_failed_key, False):
        return []
    directory = artifacts_dir(item.config)
    base = _UNSAFE.sub("_", item.nodeid).strip("_")[-150:]
    kept: list[Path] = []
    for index, device in enumerate(devices):
        keep = getattr(device.driver, "keep_artifacts", None)
        if keep is None:
            continue
        try:
            kept.extend(keep(directory, f"{base}-{index}-{device.platform}"))
        except Exception as exc:  # the browser may be what broke: say so, close the rest
            item.add_report_section(
                "teardown", "ui artifacts", f"device {index}: no artifacts kept: {exc}"
            )
    if kept:
        item.add_report_section("teardown", "ui artifacts", "\n".join(str(p) for p in kept))
    if kept and allure_recording():
        import allure

        for path in kept:
            kind = allure.attachment_type.PNG if path.suffix == ".png" else None
            allure.attach.file(  # type: ignore[no-untyped-call]
                str(path), name=path.name, attachment_type=kind, extension=None if kind else "zip"
            )
    return kept
