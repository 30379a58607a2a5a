"""Deliberately broken mock providers: the names that make them so, checked in one place.

A *deliberately broken* mock forgets one of its checks (the VssID mock's ``skip_checks``,
the VNeID mock's ``skip_checks``) or, for the VNeID mock, carries one bug of its fault
catalog on every request (``broken_fault``), so that a conformance plan can be seen to catch
what a real implementation gets wrong. pytest takes them as ``--broken-rp CHECK`` (repeatable)
and ``--broken-vneid FAULT|CHECK``, ``vneid-harness conformance`` passes the same options to
pytest (to preview a failing verdict on the embedded mocks), and ``vneid-harness serve``
serves such mocks over HTTP. The names are the mocks' own (``mock_providers.vssid``'s
``SKIPPABLE_CHECKS``, ``mock_providers.vneid.settings``'s ``SKIPPABLE_CHECKS``, and
``FAULTS.bugs()``); this module says which is which and refuses the rest with the choices.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.errors import ConfigError

__all__ = ["BROKEN_RP", "BROKEN_VNEID", "BrokenMocks", "rp_checks", "vneid_names"]

BROKEN_RP = "--broken-rp"
BROKEN_VNEID = "--broken-vneid"


def rp_checks() -> tuple[str, ...]:
    """The VssID mock's checks a run can switch off (``--broken-rp``)."""
    from mock_providers.vssid import SKIPPABLE_CHECKS

    return SKIPPABLE_CHECKS


def vneid_names() -> tuple[list[str], tuple[str, ...]]:
    """The VNeID mock's bugs (faults of kind ``fault``) and its checks it can forget
    (``--broken-vneid`` takes one of either)."""
    from mock_providers.vneid.faults import FAULTS
    from mock_providers.vneid.settings import SKIPPABLE_CHECKS

    return FAULTS.bugs(), tuple(SKIPPABLE_CHECKS)


@dataclass(frozen=True, slots=True)
class BrokenMocks:
    """Which mock is broken and how: ``rp`` the VssID mock's checks it skips, ``vneid`` the
    VNeID mock's one bug or forgotten check (``None``: both correct, the normal case)."""

    rp: frozenset[str] = field(default_factory=frozenset)
    vneid: str | None = None

    @classmethod
    def parse(cls, rp: Iterable[str] | None = None, vneid: str | None = None) -> BrokenMocks:
        """The names as given on a command line, or a :class:`ConfigError` that lists the
        names there are."""
        rp = list(rp or ())
        if rp:
            choices = rp_checks()
            unknown = sorted({name[:40] for name in rp} - set(choices))
            if unknown:
                raise ConfigError(
                    f"{BROKEN_RP}: unknown check(s) {', '.join(unknown)}; "
                    f"choose from {', '.join(choices)}"
                )
        if vneid is not None:
            bugs, checks = vneid_names()
            if vneid not in bugs and vneid not in checks:
                raise ConfigError(
                    f"{BROKEN_VNEID}: unknown fault or check {vneid!r:.80}; "
                    f"choose a fault from {', '.join(bugs)}, or a check from "
                    f"{', '.join(checks)}"
                )
        return cls(frozenset(rp), vneid)

    def __bool__(self) -> bool:
        return bool(self.rp) or self.vneid is not None

    @property
    def vneid_skips(self) -> bool:
        """Whether ``vneid`` names a check the VNeID mock forgets (else a fault it carries)."""
        return self.vneid is not None and self.vneid in vneid_names()[1]

    def vneid_settings(self) -> dict[str, Any]:
        """``VNeIDSettings``'s arguments: ``skip_checks`` or ``broken_fault``."""
        if self.vneid is None:
            return {}
        if self.vneid_skips:
            return {"skip_checks": frozenset({self.vneid})}
        return {"broken_fault": self.vneid}

    def embedded_target(self) -> dict[str, Any]:
        """:func:`harness.targets.embedded_target`'s arguments."""
        settings = self.vneid_settings()
        return {
            "vssid_skip_checks": self.rp,
            "vneid_skip_checks": settings.get("skip_checks", frozenset()),
            "vneid_fault": settings.get("broken_fault"),
        }

    def options_given(self) -> list[str]:
        """The options that break a mock here (``--broken-rp``, ``--broken-vneid``), as the
        refusals name them."""
        return [name for name, on in ((BROKEN_RP, self.rp), (BROKEN_VNEID, self.vneid)) if on]

    def problem(self, plan: str, targets: Sequence[str]) -> str | None:
        """Why these broken mocks cannot run with ``plan`` and the target options given
        (``targets``): a server under test is tested as it is, and a plan must grade the
        mock broken (:mod:`harness.run_checks`' words; ``None``: they can)."""
        from harness.run_checks import broken_plan_problem, broken_with_targets_problem

        return broken_with_targets_problem(self.options_given(), targets) or broken_plan_problem(
            plan, bool(self.rp), self.vneid is not None
        )

    def pytest_args(self) -> list[str]:
        """The options that make pytest's embedded mocks so."""
        return [f"{BROKEN_RP}={name}" for name in sorted(self.rp)] + (
            [f"{BROKEN_VNEID}={self.vneid}"] if self.vneid is not None else []
        )

    def describe_rp(self) -> str:
        """How the VssID mock is broken, for a verdict or a console (empty: it is not)."""
        return (
            f"deliberately broken: skips {', '.join(sorted(self.rp))} ({BROKEN_RP})"
            if self.rp
            else ""
        )

    def describe_vneid(self) -> str:
        """How the VNeID mock is broken (empty: it is not)."""
        if self.vneid is None:
            return ""
        what = "forgets the check" if self.vneid_skips else "carries the fault"
        return f"deliberately broken: {what} {self.vneid} ({BROKEN_VNEID})"
