"""Screens as values: §9 ids, element lookup, §8 texts on error and update screens."""

from __future__ import annotations

import pytest

from harness.apps.screens import (
    APP_UPDATE_STORE,
    UPDATE_MESSAGE,
    Element,
    Screen,
    error_screen,
    update_screen,
)
from harness.errors import HarnessError
from harness.protocol import ERRORS


def test_element_lookup_lists_present_ids() -> None:
    screen = Screen(
        "vneid", "vneid-login", ("t",), (Element("a", "field", "A"), Element("b", "button", "B"))
    )
    assert screen.has("a")
    assert not screen.has("c")
    assert screen.element("b").label == "B"
    assert screen.element_ids == ("a", "b")
    with pytest.raises(KeyError, match="no element 'c'; present: a, b"):
        screen.element("c")
    with pytest.raises(HarnessError) as caught:  # the harness's own error, not a bare KeyError
        screen.element("c")
    assert str(caught.value) == "screen 'vneid-login' of 'vneid' has no element 'c'; present: a, b"


def test_contains_text_looks_in_texts_and_labels() -> None:
    """README's ``screen.contains_text("…")``: part of a text or of an element's label."""
    screen = Screen(
        "vssid",
        "vssid-login",
        ("Đăng nhập VssID",),
        (Element("vssid-login-vneid", "button", "Đăng nhập bằng VNeID"),),
    )
    assert screen.contains_text("nhập VssID")
    assert screen.contains_text("bằng VNeID")
    assert not screen.contains_text("vssid-login-vneid")  # an id is not text
    assert not Screen("x", "empty").contains_text("a")


def test_with_value_and_immutable_data() -> None:
    screen = Screen("x", "s", elements=(Element("f", "field", "F"),), data={"k": 1})
    typed = screen.with_value("f", "hello")
    assert typed.element("f").value == "hello"
    assert screen.element("f").value is None
    with pytest.raises(TypeError):
        screen.data["k"] = 2  # type: ignore[index]


def test_error_screen_shows_the_catalog_message_and_code() -> None:
    screen = error_screen("vneid", "account_locked", status=423)
    assert screen.id == "app-error"
    assert screen.error == "account_locked"
    assert screen.texts == ("Tài khoản đã bị khoá", "account_locked")
    assert screen.data["clause"] == ERRORS["account_locked"].clause
    assert screen.data["status"] == 423


def test_error_screen_for_an_unknown_code() -> None:
    screen = error_screen("vssid", "weird_error", message="Lỗi lạ")
    assert screen.texts == ("Lỗi lạ", "weird_error")
    assert screen.data["clause"] is None


def test_update_screen_links_the_store() -> None:
    screen = update_screen("vneid", "https://apps.apple.com/vn/app/vneid/id1582750311")
    assert screen.id == "app-update"
    assert screen.texts == (UPDATE_MESSAGE,)
    assert UPDATE_MESSAGE == "Vui lòng cập nhật ứng dụng lên phiên bản mới nhất"
    link = screen.element(APP_UPDATE_STORE)
    assert link.kind == "link"
    assert link.value == screen.data["store_url"]
    assert not update_screen("vneid", None).element(APP_UPDATE_STORE).enabled


def test_a_missing_element_on_an_error_screen_names_the_error_shown() -> None:
    # the scenario wanted the consent screen; the app showed an error instead: the message
    # says which (the provider's 404), not only that a button is missing
    screen = error_screen(
        "vneid",
        "invalid_request",
        status=404,
        catalog_clause=False,
        description="POST /api/app/v1/sessions answered 404 with a body that is not JSON (0 bytes)",
    )
    shown = (
        "; the screen shows vneid showing app-error: error invalid_request (no clause): "
        "POST /api/app/v1/sessions answered 404 with a body that is not JSON (0 bytes)"
    )
    with pytest.raises(HarnessError) as caught:
        screen.actionable("vneid-approve", ("button",))
    assert str(caught.value) == (
        "vneid: screen 'app-error' has no element 'vneid-approve'; present: "
        f"app-error-message, app-error-code, app-error-close{shown}"
    )
    with pytest.raises(HarnessError) as looked_up:
        screen.element("vneid-approve")
    assert str(looked_up.value).endswith(shown)
    # any other screen's message is as before
    with pytest.raises(HarnessError) as other:
        Screen("vneid", "vneid-login").actionable("vneid-approve", ("button",))
    assert (
        str(other.value) == "vneid: screen 'vneid-login' has no element 'vneid-approve'; "
        "present: (none)"
    )
