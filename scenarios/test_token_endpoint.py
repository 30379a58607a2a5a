"""The token endpoint: client authentication, code lifetime and single use, binding, PKCE
(T-1, T-2, S-1, S-4)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from harness.personas import Persona
from harness.protocol import DEFAULT_PROFILE, s256_challenge
from harness.rp import RP_SCHEME, Login, TestRelyingParty
from harness.targets import Target, VNeIDHandle
from harness.world import Device, DeviceFactory
from scenarios.support import (
    answered,
    assert_invalid_client,
    assert_redeemed,
    cache_directives,
    get_code,
    public,
)

pytestmark = pytest.mark.plan("vneid-provider")


@pytest.fixture
def phone(device: DeviceFactory) -> Device:
    dev = device("android")
    dev.install_receiver(RP_SCHEME)
    return dev


def code_for_follow_up(
    vneid: VNeIDHandle,
    phone: Device,
    client: TestRelyingParty,
    persona: Persona,
    login: Login,
    code: str,
) -> tuple[Login, str]:
    """The code a test redeems after a refused redemption of ``code``. The embedded mock
    keeps a code through a refused redemption, and is held to it; T-1, T-2 and RFC 6749 §5.2
    leave that to the provider, so another provider's client gets a fresh code."""
    if vneid.is_embedded:
        return login, code
    return get_code(phone, client, persona)


@pytest.mark.clause("T-1", "T-3")
def test_code_redeems_with_the_verifier(
    phone: Device, rp: TestRelyingParty, persona: Persona
) -> None:
    login, code = get_code(phone, rp, persona)
    result = rp.redeem(code, login.code_verifier)
    assert_redeemed(result, "with its verifier")
    assert result.body["token_type"].lower() == "bearer", (
        f"T-1: expected token_type Bearer, observed {result.body['token_type']!r}"
    )
    assert {"access_token", "id_token", "expires_in"} <= set(result.body), (
        f"T-1: expected access_token, id_token and expires_in in the token response, observed "
        f"the fields {sorted(result.body)}"
    )


@pytest.mark.clause("T-2")
@pytest.mark.parametrize("by", ["the-same-client", "another-client"])
def test_second_redemption_fails_and_revokes_the_first_tokens(
    phone: Device, rp: TestRelyingParty, persona: Persona, by: str
) -> None:
    """T-2, RFC 6749 §4.1.2: any second use of a code, by another client too, revokes what
    the first issued (a fault-injection audit: checking the client before the reuse let a
    replay by another client through without revoking)."""
    login, code = get_code(phone, rp, persona)
    first = rp.redeem(code, login.code_verifier)
    assert first.status == 200, (
        f"T-1: expected the first redemption to succeed (HTTP 200), observed {answered(first)}"
    )
    info = rp.userinfo(first.body["access_token"])
    assert info.status == 200, (
        f"T-5: expected userinfo to answer the first access token (HTTP 200), observed "
        f"HTTP {info.status}"
    )
    if by == "another-client":
        with rp.variant(client_id=f"{rp.client_id}-other") as other:
            second = other.redeem(code, login.code_verifier)
    else:
        second = rp.redeem(code, login.code_verifier)
    assert (second.status, second.error) == (400, "invalid_grant"), (
        f"T-2: expected a second redemption (by {by.replace('-', ' ')}) refused with HTTP 400 "
        f"invalid_grant, observed {answered(second)}"
    )
    after = rp.userinfo(first.body["access_token"])
    assert (after.status, after.error) == (401, "invalid_token"), (
        f"T-2: the tokens issued from a code used again (by {by.replace('-', ' ')}) must be revoked"
    )


CODE_AGES: dict[str, tuple[Callable[[int], int], bool]] = {
    "just-before-expiry": (lambda ttl: ttl - 1, True),  # 59 s of the default 60
    "at-expiry": (lambda ttl: ttl, False),  # 60
    "just-after-expiry": (lambda ttl: ttl + 1, False),  # 61
    # 3600; at most an hour past expiry (the control API's clock moves at most ten years)
    "sixty-lifetimes-later": (lambda ttl: min(60 * ttl, ttl + 3600), False),
}
"""How old a code is when redeemed, from the profile's ``code_ttl`` (T-2: 60 s by default),
and whether it must still redeem."""


def _default_id(age: str) -> str:
    """``59-True`` …: the ids the test had before lifetimes came from the run's profile."""
    offset_of, ok = CODE_AGES[age]
    return f"{offset_of(DEFAULT_PROFILE.code_ttl)}-{ok}"


@pytest.mark.clause("T-2")
@pytest.mark.parametrize("age", CODE_AGES, ids=_default_id)
def test_codes_live_sixty_seconds(
    target: Target,
    phone: Device,
    rp: TestRelyingParty,
    persona: Persona,
    vneid: VNeIDHandle,
    age: str,
) -> None:
    """T-2: a code lives the profile's ``code_ttl`` (sixty seconds by default)."""
    offset_of, ok = CODE_AGES[age]
    offset = offset_of(target.profile.code_ttl)
    login, code = get_code(phone, rp, persona)
    vneid.set_clock(offset)
    result = rp.redeem(code, login.code_verifier)
    if ok:
        assert result.status == 200, f"a code {offset} s old: {public(result.body)}"
    else:
        assert (result.status, result.error) == (400, "invalid_grant"), (
            f"a code {offset} s old: {public(result.body)}"
        )


@pytest.mark.clause("T-1")
def test_code_is_bound_to_the_client(
    phone: Device, rp: TestRelyingParty, persona: Persona, vneid: VNeIDHandle
) -> None:
    login, code = get_code(phone, rp, persona)
    vneid.register_client(
        {
            "client_id": "other-rp",
            "client_secret": "other-secret",
            "redirect_uris": [rp.redirect_uri],
            "token_endpoint_auth_method": "client_secret_basic",
        }
    )
    result = rp.redeem(
        code, login.code_verifier, client_id="other-rp", client_secret="other-secret"
    )
    assert (result.status, result.error) == (400, "invalid_grant"), (
        f"T-1: expected another client's redemption refused with HTTP 400 invalid_grant, "
        f"observed {answered(result)}"
    )
    login, code = code_for_follow_up(vneid, phone, rp, persona, login, code)
    assert rp.redeem(code, login.code_verifier).status == 200, "the refusal must not burn it"


@pytest.mark.clause("T-1", "S-2")
def test_code_is_bound_to_the_redirect_uri(
    device: DeviceFactory, rp: TestRelyingParty, persona: Persona, vneid: VNeIDHandle
) -> None:
    phone = device("ios")
    phone.install_receiver(RP_SCHEME)
    vneid.register_client(
        {
            "client_id": rp.client_id,
            "client_secret": rp.client_secret,
            "redirect_uris": [rp.redirect_uri, f"{RP_SCHEME}://other"],
            "token_endpoint_auth_method": "client_secret_basic",
        }
    )
    login, code = get_code(phone, rp, persona)
    result = rp.redeem(code, login.code_verifier, redirect_uri=f"{RP_SCHEME}://other")
    assert (result.status, result.error) == (400, "invalid_grant"), (
        f"T-1: expected a redirect_uri other than the request's refused with HTTP 400 "
        f"invalid_grant, observed {answered(result)}"
    )


@pytest.mark.clause("T-1")
def test_wrong_client_secret_is_invalid_client(
    phone: Device, rp: TestRelyingParty, persona: Persona, vneid: VNeIDHandle
) -> None:
    """client_secret_basic sends the Authorization header: 401 (RFC 6749 §5.2)."""
    login, code = get_code(phone, rp, persona)
    result = rp.redeem(code, login.code_verifier, client_secret="not-the-secret")
    assert result.sent_authorization
    assert_invalid_client(result, embedded=vneid.is_embedded)


@pytest.mark.clause("T-1")
def test_grant_type_must_be_authorization_code(
    phone: Device, rp: TestRelyingParty, persona: Persona
) -> None:
    login, code = get_code(phone, rp, persona)
    result = rp.redeem(code, login.code_verifier, grant_type="password")
    assert (result.status, result.error) == (400, "unsupported_grant_type"), (
        f"T-1: expected grant_type=password refused with HTTP 400 unsupported_grant_type, "
        f"observed {answered(result)}"
    )


@pytest.mark.clause("T-1")
@pytest.mark.parametrize(
    ("registered", "used"),
    [
        ("client_secret_basic", "client_secret_post"),
        ("client_secret_post", "client_secret_basic"),
    ],
)
def test_client_must_authenticate_the_way_it_registered(
    phone: Device,
    rp: TestRelyingParty,
    persona: Persona,
    vneid: VNeIDHandle,
    registered: str,
    used: str,
) -> None:
    """T-1: "as registered": the right secret sent the other way is still invalid_client."""
    with rp.variant(client_id=f"harness-rp-{registered}", auth_method=registered) as client:
        login, code = get_code(phone, client, persona)
        result = client.redeem(code, login.code_verifier, auth_method=used)
        assert result.sent_authorization == (used == "client_secret_basic")
        assert_invalid_client(result, embedded=vneid.is_embedded)
        login, code = code_for_follow_up(vneid, phone, client, persona, login, code)
        again = client.redeem(code, login.code_verifier)
        assert_redeemed(again, f"with {registered}, as registered")


@pytest.fixture
def jwt_client(rp: TestRelyingParty) -> Iterator[TestRelyingParty]:
    """A client of the harness registered for private_key_jwt (RFC 7523) with its own key."""
    with rp.variant(client_id="harness-rp-jwt", auth_method="private_key_jwt") as client:
        yield client


@pytest.mark.clause("T-1")
def test_private_key_jwt_client_redeems_with_a_signed_assertion(
    phone: Device, jwt_client: TestRelyingParty, persona: Persona
) -> None:
    login, code = get_code(phone, jwt_client, persona)
    result = jwt_client.redeem(code, login.code_verifier)
    assert_redeemed(result, "with private_key_jwt")


@pytest.mark.clause("T-1")
def test_private_key_jwt_assertion_is_single_use(
    phone: Device, jwt_client: TestRelyingParty, persona: Persona, vneid: VNeIDHandle
) -> None:
    """RFC 7523 §3: the jti makes an assertion single-use; a replayed one is refused."""
    assertion = jwt_client.client_assertion()
    login, code = get_code(phone, jwt_client, persona)
    first = jwt_client.redeem(code, login.code_verifier, client_assertion=assertion)
    assert_redeemed(first, "with a fresh assertion")
    login, code = get_code(phone, jwt_client, persona)
    replay = jwt_client.redeem(code, login.code_verifier, client_assertion=assertion)
    assert not replay.sent_authorization
    assert_invalid_client(replay, embedded=vneid.is_embedded)


@pytest.mark.clause("T-1")
def test_private_key_jwt_assertion_must_be_meant_for_this_provider(
    phone: Device, jwt_client: TestRelyingParty, persona: Persona, vneid: VNeIDHandle
) -> None:
    """RFC 7523 §3: the aud names this provider (its token endpoint or issuer)."""
    login, code = get_code(phone, jwt_client, persona)
    foreign = jwt_client.client_assertion(audience="https://idp.untrusted.example/token")
    result = jwt_client.redeem(code, login.code_verifier, client_assertion=foreign)
    assert not result.sent_authorization
    assert_invalid_client(result, embedded=vneid.is_embedded)
    login, code = code_for_follow_up(vneid, phone, jwt_client, persona, login, code)
    again = jwt_client.redeem(code, login.code_verifier)
    assert_redeemed(again, "with an assertion for this provider")


@pytest.mark.clause("S-1", "S-4")
@pytest.mark.parametrize(
    "verifier",
    [
        "wrong-verifier-" + "x" * 40,  # well-formed, wrong
        "short",  # outside 43-128
        "A" * 129,
    ],
)
def test_wrong_pkce_verifier_is_refused(
    phone: Device, rp: TestRelyingParty, persona: Persona, verifier: str
) -> None:
    _, code = get_code(phone, rp, persona)
    result = rp.redeem(code, verifier)
    assert (result.status, result.error) == (400, "invalid_grant"), (
        f"S-1: expected a wrong code_verifier refused with HTTP 400 invalid_grant, observed "
        f"{answered(result)}"
    )


@pytest.mark.clause("S-1", "A-1")
@pytest.mark.parametrize("length", [43, 128])
def test_a_verifier_of_either_boundary_length_redeems(
    phone: Device, rp: TestRelyingParty, persona: Persona, length: int
) -> None:
    """S-1, RFC 7636 §4.1: a verifier of 43 to 128 characters; both ends redeem (a
    fault-injection audit: refusing 128 went unnoticed, only 129 was tried)."""
    verifier = ("abcDEF0123-._~" * 10)[:length]
    _, code = get_code(phone, rp, persona, code_challenge=s256_challenge(verifier))
    result = rp.redeem(code, verifier)
    assert result.status == 200, f"a {length}-character verifier: {public(result.body)}"


@pytest.mark.clause("S-1", "S-4")
def test_missing_pkce_verifier_is_refused(
    phone: Device, rp: TestRelyingParty, persona: Persona
) -> None:
    _, code = get_code(phone, rp, persona)
    result = rp.redeem(code, None)
    assert result.status == 400, (
        f"S-1: expected a redemption without code_verifier refused with HTTP 400, observed "
        f"{answered(result)}"
    )
    assert result.error in ("invalid_request", "invalid_grant"), (
        f"S-1: expected invalid_request or invalid_grant without code_verifier, observed "
        f"{answered(result)}"
    )


def _redeemed_with_basic(
    phone: Device, rp: TestRelyingParty, persona: Persona, vneid: VNeIDHandle
) -> httpx.Response:
    """A code redeemed with client_secret_basic: the token response, its headers as sent."""
    login, code = get_code(phone, rp, persona)
    with vneid.client() as http:
        response = http.post(
            rp.token_endpoint,
            auth=(rp.client_id, rp.client_secret),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": rp.redirect_uri,
                "code_verifier": login.code_verifier,
            },
        )
    assert_redeemed(response)
    return response


@pytest.mark.clause("T-1")
def test_token_response_is_not_cacheable(
    phone: Device, rp: TestRelyingParty, persona: Persona, vneid: VNeIDHandle
) -> None:
    """RFC 6749 §5.1: ``Cache-Control: no-store``; directive names are case-insensitive and
    may come in a list (RFC 9111 §5.2)."""
    response = _redeemed_with_basic(phone, rp, persona, vneid)
    fields = response.headers.get_list("cache-control")
    assert "no-store" in cache_directives(*fields), f"Cache-Control: {fields}"
    if vneid.is_embedded:  # the mock writes it in lower case
        assert "no-store" in response.headers.get("cache-control", ""), (
            f"expected no-store written in lower case, observed Cache-Control: {fields}"
        )


@pytest.fixture
def basic_token_response(
    phone: Device, rp: TestRelyingParty, persona: Persona, vneid: VNeIDHandle
) -> httpx.Response:
    """:func:`_redeemed_with_basic` as a test's set-up: a provider that issues no tokens
    fails it (an error of the set-up, FAILED), not as the WARNING of a missing Pragma."""
    return _redeemed_with_basic(phone, rp, persona, vneid)


@pytest.mark.clause("T-1")
@pytest.mark.warning_on_failure  # RFC 9111 §5.4 deprecates Pragma; RFC 6749 still asks it
def test_token_response_says_pragma_no_cache(basic_token_response: httpx.Response) -> None:
    """RFC 6749 §5.1: with ``Cache-Control: no-store``, "the "Pragma" response header field
    with a value of "no-cache"" (an audit: a provider leaving it out passed every scenario).
    HTTP/1.1 caches ignore it, so another provider's omission is a WARNING, not a failure."""
    response = basic_token_response
    fields = response.headers.get_list("pragma")
    assert "no-cache" in cache_directives(*fields), (
        f"RFC 6749 §5.1: expected Pragma: no-cache with the tokens, observed Pragma: {fields}"
    )
