"""The token endpoint at the edges: each refusal's clause, client authentication (T-1, T-2, S-1)."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from harness.personas import Persona
from harness.protocol import ManualClock, SeededEntropy
from harness.protocol.keys import derive_private_key
from harness.rp import (
    ASSERTION_LIFETIME,
    ASSERTION_TYPE,
    RP_SCHEME,
    Login,
    TestRelyingParty,
    TokenResult,
)
from harness.targets import Target, VNeIDHandle
from harness.trace import Trace
from harness.world import Device, DeviceFactory
from scenarios.support import (
    FromNow,
    answered,
    assert_invalid_client,
    get_code,
    resolve_times,
    shown,
)

Frozen = tuple[ManualClock, Target, TestRelyingParty, Device, Persona]
"""What the ``frozen`` fixture gives: the clock, the target, a client, a phone, a citizen."""


@pytest.fixture
def phone(device: DeviceFactory) -> Device:
    dev = device("android")
    dev.install_receiver(RP_SCHEME)
    return dev


def own_key(test_seed: str, label: str, kid: str) -> ECKey:
    """A P-256 key the test makes for a client (its next key, a forger's), drawn from the
    test's seed (``label`` keeps a test's keys apart): its replay signs with the same key."""
    return derive_private_key(SeededEntropy(f"{test_seed}/{label}"), kid)


class _Target:
    embedded = True
    """Whether this test's provider is the embedded mock, whose own choices (the clause each
    refusal cites, 401 for every ``invalid_client``, a code that survives a refused
    redemption) are checked too; a vendor's provider is held to the protocol and the RFCs."""


@pytest.fixture(autouse=True)
def _which_provider(request: pytest.FixtureRequest) -> None:
    _Target.embedded = (
        "frozen" in request.fixturenames or request.getfixturevalue("vneid").is_embedded
    )


def refused(result: TokenResult, status: int, error: str, clause: str) -> None:
    """RFC 6749 §5.2 with the §8 body (JSON ``{error, error_description, clause}``): this
    code and status, a description and a clause. A vendor's provider may cite another
    clause, and answer ``invalid_client`` with 400 when the request carried no
    ``Authorization`` header (RFC 6749 §5.2 requires 401 only then)."""
    if error == "invalid_client":
        assert_invalid_client(result, embedded=_Target.embedded)
    else:
        assert (result.status, result.error) == (status, error), (
            f"{clause}: expected HTTP {status} {error}, observed {answered(result)}"
        )
    assert isinstance(result.body.get("error_description"), str), (
        f"§8: expected an error_description string with {error}, observed {answered(result)}"
    )
    assert result.body["error_description"], (
        f"§8: expected a non-empty error_description with {error}, observed {answered(result)}"
    )
    assert isinstance(result.body.get("clause"), str), (
        f"§8: expected {error} to cite a clause, observed {answered(result)}"
    )
    if _Target.embedded:
        assert result.body.get("clause") == clause, (
            f"expected {error} to cite clause {clause}, observed {answered(result)}"
        )
    assert "access_token" not in result.body, (
        f"{clause}: expected no access_token with the refusal {error}, observed one"
    )


def still_redeems(client: TestRelyingParty, code: str, verifier: str, **kwargs: Any) -> None:
    """After a refused redemption the code still redeems: the embedded mock's choice (a
    refusal does not burn it); RFC 6749 lets a provider burn it, so a vendor's is not held
    to it."""
    if _Target.embedded:
        result = client.redeem(code, verifier, **kwargs)
        assert result.status == 200, (
            f"the refusal must not burn the code: expected HTTP 200, observed {answered(result)}"
        )


def token_call(
    rp: TestRelyingParty, data: Mapping[str, str], headers: Mapping[str, str] | None = None
) -> TokenResult:
    """POST to the discovered token endpoint with exactly this form and these headers (no
    client auth added)."""
    response = rp.http.post(rp.token_endpoint, data=data, headers=headers or {})
    return TokenResult.of(response, response.json())


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def grant(rp: TestRelyingParty, login: Login, code: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": rp.redirect_uri,
        "code_verifier": login.code_verifier,
    }


# -- invalid_grant: which rule failed (T-1, T-2, S-1, S-4) ---------------------------------------


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-2")
def test_an_unknown_code_is_invalid_grant_citing_t2(
    rp: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    login, _ = get_code(phone, rp, persona)
    refused(rp.redeem("no-such-code-" + "x" * 30, login.code_verifier), 400, "invalid_grant", "T-2")


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-2")
def test_a_reused_code_is_invalid_grant_citing_t2(
    rp: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    login, code = get_code(phone, rp, persona)
    first = rp.redeem(code, login.code_verifier)
    assert first.status == 200, (
        f"T-1: expected the first redemption to succeed (HTTP 200), observed {answered(first)}"
    )
    refused(rp.redeem(code, login.code_verifier), 400, "invalid_grant", "T-2")


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-2")
def test_an_expired_code_is_invalid_grant_citing_t2(
    rp: TestRelyingParty, phone: Device, persona: Persona, vneid: VNeIDHandle
) -> None:
    login, code = get_code(phone, rp, persona)
    vneid.set_clock(rp.profile.code_ttl + 1)  # past the profile's code_ttl (61 s by default)
    refused(rp.redeem(code, login.code_verifier), 400, "invalid_grant", "T-2")


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-2")
def test_a_code_replayed_after_its_lifetime_still_revokes_the_tokens(
    rp: TestRelyingParty, phone: Device, persona: Persona, vneid: VNeIDHandle
) -> None:
    """T-2: the replay revokes what the first redemption issued, however late it comes, as
    long as those tokens live: here a second past the profile's ``code_ttl`` (61 s by
    default), or, when the access token dies before the code would (``access_token_ttl`` not
    above ``code_ttl + 1``), its last whole second."""
    profile = rp.profile
    late = max(0, min(profile.code_ttl + 1, profile.access_token_ttl - 1))
    login, code = get_code(phone, rp, persona)
    first = rp.redeem(code, login.code_verifier)
    assert first.status == 200, (
        f"T-1: expected the first redemption to succeed (HTTP 200), observed {answered(first)}"
    )
    vneid.set_clock(late)
    info = rp.userinfo(first.body["access_token"])
    assert info.status == 200, (
        f"T-5: expected the access token still alive {late} s later (HTTP 200 at userinfo), "
        f"observed {answered(info)}"
    )
    refused(rp.redeem(code, login.code_verifier), 400, "invalid_grant", "T-2")
    after = rp.userinfo(first.body["access_token"])
    assert (after.status, after.error) == (401, "invalid_token"), (
        f"T-2: expected the replay to revoke the first access token (HTTP 401 invalid_token "
        f"at userinfo), observed {answered(after)}"
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
def test_a_code_of_another_client_is_invalid_grant_citing_t1(
    rp: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    login, code = get_code(phone, rp, persona)
    with rp.variant(client_id="harness-rp-other") as other:
        refused(other.redeem(code, login.code_verifier), 400, "invalid_grant", "T-1")


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1", "S-2")
def test_another_redirect_uri_is_invalid_grant_citing_t1(
    rp: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    login, code = get_code(phone, rp, persona)
    refused(
        rp.redeem(code, login.code_verifier, redirect_uri=f"{RP_SCHEME}://other"),
        400,
        "invalid_grant",
        "T-1",
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
@pytest.mark.parametrize(
    "spoil",
    [
        shown("trailing-slash", lambda uri: f"{uri}/"),
        shown("upper-case", str.upper),
        shown("path-appended", lambda uri: f"{uri}/more"),
        shown("suffix", lambda uri: f"{uri}x"),
    ],
    ids=["trailing-slash", "upper-case", "path-appended", "suffix"],
)
def test_a_redirect_uri_not_identical_to_the_requests_is_invalid_grant(
    rp: TestRelyingParty, phone: Device, persona: Persona, spoil: Callable[[str], str]
) -> None:
    """T-1 "identical to A-2" (RFC 6749 §4.1.3): no normalising, no prefix (a second
    fault-injection audit: each of these redeemed)."""
    login, code = get_code(phone, rp, persona)
    refused(
        rp.redeem(code, login.code_verifier, redirect_uri=spoil(rp.redirect_uri)),
        400,
        "invalid_grant",
        "T-1",
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
def test_a_token_request_without_the_redirect_uri_gets_no_token(
    rp: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    """RFC 6749 §4.1.3: ``redirect_uri`` is required when the authorization request had one
    (A-2 always has); leaving it out redeemed the code."""
    login, code = get_code(phone, rp, persona)
    result = rp.redeem(code, login.code_verifier, redirect_uri=None)
    assert result.status == 400, answered(result)
    assert result.error in ("invalid_request", "invalid_grant"), answered(result)
    assert "access_token" not in result.body, answered(result)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
@pytest.mark.parametrize(
    "grant_type", ["Authorization_Code", "AUTHORIZATION_CODE", "authorization_code "]
)
def test_grant_type_is_exactly_authorization_code(
    rp: TestRelyingParty, phone: Device, persona: Persona, grant_type: str
) -> None:
    """T-1 ``grant_type=authorization_code``, a value compared exactly (RFC 6749 §4.1.3)."""
    login, code = get_code(phone, rp, persona)
    result = rp.redeem(code, login.code_verifier, grant_type=grant_type)
    assert result.status == 400, answered(result)
    assert "access_token" not in result.body, answered(result)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("S-4", "S-1")
def test_the_challenge_itself_is_no_verifier(
    rp: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    """S-1, S-4: S256 only. An app that intercepted the authorize link knows the challenge;
    redeeming the code with it as the verifier (a ``plain`` fallback) must fail."""
    login, code = get_code(phone, rp, persona)
    refused(rp.redeem(code, login.request.code_challenge), 400, "invalid_grant", "S-4")


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("S-1")
@pytest.mark.parametrize("verifier", ["short", "A" * 129, "space " + "x" * 40])
def test_a_malformed_verifier_is_invalid_grant_citing_s1(
    rp: TestRelyingParty, phone: Device, persona: Persona, verifier: str
) -> None:
    _, code = get_code(phone, rp, persona)
    refused(rp.redeem(code, verifier), 400, "invalid_grant", "S-1")


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("S-4")
def test_a_wrong_verifier_is_invalid_grant_citing_s4(
    rp: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    _, code = get_code(phone, rp, persona)
    refused(rp.redeem(code, "wrong-verifier-" + "x" * 40), 400, "invalid_grant", "S-4")


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1", "A-2")
@pytest.mark.parametrize(
    ("scope", "granted"),
    [
        ("openid", "openid"),
        ("openid profile", "openid profile"),
        ("profile openid email", "openid profile"),
    ],
)
def test_the_token_response_names_the_granted_scope(
    rp: TestRelyingParty, phone: Device, persona: Persona, scope: str, granted: str
) -> None:
    """RFC 6749 §5.1: ``scope`` tells the client what it got: the supported values it asked
    for (A-2: ``openid``, ``profile``), whatever else it asked for. It is "OPTIONAL, if
    identical to the scope requested by the client; otherwise, REQUIRED" (a scope is a set
    of values, §3.3: order does not matter)."""
    login, code = get_code(phone, rp, persona, scope=scope)
    result = rp.redeem(code, login.code_verifier)
    assert result.status == 200, answered(result)
    if set(granted.split()) == set(scope.split()) and "scope" not in result.body:
        return  # the scope asked for, all granted: the provider may leave it out
    assert set(result.body["scope"].split(" ")) == set(granted.split()), answered(result)


# -- client authentication (T-1; RFC 6749 §2.3) ----------------------------------------------------


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
def test_a_wrong_secret_is_invalid_client_citing_t1(
    rp: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    login, code = get_code(phone, rp, persona)
    refused(
        rp.redeem(code, login.code_verifier, client_secret="not-the-secret"),
        401,
        "invalid_client",
        "T-1",
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
def test_no_client_authentication_is_invalid_client(
    rp: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    login, code = get_code(phone, rp, persona)
    refused(token_call(rp, grant(rp, login, code)), 401, "invalid_client", "T-1")


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
@pytest.mark.parametrize(
    "kind", ["not-base64", "stray-character", "no-colon", "empty-id", "not-utf8", "escape-not-utf8"]
)
def test_malformed_basic_credentials_are_invalid_client(
    rp: TestRelyingParty, phone: Device, persona: Persona, kind: str
) -> None:
    # Built here, not in the parameters: reports list parameters, and these hold the secret.
    user_pass = {
        "not-base64": None,
        "stray-character": f"{rp.client_id}:{rp.client_secret}".encode(),
        "no-colon": b"harness-rp-no-colon",
        "empty-id": f":{rp.client_secret}".encode(),
        "not-utf8": f"{rp.client_id}:\udcff".encode("utf-8", "surrogatepass"),
        # RFC 6749 §2.3.1: a percent-escape that is not UTF-8 is not read as U+FFFD
        "escape-not-utf8": f"{rp.client_id}:%FF".encode(),
    }[kind]
    header = (
        "Basic not*base64"
        if user_pass is None
        else (
            "Basic "
            + base64.b64encode(user_pass).decode()
            + ("!" if kind == "stray-character" else "")
        )
    )
    login, code = get_code(phone, rp, persona)
    refused(
        token_call(rp, grant(rp, login, code), {"Authorization": header}),
        401,
        "invalid_client",
        "T-1",
    )
    still_redeems(rp, code, login.code_verifier)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
def test_a_basic_password_may_contain_a_colon(
    rp: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    """RFC 7617 §2: the user-id ends at the first colon; the password may hold more."""
    with rp.variant(client_id="harness-rp-colon", client_secret="se:cr:et") as client:
        login, code = get_code(phone, client, persona)
        result = token_call(
            client,
            grant(client, login, code),
            {"Authorization": basic("harness-rp-colon", "se:cr:et")},
        )
        assert result.status == 200, answered(result)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
@pytest.mark.parametrize("second", ["assertion-type", "assertion", "post-secret"])
def test_two_authentication_methods_at_once_are_invalid_request(
    rp: TestRelyingParty, phone: Device, persona: Persona, second: str
) -> None:
    """RFC 6749 §2.3: a client MUST NOT use more than one method in one request, and §5.2
    names ``invalid_request`` (400) for one that does. Another provider may answer
    ``invalid_client`` (401) instead: the request is refused either way."""
    extra = {
        "assertion-type": {"client_assertion_type": ASSERTION_TYPE},
        "assertion": {"client_assertion": "not-a-jws"},
        "post-secret": {"client_secret": rp.client_secret},
    }[second]
    login, code = get_code(phone, rp, persona)
    data = grant(rp, login, code) | extra
    result = token_call(rp, data, {"Authorization": basic(rp.client_id, rp.client_secret)})
    if _Target.embedded or result.error != "invalid_client":
        refused(result, 400, "invalid_request", "T-1")
    else:
        refused(result, 401, "invalid_client", "T-1")
    still_redeems(rp, code, login.code_verifier)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
def test_a_body_client_id_naming_another_client_is_invalid_client(
    rp: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    login, code = get_code(phone, rp, persona)
    data = grant(rp, login, code) | {"client_id": "someone-else"}
    result = token_call(rp, data, {"Authorization": basic(rp.client_id, rp.client_secret)})
    refused(result, 401, "invalid_client", "T-1")


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
def test_client_secret_post_needs_the_client_id(
    rp: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    with rp.variant(client_id="harness-rp-post", auth_method="client_secret_post") as client:
        login, code = get_code(phone, client, persona)
        result = token_call(
            client, grant(client, login, code) | {"client_secret": client.client_secret}
        )
        refused(result, 401, "invalid_client", "T-1")
        still_redeems(client, code, login.code_verifier)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
def test_an_unknown_client_is_invalid_client(
    rp: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    login, code = get_code(phone, rp, persona)
    result = token_call(
        rp, grant(rp, login, code), {"Authorization": basic("no-such-client", "secret")}
    )
    refused(result, 401, "invalid_client", "T-1")


# -- private_key_jwt (RFC 7523 §3) -----------------------------------------------------------------


@pytest.fixture
def jwt_client(rp: TestRelyingParty) -> Iterator[TestRelyingParty]:
    with rp.variant(client_id="harness-rp-jwt", auth_method="private_key_jwt") as client:
        yield client


def assertion(
    client: TestRelyingParty, *, header: dict[str, str] | None = None, **claims: Any
) -> str:
    """A client assertion signed with ``client``'s key; ``claims`` override (``None``
    removes one)."""
    now = int(client.vneid.now())
    base = {
        "iss": client.client_id,
        "sub": client.client_id,
        "aud": client.token_endpoint,
        "jti": f"jti-{time.perf_counter_ns()}",
        "iat": now,
        "exp": now + 60,
    }
    merged = {k: v for k, v in (base | claims).items() if v is not None}
    assert client.signing_key is not None, f"{client.client_id} has no signing key"
    head = {"alg": "ES256", "kid": client.signing_key.kid} | (header or {})
    return jwt.encode(head, merged, client.signing_key, algorithms=["ES256"])


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
@pytest.mark.parametrize("aud", ["token-endpoint", "issuer", "array"])
def test_an_assertion_may_name_the_token_endpoint_or_the_issuer(
    jwt_client: TestRelyingParty, phone: Device, persona: Persona, vneid: VNeIDHandle, aud: str
) -> None:
    audience = {
        "token-endpoint": jwt_client.token_endpoint,
        "issuer": vneid.issuer,
        "array": ["https://elsewhere.test", jwt_client.token_endpoint],
    }[aud]
    login, code = get_code(phone, jwt_client, persona)
    result = jwt_client.redeem(
        code, login.code_verifier, client_assertion=assertion(jwt_client, aud=audience)
    )
    assert result.status == 200, answered(result)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "someone-else"},
        {"iss": "someone-else"},
        {"exp": FromNow(-3600)},
        {"exp": True},
        {"exp": "soon"},
        {"exp": None},
        {"exp": FromNow(7200)},
        {"jti": None},
        {"jti": ""},
        {"jti": 12345},
        {"aud": ["https://elsewhere.test"]},
        {"exp": float("nan")},
        {"exp": 10**400},
        {"nbf": FromNow(3600)},
        {"nbf": "now"},
    ],
    ids=[
        "sub-other",
        "iss-other",
        "expired",
        "exp-bool",
        "exp-string",
        "exp-missing",
        "lives-two-hours",
        "jti-missing",
        "jti-empty",
        "jti-number",
        "aud-elsewhere",
        "exp-nan",
        "exp-too-large",
        "not-before-an-hour",
        "nbf-string",
    ],
)
def test_an_assertion_breaking_rfc7523_is_invalid_client(
    jwt_client: TestRelyingParty, phone: Device, persona: Persona, claims: dict[str, Any]
) -> None:
    claims = resolve_times(claims, jwt_client.vneid.now())
    exp = claims.get("exp")
    if not _Target.embedded and type(exp) is int and exp > jwt_client.vneid.now() + 3600:
        pytest.skip(
            "refusing an assertion that lives over an hour (here: "
            f"{'beyond any date' if exp > 10**12 else 'two hours'}) is this mock's "
            "limit (RFC 7523 §3 sets none)"
        )
    login, code = get_code(phone, jwt_client, persona)
    result = jwt_client.redeem(
        code, login.code_verifier, client_assertion=assertion(jwt_client, **claims)
    )
    refused(result, 401, "invalid_client", "T-1")
    still_redeems(jwt_client, code, login.code_verifier)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
@pytest.mark.parametrize(
    "nbf_from_now",
    [
        shown("-600", lambda skew: -600),
        shown("0", lambda skew: 0),
        shown("skew/2", lambda skew: skew // 2),
    ],
    ids=["-600", "0", "30"],
)  # the offsets under the default 60 s skew
def test_an_assertion_valid_from_now_or_earlier_is_accepted(
    jwt_client: TestRelyingParty,
    phone: Device,
    persona: Persona,
    nbf_from_now: Callable[[int], int],
) -> None:
    """RFC 7523 §3: ``nbf`` is optional; a token is accepted from that time on (within the
    profile's ``clock_skew`` the provider allows: ``nbf`` half of it ahead is accepted, 30 s
    of the default 60)."""
    offset = nbf_from_now(jwt_client.profile.clock_skew)
    login, code = get_code(phone, jwt_client, persona)
    result = jwt_client.redeem(
        code,
        login.code_verifier,
        client_assertion=assertion(jwt_client, nbf=int(jwt_client.vneid.now()) + offset),
    )
    assert result.status == 200, answered(result)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
@pytest.mark.parametrize("client_id_in_body", [False, True], ids=["by-sub", "by-client_id"])
def test_a_client_registered_with_a_jwks_uri_is_checked_with_the_keys_found_there(
    jwt_client: TestRelyingParty,
    phone: Device,
    device: DeviceFactory,
    persona: Persona,
    vneid: VNeIDHandle,
    client_id_in_body: bool,
    test_seed: str,
) -> None:
    """§11 registers a client with ``jwks_uri`` (RFC 7591 §2): the provider fetches the
    client's JWK Set from there, and an assertion signed by another key is refused."""
    if not vneid.is_embedded:
        pytest.skip("the scenario serves the client's JWK Set to the in-process provider")
    assert jwt_client.signing_key is not None
    public = {"keys": [jwt_client.signing_key.as_dict(private=False)]}
    fetched: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        return httpx.Response(200, json=public)

    vneid.embedded.client_keys.transport = httpx.MockTransport(serve)
    vneid.register_client(
        {
            "client_id": jwt_client.client_id,
            "redirect_uris": [jwt_client.redirect_uri],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks_uri": "https://rp.test/jwks",
        }
    )
    login, code = get_code(phone, jwt_client, persona)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": jwt_client.redirect_uri,
        "code_verifier": login.code_verifier,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion(jwt_client),
    }
    if client_id_in_body:  # RFC 7523 §3: optional; the assertion's sub names the client
        form["client_id"] = jwt_client.client_id
    response = jwt_client.http.post("/token", data=form)
    assert response.status_code == 200, response.text
    assert fetched == ["https://rp.test/jwks"]
    # the client rotates its key: an assertion naming the new kid fetches the set again
    rotated = own_key(test_seed, "rotated", "rotated")
    public = {"keys": [rotated.as_dict(private=False)]}
    vneid.set_clock(11)  # past the 10 s the provider waits between fetches for a new kid
    # the citizen logs in on a phone of its own: the first phone's VNeID session need not
    # live 11 s (the profile's vneid_session_ttl), and its app cannot tell (its clock did
    # not move)
    later = device("android")
    later.install_receiver(RP_SCHEME)
    login, code = get_code(later, jwt_client, persona)
    jwt_client.signing_key, signing_key = rotated, jwt_client.signing_key
    try:
        result = jwt_client.redeem(code, login.code_verifier)
    finally:
        jwt_client.signing_key = signing_key
    assert result.status == 200, answered(result)
    assert len(fetched) == 2
    stranger = own_key(test_seed, "stranger", str(jwt_client.signing_key.kid))
    forged = jwt.encode(
        {"alg": "ES256", "kid": stranger.kid},
        {
            "iss": jwt_client.client_id,
            "sub": jwt_client.client_id,
            "aud": jwt_client.token_endpoint,
            "jti": f"j-{time.perf_counter_ns()}",
            "exp": int(jwt_client.vneid.now()) + 60,
        },
        stranger,
        algorithms=["ES256"],
    )
    login, code = get_code(later, jwt_client, persona)
    refused(
        jwt_client.redeem(code, login.code_verifier, client_assertion=forged),
        401,
        "invalid_client",
        "T-1",
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
def test_an_assertion_signed_by_another_key_is_invalid_client(
    jwt_client: TestRelyingParty, phone: Device, persona: Persona, test_seed: str
) -> None:
    login, code = get_code(phone, jwt_client, persona)
    assert jwt_client.signing_key is not None, "a private_key_jwt client has a key"
    assert jwt_client.signing_key.kid is not None, "its key has a kid"
    stranger = own_key(test_seed, "stranger", jwt_client.signing_key.kid)
    forged = jwt.encode(
        {"alg": "ES256", "kid": stranger.kid},
        {
            "iss": jwt_client.client_id,
            "sub": jwt_client.client_id,
            "aud": jwt_client.token_endpoint,
            "jti": "forged-jti",
            "exp": int(jwt_client.vneid.now()) + 60,
        },
        stranger,
        algorithms=["ES256"],
    )
    refused(
        jwt_client.redeem(code, login.code_verifier, client_assertion=forged),
        401,
        "invalid_client",
        "T-1",
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
@pytest.mark.parametrize(
    "form",
    [
        {"client_assertion_type": "urn:example:other"},
        {"client_assertion": "not-a-jws"},
        {"client_assertion": "W10.W10.W10"},
        {"client_assertion": "eyJhbGciOiJFUzI1NiJ9.W10.c2lnbmF0dXJl"},
        {"client_assertion": "WyJhbGciLCAiRVMyNTYiXQ.e30.c2lnbmF0dXJl"},  # header: a JSON array
    ],
    ids=["wrong-type", "not-a-jws", "array-header", "array-payload", "array-of-strings-header"],
)
def test_a_malformed_assertion_is_invalid_client(
    jwt_client: TestRelyingParty, phone: Device, persona: Persona, form: dict[str, str]
) -> None:
    login, code = get_code(phone, jwt_client, persona)
    data = (
        grant(jwt_client, login, code)
        | {
            "client_assertion": assertion(jwt_client),
            "client_assertion_type": ASSERTION_TYPE,
        }
        | form
    )
    refused(token_call(jwt_client, data), 401, "invalid_client", "T-1")


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
def test_an_assertion_type_without_an_assertion_is_invalid_client(
    jwt_client: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    """RFC 7523 §2.2: ``client_assertion_type`` comes with a ``client_assertion``; alone it
    authenticates nobody."""
    login, code = get_code(phone, jwt_client, persona)
    data = grant(jwt_client, login, code) | {"client_assertion_type": ASSERTION_TYPE}
    refused(token_call(jwt_client, data), 401, "invalid_client", "T-1")


# the mock's reading of RFC 6749 §2.3.1 (only Basic authenticates in the header): no plan
@pytest.mark.clause("T-1")
def test_an_authorization_header_of_another_scheme_authenticates_no_client(
    rp: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    """A client_secret_post client whose token request also carries a header of another
    scheme (``Bearer``) authenticates by its form: that header is no client authentication,
    so no second method either."""
    with rp.variant(client_id="harness-rp-post-bearer", auth_method="client_secret_post") as client:
        login, code = get_code(phone, client, persona)
        data = grant(client, login, code) | {
            "client_id": client.client_id,
            "client_secret": client.client_secret,
        }
        result = token_call(client, data, {"Authorization": "Bearer unrelated"})
        assert result.status == 200, answered(result)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
def test_a_replayed_assertion_is_invalid_client(
    jwt_client: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    """RFC 7523 §3: the ``jti`` makes an assertion single-use."""
    signed = assertion(jwt_client)
    login, code = get_code(phone, jwt_client, persona)
    assert jwt_client.redeem(code, login.code_verifier, client_assertion=signed).status == 200
    login, code = get_code(phone, jwt_client, persona)
    refused(
        jwt_client.redeem(code, login.code_verifier, client_assertion=signed),
        401,
        "invalid_client",
        "T-1",
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
@pytest.mark.parametrize(
    ("registered", "used"),
    [
        ("client_secret_basic", "client_secret_post"),
        ("client_secret_post", "client_secret_basic"),
        ("client_secret_basic", "private_key_jwt"),
    ],
)
def test_another_method_than_the_registered_one_is_invalid_client(
    rp: TestRelyingParty,
    phone: Device,
    persona: Persona,
    registered: str,
    used: str,
    test_seed: str,
) -> None:
    with rp.variant(client_id=f"harness-rp-{registered}", auth_method=registered) as client:
        login, code = get_code(phone, client, persona)
        if used == "private_key_jwt":
            client.signing_key = own_key(test_seed, "unregistered", "k")
        refused(
            client.redeem(code, login.code_verifier, auth_method=used), 401, "invalid_client", "T-1"
        )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
@pytest.mark.parametrize("sub", [42, ["vssid-jwt"], {"id": "x"}], ids=["number", "array", "object"])
def test_an_assertion_whose_sub_is_not_a_string_names_no_client(
    jwt_client: TestRelyingParty, phone: Device, persona: Persona, sub: object
) -> None:
    login, code = get_code(phone, jwt_client, persona)
    data = grant(jwt_client, login, code) | {
        "client_assertion": assertion(jwt_client, sub=sub),
        "client_assertion_type": ASSERTION_TYPE,
    }
    refused(token_call(jwt_client, data), 401, "invalid_client", "T-1")


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
def test_an_assertion_names_its_client_by_sub_when_the_body_does_not(
    jwt_client: TestRelyingParty, phone: Device, persona: Persona
) -> None:
    login, code = get_code(phone, jwt_client, persona)
    data = grant(jwt_client, login, code) | {
        "client_assertion": assertion(jwt_client),
        "client_assertion_type": ASSERTION_TYPE,
    }
    result = token_call(jwt_client, data)
    assert result.status == 200, answered(result)


# -- exact boundaries, on a provider with a frozen clock of the test's own -----------------------


@pytest.fixture
def frozen(
    request: pytest.FixtureRequest, test_seed: str, adopt_trace: Callable[[Trace], Trace]
) -> Iterator[Frozen]:
    """An embedded target on a manual clock, following the run's profile: the provider's
    ``now`` is exact. The phone's and the relying party's traces count as the test's
    (Allure steps, evidence)."""
    from harness.protocol import ManualClock, SeededEntropy
    from harness.pytest_plugin import run_profile
    from harness.rp import TestRelyingParty
    from harness.targets import embedded_target
    from harness.world import PersonaPool, make_device

    clock = ManualClock()
    target = embedded_target(seed=test_seed, clock=clock, profile=run_profile(request.config))
    citizen = PersonaPool(target, seed=test_seed).new()
    device = make_device(target, "android")
    adopt_trace(device.trace)
    device.install_receiver(RP_SCHEME)
    client = TestRelyingParty(
        target.vneid,
        target.profile,
        trace=adopt_trace(Trace()),
        entropy=SeededEntropy(f"{test_seed}/rp"),
    ).register()
    yield clock, target, client, device, citizen
    client.close()
    device.close()
    target.close()


@pytest.mark.clause("T-2")
@pytest.mark.parametrize(
    ("before_expiry", "ok"), [(0.001, True), (0, False)], ids=["59.999-True", "60-False"]
)  # the ages under the default 60 s
def test_a_code_lives_exactly_sixty_seconds(frozen: Frozen, before_expiry: float, ok: bool) -> None:
    """T-2: a code lives exactly the profile's ``code_ttl`` (sixty seconds by default): a
    millisecond before, it redeems; at it, it does not."""
    clock, target, client, device, citizen = frozen
    login, code = get_code(device, client, citizen)
    clock.advance(target.profile.code_ttl - before_expiry)
    result = client.redeem(code, login.code_verifier)
    if ok:
        assert result.status == 200, answered(result)
    else:
        refused(result, 400, "invalid_grant", "T-2")


@pytest.mark.clause("T-1")
@pytest.mark.parametrize(
    ("exp_offset", "ok"),
    [
        (shown("1-skew", lambda skew: 1 - skew), True),
        (shown("-skew", lambda skew: -skew), False),
        (shown("3600", lambda skew: 3600), True),
        (shown("3601", lambda skew: 3601), False),
    ],
    ids=["59s-past-within-skew", "60s-past", "lives-3600s", "lives-3601s"],
)
def test_assertion_exp_allows_the_skew_and_at_most_an_hour(
    frozen: Frozen, exp_offset: Callable[[int], int], ok: bool
) -> None:
    """RFC 7523 §3: ``exp`` in the past by less than the profile's ``clock_skew`` is
    accepted, by the whole skew it is not (59 and 60 s by default; with no skew, an ``exp``
    a second ahead and one at ``now``); this mock accepts an assertion living an hour, not
    a second more."""
    clock, target, client, device, citizen = frozen
    with client.variant(client_id="harness-rp-jwt", auth_method="private_key_jwt") as jwt_rp:
        login, code = get_code(device, jwt_rp, citizen)
        now = int(clock.now())
        signed = assertion(jwt_rp, iat=now, exp=now + exp_offset(target.profile.clock_skew))
        result = jwt_rp.redeem(code, login.code_verifier, client_assertion=signed)
        if ok:
            assert result.status == 200, answered(result)
        else:
            refused(result, 401, "invalid_client", "T-1")


def _assertion_of_length(client: TestRelyingParty, length: int) -> str:
    """A valid client assertion exactly ``length`` characters long (a filler claim pads it;
    ``typ`` in the header or not shifts what base64 lengths are reachable)."""
    for header in (None, {"typ": "JWT"}, {"typ": "JOSE"}):
        for n in range(length * 3 // 4 - 400, length * 3 // 4 + 4):
            made = assertion(client, header=header, filler="f" * n)
            if len(made) == length:
                return made
    raise AssertionError(f"no assertion of exactly {length} characters")


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-1")
@pytest.mark.parametrize(("length", "ok"), [(8192, True), (8193, False)])
def test_a_client_assertion_may_be_at_most_8192_characters(
    jwt_client: TestRelyingParty, phone: Device, persona: Persona, length: int, ok: bool
) -> None:
    """A client assertion is a few hundred characters; the provider reads at most 8 KiB of
    one (a huge header or payload is refused before it is decoded)."""
    if not ok and not _Target.embedded:
        pytest.skip(
            "refusing an assertion over 8192 characters is this mock's limit (RFC 7523 sets none)"
        )
    login, code = get_code(phone, jwt_client, persona)
    result = jwt_client.redeem(
        code, login.code_verifier, client_assertion=_assertion_of_length(jwt_client, length)
    )
    if ok:
        assert result.status == 200, answered(result)
    else:
        refused(result, 401, "invalid_client", "T-1")
        assert "8192" in result.body["error_description"]


# -- what the provider keeps, on a provider of the test's own ------------------------------------


@pytest.mark.clause("T-1")
def test_a_full_store_of_assertion_ids_refuses_rather_than_forgets(frozen: Frozen) -> None:
    """RFC 7523 §3: a ``jti`` is remembered while its assertion lives. The store of them
    never drops one to make room (a dropped id would let its assertion be replayed): full,
    it refuses the next assertion with 503 ``temporarily_unavailable``, until one expires.
    The test makes this provider's store hold one id instead of 100 000."""
    clock, target, client, device, citizen = frozen
    assert target.vneid.embedded is not None
    target.vneid.embedded.client_auth._seen_jti.max_items = 1
    with client.variant(client_id="harness-rp-jwt", auth_method="private_key_jwt") as jwt_rp:
        login, code = get_code(device, jwt_rp, citizen)
        first = jwt_rp.redeem(code, login.code_verifier)
        assert first.status == 200, answered(first)
        login, code = get_code(device, jwt_rp, citizen)
        full = jwt_rp.redeem(code, login.code_verifier)
        refused(full, 503, "temporarily_unavailable", "T-1")
        assert "client-assertion ids" in full.body["error_description"], (
            f"the refusal names the store that is full: {answered(full)}"
        )
        # the first assertion's id is kept until its exp (ASSERTION_LIFETIME) plus the skew
        clock.advance(ASSERTION_LIFETIME + target.profile.clock_skew)
        login, code = get_code(device, jwt_rp, citizen)
        again = jwt_rp.redeem(code, login.code_verifier)
        assert again.status == 200, answered(again)


@pytest.mark.clause("T-2", "T-5")
def test_a_used_code_dropped_from_a_full_store_takes_its_tokens_along(
    frozen: Frozen, caplog: pytest.LogCaptureFixture
) -> None:
    """T-2: the tokens of a code are revoked if it is redeemed again; a full code store that
    drops a used code to make room (its oldest) revokes them then, as no replay could
    anymore, and the provider's log names the store. The test makes this provider's code
    store hold one code."""
    _, target, client, device, citizen = frozen
    assert target.vneid.embedded is not None
    target.vneid.embedded.grants.codes.max_items = 1
    login, code = get_code(device, client, citizen)
    token = client.redeem(code, login.code_verifier)
    assert token.status == 200, answered(token)
    access_token = token.body["access_token"]
    assert client.userinfo(access_token).status == 200
    with caplog.at_level(logging.WARNING, logger="mock_providers"):
        get_code(device, client, citizen)  # the next code takes the used one's place
    assert any("authorization codes" in r.getMessage() for r in caplog.records), (
        f"the log names the full store: {[r.getMessage() for r in caplog.records]}"
    )
    gone = client.userinfo(access_token)
    assert (gone.status, gone.error) == (401, "invalid_token"), answered(gone)


@pytest.mark.clause("T-1")
def test_each_invalid_client_refusal_is_told_with_the_client_it_claimed(frozen: Frozen) -> None:
    """The provider tells its ``on_refusal`` listener (what ``conformance`` reads to say why
    a relying party's token requests were refused) of each ``invalid_client``, with the
    client the request said it was, unverified; other refusals are not told."""
    clock, target, client, device, citizen = frozen
    assert target.vneid.embedded is not None
    told: list[tuple[str | None, str]] = []
    target.vneid.embedded.client_auth.on_refusal = lambda claimed, refusal: told.append(
        (claimed, refusal.code)
    )
    login, code = get_code(device, client, citizen)
    refused(
        client.redeem(code, login.code_verifier, client_secret="not-the-secret"),
        401,
        "invalid_client",
        "T-1",
    )
    with client.variant(client_id="harness-rp-post", auth_method="client_secret_post") as post:
        refused(
            post.redeem(code, login.code_verifier, client_secret="not-the-secret"),
            401,
            "invalid_client",
            "T-1",
        )
    with client.variant(client_id="harness-rp-jwt", auth_method="private_key_jwt") as jwt_rp:
        refused(
            jwt_rp.redeem(
                code,
                login.code_verifier,
                client_assertion=assertion(jwt_rp, exp=int(clock.now()) - 3600),
            ),
            401,
            "invalid_client",
            "T-1",
        )
    refused(
        token_call(client, grant(client, login, code), {"Authorization": "Basic !!!"}),
        401,
        "invalid_client",
        "T-1",
    )
    assert told == [
        ("harness-rp", "invalid_client"),
        ("harness-rp-post", "invalid_client"),
        ("harness-rp-jwt", "invalid_client"),
        (None, "invalid_client"),
    ], told
    two = token_call(
        client,
        grant(client, login, code)
        | {"client_id": client.client_id, "client_secret": client.client_secret},
        {"Authorization": basic(client.client_id, client.client_secret)},
    )
    refused(two, 400, "invalid_request", "T-1")
    assert len(told) == 4, f"only invalid_client is told: {told}"
