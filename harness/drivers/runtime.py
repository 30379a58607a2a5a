"""The session resources of the UI drivers, created on first use and stopped together.

A test session that runs ``--driver web`` needs the phone screen server and one Chromium;
``--driver appium`` needs the phone screen server (web mode), an Appium server (when the
capabilities file says ``server: local``) and, in web mode, the Appium sessions kept between
phones. :class:`UIRuntime` makes each the first time a device asks for it and
:meth:`UIRuntime.close` stops whatever was made, in reverse order, also when a test failed;
``--driver sim`` never makes one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from harness.errors import ConfigError
from harness.http_client import HarnessClient

if TYPE_CHECKING:
    from harness.device import Phone
    from harness.drivers import Driver
    from harness.drivers.appium_config import AppiumConfig
    from harness.drivers.appium_pool import AppiumSessionPool
    from harness.drivers.appium_server import AppiumServer
    from harness.drivers.web import ChromiumBrowser
    from harness.targets import ProviderHandle, Target
    from harness.web import PhoneServer, PhoneSession

__all__ = ["UI_DRIVERS", "UIRuntime", "browser_origins"]

UI_DRIVERS = ("web", "appium")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def browser_origins(phone: Phone, target: Target) -> dict[str, httpx.Client]:
    """What the phone's browser reaches: each provider at its own origin, and the claimed
    https link hosts (``https://vneid.test``…) standing for it; exchanges go into the trace."""
    from harness.targets import HTTP_DEADLINE, HTTP_TIMEOUT
    from harness.trace import ensure_traced

    def client(handle: ProviderHandle, base_url: str, name: str) -> httpx.Client:
        made = HarnessClient(
            base_url=base_url,
            transport=handle.transport,
            timeout=HTTP_TIMEOUT,
            follow_redirects=False,
            deadline=HTTP_DEADLINE if handle.transport is None else None,
        )
        ensure_traced(made, phone.trace, "browser", name)
        return made

    profile = target.profile
    out: dict[str, httpx.Client] = {}
    for handle, host, name in (
        (target.vneid, profile.vneid_link_host, "vneid-server"),
        (target.vssid, profile.vssid_link_host, "vssid-backend"),
    ):
        out[_origin(handle.base_url)] = client(handle, _origin(handle.base_url), name)
        out[f"https://{host}".lower()] = client(handle, handle.base_url, name)
    return out


class UIRuntime:
    """Phone screen server, Chromium and Appium server of one test session (lazy)."""

    def __init__(
        self, *, root: Path, appium_capabilities: Path | None = None, screenshots: bool = True
    ) -> None:
        self.root = root
        self.appium_capabilities = appium_capabilities
        self.screenshots = screenshots
        self._phone_server: PhoneServer | None = None
        self._chromium: ChromiumBrowser | None = None
        self._appium_server: AppiumServer | None = None
        self._appium_config: AppiumConfig | None = None
        self._appium_pool: AppiumSessionPool | None = None
        self._appium_checked = False

    # -- resources -------------------------------------------------------------------------
    def phone_server(self) -> PhoneServer:
        if self._phone_server is None:
            from harness.web import PhoneServer

            self._phone_server = PhoneServer().start()
        return self._phone_server

    def chromium(self) -> ChromiumBrowser:
        if self._chromium is None:
            from harness.drivers.web import ChromiumBrowser, chromium_executable

            self._chromium = ChromiumBrowser(executable=chromium_executable())
        return self._chromium

    def appium_config(self) -> AppiumConfig:
        if self._appium_config is None:
            from harness.drivers.appium_config import load_capabilities

            self._appium_config = load_capabilities(self.appium_capabilities)
        return self._appium_config

    def appium_url(self) -> str:
        config = self.appium_config()
        if not config.local_server:
            if not self._appium_checked:  # once: a wrong URL is one clear error
                from harness.drivers.appium_server import check_server

                check_server(config.server, config.source, timeout=config.command_timeout)
                self._appium_checked = True
            return config.server
        if self._appium_server is None:
            from harness.drivers.appium_server import AppiumServer
            from harness.drivers.web import chromium_executable

            if config.mode == "web":
                chromium_executable()
            server = AppiumServer(self.root)
            self._appium_server = server.start()
        return self._appium_server.url

    def appium_pool(self) -> AppiumSessionPool:
        """The web-mode Appium sessions kept between phones
        (:mod:`~harness.drivers.appium_pool`)."""
        if self._appium_pool is None:
            from harness.drivers.appium import open_remote
            from harness.drivers.appium_pool import AppiumSessionPool

            config, url = self.appium_config(), self.appium_url()
            self._appium_pool = AppiumSessionPool(
                lambda platform: open_remote(url, config, platform)
            )
        return self._appium_pool

    @property
    def appium_server(self) -> AppiumServer | None:
        """The local Appium server, once started."""
        return self._appium_server

    @property
    def started(self) -> tuple[str, ...]:
        """Which resources exist (for tests and the report header)."""
        made = (
            ("phone-server", self._phone_server),
            ("chromium", self._chromium),
            ("appium-server", self._appium_server),
        )
        return tuple(name for name, thing in made if thing is not None)

    # -- drivers ---------------------------------------------------------------------------
    def driver(self, name: str, phone: Phone, target: Target) -> Driver:
        """A new ``web`` or ``appium`` driver for ``phone`` (whose apps talk to ``target``)."""
        if name == "web":
            from harness.drivers.web import PlaywrightDriver

            chromium = self.chromium()
            return self._on_session(
                phone,
                target,
                lambda session: PlaywrightDriver(session, chromium, screenshots=self.screenshots),
            )
        if name == "appium":
            config = self.appium_config()
            url = self.appium_url()
            if config.mode == "native":
                from harness.drivers.appium import AppiumNativeDriver, open_remote

                return AppiumNativeDriver(open_remote(url, config, phone.platform), config)
            from harness.drivers.appium import AppiumWebDriver

            pool = self.appium_pool()
            return self._on_session(
                phone,
                target,
                lambda session: AppiumWebDriver(
                    session, url, config, screenshots=self.screenshots, pool=pool
                ),
            )
        raise ConfigError(f"unknown UI driver {name!r}; available: {', '.join(UI_DRIVERS)}")

    def _on_session(
        self, phone: Phone, target: Target, make: Callable[[PhoneSession], Driver]
    ) -> Driver:
        server = self.phone_server()
        session = server.register(phone, origins=browser_origins(phone, target))
        try:
            return make(session)
        except BaseException:
            server.unregister(session)
            raise

    def close(self) -> None:
        """Stop everything started, the last started first; errors after all are stopped."""
        errors: list[BaseException] = []
        for stop in (self._stop_appium, self._stop_chromium, self._stop_phone_server):
            try:
                stop()
            except Exception as exc:  # keep stopping the others
                errors.append(exc)
        if errors:
            raise errors[0]

    def _stop_appium(self) -> None:
        pool, self._appium_pool = self._appium_pool, None
        server, self._appium_server = self._appium_server, None
        try:
            if pool is not None:  # the kept sessions first, while their server still runs
                pool.close()
        finally:
            if server is not None:
                server.stop()

    def _stop_chromium(self) -> None:
        chromium, self._chromium = self._chromium, None
        if chromium is not None:
            chromium.close()

    def _stop_phone_server(self) -> None:
        phone_server, self._phone_server = self._phone_server, None
        if phone_server is not None:
            phone_server.close()

    def __enter__(self) -> UIRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
