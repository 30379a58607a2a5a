"""The YAML every user file goes through (personas, profiles, expected failures, Appium
capabilities): plain values, no aliases, no key given twice, one loader for all four (they
had three, and only the profile's refused aliases: a persona file's billion laughs printed
400 KB of ``'lol'`` in one error message, an architecture review)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from harness import strict_yaml
from harness.conformance import load_expected_failures
from harness.drivers.appium_config import load_capabilities
from harness.errors import HarnessError, PersonaFileError
from harness.personas import load_personas
from harness.profile_file import load_profile

LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", "a", "b", "c", "d", "e", "f", "g"], "abcdefgh", strict=True)
)


def test_plain_values_load() -> None:
    assert strict_yaml.load(
        "a: 1\nb: [x, 'y*z', \"*\"]\nc: {<<: {d: 2}, e: 3}\n", what="a file"
    ) == {"a": 1, "b": ["x", "y*z", "*"], "c": {"d": 2, "e": 3}}
    assert strict_yaml.load("", what="a file") is None


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("a: &x [1]\nb: *x\n", "line 2, column 4"),
        (LAUGHS, "line 2, column 8"),
        ("a: 1\na: 2\n", "the key 'a' is given twice in one mapping; keep one"),
        ("- {a: 1, b: {c: 1, c: 2}}\n", "the key 'c' is given twice"),
    ],
)
def test_aliases_and_repeated_keys_are_refused(text: str, said: str) -> None:
    with pytest.raises(yaml.YAMLError) as caught:
        strict_yaml.load(text, what="a persona file")
    assert said in str(caught.value)
    if "*" in text:
        assert "aliases (*name) are not allowed in a persona file; write the value out" in str(
            caught.value
        )


@pytest.mark.parametrize(
    "loader", [load_personas, load_profile, load_expected_failures, load_capabilities]
)
def test_every_user_file_refuses_a_billion_laughs(tmp_path: Path, loader: object) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(LAUGHS + "personas: [*h]\n", encoding="utf-8")
    with pytest.raises(HarnessError, match=r"aliases \(\*name\) are not allowed in "):
        loader(path)  # type: ignore[operator]


def test_a_huge_value_is_shown_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "personas:\n  - {personal_id: '001099000001', passcode: '123456', "
        "full_name: Lê Văn An, gender: male, "
        f"birthdate: [[[['x']]], {'y' * 5000}]}}\n",
        encoding="utf-8",
    )
    with pytest.raises(PersonaFileError) as caught:
        load_personas(path)
    said = str(caught.value)
    assert "personas[0].birthdate: must be a date 'YYYY-MM-DD', got [[[...]], 'yyy" in said
    assert len(said) < 400, said


@pytest.mark.parametrize(
    "loader", [load_personas, load_profile, load_expected_failures, load_capabilities]
)
def test_every_user_file_nested_too_deeply_is_one_error(tmp_path: Path, loader: object) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(HarnessError, match="nested too deeply"):
        loader(path)  # type: ignore[operator]
    path.write_bytes(b"a: \xff\xfe\n")
    with pytest.raises(HarnessError, match=r"UTF-8|utf-8"):
        loader(path)  # type: ignore[operator]


@pytest.mark.parametrize(
    "loader", [load_personas, load_profile, load_expected_failures, load_capabilities]
)
def test_every_user_file_refuses_a_number_too_long_at_its_line(
    tmp_path: Path, loader: object
) -> None:
    """An integer of 5,000 digits raised Python's ValueError ("use
    sys.set_int_max_str_digits()"): the Appium capabilities' reader let it through, pytest's
    INTERNALERROR and exit 3; the others said it without a line."""
    path = tmp_path / "long.yaml"
    path.write_text("a: 1\nb: " + "9" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(HarnessError) as caught:
        loader(path)  # type: ignore[operator]
    said = str(caught.value)
    assert "line 2, column 4: a number has more than 4300 digits" in said
    assert "set_int_max_str_digits" not in said


def test_json_user_files_may_start_with_a_byte_order_mark(tmp_path: Path) -> None:
    """Windows editors (Notepad) save JSON with a UTF-8 byte-order mark, which RFC 8259 §8.1
    lets a parser ignore: a persona file or an expected-failures file saved so was refused
    ("Unexpected UTF-8 BOM") while the same file as YAML, and a profile, were read."""
    people = tmp_path / "personas.json"
    people.write_text(
        '\ufeff{"personas": [{"personal_id": "001099000001", "passcode": '
        '"123456", "full_name": "Lê Văn An", "gender": "male", '
        '"birthdate": "1999-01-01"}]}',
        encoding="utf-8",
    )
    assert [p.full_name for p in load_personas(people)] == ["Lê Văn An"]
    expected = tmp_path / "expected.json"
    expected.write_text(
        '\ufeff{"expected_failures": [{"test": "scenarios/test_x.py::test_y", '
        '"clause": "A-2", "reason": "known"}]}',
        encoding="utf-8",
    )
    assert [e.clause for e in load_expected_failures(expected)] == ["A-2"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("code_ttl: 030\n", "'030' would be read as 24 (a leading 0 makes it octal"),
        ("code_ttl: -0_30\n", "'-0_30' would be read as -24"),
        ("passcode: 012345\n", "or quote it ('012345') for text"),
        ("code_ttl: 1:30\n", "'1:30' would be read as 90 (':' makes it base 60"),
        # base 60 is a float's too: command_timeout: 1:30.5 was 90.5 s without a word
        ("command_timeout: 1:30.5\n", "'1:30.5' would be read as 90.5 (':' makes it base 60"),
        ("at: -12:30:00.5\n", "write -45000.5 for a number, or quote it ('-12:30:00.5')"),
    ],
)
def test_yaml_1_1_octal_and_base_60_integers_are_refused(text: str, said: str) -> None:
    """YAML 1.1 (PyYAML) reads ``030`` as 24 and ``1:30`` as 90, where YAML 1.2, JSON, TOML
    and the person who wrote it read 30 and text: a profile's ``code_ttl: 030`` was 24
    seconds without a word."""
    with pytest.raises(yaml.YAMLError, match=re.escape(said)):
        strict_yaml.load(text, what="a file")


def test_integers_without_a_leading_zero_still_load() -> None:
    assert strict_yaml.load("a: 0\nb: 30\nc: -7\nd: 0x10\ne: '030'\nf: 089\n", what="a file") == {
        "a": 0,
        "b": 30,
        "c": -7,
        "d": 16,
        "e": "030",
        "f": "089",  # not octal to YAML 1.1 either: text, as the persona files rely on
    }


def test_floats_without_a_colon_still_load() -> None:
    assert strict_yaml.load("a: 0.5\nb: 030.5\nc: -1.5e+3\nd: .inf\ne: '1:30.5'\n", what="f") == {
        "a": 0.5,
        "b": 30.5,  # a float's leading 0 is no octal, in YAML 1.1 either
        "c": -1500.0,
        "d": float("inf"),
        "e": "1:30.5",
    }
