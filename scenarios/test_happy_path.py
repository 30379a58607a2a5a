"""Happy path: a level-2 citizen with a VssID account logs in with VNeID on iOS and Android."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from harness.apps.screens import VNEID_CONSENT, VNEID_LOGIN
from harness.flows import decide, enter_credentials, login_with_vneid, start_vneid_login
from harness.personas import Persona
from harness.protocol import DEFAULT_PROFILE
from harness.targets import Target, VssIDHandle
from harness.trace import HttpExchange, LinkOpened
from harness.world import DeviceFactory, PersonaPool
from scenarios.support import app_headers, assert_home

# Only the tests that reach VNeID are in the provider plan too: the others talk to VssID
# alone, and would pass against any page at --vneid-url.
pytestmark = pytest.mark.plan("vssid-relying-party")

PLATFORMS = ["ios", "android"]


@pytest.mark.clause("P-1", "P-2", "P-3", "A-1", "A-3", "A-4", "A-5", "A-6")
@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.plan("vneid-provider")
def test_citizen_lands_on_vssid_home(device: DeviceFactory, persona: Persona,
                                     vssid: VssIDHandle, platform: str) -> None:
    phone = device(platform)
    screen = login_with_vneid(phone.driver, persona)
    assert_home(screen)
    assert screen.app == "vssid"
    assert screen.data["full_name"] == persona.full_name
    assert screen.data["bhxh_code"] == persona.bhxh_code
    assert screen.data["personal_id"] == persona.personal_id
    assert persona.full_name in screen.texts


@pytest.mark.clause("A-1", "A-3", "A-4", "A-5", "A-6")
@pytest.mark.plan("vneid-provider")
def test_every_hop_is_in_the_order_of_section_4(target: Target, device: DeviceFactory,
                                                persona: Persona) -> None:
    phone = device("android")
    assert start_vneid_login(phone.driver).id == VNEID_LOGIN
    assert enter_credentials(phone.driver, persona).id == VNEID_CONSENT
    assert_home(decide(phone.driver))
    hops: list[str] = []
    for event in phone.trace.events:
        if isinstance(event, HttpExchange):
            handle = target.vneid if event.actor == "vneid" else target.vssid
            hops.append(f"{event.actor}:{event.method} {handle.relative_path(event.url)}")
        elif isinstance(event, LinkOpened):
            scheme = urlsplit(event.url).scheme
            if event.target == "vneid" and scheme == "https":  # A-1's claimed https form
                scheme = target.profile.vneid_scheme
            hops.append(f"link {scheme}->{event.target}")
    expected = [
        "vssid:POST /api/v1/auth/vneid/start",
        f"link {target.profile.vneid_scheme}->vneid",
        "vneid:POST /api/app/v1/sessions",
        "vneid:POST /api/app/v1/authorizations",
        f"link {target.profile.vssid_scheme}->vssid",
        "vssid:POST /api/v1/auth/vneid/complete",
        "vssid:GET /api/v1/me",
    ]
    assert hops == expected


@pytest.mark.clause("A-1", "R-1")
@pytest.mark.parametrize("body", [{}, None], ids=["empty-object", "absent"])
def test_start_answers_a_transaction_with_or_without_a_body(target: Target, vssid: VssIDHandle,
                                                            body: dict[str, Any] | None) -> None:
    """A-1: body ``{}`` or absent → ``{transaction_id, authorize_url, expires_in}``, the
    transaction living the profile's lifetime (R-1: 10 minutes by default)."""
    with vssid.client() as http:
        response = http.post("/api/v1/auth/vneid/start", json=body,
                             headers=app_headers("vssid", profile=target.profile))
    assert 200 <= response.status_code < 300, (
        f"expected start to answer 2xx (A-1), observed HTTP {response.status_code}: "
        f"{response.text}")
    answer = response.json()
    assert answer["transaction_id"]
    assert answer["authorize_url"].startswith((target.profile.authorize_link_custom,
                                               target.profile.authorize_link_https))
    assert answer["expires_in"] == target.profile.transaction_ttl
    assert DEFAULT_PROFILE.transaction_ttl == 600, "R-1: 10 minutes by default"


@pytest.mark.clause("A-4", "A-6")
@pytest.mark.plan("vneid-provider")
def test_app_api_answers_carry_what_section_4_lists(device: DeviceFactory,
                                                    persona: Persona) -> None:
    """A-4: sessions → ``{session_token, level, expires_in}``; A-6: complete →
    ``{session_token, bhxh_code, full_name}`` (tokens are redacted in the trace)."""
    phone = device("ios")
    assert_home(login_with_vneid(phone.driver, persona))
    session = phone.trace.http(path_contains="/api/app/v1/sessions")[-1].response_body
    assert session["session_token"]
    assert session["level"] == 2
    assert isinstance(session["expires_in"], int)
    assert session["expires_in"] > 0
    done = phone.trace.http(path_contains="/api/v1/auth/vneid/complete")[-1].response_body
    assert done["session_token"]
    assert (done["bhxh_code"], done["full_name"]) == (persona.bhxh_code, persona.full_name)


@pytest.mark.clause("A-1", "A-2")
def test_authorize_link_carries_the_request_of_a2(target: Target, device: DeviceFactory,
                                                  persona: Persona) -> None:
    phone = device("ios")
    start_vneid_login(phone.driver)
    link = phone.last_link_to((f"{target.profile.authorize_link_custom}?",  # either form of A-1
                               f"{target.profile.authorize_link_https}?"))
    params = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert params["response_type"] == "code"
    assert params["client_id"] == target.profile.vssid_client_id
    assert params["redirect_uri"] == target.profile.callback_custom
    assert "openid" in params["scope"].split()
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert params["acr_values"] == "urn:vneid:loa:2"
    # >= 128 bits of randomness: at least 22 base64url characters
    assert len(params["state"]) >= 22
    assert len(params["nonce"]) >= 22
    assert "code_verifier" not in params


@pytest.mark.clause("A-6")
@pytest.mark.plan("vneid-provider")
def test_me_returns_the_same_person(device: DeviceFactory, personas: PersonaPool,
                                     vssid: VssIDHandle) -> None:
    """/me answers the session's own account, not merely some account VssID holds."""
    personas.new()  # another citizen's account, registered first
    citizen = personas.new()
    phone = device("ios")
    assert_home(login_with_vneid(phone.driver, citizen))
    me = [e for e in phone.trace.http(path_contains="/api/v1/me")]
    assert me
    assert me[-1].status == 200
    assert me[-1].response_body == {
        "bhxh_code": citizen.bhxh_code, "full_name": citizen.full_name,
        "personal_id": citizen.personal_id,
    }


@pytest.mark.clause("A-1", "R-1")
def test_two_logins_get_fresh_state_and_nonce(target: Target, device: DeviceFactory,
                                              persona: Persona) -> None:
    links: list[dict[str, list[str]]] = []
    for platform in PLATFORMS:
        phone = device(platform)
        start_vneid_login(phone.driver)
        link = phone.last_link_to((f"{target.profile.authorize_link_custom}?",
                                   f"{target.profile.authorize_link_https}?"))
        links.append(parse_qs(urlsplit(link).query))
    assert links[0]["state"] != links[1]["state"]
    assert links[0]["nonce"] != links[1]["nonce"]
    assert links[0]["code_challenge"] != links[1]["code_challenge"]
