"""The ``web`` driver: Playwright drives Debian's Chromium showing the phone screen server.

One Chromium per test session (:class:`ChromiumBrowser`, launched on first use with the
arguments TOOLCHAIN.md lists; ``playwright install`` cannot download here, so the executable
is ``/usr/bin/chromium`` or ``$VNEID_HARNESS_CHROMIUM``). One browser context per phone,
emulating the device of its platform (:data:`DEVICES`: an iPhone for ``ios``, a Pixel for
``android``), with a Playwright trace recording; the trace is kept only for a failed test
(:meth:`PlaywrightDriver.keep_artifacts`).

Playwright's node driver runs in the harness's process group, so a terminal's Ctrl-C reaches
it too. Chromium is launched with ``handle_sigint=False``: the driver ignores SIGINT then (its
own handler does nothing; only a launch's default one closed the browsers and exited), and
the run's teardown closes what it opened, as for any interrupted pytest run. A connection that
died all the same (the driver killed) is tolerated at teardown (:func:`connection_lost`), and
the traces' temporary files are in a folder of the browser's own, removed when it closes.
"""

from __future__ import annotations

import contextlib
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.drivers.rendered import RenderedPhoneDriver, testid_selector
from harness.errors import ConfigError, HarnessError
from harness.protocol.redaction import redact_secret_shapes
from harness.scratch import Scratch
from harness.web import PhoneSession

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Request

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ENV",
    "DEVICES",
    "LAUNCH_ARGS",
    "ChromiumBrowser",
    "PlaywrightDriver",
    "chromium_executable",
    "connection_lost",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ENV = "VNEID_HARNESS_CHROMIUM"
"""Environment variable naming another Chromium executable."""
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
)
DEVICES = {"ios": "iPhone 13", "android": "Pixel 7"}
"""Playwright's device descriptor for each platform."""
ACTION_TIMEOUT_MS = 10_000


def chromium_executable() -> Path:
    """The Chromium to drive; :class:`ConfigError` saying how to install it when missing."""
    path = Path(os.environ.get(CHROMIUM_ENV) or CHROMIUM)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise ConfigError(
            f"Chromium is missing at {path}: the web and appium drivers drive Debian's "
            f"Chromium; run `make setup` in the harness's checkout, or as root `apt-get install "
            f"-y chromium chromium-driver` (Debian), or set {CHROMIUM_ENV} to a Chromium "
            "executable"
        )
    return path


def connection_lost(error: BaseException, browser: Browser) -> bool:
    """Whether ``error``, raised while closing something of ``browser``, only says that it is
    gone already: Playwright's connection closed (its driver died, e.g. of a signal), the
    browser disconnected, or the page, context or browser was closed. Closing it then has
    nothing left to do; any other error (a timeout, a protocol error) is real."""
    from playwright._impl._errors import TargetClosedError  # not exported by sync_api
    from playwright.sync_api import Error

    return isinstance(error, TargetClosedError) or (
        isinstance(error, Error) and not browser.is_connected()
    )


def _close_quietly_if_lost(close: Callable[[], object], browser: Browser | None) -> None:
    """``close()``; an error that only says the browser or the connection is gone
    (:func:`connection_lost`) is dropped, any other is raised (every error when there is no
    browser to ask)."""
    try:
        close()
    except Exception as exc:
        if browser is None or not connection_lost(exc, browser):
            raise


class ChromiumBrowser:
    """A headless Chromium under Playwright, launched on first use; :meth:`close` stops it."""

    def __init__(self, *, executable: Path | None = None) -> None:
        self._executable = executable
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._temp: Scratch | None = None
        """The browser's own temporary folder (its traces' files), removed at :meth:`close`
        (or, after a SIGKILL, by the next run that launches one: :mod:`harness.scratch`)."""

    @property
    def launched(self) -> bool:
        return self._browser is not None

    def browser(self) -> Browser:
        if self._browser is None:
            executable = self._executable or chromium_executable()
            from playwright.sync_api import sync_playwright

            temp = Scratch("playwright")
            try:
                playwright = sync_playwright().start()
                try:
                    # handle_sigint=False: a terminal's Ctrl-C is the run's to handle
                    self._browser = playwright.chromium.launch(
                        executable_path=str(executable),
                        headless=True,
                        args=list(LAUNCH_ARGS),
                        handle_sigint=False,
                        traces_dir=temp.path,
                    )
                except Exception:
                    playwright.stop()
                    raise
            except BaseException:
                temp.remove()
                raise
            self._playwright, self._temp = playwright, temp
        return self._browser

    def new_context(self, platform: str) -> BrowserContext:
        """A context emulating the phone of ``platform`` (:data:`DEVICES`), Vietnamese."""
        browser = self.browser()
        assert self._playwright is not None
        try:
            descriptor: dict[str, Any] = dict(self._playwright.devices[DEVICES[platform]])
        except KeyError:
            raise ConfigError(
                f"no device to emulate for platform {platform!r}; known: {', '.join(DEVICES)}"
            ) from None
        descriptor.pop("default_browser_type", None)
        return browser.new_context(**descriptor, locale="vi-VN")

    def close(self) -> None:
        """Close the browser and stop Playwright, also when its connection is gone already
        (:func:`connection_lost`); remove the browser's temporary folder."""
        browser, playwright, temp = self._browser, self._playwright, self._temp
        self._browser = self._playwright = self._temp = None
        try:
            if browser is not None:
                _close_quietly_if_lost(browser.close, browser)
        finally:
            try:
                if playwright is not None:
                    _stop_playwright(playwright)
            finally:
                if temp is not None:
                    temp.remove()


def _stop_playwright(playwright: Playwright) -> None:
    """``playwright.stop()``; the driver already gone is no error (it has nothing to stop)."""
    from playwright.sync_api import Error

    with contextlib.suppress(Error):
        playwright.stop()


class PlaywrightDriver(RenderedPhoneDriver):
    """:class:`~harness.drivers.Driver` through Playwright (``--driver web``)."""

    name = "web"

    def __init__(
        self,
        session: PhoneSession,
        browser: ChromiumBrowser,
        *,
        screenshots: bool = True,
        trace: bool = True,
    ) -> None:
        super().__init__(session, screenshots=screenshots)
        self.context: BrowserContext = browser.new_context(session.phone.platform)
        self.context.set_default_timeout(ACTION_TIMEOUT_MS)
        self._tracing = trace
        if trace:
            self.context.tracing.start(
                screenshots=True,
                snapshots=True,
                title=f"phone {session.id} ({session.phone.platform})",
            )
        self.page: Page = self.context.new_page()
        session.attach()

    # -- primitives ------------------------------------------------------------------------
    def _navigate(self, url: str) -> None:
        if not url.startswith(self.session.server_url):
            self.page.goto(url, wait_until="domcontentloaded")
            return
        self.page.evaluate("url => { location.href = url; }", url)
        self._await_document(url)

    def _await_document(self, url: str) -> None:
        """The browser asked for ``url``: serve the phone's work it causes (on this thread),
        then wait for the new document's DOMContentLoaded. The event cannot come before
        :meth:`~harness.web.PhoneSession.serve` has run the work the page needs, and the
        waiter is registered before that, so none is missed."""
        with self.page.expect_event("domcontentloaded"):
            if url.startswith(self.session.server_url):
                self.session.serve(timeout=ACTION_TIMEOUT_MS / 1000)

    def _evaluate(self, script: str) -> Any:
        return self.page.evaluate(script)

    def _is_navigation(self, request: Request) -> bool:
        return request.is_navigation_request() and request.frame == self.page.main_frame

    def _click(self, automation_id: str) -> str | None:
        page = self.page
        with page.expect_event("request", predicate=self._is_navigation) as asked:
            # no_wait_after: the answer needs this thread (PhoneSession.serve), so the click
            # must not wait for it.
            page.locator(testid_selector(automation_id)).click(no_wait_after=True)
        url = asked.value.url
        if not url.startswith(("http:", "https:")):
            return url
        self._await_document(url)
        return None

    def _fill(self, automation_id: str, text: str) -> None:
        self.page.locator(testid_selector(automation_id)).fill(text)

    def _screenshot(self) -> bytes:
        return self.page.screenshot(type="png", scale="css")

    def _release(self) -> None:
        """Stop the trace (discarded) and close the context; when the browser or Playwright's
        connection is gone already (:func:`connection_lost`), there is nothing to close."""
        browser = self.context.browser
        try:
            if self._tracing:
                self._tracing = False
                _close_quietly_if_lost(self.context.tracing.stop, browser)
        finally:
            _close_quietly_if_lost(self.context.close, browser)

    # -- artifacts -------------------------------------------------------------------------
    def keep_artifacts(self, directory: Path, name: str) -> list[Path]:
        """The last screen and the Playwright trace (``playwright show-trace FILE``)."""
        kept = super().keep_artifacts(directory, name)
        if self._tracing:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / f"{name}.trace.zip"
            self._tracing = False
            try:
                self.context.tracing.stop(path=str(path))
            except Exception as exc:  # the browser may be what failed
                raise HarnessError(f"could not save the Playwright trace: {exc}") from exc
            scrub_trace_zip(path, self.session.phone.trace.scrub)
            kept.append(path)
        return kept


_BINARY_SUFFIXES = (".jpeg", ".jpg", ".png", ".webp", ".woff", ".woff2", ".ttf")


def scrub_trace_zip(path: Path, scrub: Callable[[str], str]) -> None:
    """S-5 for a saved Playwright trace, which records what was typed (a passcode, as the
    ``fill`` action's value and in the DOM snapshots) and every request and answer (forms
    with codes, callback links): each text member is rewritten with ``scrub`` (the phone
    trace's known secrets) and then without anything shaped like a secret. Images are kept
    as they are (the screens never show a secret: passwords are masked, the hijacker shows
    the stolen link redacted)."""

    def clean(text: str) -> str:
        return redact_secret_shapes(scrub(text))

    cleaned = path.with_name(path.name + ".partial")
    with (
        zipfile.ZipFile(path) as source,
        zipfile.ZipFile(cleaned, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if not info.filename.lower().endswith(_BINARY_SUFFIXES):
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    pass
                else:
                    data = _scrub_text(text, clean).encode("utf-8")
            target.writestr(info, data)
    os.replace(cleaned, path)


def _scrub_text(text: str, clean: Callable[[str], str]) -> str:
    """A trace member: JSON lines (``trace.trace``, ``trace.network``) have the strings of
    each line cleaned and the line written again, so the JSON stays valid and no number is
    touched; a member that is not JSON lines (a page, a body) is cleaned as text."""
    lines = text.split("\n")
    try:
        values = [json.loads(line) if line.strip() else None for line in lines]
    except (ValueError, RecursionError):
        return clean(text)
    return "\n".join(
        line if value is None else json.dumps(_clean_strings(value, clean), ensure_ascii=False)
        for line, value in zip(lines, values, strict=True)
    )


def _clean_strings(value: Any, clean: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_clean_strings(v, clean) for v in value]
    if isinstance(value, dict):
        return {k: _clean_strings(v, clean) for k, v in value.items()}
    return value
