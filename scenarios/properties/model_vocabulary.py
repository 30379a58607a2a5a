"""The model's vocabulary (issue 4): the numbers PROTOCOL.md fixes, the faults the model knows,
what the user sees (:class:`ScreenM`), what must happen (:class:`Expect`, :class:`TokenExpect`)
and the records of the model's world. Pure data; :mod:`.model` holds the rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ACCOUNT_STATES",
    "AccessToken",
    "AccountState",
    "AppSession",
    "CLOCK_SKEW",
    "CODE_TTL",
    "Callback",
    "Citizen",
    "Code",
    "Expect",
    "FAULTS",
    "FaultSpec",
    "Link",
    "MAX_ID_TOKEN_TTL",
    "Refusal",
    "RpName",
    "ScreenM",
    "TIME_FAULT_BEYOND",
    "TRANSACTION_TTL",
    "Timing",
    "TokenExpect",
    "Transaction",
    "VNEID_VERSIONS",
    "VSSID_UPDATE",
    "VSSID_VERSIONS",
    "VersionKind",
    "VneidApp",
    "VneidSession",
    "VssidApp",
    "VssidSession",
    "refused",
]

# -- numbers PROTOCOL.md fixes -----------------------------------------------------------------
CODE_TTL = 60
"""T-2: "Codes live 60 s and redeem once"."""
TRANSACTION_TTL = 600
"""R-1: "a transaction completes once and expires after 10 min"."""
CLOCK_SKEW = 60
"""R-8: "exp in the future and iat not in the future, with ≤ 60 s skew"."""
MAX_ID_TOKEN_TTL = 600
"""T-3: "exp (≤ 10 min)"."""


@dataclass(frozen=True)
class Timing:
    """Lifetimes the protocol leaves to the profile (the harness's defaults)."""

    vneid_session_ttl: int = 900
    vssid_session_ttl: int = 3600
    access_token_ttl: int = 600
    id_token_ttl: int = 600


VersionKind = Literal["new_enough", "too_old", "malformed"]

VSSID_VERSIONS: dict[str, VersionKind] = {
    # V-1, V-2 against the minimum 1.6.7 (P-3), judged by hand.
    "1.6.6": "too_old",
    "1.6.7-rc.1": "too_old",  # V-2: a pre-release sorts before its release
    "1.6.7": "new_enough",
    "1.6.7+build.5": "new_enough",  # V-2: build metadata is ignored
    "1.6.7.0": "new_enough",  # V-1: missing components are zero, four allowed
    "1.10.0": "new_enough",  # V-2: numeric per component (10 > 6)
    "v1.6.7": "malformed",  # V-3
}
VNEID_VERSIONS: dict[str, VersionKind] = {
    # against the minimum 2.1.0 (P-3)
    "2.0.9": "too_old",
    "2.1.0-rc.1": "too_old",
    "2.1": "new_enough",  # V-1: 2.1 = 2.1.0
    "2.1.0": "new_enough",
    "2.1.0+7": "new_enough",
    "2.10.0": "new_enough",  # V-2: 2.10.0 > 2.9.9
    "02.1.0": "malformed",  # V-3: leading zero
}
ACCOUNT_STATES = ("active", "locked", "none")
AccountState = Literal["active", "locked", "none"]
RpName = Literal["vssid", "harness-rp"]

Refusal = tuple[str, str]
"""``(error code, clause)`` as PROTOCOL.md §8 names them."""


# -- faults of the VNeID mock the model knows (a subset of the RP-test catalog, §11) -----------
@dataclass(frozen=True)
class FaultSpec:
    """What one armed fault does to the next response for VssID, and what VssID must do."""

    stage: Literal["authz", "id_token"]
    """``authz``: the next authorization response for VssID; ``id_token``: the next token
    response for VssID (its ID token, its signing key or the response itself)."""
    refusal: Refusal | None
    """The refusal it must cause; ``None``: computed (time faults) or accepted (variation)."""


FAULTS: dict[str, FaultSpec] = {
    "authz_response_state_invalid": FaultSpec("authz", ("state_mismatch", "R-1")),
    "authz_response_iss_invalid": FaultSpec("authz", ("issuer_mismatch", "R-2")),
    "id_token_sig_none": FaultSpec("id_token", ("id_token_invalid", "R-5")),
    "id_token_aud_invalid": FaultSpec("id_token", ("id_token_invalid", "R-7")),
    "id_token_expired": FaultSpec("id_token", None),
    "id_token_iat_future": FaultSpec("id_token", None),
    "id_token_nonce_invalid": FaultSpec("id_token", ("id_token_invalid", "R-9")),
    "id_token_acr_level1": FaultSpec("id_token", ("identity_level_insufficient", "R-10")),
    "id_token_personal_id_malformed": FaultSpec("id_token", ("vssid_account_not_found", "R-11")),
    # variations: unusual but valid answers VssID must accept
    "id_token_aud_array": FaultSpec("id_token", None),  # aud = [client_id]
    "signing_key_rotated": FaultSpec("id_token", None),  # a new key, still published
    "token_type_lowercase": FaultSpec("id_token", None),  # token_type "bearer" (T-1)
}
TIME_FAULT_BEYOND = 60
"""How far past R-8's skew the ``id_token_expired`` / ``id_token_iat_future`` faults go."""


# -- what the user sees -------------------------------------------------------------------------
@dataclass(frozen=True)
class ScreenM:
    """A screen as the model predicts it: app, §9 id, and what the id alone does not say."""

    app: str
    id: str
    refusals: frozenset[Refusal] = frozenset()
    """For ``app-error``: the refusals any one of which is right."""
    person: str | None = None
    """For ``vssid-home``: the ``personal_id`` of the person shown."""
    button: bool | None = None
    """For ``vssid-login``: whether the VNeID entry is offered (V-6)."""
    listing: str | None = None
    """For ``store``: the app whose store listing is open (A-3: VNeID's)."""

    def describe(self) -> str:
        text = f"{self.app}:{self.id}"
        if self.listing is not None:
            text += f" of {self.listing}"
        if self.refusals:
            text += " " + " or ".join(f"{c} ({cl})" for c, cl in sorted(self.refusals))
        if self.person is not None:
            text += f" of {self.person}"
        if self.button is not None:
            text += " with" if self.button else " without"
            text += " the VNeID button"
        return text


@dataclass(frozen=True)
class Expect:
    """What must be on the phone after an action, the clauses that say so, and why."""

    screen: ScreenM
    clauses: tuple[str, ...]
    because: str


@dataclass(frozen=True)
class TokenExpect:
    """What the token endpoint must answer to a redemption (T-1, T-2, S-4)."""

    ok: bool
    refusal: Refusal | None
    because: str
    token: int | None = None
    """The model id of the access token issued."""


VSSID_UPDATE = ScreenM("vssid", "app-update")
"""V-4: VssID's backend answered 426 ``app_update_required``; the app shows §9's update screen
(with the refusal's store link, checked by the state machine)."""


def refused(app: str, *refusals: Refusal) -> ScreenM:
    """The error screen of ``app``, showing any one of ``refusals``."""
    return ScreenM(app, "app-error", frozenset(refusals))


# -- the world's records --------------------------------------------------------------------------
@dataclass
class Citizen:
    key: str
    personal_id: str
    bhxh_code: str
    level: int = 2
    account: AccountState = "active"


@dataclass
class Transaction:
    """A VssID login transaction (A-1); ``expires`` on VssID's clock."""

    n: int
    created: int
    used: bool = False
    evicted: bool = False

    @property
    def expires(self) -> int:
        return self.created + TRANSACTION_TTL


@dataclass
class Link:
    """The authorize link the VNeID app is handling: VssID's transaction or the harness RP's."""

    rp: RpName
    tx: int | None = None
    rp_login: int | None = None
    level: int = 2
    """The identity level the request asks for (acr_values; VssID always asks for 2)."""


@dataclass
class Code:
    """An authorization code (T-2) and what it is bound to."""

    n: int
    client: RpName
    person: str
    personal_id: str
    level: int
    issued: int
    used_at: int | None = None
    tokens: list[int] = field(default_factory=list)


@dataclass
class Callback:
    """One authorization response VNeID redirected to (A-5)."""

    n: int
    rp: RpName
    tx: int | None
    rp_login: int | None
    person: str
    """Who was logged in to VNeID when it answered."""
    code: int | None = None
    error: str | None = None
    state_ok: bool = True
    iss_ok: bool = True


@dataclass
class AccessToken:
    n: int
    code: int
    expires: int
    revoked: bool = False


@dataclass
class VneidSession:
    n: int
    person: str
    auth_time: int
    expires: int


@dataclass
class AppSession:
    """The VNeID app's stored session: the server's, with an expiry on the phone's clock."""

    server: int
    person: str
    expires: int


@dataclass
class VssidSession:
    n: int
    personal_id: str
    bhxh_code: str
    expires: int


@dataclass
class VssidApp:
    version: str
    screen: ScreenM | None = None
    tid: int | None = None
    """The transaction id the app stored (A-1)."""
    session: int | None = None


@dataclass
class VneidApp:
    version: str | None
    """``None``: not installed."""
    screen: ScreenM | None = None
    link: Link | None = None
    session: AppSession | None = None
