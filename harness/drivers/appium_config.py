"""The ``appium`` driver's capabilities file: where the server is, what to drive, how to find
an element, and the capabilities of each platform. Switching from the harness's web renderings
to real apps on a device or a device farm is a change of this file, not of code.

The format (YAML; :data:`DEFAULT_CAPABILITIES` is the shipped one, docs/drivers.md has a
worked example for UiAutomator2)::

    server: local            # "local": the harness starts node_modules/.bin/appium itself;
                             # or the URL of an Appium server or device-farm hub
    mode: web                # web: the harness's renderings of the apps, in a browser;
                             # native: the real apps installed on the device
    locator:                 # how a §9 automation id becomes an Appium locator
      strategy: css selector # any W3C/Appium strategy: css selector, xpath, accessibility id, id, …
      value: '[data-testid="{id}"]'
    apps: {}                 # native: app id per app (Android package, iOS bundle id)
    command_timeout: 30      # seconds the client waits for one command
    capabilities: {…}        # sent for every platform
    platforms:               # merged (nested mappings too) over `capabilities`
      ios: {…}
      android: {…}

A capability whose value is ``auto`` is ``appium:chromedriverPort`` (or ``appium:systemPort``,
``appium:wdaLocalPort``, ``appium:mjpegServerPort``): the harness picks a free port per
session, so parallel sessions never share one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml

from harness import strict_yaml
from harness.errors import ConfigError, parse_problem
from harness.processes import free_port
from harness.protocol.redaction import redact_url
from harness.run_checks import target_url_problem
from harness.text_files import UnreadableFile, read_text_file

__all__ = [
    "AUTO_PORT_CAPABILITIES",
    "DEFAULT_CAPABILITIES",
    "MAX_COMMAND_TIMEOUT",
    "AppiumConfig",
    "Locator",
    "load_capabilities",
]

DEFAULT_CAPABILITIES = Path(__file__).with_name("capabilities") / "chromium.yaml"
"""The shipped file: Appium's Chromium driver showing the web renderings (``mode: web``)."""
AUTO_PORT_CAPABILITIES = frozenset(
    {
        "appium:chromedriverPort",
        "appium:systemPort",
        "appium:wdaLocalPort",
        "appium:mjpegServerPort",
    }
)
MAX_COMMAND_TIMEOUT = 3600
"""The longest ``command_timeout`` (seconds): an hour for one command is more than any
takes; a longer one (``.inf``, ``1e400``) no clock or socket timeout takes at all."""
_KEYS = frozenset(
    {"server", "mode", "locator", "apps", "command_timeout", "capabilities", "platforms"}
)
_PLATFORMS = ("ios", "android")
_APPS = ("vssid", "vneid")

Mode = Literal["web", "native"]


@dataclass(frozen=True)
class Locator:
    """An Appium locator template: ``value`` with ``{id}`` standing for the automation id."""

    strategy: str
    value: str

    def of(self, automation_id: str) -> tuple[str, str]:
        """``(strategy, value)`` for ``find_element``."""
        return self.strategy, self.value.replace("{id}", automation_id)


@dataclass(frozen=True)
class AppiumConfig:
    """A loaded capabilities file (see the module doc)."""

    source: Path
    server: str
    mode: Mode
    locator: Locator
    apps: Mapping[str, str] = field(default_factory=dict)
    command_timeout: float = 30.0
    capabilities: Mapping[str, Any] = field(default_factory=dict)
    platforms: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def local_server(self) -> bool:
        return self.server == "local"

    def capabilities_for(self, platform: str) -> dict[str, Any]:
        """The capabilities of a new session on ``platform``, ``auto`` ports picked."""
        merged = _merge(self.capabilities, self.platforms.get(platform, {}))
        for key in AUTO_PORT_CAPABILITIES:
            if merged.get(key) == "auto":
                merged[key] = free_port()
        return merged


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: (_merge(v, {}) if isinstance(v, Mapping) else v) for k, v in base.items()}
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        elif isinstance(value, Mapping):
            out[key] = _merge(value, {})
        else:
            out[key] = value
    return out


def _mapping(value: Any, where: str, path: Path) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ConfigError(
            f"{path}: {where} must be a mapping of names to values, got {type(value).__name__}"
        )
    return value


_WEB_STRATEGIES = frozenset({"css selector", "xpath", "link text", "partial link text", "tag name"})
"""What appium-chromium-driver locates by (its ``locatorStrategies``)."""


def load_capabilities(path: Path | None = None) -> AppiumConfig:
    """Read and check a capabilities file (:data:`DEFAULT_CAPABILITIES` when ``None``);
    :class:`ConfigError` naming the file and the key for anything wrong."""
    path = path or DEFAULT_CAPABILITIES
    try:  # a FIFO blocked here for ever, /dev/zero filled the memory
        raw = strict_yaml.load(
            read_text_file(path, 1024 * 1024), what="an Appium capabilities file"
        )
    except UnreadableFile as exc:
        raise ConfigError(f"cannot read the Appium capabilities file {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {parse_problem(exc)}") from None
    except RecursionError:
        raise ConfigError(
            f"{path} is not valid YAML: nested too deeply; it is a mapping of a few keys"
        ) from None
    doc = _mapping(raw, "the file", path)
    unknown = sorted(set(doc) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}"
        )
    server = doc.get("server", "local")
    if not isinstance(server, str) or not (
        server == "local" or server.startswith(("http://", "https://"))
    ):
        raise ConfigError(
            f"{path}: server must be 'local' or an http(s) URL of an Appium server, got "
            f"{redact_url(server) if isinstance(server, str) else server!r}"  # ftp://u:PW@h
        )
    if server != "local":  # a host, a port of ASCII digits, the password redacted (S-5)
        try:  # an unclosed [ is "Invalid IPv6 URL" here (httpx says "Invalid port")
            urlsplit(server)
        except ValueError as exc:
            raise ConfigError(
                f"{path}: server is not a usable URL ({exc}); give the Appium server's URL, "
                "an IPv6 address in brackets (e.g. http://127.0.0.1:4723, http://[::1]:4723)"
            ) from None
        problem = target_url_problem(
            "server", server, example="(for example http://127.0.0.1:4723, http://[::1]:4723)"
        )
        if problem is not None:
            raise ConfigError(f"{path}: {problem}")
    mode = doc.get("mode", "web")
    if mode not in ("web", "native"):
        raise ConfigError(
            f"{path}: mode must be 'web' (the harness's renderings) or "
            f"'native' (the real apps), got {mode!r}"
        )
    locator = _mapping(doc.get("locator"), "locator", path)
    strategy, value = locator.get("strategy"), locator.get("value")
    if not isinstance(strategy, str) or not strategy:
        raise ConfigError(
            f"{path}: locator.strategy must name an Appium locator strategy "
            "(css selector, xpath, accessibility id, id, …)"
        )
    if not isinstance(value, str) or "{id}" not in value:
        raise ConfigError(
            f"{path}: locator.value must contain {{id}}, where the automation "
            f"id goes (e.g. '[data-testid=\"{{id}}\"]' or '{{id}}'), "
            f"got {value!r}"
        )
    apps: dict[str, str] = {}
    for key, item in _mapping(doc.get("apps"), "apps", path).items():
        if item is None:  # written "vssid:" with nothing after it: no app id
            continue
        if not isinstance(item, str | int) or isinstance(item, bool) or not str(item).strip():
            raise ConfigError(
                f"{path}: apps.{key} must be the app id (Android package or iOS "
                f"bundle id), got {item!r}"
            )
        apps[str(key)] = str(item).strip()
    if mode == "native":
        missing = [a for a in _APPS if not apps.get(a)]
        if missing:
            raise ConfigError(
                f"{path}: mode native needs apps.{' and apps.'.join(missing)}: "
                "the app id (Android package or iOS bundle id) to bring to the "
                "front"
            )
    if mode == "web" and strategy not in _WEB_STRATEGIES:
        raise ConfigError(
            f"{path}: locator.strategy {strategy!r} does not work in mode web: the "
            "Chromium driver finds the harness's renderings by 'css selector' "
            "(value '[data-testid=\"{id}\"]') or 'xpath'"
        )
    timeout = doc.get("command_timeout", 30)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 < timeout <= MAX_COMMAND_TIMEOUT  # .nan and .inf too: no clock takes them
    ):
        raise ConfigError(
            f"{path}: command_timeout must be a positive number of seconds, at most "
            f"{MAX_COMMAND_TIMEOUT}, got {str(timeout)[:40]}"
        )
    platforms = _mapping(doc.get("platforms"), "platforms", path)
    odd = sorted(set(platforms) - set(_PLATFORMS))
    if odd:
        raise ConfigError(
            f"{path}: platforms has unknown section(s) {', '.join(odd)}; "
            f"use {', '.join(_PLATFORMS)}"
        )
    return AppiumConfig(
        source=path,
        server=server.rstrip("/"),
        mode="native" if mode == "native" else "web",
        locator=Locator(strategy, value),
        apps=apps,
        command_timeout=float(timeout),
        capabilities=_mapping(doc.get("capabilities"), "capabilities", path),
        platforms={p: _mapping(v, f"platforms.{p}", path) for p, v in platforms.items()},
    )
