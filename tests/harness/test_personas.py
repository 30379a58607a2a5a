"""Personas: seeded replay, §1 identifiers, persona files (YAML/JSON), atomic save, S-5 repr."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.errors import ConfigError, PersonaFileError
from harness.personas import (
    BIRTH_YEARS,
    Persona,
    PersonaFactory,
    VssIDAccount,
    load_personas,
    save_personas,
)
from harness.protocol import is_valid_bhxh_code, parse_personal_id


def _entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "personal_id": "001090123456",
        "full_name": "Nguyễn Văn An",
        "birthdate": "1990-03-04",
        "gender": "male",
        "passcode": "012345",
        "level": 2,
        "status": "active",
        "vssid_account": {"bhxh_code": "0123456789", "status": "active"},
    }
    entry.update(changes)
    return {k: v for k, v in entry.items() if v is not _DROP}


_DROP = object()


def _write(path: Path, entries: list[Any]) -> Path:
    path.write_text(json.dumps({"personas": entries}, ensure_ascii=False), encoding="utf-8")
    return path


class TestFactory:
    def test_same_seed_same_personas(self) -> None:
        assert PersonaFactory(42).many(5) == PersonaFactory(42).many(5)
        assert PersonaFactory("run-7").many(3) == PersonaFactory("run-7").many(3)

    def test_other_seed_other_personas(self) -> None:
        assert PersonaFactory(1).many(3) != PersonaFactory(2).many(3)

    def test_a_negative_seed_is_not_its_positive(self) -> None:
        # Python's random seeds an int by its absolute value: `personas generate --seed -5`
        # wrote the citizens of --seed 5
        assert PersonaFactory(-5).many(3) != PersonaFactory(5).many(3)
        assert PersonaFactory(-5).many(3) == PersonaFactory(-5).many(3)

    def test_factories_used_in_turn_give_what_each_gives_alone(self) -> None:
        # the names come from one Faker per process; each factory keeps its own stream
        alone_a, alone_b = PersonaFactory("a").many(4), PersonaFactory("b").many(4)
        a, b = PersonaFactory("a"), PersonaFactory("b")
        mixed_a, mixed_b = [], []
        for _ in range(4):
            mixed_a.append(a.new())
            mixed_b.append(b.new())
        assert (mixed_a, mixed_b) == (alone_a, alone_b)

    @pytest.mark.parametrize("fields", ["birth", "personal_id", "all"])
    def test_overrides_do_not_shift_later_personas(self, fields: str) -> None:
        other = PersonaFactory("elsewhere").new()
        given = {
            "birth": {"birthdate": dt.date(2001, 1, 1), "gender": "female"},
            "personal_id": {
                "personal_id": other.personal_id,
                "birthdate": other.birthdate,
                "gender": other.gender,
            },
            "all": {**other.__dict__},
        }[fields]
        a, b = PersonaFactory(9), PersonaFactory(9)
        a.new(**given)
        b.new()
        assert [a.new(), a.new()] == [b.new(), b.new()]

    def test_personal_id_consistent_and_unique(self) -> None:
        people = PersonaFactory(3).many(200)
        assert len({p.personal_id for p in people}) == 200
        for p in people:
            pid = parse_personal_id(p.personal_id)
            assert pid.matches(birthdate=p.birthdate, sex=p.gender)
            assert BIRTH_YEARS[0] <= p.birthdate.year <= BIRTH_YEARS[1]
            assert len(p.passcode) == 6
            assert p.passcode.isdigit()
            assert p.vssid_account is not None
            assert is_valid_bhxh_code(p.bhxh_code)
            assert len(p.full_name.split()) >= 3

    def test_defaults_level2_active_with_account(self) -> None:
        p = PersonaFactory(0).new()
        assert (p.level, p.status, p.vssid_account is not None) == (2, "active", True)

    def test_options_and_overrides(self) -> None:
        f = PersonaFactory(0)
        p = f.new(
            level=1,
            status="locked",
            vssid_account=False,
            birthdate=dt.date(2003, 5, 6),
            gender="female",
            full_name="Lê Thị Hoa",
        )
        assert (p.level, p.status, p.vssid_account) == (1, "locked", None)
        assert p.personal_id[3:6] == "303"
        assert p.full_name == "Lê Thị Hoa"
        assert f.new(vssid_account="locked").vssid_account.status == "locked"  # type: ignore[union-attr]

    def test_unknown_override_is_refused(self) -> None:
        with pytest.raises(ConfigError, match="unknown fields \\['pin'\\]"):
            PersonaFactory(0).new(pin="1")

    def test_inconsistent_override_is_refused(self) -> None:
        with pytest.raises(ConfigError, match="personal_id"):
            PersonaFactory(0).new(personal_id="001290123456", birthdate=dt.date(1990, 1, 1))


class TestPersona:
    def test_repr_hides_passcode(self, known_persona: Persona) -> None:
        assert known_persona.passcode not in repr(known_persona)
        assert known_persona.passcode not in str(known_persona)
        assert "passcode" not in repr(known_persona)

    def test_vneid_json(self, known_persona: Persona) -> None:
        assert known_persona.to_vneid_json() == {
            "personal_id": "001090123456",
            "passcode": "482915",
            "level": 2,
            "full_name": "Nguyễn Văn An",
            "birthdate": "1990-03-04",
            "gender": "male",
            "status": "active",
        }

    def test_vssid_account_json(self, known_persona: Persona) -> None:
        assert known_persona.to_vssid_account_json() == {
            "bhxh_code": "0123456789",
            "personal_id": "001090123456",
            "full_name": "Nguyễn Văn An",
            "status": "active",
        }
        assert (
            dataclasses.replace(known_persona, vssid_account=None).to_vssid_account_json() is None
        )

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"personal_id": "00109012345"}, "personal_id"),
            ({"gender": "female"}, "personal_id"),
            ({"passcode": "12345a"}, "passcode"),
            ({"level": 3}, "level"),
            ({"status": "frozen"}, "status"),
        ],
    )
    def test_invalid_persona_is_refused(
        self, known_persona: Persona, change: dict[str, Any], field: str
    ) -> None:
        with pytest.raises(ConfigError, match=f"invalid Persona: {field}"):
            dataclasses.replace(known_persona, **change)

    def test_invalid_account(self) -> None:
        with pytest.raises(ConfigError, match="bhxh_code"):
            VssIDAccount("12345")


class TestFiles:
    @pytest.mark.parametrize("name", ["people.yaml", "people.yml", "people.json"])
    def test_round_trip(self, tmp_path: Path, name: str) -> None:
        people = [
            *PersonaFactory(5).many(4),
            Persona(
                "001090123456",
                "Nguyễn Văn An",
                dt.date(1990, 3, 4),
                "male",
                "012345",
                level=1,
                status="locked",
                vssid_account=VssIDAccount("0000000001", "locked"),
            ),
            Persona("096307000001", "Lê Thị Hoa", dt.date(2007, 1, 2), "female", "000000"),
        ]
        path = tmp_path / name
        save_personas(path, people)
        assert load_personas(path) == people

    def test_yaml_is_readable_and_quotes_digits(self, tmp_path: Path) -> None:
        path = tmp_path / "p.yaml"
        save_personas(
            path, [Persona("001090123456", "Nguyễn Văn An", dt.date(1990, 3, 4), "male", "012345")]
        )
        text = path.read_text(encoding="utf-8")
        assert "Nguyễn Văn An" in text
        assert "'012345'" in text
        assert yaml.safe_load(text)["personas"][0]["passcode"] == "012345"

    def test_hand_written_yaml_with_date_values(self, tmp_path: Path) -> None:
        path = tmp_path / "p.yaml"
        path.write_text(
            "personas:\n  - personal_id: '001090123456'\n    full_name: An\n"
            "    birthdate: 1990-03-04\n    gender: male\n    passcode: '111111'\n",
            encoding="utf-8",
        )
        [p] = load_personas(path)
        assert (p.birthdate, p.level, p.status, p.vssid_account) == (
            dt.date(1990, 3, 4),
            2,
            "active",
            None,
        )

    @pytest.mark.parametrize(
        ("bad", "where", "says"),
        [
            (_entry(personal_id="12345"), "personas[1].personal_id", "12 ASCII digits"),
            (_entry(personal_id=1090123456), "personas[1].personal_id", "quote it"),
            (_entry(gender="female"), "personas[1].personal_id", "says born 1990, male"),
            (_entry(birthdate="1991-03-04"), "personas[1].personal_id", "says born 1990"),
            (_entry(level=3), "personas[1].level", "one of 1, 2"),
            (_entry(level=True), "personas[1].level", "one of 1, 2"),
            (_entry(status="gone"), "personas[1].status", "'active', 'locked'"),
            (_entry(passcode=123456), "personas[1].passcode", "quote it"),
            (_entry(birthdate="04/03/1990"), "personas[1].birthdate", "YYYY-MM-DD"),
            (_entry(full_name=""), "personas[1].full_name", "non-empty"),
            (_entry(nickname="An"), "personas[1].nickname", "unknown key"),
            (_entry(passcode=_DROP), "personas[1].passcode", "is required"),
            (
                _entry(vssid_account={"bhxh_code": "1"}),
                "personas[1].vssid_account.bhxh_code",
                "10 digits",
            ),
            (
                _entry(vssid_account={"bhxh_code": "0123456789", "x": 1}),
                "personas[1].vssid_account.x",
                "unknown key",
            ),
            ("not a mapping", "personas[1].(entry)", "must be a mapping"),
        ],
    )
    def test_bad_entry_names_file_index_and_field(
        self, tmp_path: Path, bad: Any, where: str, says: str
    ) -> None:
        good = _entry(personal_id="002190000001", birthdate="1990-01-01", gender="female")
        path = _write(tmp_path / "bad.json", [good, bad])
        with pytest.raises(PersonaFileError) as info:
            load_personas(path)
        message = str(info.value)
        assert str(path) in message, message
        assert where in message, message
        assert says in message, message

    def test_duplicate_ids(self, tmp_path: Path) -> None:
        path = _write(tmp_path / "dup.json", [_entry(), _entry(full_name="Other")])
        with pytest.raises(
            PersonaFileError,
            match=r"personas\[1\]\.personal_id: duplicate "
            r"001090123456 \(already personas\[0\]\)",
        ):
            load_personas(path)

    @pytest.mark.parametrize(
        ("name", "text", "says"),
        [
            ("a.yaml", "personas: [unclosed", "not valid YAML"),
            # one line, the file's own line and column (PyYAML's text spans four lines)
            (
                "a.yaml",
                "personas:\n  - {a: 1\n[",
                "not valid YAML: line 3, column 1: did not find expected ',' or '}'",
            ),
            (
                "a.yaml",
                "personas:\n  - {personal_id: '001090123456'}\npersonas: []\n",
                "not valid YAML: line 3, column 1: "
                "the key 'personas' is given twice in one mapping",
            ),
            ("a.json", "{", "not valid JSON"),
            (
                "a.json",
                '{"personas": [{"personal_id": "1"}], "personas": []}',  # 0 citizens, ok
                "not valid JSON: the key 'personas' is given twice in one object; keep one",
            ),
            ("a.json", "[]", "expected a document {personas: [...]}"),
            ("a.json", '{"personas": {}}', "'personas' must be a list"),
            ("a.json", '{"personas": [], "extra": 1}', "unknown top-level keys ['extra']"),
            ("a.txt", "", "use .yaml, .yml or .json"),
        ],
    )
    def test_bad_documents(self, tmp_path: Path, name: str, text: str, says: str) -> None:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(PersonaFileError) as info:
            load_personas(path)
        assert str(path) in str(info.value)
        assert says in str(info.value)

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(PersonaFileError, match="cannot read"):
            load_personas(tmp_path / "none.yaml")


class TestAtomicSave:
    def test_failed_replace_keeps_old_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "p.json"
        save_personas(path, PersonaFactory(1).many(2))
        before = path.read_bytes()

        def boom(src: str, dst: Path) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(os, "replace", boom)
        with pytest.raises(PersonaFileError, match=r"old file is unchanged.*disk full"):
            save_personas(path, PersonaFactory(2).many(3))
        assert path.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]

    def test_a_missing_folder_is_named(self, tmp_path: Path) -> None:
        with pytest.raises(
            PersonaFileError,
            match=r"the folder .*nodir does not exist; "
            r"create the folder first",
        ):
            save_personas(tmp_path / "nodir" / "p.yaml", PersonaFactory(1).many(1))
        assert list(tmp_path.iterdir()) == []

    def test_no_old_file_is_promised_when_there_was_none(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def boom(src: str, dst: Path) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "replace", boom)
        with pytest.raises(PersonaFileError) as refused:
            save_personas(tmp_path / "new.yaml", PersonaFactory(1).many(1))
        assert "old file" not in str(refused.value)
        assert "No space left on device" in str(refused.value)
        assert list(tmp_path.iterdir()) == []

    def test_failed_write_keeps_old_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "p.yaml"
        save_personas(path, PersonaFactory(1).many(2))
        before = path.read_bytes()

        def boom(fd: int) -> None:
            raise OSError("I/O error")

        monkeypatch.setattr(os, "fsync", boom)
        with pytest.raises(PersonaFileError):
            save_personas(path, PersonaFactory(2).many(3))
        assert path.read_bytes() == before
        assert [p.name for p in tmp_path.iterdir()] == ["p.yaml"]

    def test_duplicates_refused_before_writing(self, tmp_path: Path) -> None:
        path = tmp_path / "p.json"
        save_personas(path, [])
        p = PersonaFactory(1).new()
        with pytest.raises(PersonaFileError, match="duplicate"):
            save_personas(path, [p, p])
        assert load_personas(path) == []


def test_a_yaml_persona_file_quotes_every_string_of_digits(tmp_path: Path) -> None:
    """YAML 1.2 readers (JavaScript's ``yaml``, Go's) read a plain ``075176934973`` as a
    number and drop its leading zero; PyYAML (YAML 1.1) wrote it plain when it held an 8 or
    a 9. Every id, code and numeric passcode is quoted, and the file reads back the same."""
    import re as _re

    from harness.personas import load_personas, save_personas

    citizens = PersonaFactory("quoting").many(200)
    path = tmp_path / "p.yaml"
    save_personas(path, citizens)
    text = path.read_text(encoding="utf-8")
    plain_numbers = _re.findall(r"^\s*-?\s*\w+: ([0-9][0-9_.eE+-]*)$", text, _re.MULTILINE)
    assert plain_numbers == [] or all(n in ("2", "1") for n in plain_numbers), plain_numbers
    assert "personal_id: '0" in text
    assert load_personas(path) == citizens


def test_a_generated_middle_name_never_marks_the_other_sex() -> None:
    """Faker's vi_VN middle names mix "Văn" (a man) and "Thị" (a woman): a male
    "Phạm Thị Minh" came out."""
    factory = PersonaFactory(11)
    people = factory.many(2000)
    middles = {(p.gender, p.full_name.split()[1]) for p in people}
    assert ("male", "Thị") not in middles
    assert ("female", "Văn") not in middles
    assert ("male", "Văn") in middles  # both still drawn
    assert ("female", "Thị") in middles
