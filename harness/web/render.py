"""The web rendering of a phone's foreground screen (§9): one Jinja2 template, autoescaped.

Every element carries its §9 automation id as ``data-testid`` (and as the HTML ``id``);
buttons, links and fields have an accessible name (``aria-label``, plus a ``<label>`` for
fields). The page says what it shows on ``<body>`` (``data-app``, ``data-screen``,
``data-platform``) and carries the :class:`~harness.apps.screens.Screen` value itself in a
``<script type="application/json" id="screen-data">`` blob, so a driver rebuilds the very value
the sim driver returns (:func:`screen_from_json`). Texts are Vietnamese, as the apps show them;
the layout fits a phone's viewport.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from typing import Any

import jinja2
from markupsafe import Markup

from harness.apps.screens import (
    APP_ERROR,
    APP_UPDATE,
    VNEID_CONSENT,
    VNEID_HOME,
    VNEID_LOGIN,
    VNEID_LOGIN_TITLE,
    VSSID_HOME,
    VSSID_LOGIN,
    Element,
    ElementKind,
    Screen,
)
from harness.errors import HarnessError

__all__ = [
    "CAPTIONS",
    "SCREEN_TITLES",
    "fingerprint",
    "html_safe_json",
    "render_screen",
    "screen_from_json",
]

SCREEN_TITLES: Mapping[str, str] = {
    VSSID_LOGIN: "VssID - BHXH số",
    VSSID_HOME: "Trang chủ",
    VNEID_LOGIN: VNEID_LOGIN_TITLE,
    VNEID_CONSENT: "Xác nhận đăng nhập",
    VNEID_HOME: "VNeID",
    APP_UPDATE: "Cập nhật ứng dụng",
    APP_ERROR: "Không thực hiện được",
    "store": "Cửa hàng ứng dụng",
    "browser": "Trình duyệt",
    "launcher": "Màn hình chính",
}
"""The heading of each screen (Vietnamese)."""

CAPTIONS: Mapping[str, str] = {
    "vssid-home-name": "Họ và tên",
    "vssid-home-bhxh-code": "Mã số BHXH",
    "vneid-consent-service": "Dịch vụ",
    "app-error-code": "Mã lỗi",
}
"""A caption shown above these text elements (not part of the element's text)."""

_APP_NAMES = {"vssid": "VssID", "vneid": "VNeID", "browser": "Trình duyệt", "os": "Điện thoại"}
_STORE_NAMES = {"ios": "App Store", "android": "Google Play"}
_PLATFORM_NAMES = {"ios": "iOS", "android": "Android"}
_ACCENTS = {
    "vssid": "#0b5ea8",
    "vneid": "#b71c1c",
    "store": "#3c4043",
    "os": "#3c4043",
    "browser": "#3c4043",
}
_KINDS: frozenset[str] = frozenset({"button", "field", "link", "text"})

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("harness.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def html_safe_json(value: Any) -> Markup:
    """``value`` as JSON that is safe inside ``<script>`` (no ``<``, ``>``, ``&``, ``'``)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("'", "\\u0027")):
        text = text.replace(char, escaped)
    return Markup(text)  # noqa: S704 -- escaped above for the <script> context


def fingerprint(foreground: str | None, screen: Screen) -> str:
    """What is on the phone's display, typed values left out: two renderings with the same
    fingerprint show the same screen (a driver reloads its page when it changed)."""
    shape = screen.to_json()
    for element in shape["elements"]:
        element.pop("value", None)
    text = json.dumps([foreground, shape], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def render_screen(
    screen: Screen,
    *,
    phone_id: str,
    platform: str,
    tap_url: str,
    fingerprint: str,
    render_id: int,
    secret_fields: Collection[str] = (),
) -> str:
    """The HTML page showing ``screen`` on a ``platform`` phone; buttons post to ``tap_url``.

    Fields named in ``secret_fields`` are password inputs and never carry a value."""
    title = SCREEN_TITLES.get(screen.id) or (screen.texts[0] if screen.texts else screen.id)
    shown = {title, *(e.label for e in screen.elements)}
    if screen.id in ("store", "browser"):
        shown.add(str(screen.data.get("url") or ""))
    loose = [t for t in screen.texts if t and t not in shown]
    app_name = (
        _STORE_NAMES.get(platform, "Store")
        if screen.app == "store"
        else _APP_NAMES.get(screen.app, screen.app)
    )
    return _env.get_template("phone.html.j2").render(
        screen=screen,
        title=title,
        loose_texts=loose,
        app_name=app_name,
        accent=_ACCENTS.get(screen.app, "#3c4043"),
        platform=platform,
        platform_name=_PLATFORM_NAMES.get(platform, platform),
        phone_id=phone_id,
        tap_url=tap_url,
        fingerprint=fingerprint,
        render_id=render_id,
        secret_fields=frozenset(secret_fields),
        screen_json=html_safe_json(screen.to_json()),
        captions=CAPTIONS,
    )


def _kind(value: Any) -> ElementKind:
    if value == "button":
        return "button"
    if value == "field":
        return "field"
    if value == "link":
        return "link"
    if value == "text":
        return "text"
    raise HarnessError(f"unknown element kind {value!r}; expected one of {sorted(_KINDS)}")


def screen_from_json(data: Mapping[str, Any]) -> Screen:
    """The :class:`Screen` a rendering carries (the inverse of :meth:`Screen.to_json`)."""
    try:
        elements = tuple(
            Element(
                str(e["id"]),
                _kind(e["kind"]),
                str(e["label"]),
                None if e.get("value") is None else str(e["value"]),
                bool(e.get("enabled", True)),
            )
            for e in data.get("elements", ())
        )
        error = data.get("error")
        return Screen(
            app=str(data["app"]),
            id=str(data["id"]),
            texts=tuple(str(t) for t in data.get("texts", ())),
            elements=elements,
            error=None if error is None else str(error),
            data=dict(data.get("data") or {}),
        )
    except (KeyError, TypeError) as exc:
        raise HarnessError(
            f"a screen rendering carries malformed screen data ({exc!r}); "
            "was the page rendered by harness.web?"
        ) from None
