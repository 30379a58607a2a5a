"""A deliberately broken VNeID mock (``VNeIDSettings.broken_fault``, pytest's ``--broken-vneid``):
one fault of the catalog on every use by every client, never consumed, never cleared, beside
the faults armed through §11."""

from __future__ import annotations

import pytest

from harness.protocol import SeededEntropy
from mock_providers.vneid import VNeIDProvider, VNeIDSettings
from mock_providers.vneid.faults import (
    AUTHZ_RESPONSE,
    FAULTS,
    FOREIGN_ISSUER,
    ID_TOKEN_CLAIMS,
    USERINFO,
)


def _provider(fault: str | None) -> VNeIDProvider:
    return VNeIDProvider(VNeIDSettings(broken_fault=fault), entropy=SeededEntropy("broken"))


def test_the_bugs_are_the_faults_and_not_the_variations() -> None:
    assert FAULTS.bugs() == [f.name for f in FAULTS if f.kind == "fault"]
    assert "signing_key_rotated" not in FAULTS.bugs()
    assert len(FAULTS.bugs()) == len(FAULTS) - 4


@pytest.mark.parametrize("name", ["no_such_fault", "id_token_aud_array", ""])
def test_only_a_fault_of_the_catalog_breaks_a_provider(name: str) -> None:
    with pytest.raises(ValueError, match="broken_fault must be one of id_token_nonce_invalid"):
        VNeIDSettings(broken_fault=name)


def test_a_correct_provider_changes_nothing() -> None:
    provider = _provider(None)
    assert provider.broken is None
    claims = {"iss": provider.issuer, "nonce": "n"}
    assert provider.inject(ID_TOKEN_CLAIMS, "vssid", claims) is claims


def test_the_fault_applies_at_its_stage_on_every_use_by_every_client() -> None:
    provider = _provider("id_token_iss_invalid")
    claims = {"iss": provider.issuer, "nonce": "n"}
    for client in ("vssid", "vssid", "another-client"):
        assert provider.inject(ID_TOKEN_CLAIMS, client, claims)["iss"] == FOREIGN_ISSUER
    assert claims["iss"] == provider.issuer  # the transform is pure
    params = [("code", "c"), ("state", "s"), ("iss", provider.issuer)]
    assert provider.inject(AUTHZ_RESPONSE, "vssid", params) == params  # another stage
    assert provider.armed_faults() == []
    assert provider.clear_faults() == 0  # what the plan does before each test
    assert provider.inject(ID_TOKEN_CLAIMS, "vssid", claims)["iss"] == FOREIGN_ISSUER


def test_an_armed_fault_still_takes_effect_beside_it() -> None:
    provider = _provider("userinfo_sub_mismatch")
    provider.arm_fault("vssid", "userinfo_personal_id_mismatch")
    body = {"sub": "abc", "personal_id": "001099012345"}
    first = provider.inject(USERINFO, "vssid", body)
    assert first["sub"] != "abc"
    assert first["personal_id"] == "001099012346"
    second = provider.inject(USERINFO, "vssid", body)  # the armed one is consumed
    assert second["sub"] == first["sub"]
    assert second["personal_id"] == "001099012345"
