"""The provider plan (``--vneid-url`` alone) logs in through an in-process VssID, whose client
must be on the provider under test. A vendor's provider had no ``vssid`` client, or one with
another secret, and 23 tests failed with ``invalid_client`` (a review): the plan now
registers it itself through §11 ``POST /_harness/clients``, as it does every citizen and
client it uses."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError
from harness.personas import PersonaFactory
from harness.serve import ServedProviders
from harness.targets import remote_target
from scenarios.support import complete, hand_off


def test_the_plan_registers_its_relying_partys_client(served: ServedProviders) -> None:
    target = remote_target(served.vneid_url, seed=0)
    try:
        target.vneid.register_client({  # the vendor's own vssid client, another secret
            "client_id": "vssid", "client_secret": "the-vendors-own-secret",
            "redirect_uris": ["vssid://auth/vneid/callback"],
            "token_endpoint_auth_method": "client_secret_post"})
        persona = PersonaFactory("provider-plan-client").new()
        target.vneid.add_persona(persona.to_vneid_json())
        account = persona.to_vssid_account_json()
        assert account is not None
        target.vssid.add_account(account)

        refused = complete(target, *hand_off(target, persona))
        assert refused.status_code != 200
        assert "invalid_client" in refused.text, refused.text

        target.register_relying_party()
        done = complete(target, *hand_off(target, persona))
        assert done.status_code == 200, done.text
        assert done.json()["bhxh_code"] == persona.bhxh_code
    finally:
        target.close()


def test_other_targets_register_nothing(served: ServedProviders) -> None:
    target = remote_target(served.vneid_url, served.vssid_url)
    try:
        target.vneid.clear_requests()
        target.register_relying_party()  # the relying party under test has its own
        assert target.vneid.requests("/_harness/clients", "POST") == []
    finally:
        target.close()


def test_a_provider_that_refuses_the_registration_is_told_what_to_offer(
        served: ServedProviders) -> None:
    target = remote_target(served.vssid_url, seed=0)  # a "provider" without the clients API
    try:
        with pytest.raises(ConfigError, match=r"registers it first; registering a client "
                                              r"failed with HTTP 404.*POST /_harness/clients"):
            target.register_relying_party()
    finally:
        target.close()
