"""What a correct relying party must accept: aud as an array, token_type in any case, no kid with
one key, a rotated key.

The positive row of CONFORMANCE-CATALOG.md (OIDF ``valid-aud-as-array``, ``token-type-case``,
``kid-absent-single-jwks``):
VNeID answers unusually but validly, and VssID must log the citizen in all the same. The
rotated-key case (R-5, ``rp-key-rotation-op-sign-key``) lives with the other ID-token checks in
``test_id_token_checks.py``.
"""

from __future__ import annotations

import pytest

from harness.apps.screens import VSSID_HOME
from harness.flows import login_with_vneid
from harness.personas import Persona
from harness.targets import Target, VNeIDHandle
from harness.world import DeviceFactory
from scenarios.support import calls

pytestmark = pytest.mark.plan("vssid-relying-party")


def _login_accepted(
    device: DeviceFactory, persona: Persona, target: Target, variation: str
) -> None:
    vneid, vssid = target.vneid, target.vssid
    vneid.arm_fault(target.profile.vssid_client_id, variation)
    phone = device("ios")
    screen = login_with_vneid(phone.driver, persona)
    assert screen.id == VSSID_HOME, (
        f"{variation} is valid and must be accepted, but the login ended with {screen.describe()}"
    )
    armed = vneid.control.get("/_harness/faults").json()["faults"]
    assert armed == [], f"{variation} was never served, so this proves nothing: {armed}"
    redeemed = len(calls(vneid, "/token"))
    assert redeemed == 1, (
        f"T-1: expected VssID to redeem the code once, observed {redeemed} token requests"
    )
    assert calls(vssid, "/api/v1/me", method="GET"), "the session must be usable (A-6)"


@pytest.mark.clause("R-7")
def test_aud_as_a_one_element_array_is_accepted(
    device: DeviceFactory, persona: Persona, target: Target
) -> None:
    """R-7: ``aud`` "contains the client id": ``["vssid"]`` (the profile's client id) does
    (OpenID Connect Core §2)."""
    _login_accepted(device, persona, target, "id_token_aud_array")


@pytest.mark.clause("T-1")
def test_token_type_in_lower_case_is_accepted(
    device: DeviceFactory, persona: Persona, target: Target
) -> None:
    """T-1: ``token_type`` ``bearer`` is Bearer; the value is case-insensitive (RFC 6749 §5.1)."""
    _login_accepted(device, persona, target, "token_type_lowercase")


@pytest.mark.clause("R-5")
def test_no_kid_with_one_published_key_is_accepted(
    device: DeviceFactory, persona: Persona, target: Target, vneid: VNeIDHandle
) -> None:
    """R-5 / CONFORMANCE-CATALOG.md "no kid with one key": accept (RFC 7515 §4.1.4: kid is
    optional; with one key in the JWKS there is nothing to choose). The harness's VNeID
    withdraws a key rotated out by an earlier test before it signs such a token, so the
    case holds on a shared served VNeID too (the relying party may have cached two keys: it
    must still find the one that verifies, or fetch the JWKS again)."""
    _login_accepted(device, persona, target, "id_token_kid_absent")
    with vneid.client() as http:
        keys = http.get(str(vneid.discovery()["jwks_uri"])).json()["keys"]
    assert len(keys) == 1, f"the token without kid came from a JWKS of {len(keys)} keys"
