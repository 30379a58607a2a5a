"""The web rendering of §9's screens: ids, accessible names, Vietnamese texts, the blob."""

from __future__ import annotations

import pytest

from harness.apps.screens import (
    APP_UPDATE_STORE,
    UPDATE_MESSAGE,
    VNEID_LOGIN_TITLE,
    VSSID_LOGIN_VNEID_LABEL,
    Element,
    Screen,
    error_screen,
    update_screen,
)
from harness.errors import HarnessError
from harness.web import fingerprint, render_screen, screen_from_json
from tests.drivers.page_probe import Page, read_page

STORE_URL = "https://apps.apple.com/vn/app/vneid/id1582750311"

SCREENS = {
    "vssid-login": Screen(
        "vssid",
        "vssid-login",
        ("VssID - BHXH số",),
        (Element("vssid-login-vneid", "button", VSSID_LOGIN_VNEID_LABEL),),
    ),
    "app-update": update_screen("vneid", STORE_URL),
    "vneid-login": Screen(
        "vneid",
        "vneid-login",
        (VNEID_LOGIN_TITLE,),
        (
            Element("vneid-personal-id", "field", "Số định danh cá nhân"),
            Element("vneid-passcode", "field", "Mật khẩu"),
            Element("vneid-login-submit", "button", "Đăng nhập"),
        ),
    ),
    "vneid-consent": Screen(
        "vneid",
        "vneid-consent",
        ("VssID", "VssID yêu cầu đăng nhập bằng tài khoản định danh điện tử của bạn"),
        (
            Element("vneid-consent-service", "text", "VssID"),
            Element("vneid-approve", "button", "Đồng ý"),
            Element("vneid-deny", "button", "Từ chối"),
        ),
        data={"service": "VssID", "client_id": "vssid"},
    ),
    "vssid-home": Screen(
        "vssid",
        "vssid-home",
        ("Nguyễn Thị Hồng Nhung", "0123456789"),
        (
            Element("vssid-home-name", "text", "Nguyễn Thị Hồng Nhung"),
            Element("vssid-home-bhxh-code", "text", "0123456789"),
        ),
        data={
            "full_name": "Nguyễn Thị Hồng Nhung",
            "bhxh_code": "0123456789",
            "personal_id": "001190123456",
        },
    ),
    "app-error": error_screen(
        "vssid", "unmet_authentication_requirements", clause="P-2", status=None
    ),
}
"""§9's six screens, as the simulated apps show them."""

INTERACTIVE = ("button", "input")


def render(
    screen: Screen, *, secret: tuple[str, ...] = ("vneid-passcode",), platform: str = "ios"
) -> Page:
    html = render_screen(
        screen,
        phone_id="p1",
        platform=platform,
        tap_url="/phone/p1/tap",
        fingerprint=fingerprint(screen.app, screen),
        render_id=7,
        secret_fields=secret,
    )
    return read_page(html)


@pytest.mark.parametrize("screen_id", SCREENS)
def test_every_section9_screen_carries_its_ids_texts_and_value(screen_id: str) -> None:
    screen = SCREENS[screen_id]
    page = render(screen)
    assert page.html_attrs["lang"] == "vi"
    assert (page.body["data-app"], page.body["data-screen"]) == (screen.app, screen.id)
    assert page.testids[screen.id].tag == "main"
    for element in screen.elements:
        node = page.testids[element.id]
        assert node.attrs["id"] == element.id
        if node.tag in INTERACTIVE:
            assert node.attrs["aria-label"] == element.label, element.id
    for text in screen.texts:
        assert text in page.visible, f"{text!r} is not visible on {screen_id}"
    assert screen_from_json(page.blob) == screen
    viewport = [m for m in page.meta if m.get("name") == "viewport"]
    assert viewport
    assert "width=device-width" in viewport[0]["content"]


def test_protocol_wording_is_on_the_buttons_and_titles() -> None:
    login = render(SCREENS["vssid-login"])
    assert login.testids["vssid-login-vneid"].text == "Đăng nhập bằng tài khoản định danh điện tử"
    assert login.testids["vssid-login-vneid"].tag == "button"
    vneid = render(SCREENS["vneid-login"])
    assert "Đăng nhập tài khoản định danh điện tử mức 2" in vneid.visible
    assert vneid.labels["vneid-personal-id"] == "Số định danh cá nhân"
    error = render(SCREENS["app-error"])
    assert error.testids["app-error-code"].text == "unmet_authentication_requirements"
    assert "Tài khoản định danh điện tử chưa đạt mức 2" in error.visible


def test_fields_are_real_inputs_and_a_secret_never_carries_its_value() -> None:
    typed = (
        SCREENS["vneid-login"]
        .with_value("vneid-personal-id", "001190123456")
        .with_value("vneid-passcode", "••••••")
    )
    page = render(typed)
    personal = page.testids["vneid-personal-id"]
    passcode = page.testids["vneid-passcode"]
    assert (personal.tag, personal.attrs["type"], personal.attrs["value"]) == (
        "input",
        "text",
        "001190123456",
    )
    assert (passcode.tag, passcode.attrs["type"], passcode.attrs["value"]) == (
        "input",
        "password",
        "",
    )
    submit = page.testids["vneid-login-submit"]
    assert (submit.attrs["type"], submit.attrs["name"], submit.attrs["value"]) == (
        "submit",
        "_tap",
        "vneid-login-submit",
    )


def test_update_screen_shows_the_store_link_and_a_disabled_one_without_url() -> None:
    page = render(SCREENS["app-update"])
    assert UPDATE_MESSAGE in page.visible
    assert page.testids[f"{APP_UPDATE_STORE}-url"].text == STORE_URL
    assert "disabled" not in page.testids[APP_UPDATE_STORE].attrs
    dead = render(update_screen("vssid", None))
    assert "disabled" in dead.testids[APP_UPDATE_STORE].attrs


def test_store_page_launcher_and_browser_render_too() -> None:
    store = render(
        Screen(
            "store",
            "store",
            (STORE_URL,),
            data={"app_id": "vneid", "url": STORE_URL, "platform": "android"},
        ),
        platform="android",
    )
    assert store.testids["store-page"]
    assert store.testids["store-url"].text == STORE_URL
    assert "Google Play" in store.visible
    launcher = render(
        Screen(
            "os",
            "launcher",
            ("vssid", "vneid"),
            (Element("vssid", "button", "vssid"), Element("vneid", "button", "vneid")),
        )
    )
    assert launcher.testids["vssid"].tag == "button"
    browser = render(
        Screen(
            "browser",
            "browser",
            ("https://example.test/x",),
            data={"url": "https://example.test/x"},
        )
    )
    assert browser.testids["browser-url"].text == "https://example.test/x"


def test_hostile_text_is_escaped_in_the_page_and_in_the_blob() -> None:
    name = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'
    screen = Screen(
        "vssid",
        "vssid-home",
        (name, "0123456789"),
        (
            Element("vssid-home-name", "text", name),
            Element("vssid-home-bhxh-code", "text", "0123456789"),
        ),
        data={"full_name": name, "'quote'": "&amp;"},
    )
    html = render_screen(
        screen, phone_id="p1", platform="ios", tap_url="/t", fingerprint="f", render_id=1
    )
    assert "<script>alert" not in html
    assert "<img" not in html
    assert html.count("</script>") == 1  # the blob's own end tag only
    page = read_page(html)
    assert page.testids["vssid-home-name"].text == name
    assert screen_from_json(page.blob) == screen


def test_fingerprint_ignores_typed_values_but_not_the_screen() -> None:
    login = SCREENS["vneid-login"]
    typed = login.with_value("vneid-personal-id", "001190123456")
    assert fingerprint("vneid", login) == fingerprint("vneid", typed)
    assert fingerprint("vneid", login) != fingerprint("vssid", login)
    assert fingerprint("vneid", login) != fingerprint("vneid", SCREENS["vneid-consent"])


def test_malformed_screen_data_is_a_harness_error() -> None:
    with pytest.raises(HarnessError, match="malformed screen data"):
        screen_from_json({"id": "x"})
    with pytest.raises(HarnessError, match="unknown element kind 'slider'"):
        screen_from_json(
            {"app": "a", "id": "x", "elements": [{"id": "e", "kind": "slider", "label": "E"}]}
        )
