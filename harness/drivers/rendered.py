"""What the browser drivers share: driving the phone screen server's pages by automation id.

:class:`RenderedPhoneDriver` implements :class:`~harness.drivers.Driver` over a
:class:`~harness.web.PhoneSession`; a subclass supplies a handful of browser primitives
(navigate, run the read script, click, fill, screenshot). Playwright
(:mod:`harness.drivers.web`) and Appium's Chromium driver (:mod:`harness.drivers.appium`)
are two such subclasses, so both read and tap exactly alike.

Reading a screen is one script evaluation (:data:`READ_SCRIPT`): the page's
``#screen-data`` blob (the :class:`~harness.apps.screens.Screen` value the server rendered),
every ``[data-testid]`` element and the visible text. The driver checks that the page really
shows what the blob says (every element id present, every text visible), overlays what was
typed into the fields, and returns the same value the sim driver would.

A page is a snapshot of the phone: when the phone changed behind it (a scenario reaching
``device.phone`` directly, an app installed mid-flow), its display fingerprint differs from the
phone's and the driver reloads the page before reading or tapping, the way a phone's display
is always current. A click either loads a new document (waited for by marking the old one,
not by sleeping) or asks for a custom-scheme URL, which Chromium does not follow and after
which a tab can go dead (TOOLCHAIN.md): the driver hands that URL to the phone's OS and goes
on in a blank page.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.apps.base import check_typed_text
from harness.apps.screens import Element, ElementKind, Screen
from harness.device import BROWSER
from harness.errors import HarnessError
from harness.protocol.text import clip
from harness.web import PhoneSession, screen_from_json

__all__ = [
    "MARK_STALE_SCRIPT",
    "NEW_DOCUMENT",
    "READ_SCRIPT",
    "PageState",
    "RenderedPhoneDriver",
    "allure_recording",
    "attach_png",
    "testid_selector",
]

READ_SCRIPT = r"""() => {
  const root = document.documentElement, body = document.body;
  const blob = document.getElementById('screen-data');
  const elements = [];
  for (const el of document.querySelectorAll('[data-testid]')) {
    const tag = el.tagName.toLowerCase();
    const label = el.getAttribute('aria-label')
      || (el.labels && el.labels.length ? el.labels[0].innerText : '')
      || (el.innerText || el.textContent || '').trim();
    const item = {id: el.dataset.testid, tag: tag, label: label.trim(), disabled: !!el.disabled,
                  type: (el.getAttribute('type') || '').toLowerCase()};
    if (tag === 'input' || tag === 'textarea' || tag === 'select') {
      // a password's length only: the script's result is kept in a Playwright trace (S-5)
      item.value = item.type === 'password' ? '\u2022'.repeat(el.value.length) : el.value;
    }
    elements.push(item);
  }
  const main = document.querySelector('main[data-testid]');
  return {url: location.href, stale: root ? (root.dataset.harnessStale || null) : null,
          render: root ? (root.dataset.render || null) : null,
          fingerprint: body ? (body.dataset.fingerprint || null) : null,
          harnessError: body ? (body.dataset.harnessError || null) : null,
          screen: blob ? blob.textContent : null,
          page: main ? main.dataset.testid : null,
          text: body ? body.innerText : '', elements: elements};
}"""
"""One evaluation reads everything a screen needs (returns a JSON-able object)."""

MARK_STALE_SCRIPT = "() => { document.documentElement.dataset.harnessStale = '1'; }"
"""Marks the current document, so that 'a new document is loaded' is a selector to wait for:
``html:not([data-harness-stale])``."""

NEW_DOCUMENT = "html:not([data-harness-stale])"
_SPACES = re.compile(r"\s+")


def testid_selector(automation_id: str) -> str:
    """The CSS selector of an automation id (``[data-testid="…"]``)."""
    escaped = automation_id.replace("\\", "\\\\").replace('"', '\\"')
    return f'[data-testid="{escaped}"]'


def allure_recording() -> bool:
    """Whether allure-pytest records this run (``--alluredir``): screenshots cost nothing
    otherwise."""
    try:
        from allure_commons import plugin_manager
    except ImportError:  # pragma: no cover - allure-pytest is a dependency
        return False
    return bool(plugin_manager.hook.attach_data.get_hookimpls())


def attach_png(png: bytes, name: str) -> None:
    """A screenshot as an Allure step of its own (``screenshot vssid · vssid-login``), among
    the flow's steps where the screen was read: inside the test's own open step, if any."""
    import allure

    with allure.step(f"screenshot {name}"):
        allure.attach(png, name=name, attachment_type=allure.attachment_type.PNG)


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class PageState:
    """What the driver last read from the browser."""

    url: str
    screen: Screen
    fingerprint: str | None
    """The phone's display fingerprint the page was rendered for (``None``: browser page)."""
    render: str | None

    @property
    def in_browser(self) -> bool:
        return self.fingerprint is None


def _kind(item: dict[str, Any]) -> ElementKind:
    tag, kind = item.get("tag"), item.get("type")
    if tag in ("textarea", "select") or (
        tag == "input" and kind not in ("submit", "button", "reset", "image", "hidden")
    ):
        return "field"
    if tag == "button" or tag == "input":
        return "button"
    if tag == "a":
        return "link"
    return "text"


class RenderedPhoneDriver(ABC):
    """:class:`~harness.drivers.Driver` over the phone screen server's pages."""

    name = "rendered"

    def __init__(self, session: PhoneSession, *, screenshots: bool = True) -> None:
        self.session = session
        self.screenshots = screenshots
        self._page: PageState | None = None
        self._shot: tuple[str, str | None] | None = None
        self._closed = False
        self._password_inputs: frozenset[str] = frozenset()
        """The automation ids of the password inputs on the page last read."""

    # -- browser primitives (subclasses) ---------------------------------------------------
    @abstractmethod
    def _navigate(self, url: str) -> None:
        """Load ``url`` in the tab and wait until its DOM is ready."""

    @abstractmethod
    def _evaluate(self, script: str) -> Any:
        """Run ``script`` (a JavaScript function expression) in the page; its result."""

    @abstractmethod
    def _click(self, automation_id: str) -> str | None:
        """Click the element; once a new document is loaded, ``None``; when the click asked
        for a URL the browser cannot load (a custom scheme), that URL."""

    @abstractmethod
    def _fill(self, automation_id: str, text: str) -> None:
        """Replace the field's text with ``text``."""

    @abstractmethod
    def _screenshot(self) -> bytes:
        """A PNG of the viewport."""

    @abstractmethod
    def _release(self) -> None:
        """Close what the subclass holds (page, context, session)."""

    # -- Driver ----------------------------------------------------------------------------
    def open_app(self, app_id: str) -> Screen:
        self._check()
        self._navigate(self.session.open_url_for(app_id))
        return self._read()

    def tap(self, automation_id: str) -> Screen:
        self._check()
        page = self._fresh()
        page.screen.actionable(automation_id, ("button", "link"))
        requested = self._click(automation_id)
        if requested is not None:
            self._hand_to_os(requested)
        return self._read()

    def type(self, automation_id: str, text: str) -> None:
        check_typed_text(automation_id, text)
        self._check()
        page = self._fresh()
        page.screen.actionable(automation_id, ("field",))
        if automation_id in self._password_inputs:
            # a passcode typed and not (yet) sent is known to no provider's exchange: the
            # phone's trace must know it, or the Playwright trace kept for a failed test
            # would keep it (its fill action, the DOM snapshots) (S-5)
            self.session.phone.trace.remember_secrets(text)
        self._fill(automation_id, text)
        if not page.in_browser:
            # the app holds its fields' text, as a phone app does from each keystroke on:
            # it survives an app switch, and an erased field is erased (as in the sim driver)
            self.session.keep_typed({automation_id: text}, page.fingerprint, explicit=True)
            if not text:  # the page shows the app's fields again (a password input can't)
                self._navigate(self.session.url)
                self._read()

    def screen(self) -> Screen:
        self._check()
        before = self._page
        page = self._fresh()
        return page.screen if page is not before else self._read()

    def current_app(self) -> str | None:
        self._check()
        app = self._fresh().screen.app
        return None if app == "os" else app

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._release()
        finally:
            self.session.close()

    # -- reading ---------------------------------------------------------------------------
    def _check(self) -> None:
        if self._closed:
            raise HarnessError(f"this {self.name} driver was closed; create a new device")

    def _fresh(self) -> PageState:
        """The page, reloaded first when the phone no longer shows what it shows."""
        page = self._page
        if page is not None:
            current = (
                self.session.foreground == BROWSER
                if page.in_browser
                else page.fingerprint == self.session.fingerprint()
            )
            if current:
                return page
        self._navigate(self.session.url)
        self._read()
        assert self._page is not None
        return self._page

    def _read(self) -> Screen:
        raw = self._evaluate(READ_SCRIPT)
        if not isinstance(raw, dict):
            raise HarnessError(f"the read script returned {raw!r}, not an object")
        if raw.get("harnessError"):
            self._page = None
            raise HarnessError(str(raw["harnessError"]))
        url = str(raw.get("url") or "")
        self._password_inputs = frozenset(
            str(e.get("id"))
            for e in raw.get("elements", [])
            if isinstance(e, dict) and e.get("type") == "password"
        )
        if raw.get("screen") is not None:
            screen = self._phone_screen(raw)
            page = PageState(url, screen, str(raw.get("fingerprint")), raw.get("render"))
        elif self.session.original_url(url) is not None:
            page = PageState(url, self._browser_screen(raw), None, None)
        else:
            self._page = None
            raise HarnessError(
                f"{url} is not a phone screen: {clip(_normal(str(raw.get('text') or '')), 300)!r}"
            )
        self._page = page
        self._attach_screenshot(page)
        return page.screen

    def _phone_screen(self, raw: dict[str, Any]) -> Screen:
        try:
            screen = screen_from_json(json.loads(str(raw["screen"])))
        except json.JSONDecodeError as exc:
            raise HarnessError(f"the page's screen data is not JSON: {exc}") from None
        items = {str(e["id"]): e for e in raw.get("elements", [])}
        missing = [e.id for e in screen.elements if e.id not in items]
        visible = _normal(str(raw.get("text") or ""))
        unseen = [t for t in screen.texts if t and _normal(t) not in visible]
        if missing or unseen or screen.id not in items:
            raise HarnessError(
                f"the rendering of {screen.app}'s {screen.id!r} does not show what it carries: "
                f"missing automation ids {missing or '-'}"
                f"{'' if screen.id in items else ' (and the screen id)'}, "
                f"texts not visible {unseen or '-'}"
            )
        for element in screen.elements:
            item = items[element.id]
            typed = item.get("value")
            if element.kind != "field" or typed is None:
                continue
            if item.get("type") == "password":
                if typed:  # a password input never shows the app's value: empty says nothing
                    screen = screen.with_value(element.id, "•" * len(typed))
            elif typed or element.value:  # what the input shows, an erased value too
                screen = screen.with_value(element.id, str(typed))
        return screen

    def _browser_screen(self, raw: dict[str, Any]) -> Screen:
        """A page of the phone's browser (not ours): read generically by ``data-testid``."""
        url = str(raw.get("url") or "")
        original = self.session.original_url(url) or url
        page_id = raw.get("page")
        elements = []
        for item in raw.get("elements", []):
            if item.get("id") == page_id:
                continue
            kind = _kind(item)
            value = item.get("value") if kind == "field" else None
            if kind == "field" and value and item.get("type") == "password":
                value = "•" * len(str(value))
            elements.append(
                Element(
                    str(item["id"]),
                    kind,
                    str(item.get("label") or ""),
                    None if not value else str(value),
                    not item.get("disabled"),
                )
            )
        lines = tuple(
            _normal(line) for line in str(raw.get("text") or "").splitlines() if line.strip()
        )
        return Screen(
            app=BROWSER,
            id=BROWSER,
            texts=(original, *lines),
            elements=tuple(elements),
            data={"url": original, "page": page_id},
        )

    def _hand_to_os(self, url: str) -> None:
        """The page asked for an app link: the phone's OS routes it; a blank page first,
        since the tab may ignore input after a custom-scheme navigation (TOOLCHAIN.md)."""
        self.session.hand_to_os(url)
        self._navigate("about:blank")
        self._navigate(self.session.url)

    def _attach_screenshot(self, page: PageState) -> None:
        key = (page.url, page.render)
        if not self.screenshots or key == self._shot or not allure_recording():
            return
        self._shot = key
        screen = page.screen
        attach_png(self._screenshot(), f"{screen.app} · {screen.id}")

    # -- artifacts -------------------------------------------------------------------------
    def keep_artifacts(self, directory: Path, name: str) -> list[Path]:
        """Save what helps to understand a failure under ``directory`` (default: the last
        screen as a PNG); called before :meth:`close` when the test failed."""
        if self._closed or self._page is None:
            return []
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}.png"
        path.write_bytes(self._screenshot())
        return [path]
