"""Persona files: what ``personas check`` accepts, ``serve`` loads, and nothing is silently
lost (one VssID account per ``bhxh_code``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from harness.cli import app
from harness.errors import PersonaFileError
from harness.personas import PersonaFactory, VssIDAccount, load_personas, save_personas
from harness.protocol import ProtocolError
from mock_providers.vneid import PersonaRecord
from mock_providers.vssid import AccountRecord

runner = CliRunner()
LONGEST_NAME = 200  # PersonaRecord and AccountRecord (mock_providers) store no longer one


def _entry(personal_id: str, bhxh_code: str | None, **changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "personal_id": personal_id,
        "full_name": "Nguyễn Văn An",
        "birthdate": "1990-03-04",
        "gender": "male",
        "passcode": "012345",
        "vssid_account": None if bhxh_code is None else {"bhxh_code": bhxh_code},
    }
    entry.update(changes)
    return entry


def _write(path: Path, entries: list[Any]) -> Path:
    path.write_text(json.dumps({"personas": entries}, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_shared_bhxh_code_is_refused_naming_both_entries(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "dup.json",
        [
            _entry("001090123456", "1111111111"),
            _entry("001090123457", None),
            _entry("001090123458", "1111111111"),
        ],
    )
    with pytest.raises(PersonaFileError) as refused:
        load_personas(path)
    assert str(refused.value) == (
        f"{path}: personas[2].vssid_account.bhxh_code: duplicate 1111111111 (already "
        "personas[0]); give each entry its own bhxh_code"
    )


@pytest.mark.parametrize("birthdate", ["19900304", "1990-W09-7", "1990-063", "\uff11990-03-04"])
def test_a_birthdate_is_written_yyyy_mm_dd(tmp_path: Path, birthdate: str) -> None:
    """Python 3.11's date.fromisoformat read 19900304 and the week date 1990-W09-7 (a
    Sunday, 1990-03-04): the file's rule, and the providers' records', is YYYY-MM-DD."""
    path = _write(tmp_path / "p.json", [_entry("001090123456", None, birthdate=birthdate)])
    with pytest.raises(PersonaFileError) as refused:
        load_personas(path)
    assert str(refused.value) == (
        f"{path}: personas[0].birthdate: must be a date 'YYYY-MM-DD', got {birthdate!r}"
    )


def test_personas_check_refuses_a_shared_bhxh_code(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "dup.json",
        [_entry("001090123456", "1111111111"), _entry("001090123458", "1111111111")],
    )
    result = runner.invoke(app, ["personas", "check", str(path)], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "personas[1].vssid_account.bhxh_code: duplicate 1111111111" in result.output


def test_save_refuses_a_shared_bhxh_code_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    save_personas(path, [])
    factory = PersonaFactory(5)
    people = [factory.new(vssid_account=VssIDAccount("2222222222")) for _ in range(2)]
    with pytest.raises(
        PersonaFileError,
        match=r"personas\[1\]\.vssid_account\.bhxh_code: "
        r"duplicate 2222222222",
    ):
        save_personas(path, people)
    assert load_personas(path) == []


@pytest.mark.parametrize(
    ("full_name", "says"),
    [
        ("A" * (LONGEST_NAME + 1), "is 201 characters; at most 200"),
        ("Nguyễn\tVăn An", "contains U+0009 (a control character) at character 7"),
        ("Nguyễn Văn\nAn", "contains U+000A (a control character) at character 11"),
        # a review: line breaks and controls beyond C0, and blank names, passed here and in the
        # VNeID records, which put a blank `name` in ID tokens and split the check's table rows
        ("Nguyễn\x85Văn", "contains U+0085 (a control character) at character 7"),
        ("Nguyễn\u2028Văn", "contains U+2028 (LINE SEPARATOR) at character 7"),
        ("Nguyễn \u202eVăn", "contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 8"),
        ("Nguyễn\uffff", "contains U+FFFF (a noncharacter) at character 7"),
        ("Nguyễn\U0010ffff", "contains U+10FFFF (a noncharacter) at character 7"),
        ("Nguyễn \U0001fffe", "contains U+1FFFE (a noncharacter) at character 8"),
        ("\u3000 ", "has nothing visible in it"),
        ("\u200b", "has nothing visible in it"),
    ],
)
def test_personas_check_refuses_a_full_name_serve_refuses(
    tmp_path: Path, full_name: str, says: str
) -> None:
    path = _write(
        tmp_path / "names.json",
        [_entry("001090123456", "1111111111"), _entry("001090123458", None, full_name=full_name)],
    )
    with pytest.raises(PersonaFileError) as refused:
        load_personas(path)
    assert str(refused.value).startswith(f"{path}: personas[1].full_name: {says}")
    result = runner.invoke(app, ["personas", "check", str(path)], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert f"personas[1].full_name: {says}" in result.output


def test_the_full_name_limits_are_those_of_the_providers(tmp_path: Path) -> None:
    """What ``personas check`` passes, the providers' records take, and the other way round."""
    from harness.personas import MAX_FULL_NAME

    assert MAX_FULL_NAME == LONGEST_NAME
    longest = "Nguyễn " + "A" * (MAX_FULL_NAME - 7)
    path = _write(tmp_path / "ok.json", [_entry("001090123456", "1111111111", full_name=longest)])
    (persona,) = load_personas(path)
    PersonaRecord.from_json(persona.to_vneid_json())
    AccountRecord.from_json(persona.to_vssid_account_json())
    for refused in ("A" * (MAX_FULL_NAME + 1), "A\tB"):
        with pytest.raises(ProtocolError):
            PersonaRecord.from_json({**persona.to_vneid_json(), "full_name": refused})
    with pytest.raises(ProtocolError):
        AccountRecord.from_json(
            {**(persona.to_vssid_account_json() or {}), "full_name": "A" * (MAX_FULL_NAME + 1)}
        )


_NAME_CHARS = st.characters(codec="utf-8") | st.sampled_from(
    " \t\n\x85\u00a0\u200b\u200e\u2028\u202e\u2066\u3000\ufeff\uffffAđ\u0323"
    "\U00020027\U0001fffe\U0010ffff\U0010fffd"
)


@given(st.text(alphabet=_NAME_CHARS, max_size=8))
def test_every_full_name_check_and_the_openapi_pattern_agree(name: str) -> None:
    """One rule (``full_name_problem``): a persona file, the VNeID record, the VssID account
    and the OpenAPI documents' pattern (what the fuzzing generates from) take the same
    names; before, each had its own and a name one took another refused. The pattern says
    nothing of the noncharacters beyond the BMP (U+1FFFE …), which the checks refuse."""
    import re
    import tempfile

    from harness.protocol import FULL_NAME_PATTERN, full_name_problem

    taken = []
    with tempfile.TemporaryDirectory() as folder:
        path = _write(
            Path(folder) / "p.json", [_entry("001090123456", "1111111111", full_name=name)]
        )
        try:
            (persona,) = load_personas(path)
        except PersonaFileError:
            taken.append(False)
            persona = load_personas(_write(path, [_entry("001090123456", "1111111111")]))[0]
        else:
            taken.append(True)
    for check in (
        lambda: PersonaRecord.from_json({**persona.to_vneid_json(), "full_name": name}),
        lambda: AccountRecord.from_json(
            {**(persona.to_vssid_account_json() or {}), "full_name": name}
        ),
    ):
        try:
            check()
        except ProtocolError:
            taken.append(False)
        else:
            taken.append(True)
    expected = (
        bool(name)
        and re.fullmatch(FULL_NAME_PATTERN, name) is not None
        and not any(ord(c) > 0xFFFF and ord(c) & 0xFFFE == 0xFFFE for c in name)
    )
    assert taken == [expected] * 3
    assert (full_name_problem(name) is None) == expected


def test_personas_check_refuses_more_accounts_than_serve_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mock_providers.vssid.accounts

    monkeypatch.setattr(mock_providers.vssid.accounts, "MAX_ACCOUNTS", 2)
    path = _write(
        tmp_path / "big.json",
        [
            _entry("001090123456", "1111111111"),
            _entry("001090123457", None),
            _entry("001090123458", "2222222222"),
            _entry("001090123459", "3333333333"),
        ],
    )
    result = runner.invoke(app, ["personas", "check", str(path)], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert result.output == (
        f"error: {path}: 3 VssID accounts, more than the 2 one serve holds; trim the file, or "
        "split it into files of at most 2 and serve each apart\n"
    )


def test_generate_force_over_a_link_replaces_the_file_it_names_and_keeps_its_mode(
    tmp_path: Path,
) -> None:
    """`personas generate --force` replaced a symbolic link with a file (the link's target,
    the team's shared persona file, kept the old personas) and made a 0644 file 0600."""
    shared = tmp_path / "team" / "personas.yaml"
    shared.parent.mkdir()
    factory = PersonaFactory(1)
    save_personas(shared, [factory.new(), factory.new()])
    shared.chmod(0o644)
    link = tmp_path / "personas.yaml"
    link.symlink_to(shared)
    done = CliRunner().invoke(
        app, ["personas", "generate", "-o", str(link), "--count", "3", "--seed", "7", "--force"]
    )
    assert done.exit_code == 0, done.output
    assert link.is_symlink()
    assert len(load_personas(shared)) == 3
    assert shared.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in shared.parent.iterdir()) == ["personas.yaml"]  # no temp left
    fresh = tmp_path / "new.yaml"
    save_personas(fresh, [])
    assert fresh.stat().st_mode & 0o777 == 0o600  # a new file holds passcodes: owner only


def test_generate_without_force_never_overwrites_a_file_that_appeared_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`generate` looked for the file before it made the personas (10,000 take ~4 s) and
    replaced whatever was there by then: a hand-edited file another job wrote meanwhile."""
    import harness.personas as personas_module

    target = tmp_path / "team.yaml"
    real_dump = personas_module._dump

    def slow_dump(*args: Any) -> str:
        text = real_dump(*args)
        target.write_text("my hand-edited team personas\n", encoding="utf-8")  # meanwhile
        return text

    monkeypatch.setattr(personas_module, "_dump", slow_dump)
    done = CliRunner().invoke(app, ["personas", "generate", "-o", str(target), "--count", "3"])
    assert done.exit_code == 2, done.output
    assert (
        "exists (it appeared while the personas were being written); nothing was "
        "overwritten" in " ".join(done.output.split())
    )
    assert target.read_text(encoding="utf-8") == "my hand-edited team personas\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team.yaml"]  # no temp left
    forced = CliRunner().invoke(
        app, ["personas", "generate", "-o", str(target), "--count", "3", "--force"]
    )
    assert forced.exit_code == 0, forced.output
    assert len(load_personas(target)) == 3


def test_save_without_overwrite_writes_a_new_file_whole_and_private(tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    save_personas(path, PersonaFactory(2).many(2), overwrite=False)
    assert len(load_personas(path)) == 2
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.stat().st_nlink == 1  # the temp file's name is gone
    with pytest.raises(PersonaFileError, match="nothing was overwritten"):
        save_personas(path, PersonaFactory(3).many(1), overwrite=False)
    assert len(load_personas(path)) == 2


def test_without_hard_links_a_write_that_fails_leaves_no_half_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a file system without hard links the new file is created exclusively and copied
    into; a full disk then left a truncated file, which the next generate refused to
    replace ("exists")."""
    import errno
    import os

    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    real_fsync = os.fsync
    target = tmp_path / "people.json"

    def full(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}") == str(target):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "link", no_links)
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(PersonaFileError, match="No space left on device"):
        save_personas(target, PersonaFactory(4).many(3), overwrite=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    monkeypatch.setattr(os, "fsync", real_fsync)
    save_personas(target, PersonaFactory(4).many(3), overwrite=False)  # linkless, whole
    assert len(load_personas(target)) == 3


def test_the_full_name_pattern_is_read_alike_by_schemathesis_and_ecma_262() -> None:
    """The pattern held a range of lone surrogates: ``jsonschema_rs`` (Schemathesis's
    validator, Rust) called it no regex and so enforced none of it, and ECMA-262 without
    the ``u`` flag refused every name with a character beyond U+FFFF."""
    import json
    import shutil
    import subprocess

    from schemathesis.core.jsonschema import matches_pattern

    from harness.protocol import FULL_NAME_PATTERN, full_name_problem

    names = [
        "Nguyễn Thị Đường",
        "Nguyễn 𠀧",
        "𠀧",
        "An\n",
        "A\u202eB",
        " \u200b",
        "A\x85B",
        "\ufeffAn",
    ]
    expected = [full_name_problem(name) is None for name in names]
    assert expected == [True, True, True, False, False, False, False, True]
    assert [matches_pattern(FULL_NAME_PATTERN)(name) for name in names] == expected
    assert full_name_problem("A\ud840B") is not None  # refused, though the pattern is silent
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node to read the pattern as ECMA-262")
    script = (
        "const [p, names] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(['', 'u'].map(f => names.map(n => "
        "new RegExp(p, f).test(n)))))"
    )
    out = subprocess.run(
        [node, "-e", script],
        input=json.dumps([FULL_NAME_PATTERN, names]),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    assert json.loads(out) == [expected, expected]
