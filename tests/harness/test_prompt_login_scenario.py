"""The provider plan's ``prompt=login`` check (``scenarios/test_authorization_edge_cases.py``):
a code must come back from the new login. The scenario took the last callback the phone
had ever received, the first login's, so a provider that answered the new login with no
code at all (it asked for a login again and again) passed A-5."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.protocol import ManualClock, SeededEntropy
from harness.rp import RP_SCHEME, TestRelyingParty
from harness.targets import embedded_target
from harness.world import PersonaPool, make_device
from mock_providers.vneid import authorize
from scenarios.test_authorization_edge_cases import (
    test_prompt_login_shows_the_login_screen_despite_a_session as scenario,
)


@pytest.fixture
def run_scenario() -> Iterator[Any]:
    target = embedded_target(seed="prompt-login", clock=ManualClock())
    rp = TestRelyingParty(
        target.vneid, target.profile, entropy=SeededEntropy("prompt-login/rp")
    ).register()
    phone = make_device(target, "ios")
    phone.install_receiver(RP_SCHEME)
    citizen = PersonaPool(target, seed="prompt-login").new()
    yield lambda: scenario(phone, rp, citizen)
    phone.close()
    rp.close()
    target.close()


def test_a_new_login_that_brings_no_code_fails_a5(
    monkeypatch: pytest.MonkeyPatch, run_scenario: Any
) -> None:
    # no login is fresh enough for prompt=login: the provider never issues its code
    monkeypatch.setattr(authorize, "FRESH_LOGIN_SECONDS", -1)
    with pytest.raises(AssertionError, match=r"no callback link .* came back from this login"):
        run_scenario()


def test_the_mocks_prompt_login_passes(run_scenario: Any) -> None:
    run_scenario()
