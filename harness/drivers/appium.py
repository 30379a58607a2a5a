"""The ``appium`` driver: appium-python-client against an Appium 3 server.

Two modes, chosen by the capabilities file (:mod:`harness.drivers.appium_config`):

- ``web`` (the shipped default): Appium's Chromium driver shows the phone screen server's
  renderings, emulating the platform's phone; reading, tapping and the custom-scheme hand-off
  are :class:`~harness.drivers.rendered.RenderedPhoneDriver`'s, with custom-scheme requests
  seen in Chromium's performance log (TOOLCHAIN.md).
- ``native``: the real apps on a device or a device farm (UiAutomator2, XCUITest), found by
  their own automation ids through the file's locator (accessibility id for native apps).
  :class:`AppiumNativeDriver` reads a screen by probing the §9 ids it knows.

The server is :class:`~harness.drivers.appium_server.AppiumServer` when the file says
``server: local``. Client timeouts are the file's ``command_timeout``. In web mode a closed
phone's session serves the next phone of its platform, cleaned
(:mod:`harness.drivers.appium_pool`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from harness.apps.base import check_typed_text
from harness.apps.screens import (
    APP_ERROR,
    APP_ERROR_CLOSE,
    APP_UPDATE,
    APP_UPDATE_STORE,
    VNEID_APPROVE,
    VNEID_CONSENT,
    VNEID_DENY,
    VNEID_HOME,
    VNEID_LOGIN,
    VNEID_LOGIN_SUBMIT,
    VNEID_PASSCODE,
    VNEID_PERSONAL_ID,
    VSSID_HOME,
    VSSID_LOGIN,
    VSSID_LOGIN_VNEID,
    Element,
    ElementKind,
    Screen,
)
from harness.drivers.appium_config import AppiumConfig
from harness.drivers.appium_pool import AppiumSessionPool
from harness.drivers.rendered import MARK_STALE_SCRIPT, RenderedPhoneDriver
from harness.errors import HarnessError, NoSuchElement
from harness.protocol.redaction import redact_url
from harness.web import PhoneSession

if TYPE_CHECKING:
    from appium.webdriver.webdriver import WebDriver

__all__ = ["NATIVE_SCREENS", "AppiumNativeDriver", "AppiumWebDriver", "open_remote"]

T = TypeVar("T")
_NEW_DOCUMENT_SCRIPT = (
    "return document.readyState !== 'loading' && !document.documentElement.dataset.harnessStale;"
)
_POLL_SECONDS = 0.02

NATIVE_SCREENS: Mapping[str, tuple[tuple[str, ElementKind], ...]] = {
    VSSID_HOME: (("vssid-home-name", "text"), ("vssid-home-bhxh-code", "text")),
    VSSID_LOGIN: ((VSSID_LOGIN_VNEID, "button"),),
    VNEID_CONSENT: (
        ("vneid-consent-service", "text"),
        (VNEID_APPROVE, "button"),
        (VNEID_DENY, "button"),
    ),
    VNEID_LOGIN: (
        (VNEID_PERSONAL_ID, "field"),
        (VNEID_PASSCODE, "field"),
        (VNEID_LOGIN_SUBMIT, "button"),
    ),
    APP_UPDATE: (("app-update-message", "text"), (APP_UPDATE_STORE, "link")),
    APP_ERROR: (
        ("app-error-message", "text"),
        ("app-error-code", "text"),
        (APP_ERROR_CLOSE, "button"),
    ),
    VNEID_HOME: (),
}
"""The screens a native app is probed for, in this order, with the ids of their elements
(§9's, and the helper ids the sim screens carry)."""


def open_remote(server_url: str, config: AppiumConfig, platform: str) -> WebDriver:
    """A new Appium session on ``platform`` with the file's capabilities."""
    import urllib3
    from appium import webdriver
    from appium.options.common.base import AppiumOptions
    from appium.webdriver.client_config import AppiumClientConfig

    options = AppiumOptions()
    options.load_capabilities(config.capabilities_for(platform))
    # the seconds as given: int() made a command_timeout of 0.5 a timeout of 0, which
    # urllib3 refuses ("cannot be set to a value less than or equal to 0"), so every session
    # was "refused"; and 2.9 a timeout of 2 (urllib3 and sockets take any float)
    client_config = AppiumClientConfig(
        remote_server_addr=server_url, timeout=config.command_timeout
    )
    shown = redact_url(server_url)  # a device farm's hub URL carries its credentials (S-5)
    try:
        return webdriver.Remote(server_url, options=options, client_config=client_config)
    except urllib3.exceptions.HTTPError as exc:  # nothing answers there (any more)
        raise HarnessError(
            f"no Appium server answers at {shown} (the `server` of "
            f"{config.source}): {str(exc).replace(server_url, shown)}"
        ) from None
    except Exception as exc:
        raise HarnessError(
            f"Appium at {shown} refused a {platform} session with the "
            f"capabilities of {config.source}: "
            f"{str(exc).replace(server_url, shown)}"
        ) from None


class AppiumWebDriver(RenderedPhoneDriver):
    """:class:`~harness.drivers.Driver` over the web renderings through Appium
    (``--driver appium``, ``mode: web``)."""

    name = "appium"

    def __init__(
        self,
        session: PhoneSession,
        server_url: str,
        config: AppiumConfig,
        *,
        screenshots: bool = True,
        pool: AppiumSessionPool | None = None,
    ) -> None:
        super().__init__(session, screenshots=screenshots)
        self.config = config
        self._pool = pool
        """Where the session comes from and goes back to (``None``: opened and quit here)."""
        platform = session.phone.platform
        self.remote = (
            pool.take(platform) if pool is not None else open_remote(server_url, config, platform)
        )
        self._client = ThreadPoolExecutor(max_workers=1, thread_name_prefix="appium-client")
        session.attach()

    def _call(self, action: Callable[[], T]) -> T:
        """Run ``action`` (Appium commands) on the client thread while this thread serves
        the phone's work the browser asks for (chromedriver waits for pages to load, and the
        pages need this thread: :meth:`~harness.web.PhoneSession.serve`)."""
        future = self._client.submit(action)
        self.session.serve(until=future, timeout=self.config.command_timeout * 2)
        return future.result()

    # -- primitives ------------------------------------------------------------------------
    def _navigate(self, url: str) -> None:
        self._call(lambda: self.remote.get(url))

    def _evaluate(self, script: str) -> Any:
        return self._call(lambda: self.remote.execute_script(f"return ({script})();"))

    def _custom_scheme_requests(self) -> list[str]:
        """Custom-scheme navigations in the performance log since the last call."""
        asked = []
        for entry in self.remote.get_log("performance"):
            try:
                message = json.loads(entry["message"])["message"]
            except (KeyError, TypeError, ValueError):
                continue
            if message.get("method") != "Network.requestWillBeSent":
                continue
            url = str(message.get("params", {}).get("request", {}).get("url", ""))
            if url and not url.startswith(("http:", "https:", "data:", "about:", "blob:")):
                asked.append(url)
        return asked

    def _click(self, automation_id: str) -> str | None:
        from selenium.webdriver.support.wait import WebDriverWait

        remote = self.remote
        asked: list[str] = []

        def settled(driver: Any) -> bool:
            asked.extend(self._custom_scheme_requests())
            return bool(asked) or bool(driver.execute_script(_NEW_DOCUMENT_SCRIPT))

        def click() -> None:
            remote.execute_script(f"({MARK_STALE_SCRIPT})();")
            self._custom_scheme_requests()  # drop what came before this click
            remote.find_element(*self.config.locator.of(automation_id)).click()
            WebDriverWait(remote, self.config.command_timeout, poll_frequency=_POLL_SECONDS).until(
                settled
            )

        self._call(click)
        return asked[0] if asked else None

    def _fill(self, automation_id: str, text: str) -> None:
        def fill() -> None:
            element = self.remote.find_element(*self.config.locator.of(automation_id))
            element.clear()
            element.send_keys(text)

        self._call(fill)

    def _screenshot(self) -> bytes:
        png: bytes = self._call(self.remote.get_screenshot_as_png)
        return png

    def _release(self) -> None:
        pool = self._pool
        try:
            if pool is None:
                self._call(self.remote.quit)
            else:  # cleaned and kept for the next phone of this platform
                self._call(
                    lambda: pool.give_back(
                        self.session.phone.platform, self.remote, self.session.server_url
                    )
                )
        finally:
            self._client.shutdown(wait=False, cancel_futures=True)


class AppiumNativeDriver:
    """:class:`~harness.drivers.Driver` over real apps on a device (``mode: native``).

    The phone's OS is the device's: app links, stores and versions are the device's own, and
    what the harness's simulated phone records (its trace, its delivered links) stays empty.
    """

    name = "appium"

    def __init__(
        self, remote: Any, config: AppiumConfig, *, close_remote: Callable[[], None] | None = None
    ) -> None:
        self.remote = remote
        self.config = config
        self._close = close_remote or remote.quit
        self._closed = False

    def _find(self, automation_id: str) -> Any | None:
        found = self.remote.find_elements(*self.config.locator.of(automation_id))
        return found[0] if found else None

    def _app_of(self, screen_id: str) -> str:
        if screen_id.startswith(("vssid-", "vneid-")):
            return screen_id.split("-", 1)[0]
        package = getattr(self.remote, "current_package", None)
        by_package = {v: k for k, v in self.config.apps.items()}
        return by_package.get(str(package), "unknown") if package else "unknown"

    def open_app(self, app_id: str) -> Screen:
        try:
            bundle = self.config.apps[app_id]
        except KeyError:
            raise HarnessError(f"{self.config.source}: apps has no id for {app_id!r}") from None
        self.remote.activate_app(bundle)
        return self.screen()

    def tap(self, automation_id: str) -> Screen:
        element = self._find(automation_id)
        if element is None:
            self._missing(automation_id)
        element.click()
        return self.screen()

    def type(self, automation_id: str, text: str) -> None:
        check_typed_text(automation_id, text)
        element = self._find(automation_id)
        if element is None:
            self._missing(automation_id)
        element.clear()
        element.send_keys(text)

    def _missing(self, automation_id: str) -> NoReturn:
        """:class:`~harness.errors.NoSuchElement` for an element the device does not show,
        as the other drivers raise it: the screen it shows, the ids on it and, on an error
        screen, the error (a bare "no element on the device's screen" said none of it)."""
        screen = self.screen()
        screen.element(automation_id)  # raises, naming what the screen holds
        raise NoSuchElement(
            f"{automation_id!r} on screen {screen.id!r} of {screen.app!r} "
            "was not found when acted on, and was there when the screen was read "
            "after: the screen changed in between"
        )

    def screen(self) -> Screen:
        for screen_id, parts in NATIVE_SCREENS.items():
            if self._find(screen_id) is None:
                continue
            elements: list[Element] = []
            for element_id, kind in parts:
                found = self._find(element_id)
                if found is not None:
                    label = str(found.text or "")
                    elements.append(
                        Element(
                            element_id,
                            kind,
                            label,
                            label if kind == "field" else None,
                            bool(found.is_enabled()),
                        )
                    )
            texts = {e.id: e.label for e in elements}
            data: dict[str, Any] = {}
            error = texts.get("app-error-code") if screen_id == APP_ERROR else None
            if error is not None:
                data["error"] = error
            if screen_id == VSSID_HOME:
                data.update(
                    full_name=texts.get("vssid-home-name"),
                    bhxh_code=texts.get("vssid-home-bhxh-code"),
                )
            return Screen(
                app=self._app_of(screen_id),
                id=screen_id,
                texts=tuple(e.label for e in elements if e.kind == "text"),
                elements=tuple(elements),
                error=error,
                data=data,
            )
        return Screen(app="unknown", id="unknown")

    def current_app(self) -> str | None:
        app = self.screen().app
        return None if app == "unknown" else app

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._close()
