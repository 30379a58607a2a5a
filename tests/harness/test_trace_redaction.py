"""S-5 end to end: after real journeys, no secret value appears anywhere in the trace."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness import flows
from harness.personas import Persona
from harness.protocol.redaction import REDACTED


def _dump(world: Any) -> str:
    return json.dumps(world.trace.to_json(), ensure_ascii=False)


@pytest.mark.parametrize("hijacker", [False, True])
def test_no_secret_in_the_trace(world: Any, known_persona: Persona, hijacker: bool) -> None:
    world.add(known_persona)
    driver = world.driver("android", hijacker=hijacker)
    flows.login_with_vneid(driver, known_persona)
    secrets = world.secrets()
    codes = [url.split("code=")[1].split("&")[0] for url in world.vneid.redirects]
    assert "482915" in secrets
    assert codes
    assert len(secrets) >= 4
    dumped = _dump(world)
    assert REDACTED in dumped
    for secret in [*secrets, *codes]:
        assert secret not in dumped, f"secret {secret[:4]}… leaked into the trace"


def test_wrong_passcode_is_not_traced(world: Any, known_persona: Persona) -> None:
    world.add(known_persona)
    driver = world.driver()
    flows.start_vneid_login(driver)
    flows.enter_credentials(driver, known_persona, passcode="777123")
    dumped = _dump(world)
    assert "777123" not in dumped
    assert "482915" not in dumped
    assert "invalid_credentials" in dumped


def test_screens_never_hold_the_passcode(world: Any, known_persona: Persona) -> None:
    world.add(known_persona)
    driver = world.driver()
    flows.start_vneid_login(driver)
    driver.type("vneid-passcode", known_persona.passcode)
    assert known_persona.passcode not in json.dumps(driver.screen().to_json(), ensure_ascii=False)
