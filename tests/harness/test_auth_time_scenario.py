"""The provider plan's ``auth_time`` check (``scenarios/test_tokens.py``): ``auth_time`` is
when the citizen entered the passcode. Only a lower bound was checked, so an ``auth_time``
of 0, or of any event long before the login, passed T-3 (a review of extreme values)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mock_providers.vneid import oidc_api
from mock_providers.vneid.grants import Grants, Session
from scenarios.test_tokens import test_auth_time_is_when_the_citizen_logged_in as scenario
from tests.harness.conftest import ManualWorld


@pytest.fixture
def run_scenario(manual_world: Callable[[str], ManualWorld]) -> Callable[[], None]:
    world = manual_world("auth-time")

    def device(platform: str) -> Any:  # the scenario installs its receiver itself
        return world.phone(platform, receiver=False)

    return lambda: scenario(world.target, world.target.vneid, device, world.rp, world.citizen)  # type: ignore[arg-type]


@pytest.mark.parametrize("auth_time", [0, -(10**12), "an hour before"])
def test_an_auth_time_long_before_the_login_fails_t3(
    monkeypatch: pytest.MonkeyPatch, run_scenario: Any, auth_time: Any
) -> None:
    made = oidc_api.id_token_claims

    def claims(**given: Any) -> dict[str, Any]:
        out = made(**given)
        out["auth_time"] = out["iat"] - 3600 if auth_time == "an hour before" else auth_time
        return out

    monkeypatch.setattr(oidc_api, "id_token_claims", claims)
    with pytest.raises(AssertionError, match=r"T-3: .* expected auth_time that login's time"):
        run_scenario()


def test_the_mocks_auth_time_passes(run_scenario: Any) -> None:
    run_scenario()


def test_a_session_refused_too_early_is_said_so_not_taken_for_auth_time(
    monkeypatch: pytest.MonkeyPatch, run_scenario: Any
) -> None:
    """A provider that ends the app's session before the profile's ``vneid_session_ttl``
    asks for a new login; the scenario's second login must not log in again silently, whose
    fresh auth_time then failed T-3 as "auth_time = iat" (a fault the provider did not have)."""

    def open_session(self: Grants, personal_id: str) -> str:
        token = self.entropy.token(32)
        self.sessions.put(token, Session(personal_id, self.clock.now()), 1)  # 1 s, not the ttl
        return token

    monkeypatch.setattr(Grants, "open_session", open_session)
    with pytest.raises(AssertionError, match=r"the provider refused the app's session") as failed:
        run_scenario()
    assert "expected auth_time" not in str(failed.value)
