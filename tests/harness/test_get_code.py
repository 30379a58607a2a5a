"""``scenarios.support.get_code``: the code of *this* login's callback. When the provider's
clock had moved past the VNeID app session's lifetime (a profile's short
``vneid_session_ttl``), the app's consent was refused and the login screen came back;
``get_code`` then took an earlier login's callback and its spent code, and the scenario
failed with a misleading T-2 ("the code is unknown or expired")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.apps.screens import VNEID_LOGIN
from harness.protocol import ManualClock, SeededEntropy
from harness.rp import RP_SCHEME, TestRelyingParty
from harness.targets import embedded_target
from harness.world import PersonaPool, make_device
from scenarios.support import calls, get_code


@pytest.fixture
def frozen() -> Iterator[tuple[ManualClock, Any, TestRelyingParty, Any, Any]]:
    clock = ManualClock()
    target = embedded_target(seed="get-code", clock=clock)
    citizen = PersonaPool(target, seed="get-code").new()
    device = make_device(target, "android")
    device.install_receiver(RP_SCHEME)
    rp = TestRelyingParty(
        target.vneid, target.profile, entropy=SeededEntropy("get-code/rp")
    ).register()
    yield clock, target, rp, device, citizen
    rp.close()
    device.close()
    target.close()


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
