"""``harness.strategies``: what each strategy draws is what PROTOCOL.md writes, within the
bounds asked for, and replayable (a QA team hand-rolled version tuples: none was exported)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import strategies as hs
from harness.personas import Persona
from harness.protocol import parse_personal_id, parse_version

FEW = settings(max_examples=60, deadline=None, database=None)


@pytest.mark.clause("V-1", "V-2")
@FEW
@given(hs.versions())
def test_every_version_is_well_formed(version: str) -> None:
    assert str(parse_version(version)) == version


@pytest.mark.clause("V-2", "V-4", "V-5")
@FEW
@given(below=hs.versions(below="1.6.7"), admitted=hs.versions(at_least="1.6.7"),
       between=hs.versions(at_least="2.1.0", below="3", pre_releases=False))
def test_versions_keep_to_their_bounds(below: str, admitted: str, between: str) -> None:
    assert parse_version(below) < parse_version("1.6.7")
    assert parse_version(admitted) >= parse_version("1.6.7")
    assert parse_version("2.1.0") <= parse_version(between) < parse_version("3")
    assert "-" not in between
    assert "+" not in between


def test_versions_near_a_gate_are_drawn() -> None:
    """Half the draws sit next to the bound, where an off-by-one lives."""
    seen: set[str] = set()

    @settings(max_examples=200, database=None, derandomize=True)
    @given(hs.versions(at_least="1.6.7", pre_releases=False))
    def collect(version: str) -> None:
        seen.add(version)

    collect()
    assert {"1.6.7", "1.6.8"} <= seen


@pytest.mark.parametrize(("bounds", "says"), [
    ({"at_least": "2.0", "below": "2.0"}, "no version lies between"),
    ({"below": "1.06"}, "versions(below='1.06'): malformed app version"),
])
def test_impossible_or_malformed_bounds_are_refused(bounds: dict[str, str], says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("(", r"\(").replace(")", r"\)")):
        hs.versions(**bounds)


@pytest.mark.clause("P-1")
@FEW
@given(hs.personal_ids(born_from=dt.date(1990, 1, 1), born_until=dt.date(1999, 12, 31)))
def test_personal_ids_are_well_formed_and_born_when_asked(personal_id: str) -> None:
    parsed = parse_personal_id(personal_id)
    assert 1990 <= parsed.birth_year <= 1999


@pytest.mark.clause("P-1", "P-2")
@FEW
@given(hs.personas(level=st.sampled_from([1, 2]), vssid_account=False), hs.platforms())
def test_personas_take_fixed_and_drawn_fields(persona: Persona, platform: str) -> None:
    assert persona.level in (1, 2)
    assert persona.vssid_account is None
    assert platform in ("ios", "android")
    parse_personal_id(persona.personal_id)


def test_a_persona_is_the_same_for_the_same_draw() -> None:
    drawn: list[Persona] = []

    @settings(max_examples=5, database=None, derandomize=True)
    @given(hs.personas())
    def collect(persona: Persona) -> None:
        drawn.append(persona)

    collect()
    first = list(drawn)
    drawn.clear()
    collect()
    assert drawn == first
