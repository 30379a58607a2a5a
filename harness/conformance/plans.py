"""The conformance plans (CONFORMANCE-CATALOG.md): which tests, which clauses, which target.

A test belongs to a plan through the ``plan("NAME", ...)`` marker (usually a module-level
``pytestmark``); ``--plan NAME`` keeps only those tests. Each plan names the clauses it must
cover: a clause of the plan with no selected test is an error of the suite, not a pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from harness.errors import ConfigError
from harness.protocol import CLAUSES
from harness.run_checks import plan_problem

__all__ = ["ALL", "PLANS", "Plan", "get_plan"]

ALL = "all"


def _range(family: str, first: int, last: int) -> tuple[str, ...]:
    return tuple(f"{family}-{i}" for i in range(first, last + 1))


@dataclass(frozen=True)
class Plan:
    name: str
    subject: str
    """What is under test: ``vssid`` (a relying party), ``vneid`` (a provider) or ``both``."""
    description: str
    clauses: tuple[str, ...]
    target_option: str | None
    """The option that points the plan at a vendor's server."""


PLANS: Mapping[str, Plan] = MappingProxyType(
    {
        "vssid-relying-party": Plan(
            name="vssid-relying-party",
            subject="vssid",
            description=(
                "The harness plays VNeID (injecting one fault at a time), the phone and the VssID "
                "app; the relying party must refuse each fault with the right error, make no "
                "token or userinfo call where it must stop earlier, and accept the variations "
                "the protocol allows."
            ),
            # V-1 and V-2: the backend parses and compares the app's version (V-4's gate); S-5:
            # what it answers the app and logs holds no verifier, code or token of VNeID's
            clauses=(
                "P-1",
                "P-2",
                "V-1",
                "V-2",
                "V-3",
                "V-4",
                "A-1",
                "A-2",
                "A-6",
                *_range("R", 1, 12),
                "T-5",
                "S-5",
            ),
            target_option="--vssid-url",
        ),
        "vneid-provider": Plan(
            name="vneid-provider",
            subject="vneid",
            description=(
                "The harness plays VssID (a relying party of its own) and the VNeID app; the "
                "provider must bind, expire and single-use its codes, require PKCE S256, match "
                "redirect URIs exactly, never redirect to an unverified one, return iss, publish "
                "discovery and sign ID tokens as T-3 says, gate levels and app versions."
            ),
            clauses=(
                "P-2",
                "V-3",
                "V-5",
                "A-2",
                "A-4",
                "A-5",
                "A-7",
                *_range("T", 1, 5),
                "S-1",
                "S-2",
                "S-3",
                "S-4",
            ),
            target_option="--vneid-url",
        ),
        ALL: Plan(
            name=ALL,
            subject="both",
            description="Every scenario suite: the main job.",
            clauses=tuple(CLAUSES),
            target_option=None,
        ),
    }
)


def get_plan(name: str) -> Plan:
    problem = plan_problem(name, PLANS)
    if problem is not None:
        raise ConfigError(problem)
    return PLANS[name]
