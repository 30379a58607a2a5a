"""Happy path: a level-2 citizen with a VssID account logs in with VNeID on iOS and Android."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from harness.flows import login_with_vneid, start_vneid_login
from harness.personas import Persona
from harness.protocol import DEFAULT_PROFILE
from harness.targets import Target, VssIDHandle
from harness.trace import HttpExchange, LinkOpened
from harness.world import DeviceFactory, PersonaPool
from scenarios.support import app_headers, assert_home, decide_after_login

# Only the tests that reach VNeID are in the provider plan too: the others talk to VssID
# alone, and would pass against any page at --vneid-url.
pytestmark = pytest.mark.plan("vssid-relying-party")

PLATFORMS = ["ios", "android"]


@pytest.mark.clause("P-1", "P-2", "P-3", "A-1", "A-3", "A-4", "A-5", "A-6")
@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.plan("vneid-provider")
def test_citizen_lands_on_vssid_home(
    device: DeviceFactory, persona: Persona, vssid: VssIDHandle, platform: str
) -> None:
    phone = device(platform)
    screen = login_with_vneid(phone.driver, persona)
    assert_home(screen)
    assert screen.app == "vssid", f"A-6: expected VssID's home, observed {screen.app}'s"
    for field in ("full_name", "bhxh_code", "personal_id"):
        assert screen.data[field] == getattr(persona, field), (
            f"A-6: expected the home screen's {field} to be the citizen's "
            f"{getattr(persona, field)!r}, observed {screen.data[field]!r}"
        )
    assert persona.full_name in screen.texts, (
        f"§9: expected the home screen to show {persona.full_name!r}, observed the texts "
        f"{list(screen.texts)}"
    )


@pytest.mark.clause("A-1", "A-3", "A-4", "A-5", "A-6")
@pytest.mark.plan("vneid-provider")
def test_every_hop_is_in_the_order_of_section_4(
    target: Target, device: DeviceFactory, persona: Persona
) -> None:
    phone = device("android")
    start_vneid_login(phone.driver)
    assert_home(decide_after_login(phone, persona))
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
    pairs = zip(hops, expected, strict=False)
    first = next(
        (i for i, (hop, want) in enumerate(pairs) if hop != want), min(len(hops), len(expected))
    )
    assert hops == expected, (
        f"§4: expected hop {first + 1} to be "
        f"{expected[first] if first < len(expected) else 'the last'}, observed "
        f"{hops[first] if first < len(hops) else 'none'}; all hops: {hops}"
    )


@pytest.mark.clause("A-1", "R-1")
@pytest.mark.parametrize("body", [{}, None], ids=["empty-object", "absent"])
def test_start_answers_a_transaction_with_or_without_a_body(
    target: Target, vssid: VssIDHandle, body: dict[str, Any] | None
) -> None:
    """A-1: body ``{}`` or absent → ``{transaction_id, authorize_url, expires_in}``, the
    transaction living the profile's lifetime (R-1: 10 minutes by default)."""
    with vssid.client() as http:
        response = http.post(
            "/api/v1/auth/vneid/start",
            json=body,
            headers=app_headers("vssid", profile=target.profile),
        )
    assert 200 <= response.status_code < 300, (
        f"expected start to answer 2xx (A-1), observed HTTP {response.status_code}: {response.text}"
    )
    answer = response.json()
    assert answer["transaction_id"], (
        f"A-1: expected a transaction_id, observed {answer['transaction_id']!r}"
    )
    assert answer["authorize_url"].startswith(
        (target.profile.authorize_link_custom, target.profile.authorize_link_https)
    ), (
        f"A-1: expected authorize_url to be the VNeID app link "
        f"{target.profile.authorize_link_custom} or {target.profile.authorize_link_https}, "
        f"observed {answer['authorize_url'].split('?')[0]!r}"
    )
    ttl = target.profile.transaction_ttl
    assert answer["expires_in"] == ttl, (
        f"A-1, R-1: expected expires_in to be the transaction lifetime {ttl} s, observed "
        f"{answer['expires_in']!r}"
    )
    assert DEFAULT_PROFILE.transaction_ttl == 600, "R-1: 10 minutes by default"


@pytest.mark.clause("A-4", "A-6")
@pytest.mark.plan("vneid-provider")
def test_app_api_answers_carry_what_section_4_lists(
    device: DeviceFactory, persona: Persona
) -> None:
    """A-4: sessions → ``{session_token, level, expires_in}``; A-6: complete →
    ``{session_token, bhxh_code, full_name}`` (tokens are redacted in the trace)."""
    phone = device("ios")
    assert_home(login_with_vneid(phone.driver, persona))
    session = phone.trace.http(path_contains="/api/app/v1/sessions")[-1].response_body
    assert session["session_token"], "A-4: expected a session_token from sessions, observed none"
    assert session["level"] == 2, (
        f"A-4: expected sessions to answer level 2, the citizen's, observed {session['level']!r}"
    )
    assert isinstance(session["expires_in"], int), (
        f"A-4: expected sessions' expires_in in whole seconds, observed {session['expires_in']!r}"
    )
    assert session["expires_in"] > 0, (
        f"A-4: expected sessions' expires_in > 0, observed {session['expires_in']!r}"
    )
    done = phone.trace.http(path_contains="/api/v1/auth/vneid/complete")[-1].response_body
    assert done["session_token"], "A-6: expected a session_token from complete, observed none"
    assert (done["bhxh_code"], done["full_name"]) == (persona.bhxh_code, persona.full_name), (
        f"A-6: expected complete to answer the citizen's bhxh_code and full_name "
        f"{(persona.bhxh_code, persona.full_name)}, observed "
        f"{(done['bhxh_code'], done['full_name'])}"
    )


@pytest.mark.clause("A-1", "A-2")
def test_authorize_link_carries_the_request_of_a2(
    target: Target, device: DeviceFactory, persona: Persona
) -> None:
    phone = device("ios")
    start_vneid_login(phone.driver)
    link = phone.last_link_to(
        (
            f"{target.profile.authorize_link_custom}?",  # either form of A-1
            f"{target.profile.authorize_link_https}?",
        )
    )
    params = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    for name, want in (
        ("response_type", "code"),
        ("client_id", target.profile.vssid_client_id),
        ("redirect_uri", target.profile.callback_custom),
        ("code_challenge_method", "S256"),
        ("acr_values", "urn:vneid:loa:2"),
    ):
        assert params[name] == want, (
            f"A-2: expected {name}={want}, observed {name}={params[name]!r}"
        )
    assert "openid" in params["scope"].split(), (
        f"A-2: expected a scope containing openid, observed scope={params['scope']!r}"
    )
    assert len(params["code_challenge"]) == 43, (
        f"A-2, S-1: expected an S256 code_challenge (43 characters), observed "
        f"{len(params['code_challenge'])} characters"
    )
    # >= 128 bits of randomness: at least 22 base64url characters
    for name in ("state", "nonce"):
        assert len(params[name]) >= 22, (
            f"A-1: expected a {name} of at least 128 bits (22 base64url characters), observed "
            f"{len(params[name])} characters"
        )
    assert "code_verifier" not in params, (
        "A-1: the code_verifier stays in the backend, observed it in the authorize link"
    )


@pytest.mark.clause("A-6")
@pytest.mark.plan("vneid-provider")
def test_me_returns_the_same_person(
    device: DeviceFactory, personas: PersonaPool, vssid: VssIDHandle
) -> None:
    """/me answers the session's own account, not merely some account VssID holds."""
    personas.new()  # another citizen's account, registered first
    citizen = personas.new()
    phone = device("ios")
    assert_home(login_with_vneid(phone.driver, citizen))
    me = [e for e in phone.trace.http(path_contains="/api/v1/me")]
    assert me, "A-6: expected the VssID app to call /api/v1/me after the login, observed none"
    assert me[-1].status == 200, (
        f"A-6: expected /api/v1/me to answer HTTP 200, observed HTTP {me[-1].status}"
    )
    wanted = {
        "bhxh_code": citizen.bhxh_code,
        "full_name": citizen.full_name,
        "personal_id": citizen.personal_id,
    }
    assert me[-1].response_body == wanted, (
        f"A-6: expected /api/v1/me to answer the logged-in citizen {wanted}, observed "
        f"{me[-1].response_body}"
    )


@pytest.mark.clause("A-1", "R-1")
def test_two_logins_get_fresh_state_and_nonce(
    target: Target, device: DeviceFactory, persona: Persona
) -> None:
    links: list[dict[str, list[str]]] = []
    for platform in PLATFORMS:
        phone = device(platform)
        start_vneid_login(phone.driver)
        link = phone.last_link_to(
            (f"{target.profile.authorize_link_custom}?", f"{target.profile.authorize_link_https}?")
        )
        links.append(parse_qs(urlsplit(link).query))
    for name in ("state", "nonce", "code_challenge"):
        assert links[0][name] != links[1][name], (
            f"A-1: expected a fresh {name} for each login, observed the same {name} in two"
        )
