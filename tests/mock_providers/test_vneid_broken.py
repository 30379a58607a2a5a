"""A deliberately broken VNeID mock (``VNeIDSettings.broken_fault``, pytest's ``--broken-vneid``):
one fault of the catalog on every use by every client, never consumed, never cleared, beside
the faults armed through §11."""

from __future__ import annotations

import re

import httpx
import pytest

from harness.embedded import SyncASGITransport
from harness.protocol import ACR_LEVEL1, ManualClock, SeededEntropy
from mock_providers.vneid import PersonaRecord, VNeIDProvider, VNeIDSettings
from mock_providers.vneid.faults import (
    AUTHZ_RESPONSE,
    FAULTS,
    FOREIGN_ISSUER,
    ID_TOKEN_CLAIMS,
    USERINFO,
)
from mock_providers.vneid.settings import SKIPPABLE_CHECKS
from tests.mock_providers.conftest import VNeIDFlow


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


# -- a provider that forgets one of its own checks (VNeIDSettings.skip_checks) ----------------
def _forgetting(
    *checks: str,
    clock: ManualClock | None = None,
) -> tuple[VNeIDFlow, VNeIDProvider]:
    """A flow against a provider that forgets ``checks`` (none: a correct provider)."""
    provider = VNeIDProvider(
        VNeIDSettings(skip_checks=frozenset(checks)),
        clock=clock or ManualClock(),
        entropy=SeededEntropy("forgets"),
    )
    persona = provider.add_persona(
        PersonaRecord("001099012345", "123456", 2, "Nguyễn Văn An", "1999-05-01", "male")
    )
    http = httpx.Client(transport=SyncASGITransport(provider.app), base_url=provider.issuer)
    return VNeIDFlow(provider, http, persona), provider


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (
            frozenset({"nonce"}),
            "skip_checks names unknown check(s) 'nonce'; the checks that can "
            "be skipped are redirect_uri, challenge, ",
        ),
        ("verifier", "skip_checks must be a set of names from redirect_uri, "),
    ],
)
def test_only_the_checks_it_knows_can_be_skipped(value: object, said: str) -> None:
    with pytest.raises(ValueError, match=re.escape(said)):
        VNeIDSettings(skip_checks=value)  # type: ignore[arg-type]


def test_the_checks_are_named_apart_from_the_faults() -> None:
    assert not set(SKIPPABLE_CHECKS) & set(FAULTS.names())
    assert VNeIDSettings(skip_checks=["verifier"]).skip_checks == frozenset({"verifier"})


def test_without_the_challenge_check_a_code_without_pkce_redeems_without_a_verifier() -> None:
    flow, _ = _forgetting("challenge")
    code = flow.code(flow.request(code_challenge=""))
    assert flow.redeem(code, code_verifier=None).status_code == 200


def test_without_the_challenge_check_a_plain_challenge_is_compared_as_plain_text() -> None:
    flow, _ = _forgetting("challenge")
    plain = "p" * 43
    request = flow.request(code_challenge=plain, code_challenge_method="plain")
    wrong = flow.redeem(flow.code(request), code_verifier="q" * 43)
    assert (wrong.status_code, wrong.json()["error"], wrong.json()["clause"]) == (
        400,
        "invalid_grant",
        "S-4",
    )
    assert flow.redeem(flow.code(request), code_verifier=plain).status_code == 200
    # an S256 challenge is still checked as S256: only the request's check is forgotten
    s256 = flow.redeem(flow.code(), code_verifier="q" * 43)
    assert (s256.status_code, s256.json()["clause"]) == (400, "S-4")


@pytest.mark.parametrize(
    ("check", "redeem", "clause"),
    [
        ("verifier", {"code_verifier": None}, "S-1"),
        ("verifier", {"code_verifier": "not-the-verifier-" + "x" * 30}, "S-4"),
        ("code_binding", {"redirect_uri": "vssid://auth/vneid/callback/other"}, "T-1"),
    ],
)
def test_a_forgotten_token_check_lets_the_redemption_through(
    check: str, redeem: dict[str, str | None], clause: str
) -> None:
    flow, _ = _forgetting(check)
    assert flow.redeem(flow.code(), **redeem).status_code == 200
    correct, _ = _forgetting()
    refused = correct.redeem(correct.code(), **redeem)
    assert (refused.status_code, refused.json()["clause"]) == (400, clause)


def test_without_the_reuse_check_a_code_redeems_twice_and_keeps_its_tokens() -> None:
    flow, provider = _forgetting("code_reuse")
    code = flow.code()
    first = flow.redeem(code).json()["access_token"]
    assert flow.redeem(code).status_code == 200
    assert provider.grants.access_tokens.get(first) is not None


def test_without_the_expiry_check_a_code_outlives_its_sixty_seconds() -> None:
    clock = ManualClock()
    flow, _ = _forgetting("code_expiry", clock=clock)
    code = flow.code()
    clock.advance(86_400)
    assert flow.redeem(code).status_code == 200


def test_without_the_secret_check_any_secret_authenticates_the_client() -> None:
    flow, _ = _forgetting("client_secret")
    assert flow.redeem(flow.code(), auth=("vssid", "not-the-secret")).status_code == 200
    unknown = flow.redeem(flow.code(), auth=("no-such-client", "x"))
    assert unknown.status_code == 401  # the client itself must still be registered


def test_without_the_level_check_a_level_1_citizen_gets_a_code_saying_level_1() -> None:
    flow, provider = _forgetting("level")
    citizen = provider.add_persona(
        PersonaRecord("079301000042", "654321", 1, "Trần Thị Bình", "2001-02-03", "female")
    )
    callback = flow.callback(session=flow.session(citizen))
    assert callback.code
    assert provider.grants.codes.get(callback.code).acr == ACR_LEVEL1  # type: ignore[union-attr]


def test_without_the_version_check_an_old_app_logs_in() -> None:
    flow, _ = _forgetting("app_version")
    flow.headers["X-VNeID-App-Version"] = "1.0.0"
    assert flow.code()


def test_without_the_redirect_uri_check_a_longer_uri_is_redirected_to() -> None:
    flow, _ = _forgetting("redirect_uri")
    callback = flow.callback(flow.request(redirect_uri="vssid://auth/vneid/callback.evil"))
    assert callback.redirect_uri == "vssid://auth/vneid/callback.evil"
    correct, _ = _forgetting()
    refused = correct.authorize(
        correct.request(redirect_uri="vssid://auth/vneid/callback.evil").to_link()
    )
    assert (refused.status_code, refused.json()["clause"]) == (400, "S-2")


def test_without_revocation_a_replay_is_refused_but_the_first_tokens_stay() -> None:
    flow, provider = _forgetting("revocation")
    code = flow.code()
    first = flow.redeem(code).json()["access_token"]
    replay = flow.redeem(code)
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    assert provider.grants.access_tokens.get(first) is not None


def test_without_no_store_the_token_response_may_be_cached() -> None:
    flow, _ = _forgetting("no_store")
    r = flow.redeem(flow.code())
    assert r.status_code == 200
    assert "cache-control" not in r.headers
    assert "pragma" not in r.headers


def test_without_pairwise_subjects_two_clients_get_one_sub() -> None:
    flow, provider = _forgetting("pairwise")
    grants = provider.grants
    assert grants.subjects.sub("", "001099012345") != grants.subjects.sub("vssid", "001099012345")
    tokens = flow.redeem(flow.code()).json()
    assert provider.grants.access_tokens.get(tokens["access_token"]).sub == grants.subjects.sub(
        "", "001099012345"
    )  # type: ignore[union-attr]


def test_without_the_deny_check_a_denial_gets_a_code() -> None:
    flow, _ = _forgetting("deny")
    assert flow.callback(decision="deny").code


def test_without_the_lock_check_a_locked_citizen_logs_in() -> None:
    flow, provider = _forgetting("locked")
    citizen = provider.add_persona(
        PersonaRecord(
            "079301000042", "654321", 2, "Trần Thị Bình", "2001-02-03", "female", status="locked"
        )
    )
    assert flow.callback(session=flow.session(citizen)).code


def test_without_the_challenge_check_an_s256_code_still_needs_its_verifier() -> None:
    """Only a code issued without a challenge is redeemed without a verifier: an S256 code
    without one got invalid_grant instead of the correct invalid_request (a review)."""
    flow, _ = _forgetting("challenge")
    missing = flow.redeem(flow.code(), code_verifier=None)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
