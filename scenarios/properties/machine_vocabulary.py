"""The login state machine's vocabulary (issue 4): who acts, what can change in the world, how
a callback and the facts behind it are kept, and how a screen is shown in a failing example."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harness.apps.screens import APP_ERROR, VSSID_LOGIN, VSSID_LOGIN_VNEID, Screen
from scenarios.properties.model_vocabulary import ACCOUNT_STATES, VNEID_VERSIONS, VSSID_VERSIONS
from scenarios.properties.world import CITIZENS

__all__ = [
    "ACR_LEVEL2",
    "AS_SENT",
    "ATTACKER",
    "CHANGES",
    "CallbackFact",
    "CallbackRef",
    "Change",
    "GATE_REFUSALS",
    "LOGINS",
    "MOVED",
    "PEOPLE",
    "REUSES",
    "RP_RIGHT",
    "RP_WRONG",
    "SPINE",
    "START_VNEID",
    "START_VSSID",
    "SpineAlwaysOn",
    "TIME_MOVES",
    "TRAIL",
    "TxFact",
    "USER_DOES",
    "WRONG_VERIFIER",
    "query_of",
    "s256",
    "shown",
]

PEOPLE = tuple(CITIZENS)
LOGINS = (*PEOPLE, *(f"{p}, with a wrong passcode" for p in PEOPLE))
START_VSSID, START_VNEID = "1.6.7", "2.1.0"
WRONG_VERIFIER = "guessed-verifier-" + "g" * 40
"""Well-formed (RFC 7636 §4.1) but answering no challenge."""
ACR_LEVEL2 = "urn:vneid:loa:2"
TRAIL = 12
"""How many of the last steps a failure message recalls, with what the phone showed."""


@dataclass(frozen=True)
class CallbackRef:
    """A callback VNeID sent, as the state machine keeps it (model id and the real URL)."""

    n: int
    url: str
    rp: str
    code: str | None

    def __repr__(self) -> str:
        kind = "code" if self.code else "error"
        return f"<{self.rp} callback #{self.n} ({kind})>"


@dataclass(frozen=True)
class TxFact:
    """What VssID's /start handed out, and the world when it did."""

    state: str
    nonce: str
    challenge: str
    created: float
    vssid_version: str


@dataclass(frozen=True)
class CallbackFact:
    """Who answered a callback in VNeID, and the world when they did."""

    person: str
    level: int
    vneid_version: str
    issued: float
    """VNeID's clock when it answered (when the code was issued)."""


class Change:
    """A change of the world around the login; its repr is what a failing example prints
    (a plain class: hypothesis would print a dataclass field by field)."""

    __slots__ = ("kind", "label", "value")

    def __init__(self, kind: str, value: Any, label: str) -> None:
        self.kind = kind
        self.value = value
        self.label = label

    def __repr__(self) -> str:
        return f"<{self.label}>"

    def __str__(self) -> str:
        return self.label


CHANGES: tuple[Change, ...] = (
    *(
        Change("vssid_version", v, f"VssID {v} is installed over the old one")
        for v in sorted(VSSID_VERSIONS)
    ),
    *(Change("vneid_version", v, f"VNeID {v} is installed") for v in sorted(VNEID_VERSIONS)),
    Change("vneid_version", None, "VNeID is uninstalled"),
    Change("clear_vssid_data", None, "VssID is uninstalled and reinstalled (its data is gone)"),
    Change("hijacker", True, "a hijacking app claiming vssid:// is installed"),
    Change("hijacker", False, "the hijacking app is removed"),
    *(
        Change("level", (p, lvl), f"{p}'s VNeID account becomes level {lvl}")
        for p in PEOPLE
        for lvl in (1, 2)
    ),
    *(
        Change("account", (p, state), f"{p}'s VssID account becomes {state}")
        for p in PEOPLE
        for state in ACCOUNT_STATES
    ),
)


TIME_MOVES: tuple[Change, ...] = (
    *(Change("everyone", n, f"{n} s pass") for n in (1, 59, 60, 61, 599, 600, 899, 900, 3600)),
    *(
        Change(p, n, f"{name}'s clock jumps {n} s ahead")
        for p, name in (("vneid", "VNeID"), ("vssid", "VssID"))
        for n in (59, 60, 61, 600, 660, 661)
    ),
)
USER_DOES = (
    "switches-to VssID",
    "switches-to VNeID",
    "force-closes VssID",
    "force-closes VNeID",
    *(
        f"logs in to the harness RP with VNeID (level {level}, {form} link)"
        for level in (2, 1)
        for form in ("custom", "https")
    ),
)


AS_SENT = "the OS delivers it again"
MOVED = "the OS delivers it to VssID's other redirect URI"
RP_RIGHT = "the harness RP redeems the code with its verifier"
RP_WRONG = "the harness RP redeems the code with a wrong verifier"
ATTACKER = "an attacker redeems the code with VssID's leaked secret and a guessed verifier"
REUSES = (AS_SENT, MOVED, RP_RIGHT, RP_WRONG, ATTACKER)
GATE_REFUSALS = frozenset({"app_update_required", "app_version_invalid"})


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def shown(screen: Screen) -> str:
    text = f"{screen.app}:{screen.id}"
    if screen.id == APP_ERROR:
        text += f" {screen.error} ({screen.data.get('clause')})"
    if screen.data.get("personal_id"):
        text += f" of {screen.data.get('personal_id')}"
    if screen.id == VSSID_LOGIN:
        text += " with" if screen.has(VSSID_LOGIN_VNEID) else " without"
        text += " the VNeID button"
    return text


SPINE = frozenset(
    {
        "user_taps_login_with_vneid_in_vssid",
        "user_logs_in_to_vneid",
        "user_answers_in_vneid",
        "user_signs_out_of_vssid",
        "user_closes_and_reopens_vssid",
        "vneid_misbehaves_once_towards_vssid",
    }
)
"""The login's own steps, and VNeID's faults. Hypothesis's swarm testing disables a random
subset of the rules for each example; an example without one of the login's steps could never
finish a login, and one without faults would never test R-5…R-11, so these stay on (the other
rules keep their swarm)."""


class SpineAlwaysOn:
    """Hypothesis's per-example feature flags, with the login's own steps always enabled."""

    def __init__(self, flags: Any) -> None:
        self.flags = flags

    def is_enabled(self, name: str) -> bool:
        return name in SPINE or bool(self.flags.is_enabled(name))

    def __repr__(self) -> str:
        return f"{self.flags!r} (+ the login's own steps)"
