"""The provider plan's ID-token check (``scenarios/test_tokens.py``'s ``verify``) tells a
vendor which part of T-3 its token breaks: the alg, the kid, the key or the signature, never
the JOSE library's bare error (a mutation audit found ``BadSignatureError: bad_signature:``
and ``KeyError: 'kid'`` in the report)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, cast

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from harness.targets import VNeIDHandle
from scenarios.test_tokens import verify

JWKS_URI = "https://vneid.test/jwks"
KEY = ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)
OTHER = ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)
CLAIMS = {
    "iss": "https://vneid.test",
    "sub": "s",
    "aud": "vssid",
    "exp": 2_000_000_000,
    "iat": 1_999_999_000,
}


class FakeVNeID:
    """Just what ``verify`` asks of a VNeID: its discovery and a client for its JWKS."""

    def __init__(self, jwks: Any) -> None:
        self.jwks = jwks

    def discovery(self) -> dict[str, Any]:
        return {"jwks_uri": JWKS_URI}

    def client(self) -> httpx.Client:
        return httpx.Client(
            transport=httpx.MockTransport(lambda request: httpx.Response(200, json=self.jwks))
        )


def published(*keys: ECKey) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in keys]}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def signed(header: dict[str, Any], key: Any = KEY) -> str:
    return jwt.encode(header, CLAIMS, key, algorithms=[header["alg"]])


def _flip_signature(token: str) -> str:
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 1
    return ".".join([head, payload, base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()])


def check(token: str, jwks: Any = None) -> jwt.Token:
    return verify(cast(VNeIDHandle, FakeVNeID(published(KEY) if jwks is None else jwks)), token)


def test_a_good_token_verifies() -> None:
    assert check(signed({"alg": "ES256", "kid": "k1"})).claims["sub"] == "s"


SECOND = ECKey.generate_key("P-256", parameters={"kid": "k2"}, private=True)
BROKEN_KEY = {"kty": "OKP", "crv": "X448", "x": "not a key", "kid": "k3"}


def test_the_kid_picks_the_key_and_other_keys_are_not_read() -> None:
    """RFC 7517 §5: a key set may hold keys a client does not use (a rotated key, one of a
    kind it does not know); they neither help nor break the verification."""
    jwks = {"keys": [SECOND.as_dict(private=False), BROKEN_KEY, KEY.as_dict(private=False)]}
    assert check(signed({"alg": "ES256", "kid": "k1"}), jwks).claims["sub"] == "s"
    assert check(signed({"alg": "ES256", "kid": "k2"}, SECOND), jwks).claims["sub"] == "s"


def test_without_a_kid_the_only_key_verifies() -> None:
    """The T-3 test asserts the kid itself; the T-4 and T-5 tests, which only read the
    claims, are not failed by its absence too."""
    assert check(signed({"alg": "ES256"})).claims["sub"] == "s"


CASES: list[tuple[str, Callable[[], str], Any, str]] = [
    ("not a JWS", lambda: "not-a-jws", None, "T-3: expected the ID token to be a compact JWS"),
    (
        "alg none",
        lambda: f"{_b64({'alg': 'none', 'kid': 'k1'})}.{_b64(CLAIMS)}.",
        None,
        "T-3: expected the ID token signed ES256, observed alg 'none'",
    ),
    (
        "HS256 with the public key",
        lambda: signed({"alg": "HS256", "kid": "k1"}, OctKey.import_key(b"k" * 32)),
        None,
        "observed alg 'HS256'",
    ),
    (
        "no kid, several keys",
        lambda: signed({"alg": "ES256"}),
        published(KEY, SECOND),
        "T-3: expected a kid in the ID token's header, observed none, "
        f"and {JWKS_URI} publishes 2 keys",
    ),
    (
        "kid not published",
        lambda: signed({"alg": "ES256", "kid": "k9"}),
        None,
        f"T-3: expected the ID token's kid 'k9' among the keys of {JWKS_URI}, observed kids ['k1']",
    ),
    (
        "signed with another key",
        lambda: signed({"alg": "ES256", "kid": "k1"}, OTHER),
        None,
        "T-3: expected the ID token's ES256 signature to verify with the key 'k1'",
    ),
    (
        "signature altered",
        lambda: _flip_signature(signed({"alg": "ES256", "kid": "k1"})),
        None,
        "T-3: expected the ID token's ES256 signature to verify",
    ),
    (
        "the kid's key unreadable",
        lambda: signed({"alg": "ES256", "kid": "k1"}),
        {"keys": [{"kid": "k1", "kty": "nope"}]},
        f"T-3: expected a JWKS at {JWKS_URI}",
    ),
    (
        "JWKS not an object",
        lambda: signed({"alg": "ES256", "kid": "k1"}),
        ["k1"],
        "observed kids []",
    ),
]


@pytest.mark.parametrize(
    ("token", "jwks", "said"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_a_broken_token_fails_under_t3_saying_what(
    token: Callable[[], str], jwks: Any, said: str
) -> None:
    with pytest.raises(AssertionError) as raised:
        check(token(), jwks)
    assert said in str(raised.value)
    assert not isinstance(raised.value.__cause__, Exception)  # the library's error not chained


class _Named(FakeVNeID):
    issuer = "https://vneid.test"
    is_embedded = False


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("exp", 10**400),  # with iat 10**400 - 100: exp - iat passed, exp - now overflowed
        ("exp", "2000000600"),
        ("iat", True),
        ("auth_time", "yesterday"),
        ("auth_time", 10**400),
    ],
)
def test_a_time_claim_that_is_no_number_fails_t3_naming_it(claim: str, value: Any) -> None:
    """``exp: 10**400`` made the T-3 test fail with ``OverflowError: int too large to convert
    to float``, a string ``auth_time`` with a ``TypeError``: neither named T-3 nor the claim."""
    from types import SimpleNamespace

    from harness.protocol import DEFAULT_PROFILE
    from scenarios.test_tokens import test_id_token_is_es256_with_kid_and_every_claim as t3

    claims: dict[str, Any] = {
        **CLAIMS,
        "iss": _Named.issuer,
        "auth_time": CLAIMS["iat"],
        "nonce": "n",
        "acr": "urn:vneid:loa:2",
        "amr": ["pwd"],
        "personal_id": "001099000001",
        "name": "A",
        "birthdate": "1999-01-01",
        "gender": "male",
        claim: value,
    }
    if claim == "exp" and isinstance(value, int) and not isinstance(value, bool):
        claims["iat"] = claims["auth_time"] = value - 100
    token = jwt.encode({"alg": "ES256", "kid": "k1"}, claims, KEY, algorithms=["ES256"])
    login = SimpleNamespace(request=SimpleNamespace(nonce="n"))
    with pytest.raises(AssertionError, match=f"T-3: expected {claim} a number of seconds"):
        t3(
            cast(Any, SimpleNamespace(profile=DEFAULT_PROFILE)),
            cast(VNeIDHandle, _Named(published(KEY))),
            cast(Any, SimpleNamespace(client_id="vssid")),
            cast(Any, None),
            (cast(Any, login), {"id_token": token}),
        )
