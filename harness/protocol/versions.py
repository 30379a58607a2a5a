"""App versions (V-1…V-3): parsing, ordering and the minimum-version check.

V-1: 1–4 dot-separated non-negative integers without leading zeros, then optionally
``-prerelease`` and/or ``+build`` as in SemVer 2.0; missing components are zero.
V-2: numeric per component, a pre-release sorts before its release, build metadata ignored.
V-3: missing or malformed (``v2.1.0``, ``2..1``, ``02.1.0``, empty, over 64 chars) is refused
with ``app_version_invalid``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from harness.protocol.errors import VersionError

__all__ = [
    "MAX_VERSION_LENGTH",
    "VERSION_PATTERN",
    "Version",
    "parse_version",
    "require_min_version",
]

MAX_VERSION_LENGTH = 64

_NUM = r"(?:0|[1-9][0-9]*)"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_BUILD_ID = r"[0-9A-Za-z-]+"
_VERSION_RE = re.compile(
    rf"(?P<core>{_NUM}(?:\.{_NUM}){{0,3}})"
    rf"(?:-(?P<pre>{_PRE_ID}(?:\.{_PRE_ID})*))?"
    rf"(?:\+(?P<build>{_BUILD_ID}(?:\.{_BUILD_ID})*))?",
    re.ASCII,
)
VERSION_PATTERN = _VERSION_RE
"""V-1's grammar as a regular expression (``fullmatch`` a version's text): what the parser
accepts, for a schema that must say the same (the OpenAPI documents)."""


@functools.total_ordering
@dataclass(frozen=True, slots=True, eq=False)
class Version:
    """A parsed app version. Equality and order follow V-2; ``str()`` gives it back as written."""

    components: tuple[int, ...]
    prerelease: tuple[str | int, ...] = ()
    build: tuple[str, ...] = field(default=())
    _order: tuple[tuple[int, int, int, int], int, tuple[tuple[int, int, str], ...]] = field(
        init=False, repr=False, compare=False
    )
    """The V-2 sort key, computed once (each gated app call compares two versions)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_order", self._compute_order())

    @property
    def release(self) -> tuple[int, int, int, int]:
        """The four numeric components, missing ones as zero (V-1)."""
        padded = (*self.components, 0, 0, 0, 0)[:4]
        return (padded[0], padded[1], padded[2], padded[3])

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    def _key(self) -> tuple[tuple[int, int, int, int], int, tuple[tuple[int, int, str], ...]]:
        return self._order

    def _compute_order(
        self,
    ) -> tuple[tuple[int, int, int, int], int, tuple[tuple[int, int, str], ...]]:
        # SemVer §11: a version without pre-release ranks above any with one; identifiers
        # compare numerically when numeric, numeric below alphanumeric, shorter list first.
        pre = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in self.prerelease)
        return (self.release, 0 if self.prerelease else 1, pre)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other: Version) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        text = ".".join(str(c) for c in self.components)
        if self.prerelease:
            text += "-" + ".".join(str(p) for p in self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    def __repr__(self) -> str:
        return f"Version({str(self)!r})"


def parse_version(text: str | None, *, clause: str = "V-3") -> Version:
    """Parse ``text`` per V-1, or raise :class:`VersionError` (``app_version_invalid``)."""
    if text is None:
        raise VersionError("the app version header is missing; send e.g. '2.1.0'", clause=clause)
    if not isinstance(text, str):
        raise VersionError(
            f"an app version must be a string, got {type(text).__name__}", clause=clause
        )
    if not text:
        raise VersionError("the app version is empty; send e.g. '2.1.0'", clause=clause)
    if len(text) > MAX_VERSION_LENGTH:
        raise VersionError(
            f"the app version is {len(text)} characters long; at most {MAX_VERSION_LENGTH}",
            clause=clause,
        )
    return _parse_valid_length(text, clause)


@functools.lru_cache(maxsize=256)
def _parse_valid_length(text: str, clause: str) -> Version:
    """The rest of :func:`parse_version`, cached: a provider sees the same few version
    headers on every call (a refusal raises, and is not cached)."""
    match = _VERSION_RE.fullmatch(text)
    if match is None:
        raise VersionError(
            f"malformed app version {text!r}: expected 1-4 dot-separated integers without "
            "leading zeros, optionally followed by -prerelease and/or +build (e.g. '2.1.0')",
            clause=clause,
        )
    components = tuple(int(c) for c in match["core"].split("."))
    pre: tuple[str | int, ...] = ()
    if match["pre"]:
        pre = tuple(int(p) if p.isdigit() else p for p in match["pre"].split("."))
    build = tuple(match["build"].split(".")) if match["build"] else ()
    return Version(components, pre, build)


def require_min_version(text: str | None, minimum: Version | str) -> tuple[Version, bool]:
    """Parse ``text`` and say whether it is at least ``minimum`` (V-2, V-3).

    Returns ``(version, new_enough)``; a malformed ``text`` raises :class:`VersionError`.
    """
    floor = parse_version(minimum) if isinstance(minimum, str) else minimum
    version = parse_version(text)
    return version, version >= floor
