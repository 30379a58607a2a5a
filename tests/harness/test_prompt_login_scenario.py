"""The provider plan's ``prompt=login`` check (``scenarios/test_authorization_edge_cases.py``):
a code must come back from the new login. The scenario took the last callback the phone
had ever received, the first login's, so a provider that answered the new login with no
code at all (it asked for a login again and again) passed A-5."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mock_providers.vneid import authorize
from scenarios.test_authorization_edge_cases import (
    test_prompt_login_shows_the_login_screen_despite_a_session as scenario,
)
from tests.harness.conftest import ManualWorld


@pytest.fixture
def run_scenario(manual_world: Callable[[str], ManualWorld]) -> Callable[[], None]:
    world = manual_world("prompt-login")
    phone = world.phone("ios")
    return lambda: scenario(phone, world.rp, world.citizen)


def test_a_new_login_that_brings_no_code_fails_a5(
    monkeypatch: pytest.MonkeyPatch, run_scenario: Any
) -> None:
    # no login is fresh enough for prompt=login: the provider never issues its code
    monkeypatch.setattr(authorize, "FRESH_LOGIN_SECONDS", -1)
    with pytest.raises(AssertionError, match=r"no callback link .* came back from this login"):
        run_scenario()


def test_the_mocks_prompt_login_passes(run_scenario: Any) -> None:
    run_scenario()
