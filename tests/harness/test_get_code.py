"""``scenarios.support.get_code``: the code of *this* login's callback. When the provider's
clock had moved past the VNeID app session's lifetime (a profile's short
``vneid_session_ttl``), the app's consent was refused and the login screen came back;
``get_code`` then took an earlier login's callback and its spent code, and the scenario
failed with a misleading T-2 ("the code is unknown or expired")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.apps.screens import VNEID_LOGIN
from scenarios.support import calls, get_code
from tests.harness.conftest import ManualWorld


@pytest.fixture
def frozen(manual_world: Callable[[str], ManualWorld]) -> tuple[Any, ...]:
    world = manual_world("get-code")
    return world.clock, world.target, world.rp, world.phone("android"), world.citizen


def test_a_session_expired_at_the_provider_logs_in_again(frozen: Any) -> None:
    clock, target, rp, device, citizen = frozen
    login, code = get_code(device, rp, citizen)
    assert rp.redeem(code, login.code_verifier).status == 200
    clock.advance(target.profile.vneid_session_ttl + 1)  # the phone still holds the session
    login, again = get_code(device, rp, citizen)
    assert again != code
    assert rp.redeem(again, login.code_verifier).status == 200
    logins = calls(target.vneid, "/api/app/v1/sessions")
    assert [e["status"] for e in logins] == [200, 200], "logged in again, as a user would"


def test_no_callback_from_this_login_says_what_the_phone_shows(frozen: Any) -> None:
    """A login that brought no callback back does not return an earlier login's code."""
    _, _, rp, device, citizen = frozen
    get_code(device, rp, citizen)
    with pytest.raises(AssertionError, match=r"no callback link .* the phone shows") as failed:
        get_code(device, rp, citizen, client_id="no-such-client")
    assert "invalid_client" in str(failed.value)
    assert VNEID_LOGIN not in str(failed.value)
