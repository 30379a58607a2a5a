"""The simulated apps under a vendor's profile: what the user sees follows the profile."""

from __future__ import annotations

from harness.apps.screens import VNEID_CONSENT, VSSID_HOME
from harness.flows import decide, enter_credentials, start_vneid_login
from harness.protocol import DEFAULT_PROFILE
from harness.targets import embedded_target
from harness.world import PersonaPool, make_device


def test_the_consent_screen_names_vssid_whatever_its_client_id() -> None:
    profile = DEFAULT_PROFILE.evolve(vssid_client_id="urn:bank:client", vssid_scheme="bank")
    target = embedded_target(seed="apps-profile", profile=profile)
    try:
        persona = PersonaPool(target, seed="apps-profile").new()
        phone = make_device(target)
        start_vneid_login(phone.driver)
        consent = enter_credentials(phone.driver, persona)
        assert consent.id == VNEID_CONSENT
        assert consent.element("vneid-consent-service").label == "VssID"
        assert "urn:bank:client" not in consent.texts
        assert decide(phone.driver, "approve").id == VSSID_HOME
        phone.close()
    finally:
        target.close()
