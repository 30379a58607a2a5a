"""Screens of §9 as values: stable automation ids, visible texts, elements, data.

Screen ids and element ids are exactly PROTOCOL.md §9's; the browser and device drivers find
the same ids in the providers' web renderings, so scenarios written against one driver run on
all. Error and update screens take their Vietnamese texts from the §8 catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from harness.protocol import ERRORS
from harness.protocol.redaction import redact_json

__all__ = [
    "APP_ERROR",
    "APP_ERROR_CLOSE",
    "APP_UPDATE",
    "APP_UPDATE_STORE",
    "ElementKind",
    "Element",
    "Screen",
    "UPDATE_MESSAGE",
    "VNEID_APPROVE",
    "VNEID_CONSENT",
    "VNEID_DENY",
    "VNEID_HOME",
    "VNEID_LOGIN",
    "VNEID_LOGIN_SUBMIT",
    "VNEID_LOGIN_TITLE",
    "VNEID_PASSCODE",
    "VNEID_PERSONAL_ID",
    "VSSID_HOME",
    "VSSID_LOGIN",
    "VSSID_LOGIN_VNEID",
    "VSSID_LOGIN_VNEID_LABEL",
    "error_screen",
    "update_screen",
]

ElementKind = Literal["button", "field", "link", "text"]

# §9 screen ids
VSSID_LOGIN = "vssid-login"
VSSID_HOME = "vssid-home"
VNEID_LOGIN = "vneid-login"
VNEID_CONSENT = "vneid-consent"
VNEID_HOME = "vneid-home"
APP_UPDATE = "app-update"
APP_ERROR = "app-error"
# §9 element ids
VSSID_LOGIN_VNEID = "vssid-login-vneid"
VNEID_PERSONAL_ID = "vneid-personal-id"
VNEID_PASSCODE = "vneid-passcode"
VNEID_LOGIN_SUBMIT = "vneid-login-submit"
VNEID_APPROVE = "vneid-approve"
VNEID_DENY = "vneid-deny"
APP_UPDATE_STORE = "app-update-store"
# helper ids of the simulated apps (beside §9's): the error screen's close button
APP_ERROR_CLOSE = "app-error-close"
APP_ERROR_CLOSE_LABEL = "Đóng"
# §9 texts
VSSID_LOGIN_VNEID_LABEL = "Đăng nhập bằng tài khoản định danh điện tử"
VNEID_LOGIN_TITLE = "Đăng nhập tài khoản định danh điện tử mức 2"
UPDATE_MESSAGE = ERRORS["app_update_required"].message_vi


@dataclass(frozen=True)
class Element:
    """One thing on a screen a user (or a driver) can see, tap or type into."""

    id: str
    kind: ElementKind
    label: str
    value: str | None = None
    enabled: bool = True


CITIZEN_FIELDS = frozenset({"full_name", "personal_id", "bhxh_code", "birthdate", "gender"})
"""The data of a screen that is a citizen's own (VssID's home screen shows the first three),
left out of :meth:`Screen.describe`."""


@dataclass(frozen=True)
class Screen:
    """What an app shows: its §9 id, visible texts, elements and machine-readable data."""

    app: str
    id: str
    texts: tuple[str, ...] = ()
    elements: tuple[Element, ...] = ()
    error: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "texts", tuple(self.texts))
        object.__setattr__(self, "elements", tuple(self.elements))
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    def describe(self) -> str:
        """What a failure message says of this screen: ``vssid showing app-error: error
        invalid_grant (clause T-2): …``, ``vneid showing vneid-consent {'service': …}``; the
        citizen's own data (:data:`CITIZEN_FIELDS`, on VssID's home screen) left out, so one
        fault reads the same whoever logged in (reports group failures by message) and no
        personal ID is written out whole; secrets in the rest redacted (S-5)."""
        text = f"{self.app} showing {self.id}"
        if self.error is not None:
            # a refusal that named no clause (a vendor's 404 page, read by the app as
            # invalid_request) reads so, not as Python's "(clause None)"
            clause = self.data.get("clause")
            cited = f"clause {clause}" if clause else "no clause"
            if self.data.get("code_named") is False:
                # the app's own fallback, not a code the server sent (§8 has none for an
                # answer that is no refusal body: a vendor's HTML 404, a proxy's 502)
                status = self.data.get("status")
                answer = f"a {status} answer" if status else "an answer"
                cited = f"the app's fallback for {answer} naming no §8 code; {cited}"
            return (
                f"{text}: error {self.error} ({cited}): {self.data.get('error_description') or ''}"
            )
        # a hijacking app's screen holds the callbacks it caught, codes in them (S-5)
        shown = redact_json(
            {
                k: list(v) if isinstance(v, tuple) else v
                for k, v in self.data.items()
                if k not in CITIZEN_FIELDS
            }
        )
        if shown:
            text += f" {shown}"
        if len(shown) < len(self.data):
            text += " (the citizen's data left out)"
        return text

    @property
    def element_ids(self) -> tuple[str, ...]:
        return tuple(e.id for e in self.elements)

    def has(self, element_id: str) -> bool:
        return any(e.id == element_id for e in self.elements)

    def element(self, element_id: str) -> Element:
        for e in self.elements:
            if e.id == element_id:
                return e
        from harness.errors import ErrorScreenInstead, NoSuchElement

        missing = NoSuchElement if self.error is None else ErrorScreenInstead
        raise missing(
            f"screen {self.id!r} of {self.app!r} has no element "
            f"{element_id!r}; present: {', '.join(self.element_ids) or '(none)'}"
            f"{self._error_shown()}"
        )

    def _error_shown(self) -> str:
        """For a message saying that an element is missing: on an error screen, the error it
        shows (the app reached it instead of the screen the scenario expected; a vendor's
        server that answered 404 must read as that, not as a missing button)."""
        return f"; the screen shows {self.describe()}" if self.error is not None else ""

    def actionable(self, element_id: str, kinds: tuple[ElementKind, ...]) -> Element:
        """The element a tap or typing acts on, or :class:`~harness.errors.HarnessError` (a test
        bug, not a protocol refusal): absent, of another kind, or disabled. One rule for the
        sim apps and the UI drivers."""
        from harness.errors import ErrorScreenInstead, HarnessError

        if not self.has(element_id):
            missing = HarnessError if self.error is None else ErrorScreenInstead
            raise missing(
                f"{self.app}: screen {self.id!r} has no element {element_id!r}; "
                f"present: {', '.join(self.element_ids) or '(none)'}{self._error_shown()}"
            )
        element = self.element(element_id)
        if element.kind not in kinds:
            raise HarnessError(
                f"{self.app}: {element_id!r} on {self.id!r} is a "
                f"{element.kind}, not a {' or '.join(kinds)}"
            )
        if not element.enabled:
            raise HarnessError(f"{self.app}: {element_id!r} on {self.id!r} is disabled")
        return element

    def with_value(self, element_id: str, value: str) -> Screen:
        """A copy with ``element_id``'s value replaced (typing into a field)."""
        self.element(element_id)
        elements = tuple(
            Element(e.id, e.kind, e.label, value, e.enabled) if e.id == element_id else e
            for e in self.elements
        )
        return Screen(self.app, self.id, self.texts, elements, self.error, self.data)

    def contains_text(self, needle: str) -> bool:
        """Whether ``needle`` is part of one of the screen's texts or element labels."""
        return any(needle in t for t in self.texts) or any(needle in e.label for e in self.elements)

    def to_json(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "id": self.id,
            "texts": list(self.texts),
            "error": self.error,
            "elements": [
                {
                    "id": e.id,
                    "kind": e.kind,
                    "label": e.label,
                    "value": e.value,
                    "enabled": e.enabled,
                }
                for e in self.elements
            ],
            "data": dict(self.data),
        }


def error_screen(
    app: str,
    code: str,
    *,
    clause: str | None = None,
    status: int | None = None,
    description: str | None = None,
    message: str | None = None,
    catalog_clause: bool = True,
    code_named: bool = True,
) -> Screen:
    """``app-error``: the §8 Vietnamese message and the error code (§9), and a close button
    (``app-error-close``) that takes the user back to the app's first screen, as an error
    dialog's "Đóng" does. Without ``clause``, the catalog's clause for ``code`` unless
    ``catalog_clause`` is false (a server's refusal: only what the server said).
    ``code_named`` false: the answer named no code, ``code`` is the app's fallback from the
    status (kept in the screen's data as ``code_named``, which :meth:`Screen.describe` says)."""
    spec = ERRORS.get(code)
    if clause is None and catalog_clause and spec is not None:
        clause = spec.clause
    text = spec.message_vi if spec else (message or ERRORS["server_error"].message_vi)
    return Screen(
        app=app,
        id=APP_ERROR,
        texts=(text, code),
        elements=(
            Element("app-error-message", "text", text),
            Element("app-error-code", "text", code),
            Element(APP_ERROR_CLOSE, "button", APP_ERROR_CLOSE_LABEL),
        ),
        error=code,
        data={
            "error": code,
            "clause": clause,
            "status": status,
            "error_description": description,
            **({} if code_named else {"code_named": False}),
        },
    )


def update_screen(app: str, store_url: str | None) -> Screen:
    """``app-update``: the update message and a link to the store listing (V-4…V-6, §10)."""
    return Screen(
        app=app,
        id=APP_UPDATE,
        texts=(UPDATE_MESSAGE,),
        elements=(
            Element("app-update-message", "text", UPDATE_MESSAGE),
            Element(APP_UPDATE_STORE, "link", "Cập nhật", store_url, enabled=store_url is not None),
        ),
        data={"store_url": store_url},
    )
