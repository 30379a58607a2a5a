"""The provider plan (``--vneid-url`` alone) logs in through an in-process VssID, whose client
must be on the provider under test. A vendor's provider had no ``vssid`` client, or one with
another secret, and 23 tests failed with ``invalid_client`` (a review): the plan now
registers it itself through §11 ``POST /_harness/clients``, as it does every citizen and
client it uses."""

from __future__ import annotations

import httpx
import pytest

from harness.errors import ConfigError
from harness.personas import PersonaFactory
from harness.serve import ServedProviders
from harness.targets import Target, TargetUnreachable, remote_target
from mock_providers.defaults import DEFAULT_VSSID_CLIENT_SECRET
from scenarios.support import complete, hand_off


def test_the_plan_registers_its_relying_partys_client(served: ServedProviders) -> None:
    target = remote_target(served.vneid_url, seed=0)
    try:
        target.vneid.register_client(
            {  # the vendor's own vssid client, another secret
                "client_id": "vssid",
                "client_secret": "the-vendors-own-secret",
                "redirect_uris": ["vssid://auth/vneid/callback"],
                "token_endpoint_auth_method": "client_secret_post",
            }
        )
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
    served: ServedProviders,
) -> None:
    target = remote_target(served.vssid_url, seed=0)  # a "provider" without the clients API
    try:
        with pytest.raises(
            ConfigError,
            match=r"registers it first; registering a client "
            r"failed with HTTP 404.*POST /_harness/clients",
        ):
            target.register_relying_party()
    finally:
        target.close()


def _vendor(outcomes: list[int | str]) -> tuple[Target, list[str]]:
    """A provider-plan target whose VNeID answers the control API from a script:
    ``POST /_harness/clients`` takes the next outcome (a status, or "down"), the rest 200."""
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        if request.url.path == "/_harness/clients":
            outcome = outcomes.pop(0) if outcomes else 200
            if outcome == "down":
                raise httpx.ConnectError("connection refused")
            return httpx.Response(
                int(outcome),
                json={
                    "error": "invalid_request",
                    "error_description": "no such callbacks here",
                    "clause": "S-2",
                },
            )
        return httpx.Response(200, json={})

    target = remote_target("http://vendor.test", seed=0)
    target.vneid.transport = httpx.MockTransport(answer)
    return target, calls


def test_the_client_is_registered_at_the_first_test_once() -> None:
    target, calls = _vendor([])
    target.begin_test("0/a")
    target.begin_test("0/b")
    assert calls.count("POST /_harness/clients") == 1
    assert calls.index("POST /_harness/clients") < calls.index("DELETE /_harness/requests")


def test_a_provider_down_at_the_first_test_is_asked_again_at_the_next() -> None:
    target, calls = _vendor(["down"])
    with pytest.raises(TargetUnreachable):  # counts toward the three in a row
        target.begin_test("0/a")
    target.begin_test("0/b")
    target.begin_test("0/c")
    assert calls.count("POST /_harness/clients") == 2


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (404, "registering a client failed with HTTP 404: .*; offer §11 POST /_harness/clients"),
        (
            400,
            r"failed with HTTP 400: .*no such callbacks here.*; it was sent \{client_id: 'vssid', "
            r"client_secret \(the harness's\), redirect_uris: \['vssid://auth/vneid/callback', "
            r"'https://vssid.test/auth/vneid/callback'\], token_endpoint_auth_method: "
            r"'client_secret_basic'\}: accept that registration",
        ),
    ],
)
def test_a_refused_registration_says_what_to_do(status: int, said: str) -> None:
    target, _ = _vendor([status])
    with pytest.raises(ConfigError, match=said) as caught:
        target.begin_test("0/a")
    assert DEFAULT_VSSID_CLIENT_SECRET not in str(caught.value)
