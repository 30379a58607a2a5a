"""What every simulated app shares: install state, screens, taps by automation id, HTTP.

An app is a small state machine over its §9 screens. In-memory state (the current screen,
typed text, a link being handled) is lost on :meth:`App.restart`; ``storage`` is what the app
persisted and survives it. Tapping or typing into an element that is not on the current
screen is a test bug, not a protocol refusal: it raises :class:`~harness.errors.HarnessError`
naming the screen and the elements present.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import httpx

from harness.apps.screens import (
    APP_ERROR_CLOSE,
    Element,
    ElementKind,
    Screen,
    error_screen,
    update_screen,
)
from harness.errors import HarnessError
from harness.protocol import (
    DEFAULT_PROFILE,
    ERRORS,
    AppId,
    Profile,
    Version,
    VersionError,
    parse_version,
)
from harness.protocol.redaction import redact_secret_shapes
from harness.trace import ScreenShown, ensure_traced

if TYPE_CHECKING:
    from harness.device import Phone, StoreName

__all__ = ["App", "Reply"]

PLATFORM_HEADER = "X-Device-Platform"


@dataclass(frozen=True)
class Reply:
    """A server's answer as an app sees it: status and JSON object (``{}`` if none)."""

    status: int
    body: Mapping[str, Any] = field(default_factory=dict)
    unreadable: str | None = None
    """Why the body is no JSON object, when it is not (``POST /path answered 502 with a body
    that is not JSON (87 bytes)``): a vendor's server that cut its answer short showed as an
    answer lacking its keys, or as a refusal of ``invalid_request`` it never sent."""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error(self) -> str:
        """The §8 code of a refusal (derived from the status when the body has none)."""
        code = self.body.get("error")
        if isinstance(code, str) and code:
            return code
        return "server_error" if self.status >= 500 or self.status == 0 else "invalid_request"

    @property
    def named_error(self) -> bool:
        """Whether the answer itself named its §8 code (else :attr:`error` is the app's own
        fallback from the status: a vendor's 404 page names none)."""
        code = self.body.get("error")
        return isinstance(code, str) and bool(code)


_STORE_SCHEMES = ("https://", "http://", "itms-apps://", "market://")


def store_link_in(body: Any, prefer: str | None = None) -> str | None:
    """The store link a 426 carries: its ``store_url`` (the mock's field), else the first
    link in it, however deep (V-4 and V-5 name no field: "carrying the store link"); with
    ``prefer`` (the platform's store origin), the first link to it, when one is there: an
    answer listing both stores opens the phone's own."""
    links: list[str] = []
    named = body.get("store_url") if isinstance(body, dict) else None
    if isinstance(named, str):
        links.append(named)
    pending: list[Any] = [body]
    while pending:
        value = pending.pop(0)
        if isinstance(value, str) and value.startswith(_STORE_SCHEMES):
            links.append(value)
        if isinstance(value, dict):
            pending.extend(v for k, v in value.items() if k != "store_url")
        elif isinstance(value, list):
            pending.extend(value)
    if prefer is not None:
        own = next((link for link in links if link.startswith(prefer)), None)
        if own is not None:
            return own
    return links[0] if links else None


class App:
    """Base of the simulated apps; subclasses define the screens and the route table."""

    secret_fields: frozenset[str] = frozenset()
    """Fields whose typed value the screen shows masked (S-5: never on a screen or trace)."""

    def __init__(
        self,
        app_id: str,
        version: str,
        *,
        claims_schemes: Iterable[str] = (),
        verified_links: Iterable[str] = (),
        profile: Profile = DEFAULT_PROFILE,
        store: StoreName | None = None,
    ) -> None:
        self.app_id = app_id
        self.version = version
        self.claims_schemes = frozenset(s.lower() for s in claims_schemes)
        self.verified_links = tuple(verified_links)
        self.profile = profile
        self.store: StoreName | None = store
        self.storage: dict[str, Any] = {}
        self._phone: Phone | None = None
        self._screen: Screen | None = None
        self._inputs: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(app_id={self.app_id!r}, version={self.version!r})"

    # -- install and process lifecycle ---------------------------------------------------
    @property
    def phone(self) -> Phone:
        if self._phone is None:
            raise HarnessError(
                f"{self.app_id} is not installed on a phone; call phone.install(app) first"
            )
        return self._phone

    def attach(self, phone: Phone) -> None:
        """Called by :meth:`Phone.install`."""
        from harness.device import STORE_OF_PLATFORM

        if self._phone is not None and self._phone is not phone:
            raise HarnessError(
                f"{self.app_id} is already installed on another phone; "
                "create one app object per phone"
            )
        self._phone = phone
        if self.store is None:
            self.store = STORE_OF_PLATFORM[phone.platform]
        for target, client in self.http_clients().items():
            ensure_traced(client, phone.trace, self.app_id, target)

    def detach(self) -> None:
        """Called by :meth:`Phone.uninstall`."""
        self.restart()
        self._phone = None

    def restart(self) -> None:
        """The process is killed: in-memory state is lost, ``storage`` is kept."""
        self._screen = None
        self._inputs.clear()
        self.forget()

    def forget(self) -> None:
        """Drop subclass in-memory state (override)."""

    def http_clients(self) -> Mapping[str, httpx.Client]:
        """``{target name: client}`` whose calls the phone's trace records (override)."""
        return {}

    # -- screens -------------------------------------------------------------------------
    def launch(self) -> Screen:
        """Start the app from the launcher and show its first screen."""
        return self.show(self.launch_screen())

    def launch_screen(self) -> Screen:
        raise NotImplementedError

    def current_screen(self) -> Screen:
        """The screen on display, launching the app if its process is not running."""
        return self._screen if self._screen is not None else self.launch()

    def show(self, screen: Screen) -> Screen:
        # What was typed lives in the fields that show it: a screen shown anew (the same
        # login screen again, say) starts with empty fields, so nothing hidden is submitted.
        self._inputs = {k: v for k, v in self._inputs.items() if _shows_value(screen, k)}
        self._screen = screen
        self.phone.trace.record(
            ScreenShown(app=self.app_id, screen_id=screen.id, texts=screen.texts)
        )
        return screen

    def error_screen_for(self, reply: Reply) -> Screen:
        """``app-error`` for a refusal: the §8 message and code, and the clause, status and
        description exactly as the refusal carried them (none filled in from the catalog:
        the suites read what the backend sent from this screen, §8). A refusal whose body is
        no JSON object has the app's word for that as its description."""
        clause = reply.body.get("clause")
        description = reply.body.get("error_description", reply.unreadable)
        return error_screen(
            self.app_id,
            reply.error,
            clause=clause if isinstance(clause, str) else None,
            status=reply.status or None,
            description=description if isinstance(description, str) else None,
            catalog_clause=False,
            code_named=reply.named_error,
        )

    def show_error(self, reply: Reply) -> Screen:
        return self.show(self.error_screen_for(reply))

    def show_update(self, store_url: str | None) -> Screen:
        return self.show(update_screen(self.app_id, store_url))

    def update_screen_for(self, reply: Reply) -> Screen | None:
        """V-4, V-5: for a 426 ``app_update_required`` from any backend call, §9's update
        screen with the store link the refusal carries (none filled in: a refusal without
        one shows the update link disabled, so the suites see what the backend sent);
        ``None`` for any other answer."""
        if reply.ok or (reply.status != 426 and reply.error != "app_update_required"):
            return None
        prefer = (
            self.profile.store_origin(cast(AppId, self.app_id), self.phone.platform)
            if self.app_id in ("vssid", "vneid")
            else None
        )
        return update_screen(self.app_id, store_link_in(reply.body, prefer))

    def version_at_least(self, minimum: Version) -> bool:
        """Whether this app's own version reaches ``minimum``; malformed counts as too old."""
        try:
            return parse_version(self.version) >= minimum
        except VersionError:
            return False

    # -- user input ----------------------------------------------------------------------
    def actions(self) -> Mapping[str, Callable[[], None]]:
        """Route table: tappable element id → handler (override)."""
        return {"app-update-store": self.open_update_store, APP_ERROR_CLOSE: self.close_error}

    def handle_link(self, url: str) -> None:
        raise NotImplementedError

    def tap(self, element_id: str) -> None:
        self._element(element_id, ("button", "link"))
        action = self.actions().get(element_id)
        if action is None:
            raise HarnessError(f"{self.app_id}: nothing handles a tap on {element_id!r}")
        action()

    def type(self, element_id: str, text: str) -> None:
        check_typed_text(element_id, text)
        self._element(element_id, ("field",))
        self._inputs[element_id] = text
        shown = "•" * len(text) if element_id in self.secret_fields else text
        self._screen = self.current_screen().with_value(element_id, shown)

    def _element(self, element_id: str, kinds: tuple[ElementKind, ...]) -> Element:
        return self.current_screen().actionable(element_id, kinds)

    def close_error(self) -> None:
        """The error screen's close button: the app's first screen, as at launch (VssID's
        login, or its home while its session lives; VNeID's home)."""
        self.show(self.launch_screen())

    def open_update_store(self) -> None:
        url = self.current_screen().data.get("store_url")
        self.phone.open_store(self.app_id, url if isinstance(url, str) else None)

    # -- HTTP ----------------------------------------------------------------------------
    def request(
        self,
        client: httpx.Client,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        json: Any = None,
        bearer: str | None = None,
    ) -> Reply:
        """One API call; transport failures become ``provider_unavailable`` replies."""
        hdrs = dict(headers)
        if bearer is not None:
            hdrs["Authorization"] = f"Bearer {bearer}"
        try:
            response = client.request(method, path, headers=hdrs, json=json)
        except httpx.TransportError as exc:  # h11 may quote a header sent: "Bearer …" (S-5)
            said = redact_secret_shapes(f"{type(exc).__name__}: {exc}")
            return Reply(
                0,
                {
                    "error": "provider_unavailable",
                    "error_description": said,
                    "clause": ERRORS["provider_unavailable"].clause,
                },
            )
        status = response.status_code
        try:
            body = response.json()
        except (ValueError, RecursionError) as exc:
            what = (
                "JSON nested too deep"
                if isinstance(exc, RecursionError)
                else ("a body that is not JSON")
            )
            return Reply(
                status,
                {},
                f"{method} {path} answered {status} with {what} ({len(response.content)} bytes)",
            )
        if not isinstance(body, dict):
            return Reply(
                status,
                {},
                f"{method} {path} answered {status} with JSON that is not "
                f"an object (a {type(body).__name__})",
            )
        return Reply(status, body)

    @staticmethod
    def missing(reply: Reply, *keys: str) -> Reply | None:
        """A ``server_error`` reply naming the first key absent from a 2xx body (or saying
        that the body is no JSON object), or ``None``."""
        if reply.unreadable is not None:
            return Reply(
                502,
                {
                    "error": "server_error",
                    "error_description": reply.unreadable,
                    "clause": ERRORS["server_error"].clause,
                },
            )
        for key in keys:
            value = reply.body.get(key)
            # a number is taken as its digits (a bhxh_code sent as 1234567890); true is not
            # one, though Python's bool is an int (it was kept as the text "True")
            if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
                said = (
                    f"the answer lacks {key!r}"
                    if value is None or value == ""
                    else f"the answer's {key!r} is {_JSON_KINDS.get(type(value), 'a number')}, "
                    "not text"
                )
                return Reply(
                    502,
                    {
                        "error": "server_error",
                        "error_description": said,
                        "clause": ERRORS["server_error"].clause,
                    },
                )
        return None


_JSON_KINDS: dict[type, str] = {bool: "a boolean", list: "an array", dict: "an object"}
"""What a JSON value that is not text is, said without the value (it may hold a secret)."""


def check_typed_text(element_id: str, text: object) -> None:
    """What a user types is text: anything else is a mistake of the scenario, refused the
    same way by every driver."""
    if not isinstance(text, str):
        raise HarnessError(
            f"type({element_id!r}, ...) takes the text to type (a str), got "
            f'{type(text).__name__}; to empty the field, type ""'
        )
    control = next((ch for ch in text if ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0), None)
    if control is not None:
        raise HarnessError(
            f"type({element_id!r}, ...): the text holds the control character "
            f"{control!r}, which the drivers cannot type alike (a browser's field drops a line "
            "break, Appium sends it as Enter and submits the form): type printable text, and "
            "tap the submit button to submit; to send a control character to a provider, call "
            "its API (ProviderHandle.client())"
        )


def _shows_value(screen: Screen, element_id: str) -> bool:
    """Whether ``screen`` has the field ``element_id`` with something typed in it."""
    return any(e.id == element_id and e.value for e in screen.elements)
