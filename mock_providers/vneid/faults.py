"""Relying-party faults: the RP-test catalog behind §11 ``/_harness/faults``.

To test a relying party the harness plays VNeID and injects exactly one fault that the RP must
refuse (CONFORMANCE-CATALOG.md, "Relying-party faults"). A fault is armed per client for N
uses; each use is the next time the provider reaches the fault's *stage* for that client, and
the fault is consumed there, when it takes effect.

The same registry holds a few *variations* (``kind="variation"``): unusual but valid answers
that a correct relying party must ACCEPT (the catalog's "positive" row: ``aud`` as an array,
``token_type`` in any case). They are armed and consumed exactly like faults.

The catalog is a registry, ``name → Fault(clause, description, stage, transform, kind)``. A
transform is a function ``(value, FaultContext) → value`` over what the provider is about to
send at its stage; apart from the key rotation (which draws a new key from the provider's
entropy) every transform is pure:

=======================  =====================================  ================================
stage                    value                                  where the provider applies it
=======================  =====================================  ================================
``signing_key``          the current signing key (``ECKey``)    before minting the ID token
``id_token_claims``      the claims dict                        before signing (T-3)
``id_token_header``      the JWS protected header dict          before signing (T-3)
``id_token_jws``         the signed compact JWS (``str``)       after signing
``authz_response``       the redirect's ``(name, value)`` list  after the citizen's decision (A-5)
``userinfo``             the userinfo JSON object               at ``/userinfo`` (T-5)
``token_response``       the token response JSON object         at ``/token``, last (T-1)
=======================  =====================================  ================================

Several faults armed for one client at one stage all take effect, in catalog order.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, cast

from joserfc.jwk import ECKey

from harness.protocol import ACR_LEVEL1, Entropy, ProtocolError
from harness.protocol.json_names import json_kind
from mock_providers.vneid.keys import derive_signing_key

__all__ = [
    "AUTHZ_RESPONSE",
    "BAD_CENTURY_DIGIT",
    "BAD_PROVINCE",
    "BEYOND_SKEW",
    "FAULTS",
    "FOREIGN_ISSUER",
    "FaultKind",
    "ID_TOKEN_CLAIMS",
    "ID_TOKEN_HEADER",
    "ID_TOKEN_JWS",
    "MALFORMED_PERSONAL_ID",
    "MAX_FAULT_TIMES",
    "R8_MAX_SKEW",
    "SIGNING_KEY",
    "STAGES",
    "TOKEN_RESPONSE",
    "UNTRUSTED_AUDIENCE",
    "USERINFO",
    "ArmedFaults",
    "Fault",
    "FaultContext",
    "FaultRegistry",
    "Stage",
    "altered",
    "hs256_secret",
]

T = TypeVar("T")
Claims = dict[str, Any]
Params = list[tuple[str, str]]
FaultKind = Literal["fault", "variation"]
"""``fault``: the relying party must refuse it; ``variation``: it must accept it."""

MAX_FAULT_TIMES = 1_000
"""The most uses one fault can be armed for (per client, accumulated)."""
R8_MAX_SKEW = 60
"""R-8: "``exp`` in the future and ``iat`` not in the future, with ≤ 60 s skew". The time
faults are placed against this protocol bound, not against the provider profile's
``clock_skew``, so that a relying party configured with a wider skew is caught too."""
BEYOND_SKEW = 5
"""How far past :data:`R8_MAX_SKEW` the time faults put ``exp``/``iat``: just past it, so a
relying party allowing 65 s or more of skew is caught (60 s past it let a 90 s skew pass
every test), with a few seconds for the two clocks to differ (a vendor's relying party on
another machine)."""
FOREIGN_ISSUER = "https://idp.untrusted.example"
"""The issuer the ``*_iss_invalid`` faults claim: another (mix-up) provider (R-2, R-6)."""
UNTRUSTED_AUDIENCE = "https://untrusted.example"
"""The extra audience of ``id_token_aud_extra_untrusted`` (R-7)."""
MALFORMED_PERSONAL_ID = "12345"
"""Not 12 digits (§1): what ``id_token_personal_id_malformed`` puts in ``personal_id`` (R-11)."""
BAD_PROVINCE = "097"
"""A province code outside 001–096 (§1), the first three digits of
``id_token_personal_id_bad_province`` (R-11)."""
BAD_CENTURY_DIGIT = "7"
"""A century/sex digit outside 0–3 (§1), the fourth digit of ``id_token_personal_id_bad_century``
(R-11)."""


@dataclass(frozen=True, slots=True)
class Stage(Generic[T]):
    """A point in the provider where faults of this stage transform a value of type ``T``."""

    name: str
    what: str


SIGNING_KEY: Stage[ECKey] = Stage("signing_key", "the key that signs the next ID token")
ID_TOKEN_CLAIMS: Stage[Claims] = Stage("id_token_claims", "the ID token's claims, before signing")
ID_TOKEN_HEADER: Stage[Claims] = Stage("id_token_header", "the ID token's JWS header")
ID_TOKEN_JWS: Stage[str] = Stage("id_token_jws", "the signed compact ID token")
AUTHZ_RESPONSE: Stage[Params] = Stage(
    "authz_response", "the authorization response (redirect) parameters"
)
USERINFO: Stage[Claims] = Stage("userinfo", "the userinfo response")
TOKEN_RESPONSE: Stage[Claims] = Stage("token_response", "the token endpoint's JSON response")
STAGES: tuple[Stage[Any], ...] = (
    SIGNING_KEY,
    ID_TOKEN_CLAIMS,
    ID_TOKEN_HEADER,
    ID_TOKEN_JWS,
    AUTHZ_RESPONSE,
    USERINFO,
    TOKEN_RESPONSE,
)


@dataclass(frozen=True, slots=True)
class FaultContext:
    """What a transform may need beyond the value: who asked, when, and the provider's keys."""

    issuer: str
    client_id: str
    now: float
    signing_key: ECKey
    """The key the ID token is (or was just) signed with."""
    entropy: Entropy


@dataclass(frozen=True, slots=True)
class Fault(Generic[T]):
    """One row of the catalog: the clause the relying party must enforce against it (a
    ``fault``, to refuse) or honour with it (a ``variation``, to accept)."""

    name: str
    clause: str
    description: str
    stage: Stage[T]
    transform: Callable[[T, FaultContext], T]
    kind: FaultKind = "fault"

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "clause": self.clause,
            "description": self.description,
            "stage": self.stage.name,
            "kind": self.kind,
        }


class FaultRegistry:
    """``name → Fault``, in registration order; registering a name twice is an error."""

    def __init__(self) -> None:
        self._faults: dict[str, Fault[Any]] = {}

    def register(self, fault: Fault[T]) -> Fault[T]:
        if fault.name in self._faults:
            raise ValueError(f"fault {fault.name!r} is already registered")
        self._faults[fault.name] = fault
        return fault

    def add(
        self,
        name: str,
        clause: str,
        stage: Stage[T],
        description: str,
        kind: FaultKind = "fault",
    ) -> Callable[[Callable[[T, FaultContext], T]], Callable[[T, FaultContext], T]]:
        """Decorator form of :meth:`register` for a transform function."""

        def decorate(transform: Callable[[T, FaultContext], T]) -> Callable[[T, FaultContext], T]:
            self.register(Fault(name, clause, description, stage, transform, kind))
            return transform

        return decorate

    def get(self, name: str) -> Fault[Any] | None:
        return self._faults.get(name)

    def names(self) -> list[str]:
        return list(self._faults)

    def bugs(self) -> list[str]:
        """The names of kind ``fault`` (not the variations): the bugs a provider can carry
        (``VNeIDSettings.broken_fault``, pytest's ``--broken-vneid``)."""
        return [name for name, fault in self._faults.items() if fault.kind == "fault"]

    def at(self, stage: Stage[T]) -> list[Fault[T]]:
        """The faults of ``stage``, in catalog order."""
        return [cast(Fault[T], f) for f in self._faults.values() if f.stage == stage]

    def __iter__(self) -> Iterator[Fault[Any]]:
        return iter(list(self._faults.values()))

    def __len__(self) -> int:
        return len(self._faults)

    def __contains__(self, name: object) -> bool:
        return name in self._faults


# -- helpers (pure) --------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def altered(value: str) -> str:
    """``value`` with its last character changed: same length and alphabet, not equal."""
    if not value:
        return "x"
    last = value[-1]
    return value[:-1] + ("B" if last == "A" else "A")


def _other_personal_id(personal_id: str) -> str:
    """``personal_id`` with its last digit changed: still well-formed (§1), another person."""
    digits = "0123456789"
    last = personal_id[-1:]
    if not last or last not in digits:
        return personal_id + "0"
    return personal_id[:-1] + digits[(digits.index(last) + 1) % 10]


def _other_client(client_id: str) -> str:
    return "untrusted-rp" if client_id != "untrusted-rp" else "untrusted-rp-2"


def _split(token: str) -> tuple[dict[str, Any], str, str]:
    """The decoded header and the raw payload and signature segments of a compact JWS."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(_unb64(header_b64))
    if not isinstance(header, dict):
        raise ValueError("the JWS header is not a JSON object")
    return header, payload_b64, signature_b64


def _encode_header(header: Mapping[str, Any]) -> str:
    return _b64(json.dumps(dict(header), separators=(",", ":")).encode())


def hs256_secret(key: ECKey) -> bytes:
    """The HMAC secret of ``id_token_sig_hs256_pubkey``: the signing key's public PEM
    (SubjectPublicKeyInfo, as ``ECKey.as_pem(private=False)`` gives it, trailing newline
    included), the bytes a confused verifier would use as an HS256 secret."""
    return key.as_pem(private=False)


def _replace(params: Params, name: str, value: str | None) -> Params:
    """``params`` with ``name`` set to ``value`` (in place, or appended), or removed (None)."""
    out = [(k, v) for k, v in params if k != name]
    if value is None:
        return out
    if any(k == name for k, _ in params):
        return [(k, value if k == name else v) for k, v in params]
    return [*out, (name, value)]


# -- the catalog -----------------------------------------------------------------------------
FAULTS = FaultRegistry()
"""The RP-test catalog (CONFORMANCE-CATALOG.md, "Relying-party faults")."""


@FAULTS.add(
    "id_token_nonce_invalid",
    "R-9",
    ID_TOKEN_CLAIMS,
    "nonce altered (last character changed; set when the request had none)",
)
def _nonce_invalid(claims: Claims, ctx: FaultContext) -> Claims:
    return {**claims, "nonce": altered(str(claims.get("nonce", "")))}


@FAULTS.add("id_token_nonce_missing", "R-9", ID_TOKEN_CLAIMS, "nonce removed")
def _nonce_missing(claims: Claims, ctx: FaultContext) -> Claims:
    return {k: v for k, v in claims.items() if k != "nonce"}


@FAULTS.add(
    "id_token_iss_invalid",
    "R-6",
    ID_TOKEN_CLAIMS,
    f"iss set to another provider's URL ({FOREIGN_ISSUER})",
)
def _iss_invalid(claims: Claims, ctx: FaultContext) -> Claims:
    return {**claims, "iss": FOREIGN_ISSUER}


@FAULTS.add(
    "id_token_aud_invalid", "R-7", ID_TOKEN_CLAIMS, "aud set to another client id ('untrusted-rp')"
)
def _aud_invalid(claims: Claims, ctx: FaultContext) -> Claims:
    return {**claims, "aud": _other_client(ctx.client_id)}


@FAULTS.add(
    "id_token_aud_extra_untrusted",
    "R-7",
    ID_TOKEN_CLAIMS,
    f"aud = [client_id, {UNTRUSTED_AUDIENCE!r}] and no azp",
)
def _aud_extra_untrusted(claims: Claims, ctx: FaultContext) -> Claims:
    out = {k: v for k, v in claims.items() if k != "azp"}
    out["aud"] = [ctx.client_id, UNTRUSTED_AUDIENCE]
    return out


@FAULTS.add(
    "id_token_aud_extra_with_azp",
    "R-7",
    ID_TOKEN_CLAIMS,
    f"aud = [client_id, {UNTRUSTED_AUDIENCE!r}] and azp = client_id (an azp does not "
    "make the other audience trusted)",
)
def _aud_extra_with_azp(claims: Claims, ctx: FaultContext) -> Claims:
    return {**claims, "aud": [ctx.client_id, UNTRUSTED_AUDIENCE], "azp": ctx.client_id}


@FAULTS.add(
    "id_token_azp_invalid",
    "R-7",
    ID_TOKEN_CLAIMS,
    "azp set to another client id ('untrusted-rp'); aud unchanged",
)
def _azp_invalid(claims: Claims, ctx: FaultContext) -> Claims:
    return {**claims, "azp": _other_client(ctx.client_id)}


@FAULTS.add("id_token_sub_missing", "T-3", ID_TOKEN_CLAIMS, "sub removed")
def _sub_missing(claims: Claims, ctx: FaultContext) -> Claims:
    return {k: v for k, v in claims.items() if k != "sub"}


@FAULTS.add("id_token_iat_missing", "R-8", ID_TOKEN_CLAIMS, "iat removed")
def _iat_missing(claims: Claims, ctx: FaultContext) -> Claims:
    return {k: v for k, v in claims.items() if k != "iat"}


@FAULTS.add("id_token_exp_missing", "R-8", ID_TOKEN_CLAIMS, "exp removed")
def _exp_missing(claims: Claims, ctx: FaultContext) -> Claims:
    return {k: v for k, v in claims.items() if k != "exp"}


@FAULTS.add(
    "id_token_expired",
    "R-8",
    ID_TOKEN_CLAIMS,
    f"exp (and iat, auth_time) moved into the past, exp {BEYOND_SKEW} s beyond R-8's "
    f"{R8_MAX_SKEW} s clock skew",
)
def _expired(claims: Claims, ctx: FaultContext) -> Claims:
    exp = int(ctx.now) - R8_MAX_SKEW - BEYOND_SKEW
    lifetime = int(claims.get("exp", 0)) - int(claims.get("iat", 0))
    iat = exp - max(lifetime, 1)
    out = {**claims, "exp": exp, "iat": iat}
    if isinstance(claims.get("auth_time"), int):
        out["auth_time"] = min(claims["auth_time"], iat)
    return out


@FAULTS.add(
    "id_token_iat_future",
    "R-8",
    ID_TOKEN_CLAIMS,
    f"iat in the future, {BEYOND_SKEW} s beyond R-8's {R8_MAX_SKEW} s clock skew (exp moved along)",
)
def _iat_future(claims: Claims, ctx: FaultContext) -> Claims:
    iat = int(ctx.now) + R8_MAX_SKEW + BEYOND_SKEW
    lifetime = int(claims.get("exp", 0)) - int(claims.get("iat", 0))
    return {**claims, "iat": iat, "exp": iat + max(lifetime, 1)}


@FAULTS.add("id_token_acr_level1", "R-10", ID_TOKEN_CLAIMS, f"acr = {ACR_LEVEL1}")
def _acr_level1(claims: Claims, ctx: FaultContext) -> Claims:
    return {**claims, "acr": ACR_LEVEL1}


@FAULTS.add("id_token_acr_missing", "R-10", ID_TOKEN_CLAIMS, "acr removed")
def _acr_missing(claims: Claims, ctx: FaultContext) -> Claims:
    return {k: v for k, v in claims.items() if k != "acr"}


@FAULTS.add(
    "id_token_personal_id_malformed",
    "R-11",
    ID_TOKEN_CLAIMS,
    f"personal_id replaced by the malformed {MALFORMED_PERSONAL_ID!r}",
)
def _personal_id_malformed(claims: Claims, ctx: FaultContext) -> Claims:
    return {**claims, "personal_id": MALFORMED_PERSONAL_ID}


@FAULTS.add(
    "id_token_personal_id_bad_province",
    "R-11",
    ID_TOKEN_CLAIMS,
    f"personal_id keeps its 12 digits but its province code becomes {BAD_PROVINCE} "
    "(outside 001-096)",
)
def _personal_id_bad_province(claims: Claims, ctx: FaultContext) -> Claims:
    return {**claims, "personal_id": BAD_PROVINCE + str(claims.get("personal_id", ""))[3:]}


@FAULTS.add(
    "id_token_personal_id_bad_century",
    "R-11",
    ID_TOKEN_CLAIMS,
    f"personal_id keeps its 12 digits but its century/sex digit becomes "
    f"{BAD_CENTURY_DIGIT} (outside 0-3)",
)
def _personal_id_bad_century(claims: Claims, ctx: FaultContext) -> Claims:
    personal_id = str(claims.get("personal_id", ""))
    return {**claims, "personal_id": personal_id[:3] + BAD_CENTURY_DIGIT + personal_id[4:]}


@FAULTS.add(
    "id_token_kid_unknown",
    "R-5",
    ID_TOKEN_HEADER,
    "signed by the right key, but the header's kid names no published key",
)
def _kid_unknown(header: Claims, ctx: FaultContext) -> Claims:
    return {**header, "kid": f"unknown-{header.get('kid', '')}"}


@FAULTS.add(
    "id_token_sig_none",
    "R-5",
    ID_TOKEN_JWS,
    "unsigned: header alg 'none' (no kid), same payload, empty signature",
)
def _sig_none(token: str, ctx: FaultContext) -> str:
    header, payload, _ = _split(token)
    unsigned = {k: v for k, v in header.items() if k != "kid"}
    unsigned["alg"] = "none"
    return f"{_encode_header(unsigned)}.{payload}."


@FAULTS.add(
    "id_token_sig_invalid",
    "R-5",
    ID_TOKEN_JWS,
    "a valid ES256 token whose signature bytes are altered (one byte flipped)",
)
def _sig_invalid(token: str, ctx: FaultContext) -> str:
    header_b64, payload, signature = token.split(".")
    raw = bytearray(_unb64(signature) or b"\x00")
    raw[len(raw) // 2] ^= 0x01
    return f"{header_b64}.{payload}.{_b64(bytes(raw))}"


@FAULTS.add(
    "id_token_sig_hs256_pubkey",
    "R-5",
    ID_TOKEN_JWS,
    "HS256 keyed with the provider's public key (its PEM bytes) as the HMAC secret; kid kept",
)
def _sig_hs256_pubkey(token: str, ctx: FaultContext) -> str:
    header, payload, _ = _split(token)
    signing_input = f"{_encode_header({**header, 'alg': 'HS256'})}.{payload}"
    # RFC 7518 §3.2 by hand: joserfc (rightly) refuses a PEM public key as an oct key.
    mac = hmac.new(hs256_secret(ctx.signing_key), signing_input.encode("ascii"), hashlib.sha256)
    return f"{signing_input}.{_b64(mac.digest())}"


@FAULTS.add(
    "authz_response_state_invalid",
    "R-1",
    AUTHZ_RESPONSE,
    "state in the redirect altered (last character changed; set when the request had none)",
)
def _state_invalid(params: Params, ctx: FaultContext) -> Params:
    state = next((v for k, v in params if k == "state"), "")
    return _replace(params, "state", altered(state))


@FAULTS.add(
    "authz_response_iss_invalid",
    "R-2",
    AUTHZ_RESPONSE,
    f"iss in the redirect set to another provider's URL ({FOREIGN_ISSUER})",
)
def _authz_iss_invalid(params: Params, ctx: FaultContext) -> Params:
    return _replace(params, "iss", FOREIGN_ISSUER)


@FAULTS.add("authz_response_iss_missing", "R-2", AUTHZ_RESPONSE, "iss removed from the redirect")
def _authz_iss_missing(params: Params, ctx: FaultContext) -> Params:
    return _replace(params, "iss", None)


@FAULTS.add(
    "userinfo_sub_mismatch",
    "T-5",
    USERINFO,
    "userinfo answers a sub other than the ID token's (same shape)",
)
def _userinfo_sub_mismatch(body: Claims, ctx: FaultContext) -> Claims:
    sub = str(body.get("sub", ""))
    return {**body, "sub": _b64(hashlib.sha256(f"other\x00{sub}".encode()).digest())}


@FAULTS.add(
    "userinfo_personal_id_mismatch",
    "T-5",
    USERINFO,
    "userinfo answers another well-formed personal_id than the ID token's (its last "
    "digit changed); sub unchanged",
)
def _userinfo_personal_id_mismatch(body: Claims, ctx: FaultContext) -> Claims:
    return {**body, "personal_id": _other_personal_id(str(body.get("personal_id", "")))}


# -- variations: valid answers a correct relying party must ACCEPT ---------------------------
@FAULTS.add(
    "signing_key_rotated",
    "R-5",
    SIGNING_KEY,
    "variation, to accept: a new ES256 key (new kid, from the provider's entropy) is "
    "published in the JWKS beside the previous one and signs this and every later ID "
    "token; a correct relying party must accept it (it fetches the JWKS again)",
    kind="variation",
)
def _signing_key_rotated(key: ECKey, ctx: FaultContext) -> ECKey:
    return derive_signing_key(ctx.entropy)


@FAULTS.add(
    "id_token_aud_array",
    "R-7",
    ID_TOKEN_CLAIMS,
    "variation, to accept: aud = [client_id], a one-element array (OpenID Connect Core "
    "§2 allows a string or an array); a correct relying party must accept it",
    kind="variation",
)
def _aud_array(claims: Claims, ctx: FaultContext) -> Claims:
    return {**claims, "aud": [ctx.client_id]}


@FAULTS.add(
    "id_token_kid_absent",
    "R-5",
    ID_TOKEN_HEADER,
    "variation, to accept: a valid ES256 token whose header has no kid, from a provider "
    "that publishes one key (a key rotated out earlier is withdrawn first; OIDF "
    "kid-absent-single-jwks; RFC 7515 §4.1.4 makes kid optional); a correct relying "
    "party must accept it",
    kind="variation",
)
def _kid_absent(header: Claims, ctx: FaultContext) -> Claims:
    return {k: v for k, v in header.items() if k != "kid"}


@FAULTS.add(
    "token_type_lowercase",
    "T-1",
    TOKEN_RESPONSE,
    "variation, to accept: the token response's token_type is 'bearer' (token types are "
    "case-insensitive, RFC 6749 §5.1); a correct relying party must accept it",
    kind="variation",
)
def _token_type_lowercase(body: Claims, ctx: FaultContext) -> Claims:
    return {**body, "token_type": "bearer"}


# -- arming ----------------------------------------------------------------------------------
def _refuse(description: str) -> ProtocolError:
    return ProtocolError(description, code="invalid_request", clause="R-12")


class ArmedFaults:
    """Which faults are armed for which client, and for how many more uses. Thread-safe."""

    def __init__(self, registry: FaultRegistry = FAULTS) -> None:
        self.registry = registry
        self._armed: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()

    def check(self, fault: object, times: object = 1) -> tuple[Fault[Any], int]:
        """Validate a fault name and a use count; ``invalid_request`` naming what is wrong."""
        known = self.registry.get(fault) if isinstance(fault, str) else None
        if known is None:
            shown = f"{fault[:64]!r}" if isinstance(fault, str) else json_kind(fault)
            raise _refuse(
                f"'fault' {shown} is not a known fault; known: {', '.join(self.registry.names())}"
            )
        if (
            isinstance(times, bool)
            or not isinstance(times, int)
            or not 1 <= times <= MAX_FAULT_TIMES
        ):
            raise _refuse(
                f"'times' must be an integer from 1 to {MAX_FAULT_TIMES}, got {times!r:.40}"
            )
        return known, times

    def arm(self, client_id: str, fault: str, times: int = 1) -> int:
        """Arm ``fault`` for ``times`` more uses by ``client_id``; returns the uses remaining
        (arming an armed fault again adds to what remains, up to :data:`MAX_FAULT_TIMES`)."""
        known, count = self.check(fault, times)
        with self._lock:
            armed = self._armed.setdefault(client_id, {})
            armed[known.name] = min(armed.get(known.name, 0) + count, MAX_FAULT_TIMES)
            return armed[known.name]

    def clear(self, client_id: str | None = None) -> int:
        """Disarm every fault (of ``client_id`` only, if given); returns how many were armed."""
        with self._lock:
            if client_id is None:
                cleared = sum(len(v) for v in self._armed.values())
                self._armed.clear()
                return cleared
            return len(self._armed.pop(client_id, {}))

    def armed(self) -> list[dict[str, Any]]:
        """``[{client_id, fault, remaining, clause, stage}]``, per client in catalog order."""
        with self._lock:
            snapshot = {c: dict(f) for c, f in self._armed.items()}
        return [
            {
                "client_id": client_id,
                "fault": fault.name,
                "remaining": faults[fault.name],
                "clause": fault.clause,
                "stage": fault.stage.name,
            }
            for client_id, faults in snapshot.items()
            for fault in self.registry
            if fault.name in faults
        ]

    def any_armed(self, client_id: str) -> bool:
        """Whether any fault is armed for ``client_id`` (a lock-free look for the common
        case of none: arming races a request either way)."""
        return bool(self._armed.get(client_id))

    def take(self, client_id: str, stage: Stage[T]) -> list[Fault[T]]:
        """The faults armed for ``client_id`` at ``stage``, each consumed once (one use)."""
        with self._lock:
            armed = self._armed.get(client_id)
            if not armed:
                return []
            taken = [f for f in self.registry.at(stage) if armed.get(f.name, 0) > 0]
            for fault in taken:
                armed[fault.name] -= 1
                if armed[fault.name] <= 0:
                    del armed[fault.name]
            if not armed:
                del self._armed[client_id]
            return taken

    def apply(self, stage: Stage[T], value: T, ctx: FaultContext) -> T:
        """``value`` through the faults armed for ``ctx.client_id`` at ``stage`` (consuming
        them); unchanged when none is armed."""
        for fault in self.take(ctx.client_id, stage):
            value = fault.transform(value, ctx)
        return value
