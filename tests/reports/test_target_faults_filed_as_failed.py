"""What a target gets wrong is filed as a failed check, not as a test error.

Allure files a test that raised an ``AssertionError`` as *failed* (under its clause's
category) and one that raised anything else as *broken* ("Test errors: the test or the
harness raised"). A vendor's provider whose discovery lacked ``userinfo_endpoint``, whose
answer was not JSON, or whose refusal left the app on its error screen where the test meant
to tap on, was filed under the harness's errors (a review ran the plan against
oauth2-mock-server and MockPass). Allure's own rule (``allure_pytest.utils.get_status``) is
asked here, so a change of it shows.
"""

from __future__ import annotations

import httpx
import pytest
from allure_commons.model2 import Status
from allure_pytest.utils import get_status

from harness.apps.screens import Element, Screen
from harness.errors import ErrorScreenInstead, HarnessError, NoSuchElement
from harness.http_client import Answer, HarnessClient

ERROR_SCREEN = Screen(
    "vneid",
    "app-error",
    error="invalid_request",
    data={"error_description": "POST /api/app/v1/sessions answered 404"},
)
LOGIN_SCREEN = Screen(
    "vneid",
    "vneid-login",
    elements=(Element("vneid-login-submit", "button", "Đăng nhập"),),
)


def _raised(action: object) -> BaseException:
    assert callable(action)
    with pytest.raises(Exception) as raised:
        action()
    return raised.value


def test_a_key_missing_from_a_targets_answer_is_a_failed_check() -> None:
    discovery = Answer({"issuer": "http://idp.test"}, "GET /.well-known/openid-configuration")
    error = _raised(lambda: discovery["userinfo_endpoint"])
    assert isinstance(error, KeyError)  # what code catching a lookup expects, still
    assert get_status(error) == Status.FAILED
    assert "'userinfo_endpoint' is not in the answer to GET" in str(error)


def test_an_answer_that_is_not_json_is_a_failed_check() -> None:
    page = httpx.MockTransport(lambda request: httpx.Response(500, html="<h1>Error</h1>"))
    with HarnessClient(base_url="http://idp.test", transport=page, deadline=5.0) as client:
        response = client.post("/token")
        error = _raised(response.json)
    assert isinstance(error, ValueError)  # a JSONDecodeError, as before
    assert get_status(error) == Status.FAILED
    assert str(error).startswith("POST http://idp.test/token answered 500 with a body that is")


def test_an_error_screen_where_the_test_meant_to_act_is_a_failed_check() -> None:
    for action in (
        lambda: ERROR_SCREEN.actionable("vneid-approve", ("button",)),
        lambda: ERROR_SCREEN.element("vneid-approve"),
    ):
        error = _raised(action)
        assert isinstance(error, ErrorScreenInstead)
        assert isinstance(error, NoSuchElement)  # and a HarnessError, a KeyError
        assert get_status(error) == Status.FAILED
        assert "the screen shows vneid showing app-error: error invalid_request" in str(error)


def test_a_missing_element_on_a_screen_without_an_error_stays_a_test_error() -> None:
    """No refusal led there: a test that asks for an element its screen never has is the
    test's mistake, and broken says so."""
    for action in (
        lambda: LOGIN_SCREEN.actionable("vneid-approve", ("button",)),
        lambda: LOGIN_SCREEN.element("vneid-approve"),
    ):
        error = _raised(action)
        assert isinstance(error, HarnessError)
        assert not isinstance(error, AssertionError)
        assert get_status(error) == Status.BROKEN
