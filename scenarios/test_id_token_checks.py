"""VssID's checks of what VNeID returns, one provider fault at a time (R-1…R-12, T-5)."""

from __future__ import annotations

import pytest

from harness.apps.screens import APP_ERROR
from harness.flows import login_with_vneid
from harness.personas import Persona
from harness.targets import Target, VNeIDHandle, VssIDHandle
from harness.world import DeviceFactory
from scenarios.support import (
    ACCOUNT_NOT_FOUND_CLAUSES,
    assert_error_screen,
    assert_home,
    assert_refused_at_complete,
    calls,
)

pytestmark = pytest.mark.plan("vssid-relying-party")

# fault -> (error code, clause, does VssID get as far as the token endpoint?)
REFUSALS = [
    ("id_token_sig_none", "id_token_invalid", "R-5", True),
    ("id_token_sig_invalid", "id_token_invalid", "R-5", True),
    ("id_token_sig_hs256_pubkey", "id_token_invalid", "R-5", True),
    ("id_token_kid_unknown", "id_token_invalid", "R-5", True),
    ("id_token_iss_invalid", "id_token_invalid", "R-6", True),
    ("id_token_aud_invalid", "id_token_invalid", "R-7", True),
    ("id_token_aud_extra_untrusted", "id_token_invalid", "R-7", True),
    ("id_token_aud_extra_with_azp", "id_token_invalid", "R-7", True),
    ("id_token_azp_invalid", "id_token_invalid", "R-7", True),
    ("id_token_expired", "id_token_invalid", "R-8", True),
    ("id_token_exp_missing", "id_token_invalid", "R-8", True),
    ("id_token_iat_future", "id_token_invalid", "R-8", True),
    ("id_token_iat_missing", "id_token_invalid", "R-8", True),
    ("id_token_nonce_invalid", "id_token_invalid", "R-9", True),
    ("id_token_nonce_missing", "id_token_invalid", "R-9", True),
    ("id_token_sub_missing", "id_token_invalid", "T-3", True),
    ("id_token_acr_level1", "identity_level_insufficient", "R-10", True),
    ("id_token_acr_missing", "identity_level_insufficient", "R-10", True),
    # "well-formed (§1) and maps to a VssID account; else vssid_account_not_found"
    ("id_token_personal_id_malformed", "vssid_account_not_found", "R-11", True),
    ("id_token_personal_id_bad_province", "vssid_account_not_found", "R-11", True),
    ("id_token_personal_id_bad_century", "vssid_account_not_found", "R-11", True),
    ("authz_response_state_invalid", "state_mismatch", "R-1", False),
    ("authz_response_iss_invalid", "issuer_mismatch", "R-2", False),
    ("authz_response_iss_missing", "issuer_mismatch", "R-2", False),
    ("userinfo_sub_mismatch", "id_token_invalid", "T-5", True),
    ("userinfo_personal_id_mismatch", "id_token_invalid", "T-5", True),
]
# What a relying party other than the embedded mock may answer instead, where PROTOCOL.md
# lets the failed check be named otherwise (the mock's answer above is always accepted too):
# a claim T-3 requires that is missing fails T-3 as much as the check that reads it (the
# catalog maps "sub missing, iat missing" to R-8 and T-3); a token without acr is malformed
# (T-3) and not proven level 2, so id_token_invalid is a refusal as specific as
# identity_level_insufficient (R-12); R-11's "else vssid_account_not_found (P-1)" names P-1.
# Each code with the clauses it may cite.
MISSING_CLAIM = frozenset({"T-3", "R-8"})
NOT_FOUND = {"vssid_account_not_found": ACCOUNT_NOT_FOUND_CLAUSES}
VENDOR_MAY_ALSO: dict[str, dict[str, frozenset[str]]] = {
    "id_token_exp_missing": {"id_token_invalid": MISSING_CLAIM},
    "id_token_iat_missing": {"id_token_invalid": MISSING_CLAIM},
    "id_token_sub_missing": {"id_token_invalid": MISSING_CLAIM},
    "id_token_nonce_missing": {"id_token_invalid": frozenset({"R-9", "T-3"})},
    "id_token_acr_missing": {
        "identity_level_insufficient": frozenset({"R-10"}),
        "id_token_invalid": frozenset({"T-3", "R-10"}),
    },
    "id_token_personal_id_bad_century": NOT_FOUND,
    "id_token_personal_id_malformed": NOT_FOUND,
    "id_token_personal_id_bad_province": NOT_FOUND,
}
assert set(VENDOR_MAY_ALSO) <= {row[0] for row in REFUSALS}, "a fault REFUSALS does not have"


def accepted(fault: str, code: str, clause: str, vssid: VssIDHandle) -> dict[str, frozenset[str]]:
    """The error codes a refusal of ``fault`` may carry from ``vssid``, each with the
    clauses it may cite."""
    allowed = {code: frozenset({clause})}
    if not vssid.is_embedded:
        for other, clauses in VENDOR_MAY_ALSO.get(fault, {}).items():
            allowed[other] = allowed.get(other, frozenset()) | clauses
    return allowed


# each case cites its own clause (and R-12), so a relying party that skips one check fails
# the plan on exactly that clause
CASES = [
    pytest.param(*row, id=row[0], marks=pytest.mark.clause(row[2], "R-12")) for row in REFUSALS
]


@pytest.mark.parametrize(("fault", "code", "clause", "reaches_token"), CASES)
def test_relying_party_refuses_a_faulty_provider(
    device: DeviceFactory,
    persona: Persona,
    target: Target,
    vneid: VNeIDHandle,
    vssid: VssIDHandle,
    fault: str,
    code: str,
    clause: str,
    reaches_token: bool,
) -> None:
    vneid.arm_fault(target.profile.vssid_client_id, fault)
    phone = device("ios")
    screen = login_with_vneid(phone.driver, persona)
    if (
        fault.startswith("userinfo_")
        and not vssid.is_embedded
        and not calls(vneid, "/userinfo", method="GET")
    ):
        # A-6 has no userinfo step, and OpenID Connect Core §5.3.2 binds only a client that
        # uses the userinfo response: a relying party that takes the person from the ID
        # token alone is untouched by a userinfo fault, and logs the citizen in
        assert_home(
            screen, f"the relying party never called userinfo, so {fault} cannot concern it"
        )
        assert persona.vssid_account is not None
        assert screen.data.get("bhxh_code") == persona.vssid_account.bhxh_code, (
            f"A-6: expected the citizen's home (bhxh_code {persona.vssid_account.bhxh_code}), "
            f"observed bhxh_code {screen.data.get('bhxh_code')!r}"
        )
        return
    allowed = accepted(fault, code, clause, vssid)
    assert screen.id == APP_ERROR, (  # what the relying party took, in the vendor's words
        f"{clause}: the harness VNeID answered this login with the fault {fault} "
        f"({vneid.fault_description(fault) or 'see GET /_harness/faults'}); the relying party "
        f"must refuse it with {code}, but it took it: "
        f"{screen.describe()}"
    )
    # the screen's own code when it is one allowed (with its clauses), else the mock's, which
    # the failure then names with what the user saw
    observed = screen.error if screen.error in allowed else code
    assert_error_screen(screen, app="vssid", code=observed, clause=allowed[observed])
    token_calls = calls(vneid, "/token")
    if reaches_token:
        assert len(token_calls) == 1, (
            f"T-1: expected VssID to redeem the code once before refusing the ID token, "
            f"observed {len(token_calls)} token requests"
        )
    else:
        assert token_calls == [], f"{clause}: VssID must stop before the token request"
    if clause.startswith("R-") and reaches_token:
        assert calls(vneid, "/userinfo", method="GET") == [], (
            "a refused ID token must end the login before userinfo"
        )
    assert_refused_at_complete(vssid, str(screen.error))


@pytest.mark.clause("R-5")
def test_rotated_signing_key_is_fetched_and_accepted(
    device: DeviceFactory, persona: Persona, target: Target, vneid: VNeIDHandle
) -> None:
    phone = device("android")
    assert_home(login_with_vneid(phone.driver, persona))  # caches the JWKS
    vneid.arm_fault(target.profile.vssid_client_id, "signing_key_rotated")
    again = device("android")
    assert_home(login_with_vneid(again.driver, persona))


@pytest.mark.clause("R-9", "R-12")
def test_a_fault_used_up_leaves_the_next_login_working(
    device: DeviceFactory, persona: Persona, target: Target, vneid: VNeIDHandle
) -> None:
    vneid.arm_fault(target.profile.vssid_client_id, "id_token_nonce_invalid", times=1)
    first = device("ios")
    assert_error_screen(
        login_with_vneid(first.driver, persona), app="vssid", code="id_token_invalid", clause="R-9"
    )
    second = device("ios")
    assert_home(login_with_vneid(second.driver, persona))
