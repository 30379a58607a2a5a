"""§1 identifiers as properties: every generated ``personal_id`` validates and agrees with its
citizen; validation accepts exactly the strings §1 allows; generated invalid ones (wrong
length, non-digits, province outside 001–096, century digit outside 0–3, a birth year or sex
that contradicts the persona) are refused, never with a crash.

§1 has no clause id of its own; the tests cite the clauses that rely on it: P-1 (the account
linked to the same ``personal_id``), A-4 (logging in with it) and R-11 (a well-formed
``personal_id`` in the ID token).
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import string
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.errors import ConfigError
from harness.personas import Persona
from harness.protocol import (
    IdentifierError,
    generate_bhxh_code,
    generate_personal_id,
    is_valid_bhxh_code,
    parse_personal_id,
)
from harness.protocol.identifiers import Sex
from harness.targets import ControlError, Target, embedded_target
from scenarios.properties.profiles import active_settings

SETTINGS = active_settings()
SEXES: tuple[Sex, ...] = ("male", "female")
CENTURY_DIGIT = {
    (1900, "male"): "0",
    (1900, "female"): "1",
    (2000, "male"): "2",
    (2000, "female"): "3",
}


# -- the reference (§1) ---------------------------------------------------------------------
def ref_valid(text: object) -> bool:
    """12 ASCII digits; digits 1–3 a province 001–096; digit 4 in 0–3."""
    return (
        isinstance(text, str)
        and len(text) == 12
        and all(c in string.digits for c in text)
        and 1 <= int(text[:3]) <= 96
        and text[3] in "0123"
    )


def ref_says(text: str) -> tuple[int, str]:
    """The birth year and sex the digits of a valid ``personal_id`` say."""
    century = 1900 if text[3] in "01" else 2000
    return century + int(text[4:6]), "male" if text[3] in "02" else "female"


# -- strategies ------------------------------------------------------------------------------
birthdates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))
provinces = st.integers(1, 96)


@st.composite
def valid_ids(draw: st.DrawFn) -> tuple[str, dt.date, str]:
    birthdate, sex = draw(birthdates), draw(st.sampled_from(SEXES))
    province = draw(st.none() | provinces)
    rng = random.Random(draw(st.integers(0, 2**32)))
    return (
        generate_personal_id(rng, birthdate=birthdate, sex=sex, province=province),
        birthdate,
        sex,
    )


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(string.digits, min_size=n, max_size=n)


INVALID_EDITS: dict[str, Any] = {
    "too short": lambda pid, d: pid[: -1 - d.draw(st.integers(0, 10))],
    "too long": lambda pid, d: pid + d.draw(_digits(d.draw(st.integers(1, 4)))),
    "an ASCII letter": lambda pid, d: _put(pid, d, d.draw(st.sampled_from("aZxO"))),
    "a space or sign": lambda pid, d: _put(pid, d, d.draw(st.sampled_from(" +-.\t"))),
    "a non-ASCII digit": lambda pid, d: _put(pid, d, d.draw(st.sampled_from("٣３߁໒"))),
    "province 000": lambda pid, d: "000" + pid[3:],
    "province 097-999": lambda pid, d: f"{d.draw(st.integers(97, 999)):03d}" + pid[3:],
    "century digit 4-9": lambda pid, d: pid[:3] + d.draw(st.sampled_from("456789")) + pid[4:],
}


def _put(pid: str, d: Any, char: str) -> str:
    at = d.draw(st.integers(0, len(pid) - 1))
    return pid[:at] + char + pid[at + 1 :]


# -- generation ------------------------------------------------------------------------------
@pytest.mark.clause("P-1", "R-11")
@SETTINGS
@given(valid_ids())
def test_a_generated_personal_id_always_validates_and_agrees_with_its_citizen(
    generated: tuple[str, dt.date, str],
) -> None:
    text, birthdate, sex = generated
    assert ref_valid(text), text
    parsed = parse_personal_id(text)
    assert (parsed.value, parsed.birth_year, parsed.sex) == (text, birthdate.year, sex)
    assert ref_says(text) == (birthdate.year, sex)
    assert parsed.matches(birthdate=birthdate, sex=sex)  # type: ignore[arg-type]
    assert 1 <= parsed.province <= 96


@pytest.mark.clause("P-1")
@SETTINGS
@given(st.dates(), st.sampled_from(SEXES), st.integers(-5, 200))
def test_generation_refuses_what_section_1_cannot_encode(
    birthdate: dt.date, sex: str, province: int
) -> None:
    """Only 1900–2099 have a century digit, only 001–096 are provinces."""
    encodable = 1900 <= birthdate.year <= 2099 and 1 <= province <= 96
    rng = random.Random(0)
    if encodable:
        assert ref_valid(
            generate_personal_id(
                rng,
                birthdate=birthdate,
                sex=sex,  # type: ignore[arg-type]
                province=province,
            )
        )
    else:
        with pytest.raises(IdentifierError):
            generate_personal_id(rng, birthdate=birthdate, sex=sex, province=province)  # type: ignore[arg-type]


# -- validation: exactly what §1 allows ------------------------------------------------------
@pytest.mark.clause("R-11", "A-4")
@SETTINGS
@given(
    st.one_of(
        st.text(max_size=16),
        st.text(string.digits + "a \u0663\uff13", min_size=10, max_size=14),
        _digits(12),
        st.builds(
            lambda p, c, rest: f"{p:03d}{c}{rest}",
            st.integers(0, 999),
            st.integers(0, 9),
            _digits(8),
        ),
    )
)
def test_validation_accepts_exactly_the_strings_section_1_allows(text: str) -> None:
    if ref_valid(text):
        assert parse_personal_id(text).value == text
    else:
        with pytest.raises(IdentifierError) as info:
            parse_personal_id(text, clause="R-11")
        assert (info.value.code, info.value.clause) == ("invalid_request", "R-11")


@pytest.mark.clause("R-11")
@SETTINGS
@given(valid_ids(), st.sampled_from(sorted(INVALID_EDITS)), st.data())
def test_generated_invalid_personal_ids_are_refused(
    generated: tuple[str, dt.date, str], edit: str, data: st.DataObject
) -> None:
    bad = INVALID_EDITS[edit](generated[0], data)
    assert not ref_valid(bad), (edit, bad)
    with pytest.raises(IdentifierError):
        parse_personal_id(bad)


@pytest.mark.clause("R-11")
@SETTINGS
@given(
    st.one_of(
        st.none(),
        st.integers(),
        st.binary(max_size=12),
        st.floats(),
        st.lists(_digits(1), max_size=12),
    )
)
def test_a_non_text_personal_id_is_refused(value: object) -> None:
    with pytest.raises(IdentifierError):
        parse_personal_id(value)


# -- the citizen: the digits must agree with the persona -------------------------------------
def _contradicting(birthdate: dt.date, sex: str, how: str, shift: int) -> tuple[dt.date, str]:
    """Another birth date or sex for the persona, which the digits of its id contradict."""
    if how == "sex":
        return birthdate, "female" if sex == "male" else "male"
    if how == "century":  # the same two last digits, the other century
        year = birthdate.year + 100 if birthdate.year < 2000 else birthdate.year - 100
    else:  # any other year of 1900-2099
        year = 1900 + (birthdate.year - 1900 + shift) % 200
    return birthdate.replace(year=year, day=min(birthdate.day, 28)), sex


contradictions = st.tuples(st.sampled_from(["year", "century", "sex"]), st.integers(1, 199))


@pytest.mark.clause("P-1", "R-11")
@SETTINGS
@given(valid_ids(), contradictions)
def test_a_personal_id_contradicting_the_persona_is_refused(
    generated: tuple[str, dt.date, str], how: tuple[str, int]
) -> None:
    """A persona whose id says another birth year (or century, or sex) than its own is not a
    citizen §1 allows: harness personas refuse it, naming the field."""
    text, birthdate, sex = generated
    other_date, other_sex = _contradicting(birthdate, sex, *how)
    assert ref_says(text) != (other_date.year, other_sex)
    assert not parse_personal_id(text).matches(birthdate=other_date, sex=other_sex)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="personal_id"):
        Persona(
            personal_id=text,
            full_name="Nguyễn Văn Thử",
            birthdate=other_date,
            gender=other_sex,  # type: ignore[arg-type]
            passcode="123456",
        )


@functools.cache
def _target() -> Target:
    return embedded_target(seed="properties/identifiers")


@pytest.mark.usefixtures("embedded_only")
@pytest.mark.clause("P-1", "A-4")
@SETTINGS
@given(valid_ids(), contradictions)
def test_the_vneid_control_api_refuses_a_persona_its_personal_id_contradicts(
    generated: tuple[str, dt.date, str], how: tuple[str, int]
) -> None:
    text, birthdate, sex = generated
    other_date, other_sex = _contradicting(birthdate, sex, *how)
    with pytest.raises(ControlError) as info:
        _target().vneid.add_persona(
            {
                "personal_id": text,
                "passcode": "123456",
                "level": 2,
                "full_name": "Thử",
                "birthdate": other_date.isoformat(),
                "gender": other_sex,
            }
        )
    assert info.value.status == 400


# -- bhxh_code -------------------------------------------------------------------------------
@pytest.mark.clause("P-1")
@SETTINGS
@given(st.integers(0, 2**32), st.one_of(st.text(max_size=12), _digits(10), st.integers()))
def test_bhxh_codes_are_exactly_ten_ascii_digits(seed: int, other: object) -> None:
    assert is_valid_bhxh_code(generate_bhxh_code(random.Random(seed)))
    expected = (
        isinstance(other, str) and len(other) == 10 and all(c in string.digits for c in other)
    )
    assert is_valid_bhxh_code(other) == expected
