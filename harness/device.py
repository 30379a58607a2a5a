"""The simulated phone: installed apps, the OS link router, the store (A-3, A-6, S-4, §10).

Routing rules, as the OS applies them:

- **custom scheme** (``vneid://…``, ``vssid://…``): delivered to the *most recently installed*
  app that claims the scheme. Neither iOS nor Android guarantees which claimant wins; choosing
  the latest install models the hijack of S-4 deterministically (a malicious app installed
  after VssID receives ``vssid://`` callbacks). No claimant: ``handled=False``, the caller
  decides the fallback (VssID opens the VNeID store listing, A-3).
- **https**: delivered only to the app with a *verified* link whose ``host/path`` prefix the
  URL starts with (Android App Links / iOS universal links; a hijacker cannot verify a domain
  it does not own). Longest prefix wins, then the earlier install. Anything else opens in the
  browser. Plain ``http`` always opens in the browser.
- **app only**: an app can ask the OS to open a link only in an app, never in the browser
  (iOS ``open(_:options:)`` with ``universalLinksOnly``, Android's
  ``FLAG_ACTIVITY_REQUIRE_NON_BROWSER``). An http(s) link that no app is verified for is then
  not handled, like a custom scheme nobody claims, and the caller decides the fallback. VssID
  opens the authorize link this way, so a missing VNeID leads to its store listing in either
  link form (A-3).

Each app keeps ``storage`` (persisted, survives :meth:`Phone.restart`) apart from its
in-memory state (lost on restart). Reinstalling an app id is an update: the new app object
inherits the storage and counts as the latest install. Uninstalling drops the storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import SplitResult, urlsplit

from harness.apps.screens import Element, Screen
from harness.errors import ConfigError, HarnessError
from harness.protocol import DEFAULT_PROFILE, PLATFORMS, Clock, Platform, Profile, SystemClock
from harness.protocol.profile import APP_IDS
from harness.protocol.redaction import redact_url
from harness.trace import AppSwitched, LinkOpened, StoreOpened, Trace

__all__ = ["BROWSER", "STORE", "STORE_OF_PLATFORM", "LinkResult", "Phone", "PhoneApp", "StoreName"]

StoreName = Literal["app_store", "google_play"]
STORE_OF_PLATFORM: dict[str, StoreName] = {"ios": "app_store", "android": "google_play"}
STORE = "store"
BROWSER = "browser"


class PhoneApp(Protocol):
    """What the OS needs of an installed app (implemented by :class:`harness.apps.App`)."""

    app_id: str
    version: str
    claims_schemes: frozenset[str]
    verified_links: tuple[str, ...]
    store: StoreName | None
    storage: dict[str, Any]

    def attach(self, phone: Phone) -> None: ...
    def detach(self) -> None: ...
    def handle_link(self, url: str) -> None: ...
    def restart(self) -> None: ...
    def current_screen(self) -> Screen: ...
    def tap(self, element_id: str) -> None: ...
    def type(self, element_id: str, text: str) -> None: ...


A = TypeVar("A", bound=PhoneApp)


@dataclass(frozen=True)
class LinkResult:
    """What the OS did with a link: ``target`` is an app id, ``"browser"`` or ``None``."""

    handled: bool
    target: str | None


class Phone:
    """One simulated phone of ``platform`` (``ios`` or ``android``)."""

    def __init__(
        self,
        platform: Platform,
        *,
        profile: Profile = DEFAULT_PROFILE,
        trace: Trace | None = None,
        clock: Clock | None = None,
    ) -> None:
        if platform not in PLATFORMS:
            raise ConfigError(f"unknown platform {platform!r}; use one of {', '.join(PLATFORMS)}")
        self.platform: Platform = platform
        self.profile = profile
        if clock is None:
            clock = trace.clock if trace is not None else SystemClock()
        self.clock: Clock = clock
        self.trace = trace if trace is not None else Trace(self.clock, phone=True)
        self._apps: dict[str, PhoneApp] = {}  # insertion order = install order
        self._foreground: str | None = None
        self._store_page: tuple[str, str | None] | None = None
        self._browser_url: str | None = None
        self.closed = False
        """Set by :meth:`close`: the apps' connections are gone, so nothing runs any more."""
        self.delivered: list[str] = []
        """Every URL the OS handed to an app, unredacted, oldest first (in memory only: the
        trace keeps the redacted form). Scenarios replay or tamper with them."""

    def close(self) -> None:
        """Switch the phone off: what it recorded stays readable, nothing runs any more."""
        self.closed = True

    def check_open(self, action: str) -> None:
        if self.closed:
            raise HarnessError(
                f"{action}: this {self.platform} phone was closed (its apps' "
                "connections are gone); make a new one for more steps"
            )

    # -- installed apps ------------------------------------------------------------------
    def install(self, app: A) -> A:
        """Install ``app`` (an update if its id is installed: storage kept, see module doc)."""
        self.check_open(f"installing {getattr(app, 'app_id', app)!r}")
        expected = STORE_OF_PLATFORM[self.platform]
        if app.store is not None and app.store != expected:
            raise ConfigError(
                f"{app.app_id} comes from {app.store}, which a {self.platform} "
                f"phone does not use; use {expected!r} or None"
            )
        old = self._apps.get(app.app_id)
        if old is app:
            return app
        app.attach(self)
        if old is not None:
            del self._apps[app.app_id]
            app.storage.update(old.storage)
            old.detach()
        self._apps[app.app_id] = app
        return app

    def uninstall(self, app_id: str) -> None:
        """Remove the app and drop its storage (installing it again starts it afresh); the
        launcher comes to the front if it was there."""
        app = self.app(app_id)
        del self._apps[app_id]
        app.detach()
        app.storage.clear()
        if self._foreground == app_id:
            self._switch(None, "uninstall")

    def app(self, app_id: str) -> PhoneApp:
        try:
            return self._apps[app_id]
        except KeyError:
            raise HarnessError(
                f"{app_id!r} is not installed on this {self.platform} phone; "
                f"installed: {', '.join(self._apps) or '(none)'}"
            ) from None

    @property
    def installed(self) -> tuple[str, ...]:
        """Installed app ids, oldest install first."""
        return tuple(self._apps)

    @property
    def foreground(self) -> str | None:
        """The app id in front, ``"store"``, ``"browser"`` or ``None`` (the launcher)."""
        return self._foreground

    # -- the OS --------------------------------------------------------------------------
    def open_url(self, url: str, *, source: str, app_only: bool = False) -> LinkResult:
        """Route ``url`` as the OS does (module doc) and deliver it; with ``app_only``, an
        http(s) link no app is verified for is not handled instead of opening the browser."""
        self.check_open("opening a link")
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = None
        scheme = parts.scheme.lower() if parts else ""
        if scheme in ("http", "https") and parts is not None:
            owner = self._verified_owner(parts) if scheme == "https" else None
            if owner is None and app_only:
                self.trace.record(LinkOpened(source=source, url=url, target=None, form=scheme))
                return LinkResult(False, None)
            if owner is None:
                self.trace.record(LinkOpened(source=source, url=url, target=BROWSER, form=scheme))
                self._browser_url = url
                self._switch(BROWSER, "link")
                return LinkResult(True, BROWSER)
            return self._deliver(owner, url, source, form="https")
        claimants = [a for a in self._apps.values() if scheme and scheme in a.claims_schemes]
        if not claimants:
            self.trace.record(LinkOpened(source=source, url=url, target=None, form="custom"))
            return LinkResult(False, None)
        return self._deliver(claimants[-1], url, source, form="custom")

    def _verified_owner(self, parts: SplitResult) -> PhoneApp | None:
        """The app verified for this https link, the longest ``host/path`` prefix winning:
        the host compared in any case and with or without the default port 443, the path
        as it is (paths are case-sensitive, RFC 3986 §6.2.2.1)."""
        try:
            port = parts.port
        except ValueError:
            return None
        if port not in (None, 443) or not parts.hostname:
            return None
        # A domain vouches for its own app only (its association file, apple-app-site-
        # association / assetlinks.json, names it): another app's claim on it is not verified.
        owners = {
            self.profile.vssid_link_host.lower(): "vssid",
            self.profile.vneid_link_host.lower(): "vneid",
        }
        best: tuple[int, PhoneApp] | None = None
        for app in self._apps.values():
            for prefix in app.verified_links:
                host, slash, path = prefix.partition("/")
                if owners.get(host.lower(), app.app_id) != app.app_id:
                    continue
                if (
                    host.lower() == parts.hostname
                    and parts.path.startswith(slash + path)
                    and (best is None or len(prefix) > best[0])
                ):
                    best = (len(prefix), app)
        return best[1] if best else None

    def _deliver(self, app: PhoneApp, url: str, source: str, *, form: str) -> LinkResult:
        self.trace.record(LinkOpened(source=source, url=url, target=app.app_id, form=form))
        self.delivered.append(url)
        self._switch(app.app_id, "link")
        app.handle_link(url)
        return LinkResult(True, app.app_id)

    def open_store(self, app_id: str, url: str | None = None) -> str | None:
        """Open the store listing of ``app_id`` for this platform (§10); returns its URL."""
        if url is None and app_id in APP_IDS:
            url = self.profile.store_link(app_id, self.platform)
        self.trace.record(StoreOpened(app_id=app_id, platform=self.platform, url=url))
        self._store_page = (app_id, url)
        self._switch(STORE, "store")
        return url

    def switch_to(self, app_id: str) -> None:
        """The user brings an installed app to the front by hand (launching it if needed)."""
        self.check_open(f"switching to {app_id!r}")
        app = self.app(app_id)
        self._switch(app_id, "user")
        app.current_screen()

    def restart(self, app_id: str) -> None:
        """Kill ``app_id``'s process: in-memory state lost, ``storage`` kept.

        A foreground app is relaunched at once; a background one when next shown.
        """
        self.check_open(f"restarting {app_id!r}")
        app = self.app(app_id)
        app.restart()
        if self._foreground == app_id:
            app.current_screen()

    def _switch(self, to: str | None, reason: str) -> None:
        if to != self._foreground:
            self.trace.record(AppSwitched(from_app=self._foreground, to_app=to, reason=reason))
            self._foreground = to

    # -- what is on screen ----------------------------------------------------------------
    def screen(self) -> Screen:
        """The foreground screen: an app's (launched if not running), the store, the browser,
        or the launcher."""
        fg = self._foreground
        if fg == STORE and self._store_page is not None:
            app_id, url = self._store_page
            return Screen(
                app=STORE,
                id=STORE,
                texts=(url or "",),
                data={"app_id": app_id, "url": url, "platform": self.platform},
            )
        if fg == BROWSER:  # a callback that fell through to it holds a live code: the
            # screen shows it redacted, as screenshots and page sources reach reports (S-5)
            shown = redact_url(self._browser_url) if self._browser_url else self._browser_url
            return Screen(app=BROWSER, id=BROWSER, texts=(shown or "",), data={"url": shown})
        if fg is None or fg not in self._apps:
            return Screen(
                app="os",
                id="launcher",
                texts=self.installed,
                elements=tuple(Element(a, "button", a) for a in self._apps),
            )
        return self._apps[fg].current_screen()

    def foreground_app(self) -> PhoneApp:
        """The app in front; :class:`HarnessError` when the store, browser or launcher is."""
        self.check_open("acting on the app in front")
        fg = self._foreground
        if fg is None or fg not in self._apps:
            raise HarnessError(f"no app is in the foreground (foreground: {fg!r}); open one first")
        return self._apps[fg]
