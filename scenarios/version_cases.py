"""Versions relative to a minimum, for the version-gate scenarios (V-1…V-6).

V-6: minimum versions are configuration (the run's profile), so the scenarios name *kinds* of
version relative to the minimum ("the minimum", "a higher patch", "a pre-release of the
minimum"…) and :func:`version_case` computes each from the run's profile. Against PROTOCOL.md's
defaults (VssID 1.6.7, VNeID 2.1.0) they are the versions the scenarios list in comments.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.protocol import (
    DEFAULT_PROFILE,
    AppId,
    Profile,
    Version,
    VersionError,
    parse_version,
)

__all__ = ["MALFORMED_CASES", "NEW_ENOUGH_CASES", "TOO_OLD_CASES", "default_id", "version_case"]


def _v(*components: int, pre: tuple[str | int, ...] = (), build: tuple[str, ...] = ()) -> Version:
    return Version(tuple(components), pre, build)


def _other_length(m: Version) -> Version | None:
    """The minimum with one component fewer (a trailing zero dropped: ``2.1.0`` → ``2.1``) or,
    when it ends in a nonzero component, one more (``1.6.7`` → ``1.6.7.0``): equal by V-1.
    ``None`` for four components ending in a nonzero one (no other spelling exists)."""
    comps = m.components
    if len(comps) > 1 and comps[-1] == 0:
        return Version(comps[:-1], m.prerelease)
    return Version((*comps, 0), m.prerelease) if len(comps) < 4 else None


def _fourth_component(m: Version) -> Version:
    """``2.1.0`` → ``2.1.0.1``: a fourth component above the minimum's."""
    a, b, c, d = m.release
    return _v(a, b, c, d + 1 if len(m.components) == 4 else 1)


def _truncated(m: Version) -> Version | None:
    """The minimum cut before its last nonzero component (``1.6.7`` → ``1.6``, ``1.8`` →
    ``1``): lower, since missing components are zero (V-1). ``None`` when only the major is
    nonzero."""
    nonzero = [i for i, c in enumerate(m.components) if c]
    return Version(m.components[: nonzero[-1]]) if nonzero and nonzero[-1] > 0 else None


def _prerelease_of(label: str) -> Callable[[Version], Version | None]:
    """A pre-release of the minimum (``2.1.0-rc.1``), below it (V-2); against a pre-release
    minimum that sorts below ``label.1``, the lowest pre-release ``-0`` instead."""

    def case(m: Version) -> Version | None:
        for pre in ((label, 1), (0,)):
            candidate = Version(m.components, pre)
            if candidate < m:
                return candidate
        return None

    return case


def _just_below(m: Version) -> Version | None:
    """A release just below the minimum, lowering its last nonzero component (``1.6.7`` →
    ``1.6.6``, ``1.8`` → ``1.7.99``, ``2.0.0`` → ``1.99.99``, ``2.1.0.5`` → ``2.1.0.4``); for
    an all-zero minimum, its lowest pre-release (``0.0.0-0``). ``None`` when nothing is below
    (``0.0.0-0`` itself)."""
    nonzero = [i for i, c in enumerate(m.release) if c]
    if nonzero:
        i = nonzero[-1]
        return Version((*m.release[:i], m.release[i] - 1, *(99,) * max(0, 2 - i)))
    lowest = Version(m.components, (0,))
    return lowest if lowest < m else None


NEW_ENOUGH_CASES: dict[str, Callable[[Version], Version | None]] = {
    "minimum": lambda m: m,
    "minimum-other-length": _other_length,
    "higher-patch": lambda m: _v(m.release[0], m.release[1], 10 ** len(str(m.release[2]))),
    "higher-minor": lambda m: _v(m.release[0], 10 ** len(str(m.release[1])), 0),
    "next-minor-short": lambda m: _v(m.release[0], m.release[1] + 1),
    "next-major": lambda m: _v(m.release[0] + 1, 0),
    "fourth-component": _fourth_component,
    "minimum-with-build": lambda m: Version(m.components, m.prerelease, ("build", "5")),
    "minimum-with-numeric-build": lambda m: Version(m.components, m.prerelease, ("77",)),
    "minimum-64-chars": lambda m: Version(m.components, m.prerelease, ("b" * (63 - len(str(m))),)),
    "prerelease-of-next-minor": lambda m: _v(m.release[0], m.release[1] + 1, 0, pre=("beta", 1)),
}
"""Versions at or above the minimum; a case that does not exist for a minimum (``None``) is
the minimum itself."""

TOO_OLD_CASES: dict[str, Callable[[Version], Version | None]] = {
    "lower-patch": lambda m: _v(*m.release[:2], m.release[2] - 1) if m.release[2] else None,
    "beta-of-minimum": _prerelease_of("beta"),
    "rc-of-minimum": _prerelease_of("rc"),
    "minimum-truncated": _truncated,
    "lower-minor-short": lambda m: _v(m.release[0], m.release[1] - 1) if m.release[1] else None,
    "lower-minor-higher-patch": lambda m: (
        _v(m.release[0], m.release[1] - 1, max(9, m.release[2] + 1)) if m.release[1] else None
    ),
    "previous-major-9.99": lambda m: (
        _v(m.release[0] - 1, max(9, m.release[1] + 1), max(99, m.release[2] + 1))
        if m.release[0]
        else None
    ),
    "previous-major-99.99": lambda m: (
        _v(m.release[0] - 1, max(99, m.release[1] + 1), max(99, m.release[2] + 1))
        if m.release[0]
        else None
    ),
    "just-below-with-build": lambda m: (  # build metadata lifts nothing (V-2)
        Version(below.components, below.prerelease, ("build", "5"))
        if (below := _just_below(m)) is not None
        else None
    ),
}
"""Versions below the minimum; a case that does not exist for a minimum (``None``: no lower
patch of ``1.8``, no lower major of ``0.9``…) is :func:`_just_below` instead."""

MALFORMED_CASES: dict[str, Callable[[Version], str]] = {
    "v-prefixed-minimum": lambda m: f"v{m}",
    "leading-zero-minimum": lambda m: f"0{m}",
    "minimum-with-empty-build": lambda m: f"{m}+",  # SemVer's build has an identifier
}
"""The minimum written the way V-3 refuses."""


def version_case(profile: Profile, app: AppId, kind: str) -> str:
    """The ``kind`` of version (a key of the case tables) relative to ``profile``'s minimum of
    ``app``, checked to be what the kind promises (valid and on its side of the minimum, or
    malformed)."""
    minimum = profile.min_version(app)
    if kind in MALFORMED_CASES:
        text = MALFORMED_CASES[kind](minimum)
        try:
            parse_version(text)
        except VersionError:
            return text
        raise AssertionError(f"case {kind} of minimum {minimum}: {text!r} is not malformed")
    new_enough = kind in NEW_ENOUGH_CASES
    version = (
        (NEW_ENOUGH_CASES[kind](minimum) or minimum)
        if new_enough
        else (TOO_OLD_CASES[kind](minimum) or _just_below(minimum))
    )
    assert version is not None, (
        f"the {app} minimum {minimum} has no version below it: V-2's too-old cases cannot exist"
    )
    text = str(version)
    parsed = parse_version(text)  # valid (V-1), or the case is wrong
    assert (parsed >= minimum) == new_enough, (
        f"case {kind} of the {app} minimum {minimum}: {text} is on the wrong side of it"
    )
    return text


def default_id(app: AppId) -> Callable[[str], str]:
    """Test ids for kinds of version: the version each kind is under PROTOCOL.md's defaults
    (``[1.6.6]``, ``[2.1.0-rc.1-ios]``), the ids these scenarios had before the minimums came
    from the run's profile, so expected-failures globs and report histories keep matching.
    Under another profile the id names the default's version; the failure message names the
    one tested."""

    def test_id(kind: str) -> str:
        return version_case(DEFAULT_PROFILE, app, kind)

    return test_id
