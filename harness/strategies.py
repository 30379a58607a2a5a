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


def versions(*, at_least: str | Version | None = None, below: str | Version | None = None,
             pre_releases: bool = True) -> st.SearchStrategy[str]:
    """Well-formed app versions (V-1: one to four numeric components, maybe a pre-release
    and build metadata), as text, ordered as V-2 says: ``at_least="1.6.7"`` those the VssID
    gate admits, ``below="2.1.0"`` those the VNeID gate refuses. ``pre_releases=False``
    draws plain ``1.6.10``-like versions only."""
    low, high = _bound(at_least, "at_least"), _bound(below, "below")
    if low is not None and high is not None and not low < high:
        raise ValueError(f"versions(at_least={low}, below={high}): no version lies between")

    first = low.components[0] if low is not None else 0
    last = high.components[0] if high is not None else first + 12

    @st.composite
    def draw_version(draw: st.DrawFn) -> str:
        # the major number within the bounds, so that few drawn versions are filtered out
        core = [draw(st.integers(first, last)),
                *draw(st.lists(_COMPONENT, min_size=0, max_size=3))]
        near = low if low is not None else high
        if near is not None and draw(st.booleans()):  # next to a gate, where bugs live
            step = draw(st.integers(-2, 2))
            core = [*near.components[:-1], max(near.components[-1] + step, 0)]
        text = ".".join(map(str, core))
        if pre_releases and draw(st.integers(0, 3)) == 0:
            text += "-" + draw(st.sampled_from(["alpha", "beta.1", "rc.2", "1"]))
        if pre_releases and draw(st.integers(0, 3)) == 0:
            text += "+build." + str(draw(st.integers(0, 99)))
        return text

    def fits(text: str) -> bool:
        version = parse_version(text)
        return (low is None or version >= low) and (high is None or version < high)

    strategy = draw_version()
    return strategy.filter(fits) if low is not None or high is not None else strategy


def personal_ids(*, born_from: dt.date = dt.date(1900, 1, 1),
                 born_until: dt.date = dt.date(2099, 12, 31)) -> st.SearchStrategy[str]:
    """Well-formed 12-digit ``personal_id`` values (§1: province, century and sex, birth
    year, serial) of citizens born between the two dates."""
    @st.composite
    def draw_id(draw: st.DrawFn) -> str:
        birthdate = draw(st.dates(min_value=born_from, max_value=born_until))
        sex: Sex = draw(st.sampled_from(SEXES))
        return generate_personal_id(random.Random(draw(st.integers(0, 2**32 - 1))),
                                    birthdate=birthdate, sex=sex)

    return draw_id()


def personas(**fields: Any) -> st.SearchStrategy[Persona]:
    """Personas as :meth:`PersonaFactory.new` makes them (level 2 with an active VssID
    account unless ``fields`` say otherwise: ``level=1``, ``vssid_account=False``,
    ``status="locked"``, …; a field may also be a strategy, drawn for each persona), from
    a seed Hypothesis draws (and shrinks to 0)."""
    @st.composite
    def draw_persona(draw: st.DrawFn) -> Persona:
        chosen = {name: draw(value) if isinstance(value, st.SearchStrategy) else value
                  for name, value in fields.items()}
        return PersonaFactory(draw(st.integers(0, 2**32 - 1))).new(**chosen)

    return draw_persona()
