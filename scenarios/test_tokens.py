"""What VNeID publishes and issues: discovery, JWKS, the ID token and userinfo (T-3…T-5)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from harness.apps.screens import VNEID_CONSENT, VNEID_LOGIN
from harness.flows import decide
from harness.personas import Persona
from harness.protocol import VersionError, finite_number, parse_version
from harness.rp import RP_SCHEME, Login, TestRelyingParty
from harness.targets import Target, VNeIDHandle
from harness.world import DeviceFactory, PersonaPool
from scenarios.support import (
    answered,
    assert_redeemed,
    callback_since,
    challenge_schemes,
    get_code,
    public,
)

pytestmark = pytest.mark.plan("vneid-provider")


@pytest.fixture
def tokens(
    device: DeviceFactory, rp: TestRelyingParty, persona: Persona
) -> tuple[Login, dict[str, Any]]:
    phone = device("android")
    phone.install_receiver(RP_SCHEME)
    login, code = get_code(phone, rp, persona)
    result = rp.redeem(code, login.code_verifier)
    assert result.status == 200, answered(result)
    return login, result.body


T3_CLAIMS = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "personal_id",
    "name",
    "birthdate",
    "gender",
)
"""T-3: the claims every ID token carries (``nonce``: the plan's requests all send one)."""


def assert_numeric_dates(claims: dict[str, Any]) -> None:
    """T-3's ``exp``, ``iat`` and ``auth_time`` are numbers of seconds, checked before any
    sum: ``10**400`` was an ``OverflowError``, a string a ``TypeError``, the test's failure
    naming neither T-3 nor the claim."""
    for name in ("exp", "iat", "auth_time"):
        assert finite_number(claims.get(name)) is not None, (
            f"T-3: expected {name} a number of seconds since the epoch (a NumericDate, RFC "
            f"7519 section 2), observed {public(claims.get(name), 60)}"
        )


def verify(vneid: VNeIDHandle, id_token: str) -> jwt.Token:
    """The ID token, its ES256 signature checked with the key the JWKS publishes under its
    ``kid`` (T-3; without a ``kid``, any of the JWKS's keys: the T-3 test itself asserts the
    ``kid``, the other tests only read the claims). What does not hold fails saying so under
    T-3 (the alg, the kid, the key, the signature), not with the JOSE library's error. Keys
    under other kids are not read (RFC 7517 §5: a key set may hold keys a client ignores)."""
    with vneid.client() as http:
        jwks_uri = vneid.discovery()["jwks_uri"]
        jwks = http.get(jwks_uri).json()
    try:
        header = jws.extract_compact(id_token.encode()).protected
    except JoseError as error:
        raise AssertionError(
            f"T-3: expected the ID token to be a compact JWS, observed one "
            f"that is not ({error.error})"
        ) from None
    assert header.get("alg") == "ES256", (
        f"T-3: expected the ID token signed ES256, observed alg {header.get('alg')!r}"
    )
    published = jwks.get("keys") if isinstance(jwks, dict) else None
    keys = (
        [key for key in published if isinstance(key, dict)] if isinstance(published, list) else []
    )
    kid = header.get("kid")
    if kid is not None:
        kids = [key.get("kid") for key in keys]
        keys = [key for key in keys if key.get("kid") == kid]
        assert keys, (
            f"T-3: expected the ID token's kid {kid!r} among the keys of "
            f"{jwks_uri}, observed kids {kids}"
        )
    else:
        assert len(keys) <= 1, (
            f"T-3: expected a kid in the ID token's header, observed none, "
            f"and {jwks_uri} publishes {len(keys)} keys"
        )
    try:
        key_set = KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise AssertionError(
            f"T-3: expected a JWKS at {jwks_uri} to verify the ID token "
            f"with, observed one that cannot be read ({error})"
        ) from None
    try:
        return jwt.decode(id_token, key_set, algorithms=["ES256"])
    except JoseError as error:
        raise AssertionError(
            f"T-3: expected the ID token's ES256 signature to verify with the key {kid!r} of "
            f"{jwks_uri}, observed it does not ({error.error})"
        ) from None


def sub_of(device: DeviceFactory, rp: TestRelyingParty, citizen: Persona) -> str:
    """The ``sub`` of the ID token ``rp`` gets for ``citizen`` (a fresh phone each time)."""
    phone = device("ios")
    phone.install_receiver(RP_SCHEME)
    login, code = get_code(phone, rp, citizen)
    result = rp.redeem(code, login.code_verifier)
    assert_redeemed(result)
    sub: str = verify(rp.vneid, result.body["id_token"]).claims["sub"]
    return sub


DISCOVERY_FIELDS = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "code_challenge_methods_supported",
    "acr_values_supported",
    "id_token_signing_alg_values_supported",
    "authorization_response_iss_parameter_supported",
    "vneid_app_link_template",
    "vneid_app_minimum_version",
)
"""What the T-4 test reads from discovery (the last two are the harness's names for what T-4
names no field for: docs/conformance.md)."""


@pytest.mark.clause("T-4")
def test_discovery_lists_what_t4_requires(target: Target, vneid: VNeIDHandle) -> None:
    doc = vneid.discovery()
    # every field missing, at once: a vendor's provider without three of them was told of
    # one per run (the first read), a review running the plan against general-purpose servers
    missing = [name for name in DISCOVERY_FIELDS if name not in doc]
    assert not missing, (
        f"T-4: discovery lacks {', '.join(missing)} (OpenID Connect Discovery §3, PROTOCOL.md "
        f"T-4; docs/conformance.md for the vneid_ fields); it lists: {', '.join(doc) or 'none'}"
    )
    assert doc["issuer"] == vneid.issuer, (
        f"T-4: expected discovery's issuer {vneid.issuer}, observed {doc['issuer']!r}"
    )
    for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert doc[key].startswith(("http://", "https://")), (
            f"T-4: expected discovery's {key} to be an http(s) URL, observed {doc[key]!r}"
        )
    assert doc["code_challenge_methods_supported"] == ["S256"], (
        f'T-4, S-1: expected code_challenge_methods_supported ["S256"], observed '
        f"{doc['code_challenge_methods_supported']!r}"
    )
    assert "urn:vneid:loa:2" in doc["acr_values_supported"], (
        f"T-4: expected acr_values_supported to list urn:vneid:loa:2, observed "
        f"{doc['acr_values_supported']!r}"
    )
    assert doc["authorization_response_iss_parameter_supported"] is True, (
        f"T-4: expected authorization_response_iss_parameter_supported true, observed "
        f"{doc['authorization_response_iss_parameter_supported']!r}"
    )
    # T-4 names no field for the app-link template: the harness reads these two (its mock's;
    # docs/conformance.md); the claimed https form of A-1 is optional for another provider
    template = doc.get("vneid_app_link_template")
    assert isinstance(template, str), (
        "T-4: discovery must list the app-link template; the harness reads it from "
        f"'vneid_app_link_template', e.g. '{target.profile.authorize_link_custom}?{{query}}' "
        f"(docs/conformance.md), observed {template!r}"
    )
    # the link itself, not a string starting like it (vneid://authorizex?…: an audit)
    assert template.split("?", 1)[0] == target.profile.authorize_link_custom, (
        f"T-4: expected the template of {target.profile.authorize_link_custom}, observed "
        f"{template!r}"
    )
    assert "{query}" in template, f"expected the placeholder {{query}}, observed {template!r}"
    https = doc.get("vneid_app_link_https_template")
    if vneid.is_embedded or https is not None:
        assert isinstance(https, str), (
            f"T-4: expected the https app-link template in 'vneid_app_link_https_template', "
            f"observed {https!r}"
        )
        assert https.split("?", 1)[0] == target.profile.authorize_link_https, (
            f"T-4: expected the template of {target.profile.authorize_link_https} (the "
            f"profile's vneid_link_host), observed {https!r}"
        )
        assert "{query}" in https, f"expected the placeholder {{query}}, observed {https!r}"
    for name in (
        "acr_values_supported",
        "code_challenge_methods_supported",
        "id_token_signing_alg_values_supported",
    ):  # JSON arrays, not strings in
        listed = doc.get(name)  # which "in" finds a substring (OIDC Discovery §3)
        assert isinstance(listed, list), f"T-4: {name} must be a JSON array: {listed!r}"
        assert all(isinstance(value, str) for value in listed), (
            f"T-4: expected {name} to be an array of strings, observed {listed!r}"
        )
    minimum = doc["vneid_app_minimum_version"]
    try:
        version = parse_version(minimum)
    except VersionError:
        pytest.fail(f"V-1: vneid_app_minimum_version {minimum!r} is not a version")
    assert version == target.profile.vneid_min_version, (  # V-1: 2.1 = 2.1.0
        f"expected the minimum VNeID version {target.profile.vneid_min_version}, observed "
        f"{minimum!r}"
    )
    if vneid.is_embedded:  # the mock writes it as its profile does (2.1.0 by default)
        assert minimum == str(target.profile.vneid_min_version), (
            f"expected vneid_app_minimum_version written {target.profile.vneid_min_version}, "
            f"observed {minimum!r}"
        )
    assert "ES256" in doc["id_token_signing_alg_values_supported"], (
        f"T-3, T-4: expected id_token_signing_alg_values_supported to list ES256, observed "
        f"{doc['id_token_signing_alg_values_supported']!r}"
    )


@pytest.mark.clause("T-3")
def test_id_token_is_es256_with_kid_and_every_claim(
    target: Target,
    vneid: VNeIDHandle,
    rp: TestRelyingParty,
    persona: Persona,
    tokens: tuple[Login, dict[str, Any]],
) -> None:
    login, body = tokens
    now = time.time()  # the code was redeemed just before
    token = verify(vneid, body["id_token"])  # also the alg, the key and the signature
    assert token.header.get("kid"), (
        f"T-3: expected a kid in the ID token's header, observed {token.header.get('kid')!r}"
    )
    claims = token.claims
    missing = [name for name in T3_CLAIMS if name not in claims]
    assert not missing, f"T-3: expected every claim T-3 lists, the ID token lacks {missing}"
    assert_numeric_dates(claims)
    assert claims["iss"] == vneid.issuer, (
        f"T-3: expected iss {vneid.issuer}, observed {claims['iss']!r}"
    )
    assert claims["aud"] in (rp.client_id, [rp.client_id]), (
        f"T-3: expected aud {rp.client_id!r} (the client id), observed {claims['aud']!r}"
    )
    # OpenID Connect Core §2: azp, when present, is the client the token was issued to
    assert claims.get("azp", rp.client_id) == rp.client_id, (
        f"T-3: expected azp, when present, to be the client id {rp.client_id!r}, observed "
        f"{claims['azp']!r}"
    )
    assert claims["nonce"] == login.request.nonce, (
        "T-3: expected the nonce of the authorization request, observed "
        + ("none" if claims["nonce"] is None else "another")
    )
    assert claims["acr"] == "urn:vneid:loa:2", (
        f"T-3: expected acr urn:vneid:loa:2, observed {claims['acr']!r}"
    )
    amr = claims["amr"]  # OpenID Connect Core §2: a JSON array of strings
    assert isinstance(amr, list), f"T-3: amr must be an array of strings, observed {amr!r}"
    assert amr, "T-3: amr names how the citizen logged in"
    assert all(isinstance(method, str) for method in amr), (
        f"T-3: amr must be an array of strings, observed {amr!r}"
    )
    lifetime, most = claims["exp"] - claims["iat"], target.profile.id_token_ttl  # 600 default
    assert 0 < lifetime <= most, (
        f"T-3: expected an ID token living 1 to {most} s (exp - iat), observed {lifetime} s"
    )
    # and from now, not only from its own iat: an iat in the future made exp - iat look
    # right (a fault-injection audit). Another provider's clock may differ from ours by
    # up to the profile's skew, never taken as less than 2 s (an iat rounded up, a
    # clock a few milliseconds ahead across a second); the embedded mock's is ours.
    margin = 2 if vneid.is_embedded else max(2, target.profile.clock_skew)
    left = claims["exp"] - now
    # a token just issued is valid now: exp not passed, iat neither in the future nor long
    # past (R-8's skew; a mutation audit: an expired token, or an iat minutes ahead with a
    # short life, passed every T-3 check and failed only the login tests, blamed on P-, A-
    # and V- clauses)
    assert left > -margin, (
        f"T-3: expected a fresh ID token's exp in the future, observed exp {-left:.0f} s ago"
    )
    # iat before exp's distance: an iat (and so an exp) minutes ahead, of a provider whose
    # clock runs ahead of ours, was named "expected exp at most 600 s from now, observed
    # 899 s", as if the token lived too long
    issued = claims["iat"] - now
    assert -(margin + 30) <= issued <= margin, (
        f"T-3: expected iat the time the token was issued (now, within {margin} s), observed "
        f"{issued:+.0f} s from now"
        + ("" if vneid.is_embedded else " (or the provider's clock is that far from this one's)")
    )
    assert left <= most + margin, (
        f"T-3: expected exp at most {most} s from now, observed {left:.0f} s"
    )
    assert claims["auth_time"] <= claims["iat"], (
        f"T-3: expected auth_time (the login) not after iat, observed auth_time "
        f"{claims['auth_time']!r}, iat {claims['iat']!r}"
    )
    for claim, want in (
        ("personal_id", persona.personal_id),
        ("name", persona.full_name),
        ("birthdate", persona.birthdate.isoformat()),
        ("gender", persona.gender),
    ):
        assert claims[claim] == want, (
            f"T-3: expected the claim {claim} to be the citizen's {want!r}, observed "
            f"{claims[claim]!r}"
        )
    assert claims["sub"], f"T-3: expected a sub, observed {claims['sub']!r}"


@pytest.mark.clause("T-3")
def test_auth_time_is_when_the_citizen_logged_in(
    target: Target,
    vneid: VNeIDHandle,
    device: DeviceFactory,
    rp: TestRelyingParty,
    persona: Persona,
) -> None:
    """T-3 ``auth_time``: when the citizen authenticated (OpenID Connect Core §2), not when
    the token was made. A login that reuses the VNeID app's session minutes later keeps the
    first time (a fault-injection audit: auth_time = iat went unnoticed)."""
    phone = device("android")
    phone.install_receiver(RP_SCHEME)
    started = time.monotonic()
    get_code(phone, rp, persona)  # the citizen logs in
    later = min(300, target.profile.vneid_session_ttl // 2)
    vneid.set_clock(later)
    login = rp.login()
    before = len(phone.delivered_links())
    phone.phone.open_url(login.link, source="harness-rp")
    screen = phone.screen()
    if screen.id == VNEID_CONSENT:  # the app's session, no new login
        screen = decide(phone.driver, "approve")
    # not authorize_on_phone, which logs in again when the provider asks: the auth_time of
    # that new login would fail this test as "auth_time = iat", a T-3 fault it is not
    assert screen.id != VNEID_LOGIN, (
        f"T-3's auth_time of a login that reuses the app's session cannot be checked: the "
        f"provider refused the app's session {later} s after its login (by its clock), "
        f"within the vneid_session_ttl of the profile ({target.profile.vneid_session_ttl} "
        "s, the expires_in of A-4), and asked for a new login; give the profile the "
        f"provider's session lifetime: {screen.describe()}"
    )
    result = rp.redeem(rp.code_from(callback_since(phone, before, screen)), login.code_verifier)
    took = time.monotonic() - started  # the most real time between the login and the token
    assert_redeemed(result)
    claims = verify(vneid, result.body["id_token"]).claims
    assert_numeric_dates(claims)
    waited = claims["iat"] - claims["auth_time"]
    assert waited >= later - 2, (
        f"T-3: the citizen logged in {later} s before this token; expected auth_time that "
        f"long before iat, observed iat {claims['iat']}, auth_time {claims['auth_time']}"
    )
    # and not longer: an auth_time of 0, or of any event before this login (the account's
    # creation), passed the check above (a review of extreme values). Both are the
    # provider's own clock, so its distance from this machine's does not count; 2 s for the
    # whole seconds of each
    assert waited <= later + took + 2, (
        f"T-3: the citizen logged in {later} s (and at most {took:.0f} s more) before this "
        f"token; expected auth_time that login's time, observed it {waited} s before iat "
        f"(iat {claims['iat']}, auth_time {claims['auth_time']}): an earlier event, not "
        "this login"
    )


@pytest.mark.clause("T-3")
def test_sub_is_stable_per_person_and_client(
    device: DeviceFactory, rp: TestRelyingParty, persona: Persona
) -> None:
    first, second = sub_of(device, rp, persona), sub_of(device, rp, persona)
    assert first == second, (
        f"T-3: expected the same sub for one person and client in two logins, observed "
        f"{first!r} then {second!r}"
    )


@pytest.mark.clause("T-3")
def test_sub_differs_between_people(
    device: DeviceFactory, rp: TestRelyingParty, personas: PersonaPool
) -> None:
    one, another = sub_of(device, rp, personas.new()), sub_of(device, rp, personas.new())
    assert one != another, f"T-3: expected two citizens to get two subs, observed {one!r} twice"


@pytest.mark.clause("T-3", "T-4")
def test_pairwise_sub_differs_between_clients(
    device: DeviceFactory, rp: TestRelyingParty, persona: Persona, vneid: VNeIDHandle
) -> None:
    """A provider whose only subject type is pairwise gives each client its own sub for one
    person, so that two relying parties cannot correlate their users by sub."""
    if vneid.discovery().get("subject_types_supported") != ["pairwise"]:
        pytest.skip("the provider does not advertise pairwise subjects only")
    with rp.variant(client_id="harness-rp-2") as other:
        mine, theirs = sub_of(device, rp, persona), sub_of(device, other, persona)
        assert mine != theirs, (
            f"T-3: expected pairwise subs, one per client, observed {mine!r} for both clients"
        )


@pytest.mark.clause("T-5")
def test_userinfo_returns_the_same_identity(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, tokens: tuple[Login, dict[str, Any]]
) -> None:
    _, body = tokens
    claims = verify(vneid, body["id_token"]).claims
    info = rp.userinfo(body["access_token"])
    assert info.status == 200, info.body
    for key in ("sub", "personal_id", "name", "birthdate", "gender"):
        assert info.body[key] == claims[key], key


@pytest.mark.clause("T-5")
@pytest.mark.parametrize("token", [None, "not-a-token", "Bearer"])
def test_userinfo_refuses_bad_tokens(rp: TestRelyingParty, token: str | None) -> None:
    """T-5 over RFC 6750 §3.1: an unknown token is 401 invalid_token; with no credentials
    at all the provider "SHOULD NOT include an error code" in its challenge, while §8 wants a
    code in every error body: none, ``invalid_token`` or ``invalid_request`` then."""
    result = rp.userinfo(token)
    refused = "an unknown token" if token is not None else "a request without a token"
    assert result.status == 401, (
        f"T-5: expected {refused} to be refused with HTTP 401 (RFC 6750 §3.1), observed "
        f"{answered(result)}"
    )
    allowed = {"invalid_token"} if token is not None else {"invalid_token", "invalid_request", None}
    assert result.error in allowed, (
        f"expected the 401's error to be one of {sorted(map(str, allowed))} (T-5, RFC 6750 "
        f"§3.1), observed {public(result.body)}"
    )
    # RFC 6750 §3: "the resource server MUST include the HTTP WWW-Authenticate response
    # header field" with the Bearer scheme, with or without a token (an audit: a provider
    # sending none passed every scenario)
    assert "bearer" in challenge_schemes(*result.challenges), (
        f"T-5: expected the 401 to carry a Bearer challenge (RFC 6750 §3), observed "
        f"WWW-Authenticate: {list(result.challenges)}"
    )
