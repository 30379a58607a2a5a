"""Hypothesis strategies for a team's own property tests: app versions, platforms,
``personal_id`` values and personas, as PROTOCOL.md writes them.

Each draws through Hypothesis (so it shrinks, and replays from Hypothesis's seed and
database) and builds its values with the harness's own model (:mod:`harness.protocol`,
:class:`harness.personas.PersonaFactory`)::

    from hypothesis import given
    from harness import strategies as hs

    @given(version=hs.versions(below="1.6.7"), platform=hs.platforms())
    def test_an_old_vssid_shows_no_vneid_entry(device, version, platform): ...

A persona drawn here is not registered with the providers: give it to the ``personas``
fixture's ``register`` (or a ``fresh_world``'s) inside the test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from typing import Any

from hypothesis import strategies as st

from harness.personas import Persona, PersonaFactory
from harness.protocol import Version, VersionError, generate_personal_id, parse_version
from harness.protocol.identifiers import Sex

__all__ = ["personal_ids", "personas", "platforms", "versions"]

PLATFORMS = ("ios", "android")
SEXES: tuple[Sex, ...] = ("male", "female")
_COMPONENT = st.one_of(st.integers(0, 12), st.integers(0, 999))
"""A version's component after the first: small mostly, where orderings differ."""


def platforms() -> st.SearchStrategy[str]:
    """``"ios"`` or ``"android"``."""
    return st.sampled_from(PLATFORMS)


def _bound(value: str | Version | None, name: str) -> Version | None:
    if value is None or isinstance(value, Version):
        return value
    try:
        return parse_version(value)
    except VersionError as exc:  # a bad argument of the test's, not a protocol refusal
        raise ValueError(f"versions({name}={value!r:.40}): {exc.description}") from None


def versions(
    *,
    at_least: str | Version | None = None,
    below: str | Version | None = None,
    pre_releases: bool = True,
) -> st.SearchStrategy[str]:
    """Well-formed app versions (V-1: one to four numeric components, maybe a pre-release
    and build metadata), as text, ordered as V-2 says: ``at_least="1.6.7"`` those the VssID
    gate admits, ``below="2.1.0"`` those the VNeID gate refuses, both for a range. Half the
    draws sit next to a bound, where an off-by-one lives (the bound itself, its neighbours,
    the pre-releases of ``below``). ``pre_releases=False`` draws plain ``1.6.10``-like
    versions only."""
    low, high = _bound(at_least, "at_least"), _bound(below, "below")
    if low is not None and high is not None and not low < high:
        raise ValueError(f"versions(at_least={low}, below={high}): no version lies between")
    if (
        not pre_releases
        and low is not None
        and high is not None
        and not Version(low.components) < high
    ):
        raise ValueError(
            f"versions(at_least={low}, below={high}, pre_releases=False): no "
            "version without a pre-release lies between"
        )

    def fits(text: str) -> bool:
        version = parse_version(text)
        return (
            (low is None or version >= low)
            and (high is None or version < high)
            and (pre_releases or not version.is_prerelease)
        )

    near = [st.just(str(low))] if low is not None else []
    near += [_neighbours(bound, pre_releases) for bound in (low, high) if bound is not None]
    anywhere = _anywhere(low, high, pre_releases)
    if not near:
        return anywhere
    return st.one_of(st.one_of(near), anywhere).filter(fits)


def _neighbours(bound: Version, pre_releases: bool) -> st.SearchStrategy[str]:
    """Versions one step from ``bound``: its last component one or two up or down, one
    more component (``1.6.7.1``), or a pre-release of it (``1.6.7-rc.1``, just below)."""

    @st.composite
    def draw(draw: st.DrawFn) -> str:
        core = list(bound.components)
        how = draw(
            st.sampled_from(
                ["step", "longer", "pre-release"] if pre_releases else ["step", "longer"]
            )
        )
        if how == "longer" and len(core) < 4:
            return ".".join(map(str, [*core, draw(st.integers(0, 2))]))
        if how == "pre-release":
            return ".".join(map(str, core)) + "-" + draw(st.sampled_from(_LABELS))
        core[-1] = max(core[-1] + draw(st.sampled_from([-2, -1, 1, 2])), 0)
        return ".".join(map(str, core))

    return draw()


_LABELS = ("alpha", "beta", "beta.1", "rc.1", "rc.2", "1")
"""Pre-release labels, in V-2's order where it matters (``alpha`` < ``beta`` < ``rc``)."""


def _anywhere(
    low: Version | None, high: Version | None, pre_releases: bool
) -> st.SearchStrategy[str]:
    """Versions whose leading components lie within the bounds (the components both bounds
    share, then one between theirs), so that few are filtered out."""
    prefix: list[int] = []
    if low is not None and high is not None:
        for a, b in zip(low.components, high.components, strict=False):
            if a != b:
                break
            prefix.append(a)
    del prefix[3:]  # a fourth component is the one drawn (1.2.3.4-alpha below 1.2.3.4)
    k = len(prefix)

    def component(bound: Version | None, default: int) -> int:
        return default if bound is None else (*bound.components, 0, 0, 0, 0)[k]

    first = component(low, 0)
    last = max(component(high, first + 12), first)

    @st.composite
    def draw(draw: st.DrawFn) -> str:
        core = [
            *prefix,
            draw(st.integers(first, last)),
            *draw(st.lists(_COMPONENT, min_size=0, max_size=max(3 - k, 0))),
        ]
        text = ".".join(map(str, core))
        if pre_releases and draw(st.integers(0, 3)) == 0:
            text += "-" + draw(st.sampled_from(_LABELS))
        if pre_releases and draw(st.integers(0, 3)) == 0:
            text += "+build." + str(draw(st.integers(0, 99)))
        return text

    return draw()


def personal_ids(
    *, born_from: dt.date = dt.date(1900, 1, 1), born_until: dt.date = dt.date(2099, 12, 31)
) -> st.SearchStrategy[str]:
    """Well-formed 12-digit ``personal_id`` values (§1: province, century and sex, birth
    year, serial) of citizens born between the two dates (§1 has a century digit for
    1900-2099 only)."""
    if not dt.date(1900, 1, 1) <= born_from <= born_until <= dt.date(2099, 12, 31):
        raise ValueError(
            f"personal_ids(born_from={born_from}, born_until={born_until}): "
            "give dates in 1900-2099 (the years §1 can write), the first "
            "not after the second"
        )

    @st.composite
    def draw_id(draw: st.DrawFn) -> str:
        birthdate = draw(st.dates(min_value=born_from, max_value=born_until))
        sex: Sex = draw(st.sampled_from(SEXES))
        return generate_personal_id(
            random.Random(draw(st.integers(0, 2**32 - 1))), birthdate=birthdate, sex=sex
        )

    return draw_id()


def personas(**fields: Any) -> st.SearchStrategy[Persona]:
    """Personas as :meth:`PersonaFactory.new` makes them (level 2 with an active VssID
    account unless ``fields`` say otherwise: ``level=1``, ``vssid_account=False``,
    ``status="locked"``, …; a field may also be a strategy, drawn for each persona), from
    a seed Hypothesis draws (and shrinks to 0). A ``personal_id`` given (or drawn, from
    :func:`personal_ids`) sets the birth year and gender its digits say."""
    known = {f.name for f in dataclasses.fields(Persona)}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise ValueError(
            f"personas(): unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )

    @st.composite
    def draw_persona(draw: st.DrawFn) -> Persona:
        chosen = {
            name: draw(value) if isinstance(value, st.SearchStrategy) else value
            for name, value in fields.items()
        }
        return PersonaFactory(draw(st.integers(0, 2**32 - 1))).new(**chosen)

    return draw_persona()
