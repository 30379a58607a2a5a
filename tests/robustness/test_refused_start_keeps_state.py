"""A ``serve`` that refuses to start leaves the user's state file byte for byte as it was: the
bulk load of a persona file is written once, at its end, and not at all when it fails; and one
serve at a time holds a state file (a second would overwrite the first one's changes)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.personas import PersonaFactory, save_personas
from harness.serve import build_served
from mock_providers.state import STATE_FORMAT, StateFile, StateFileError
from mock_providers.vneid import PersonaRecord, VNeIDProvider
from tests.robustness.served_pair import ServeProcess, pair_in_thread

STORED = {
    "personal_id": "001090000001",
    "passcode": "OLD-PASSCODE",
    "level": 2,
    "full_name": "Nguyen Van A",
    "birthdate": "1990-01-01",
    "gender": "male",
    "status": "active",
}
STATE = {
    "format": STATE_FORMAT,
    "sections": {
        "vneid": {"personas": [STORED], "clients": []},
        "vssid": {
            "accounts": [
                {
                    "bhxh_code": "1111111111",
                    "personal_id": "001090000001",
                    "full_name": "Nguyen Van A",
                    "status": "active",
                }
            ]
        },
    },
}
PERSONAS = """personas:
- {personal_id: '001090000003', full_name: Tran Van B, birthdate: '1990-02-02', gender: male,
   passcode: '222222', vssid_account: {bhxh_code: '2222222222'}}
- {personal_id: '001090000001', full_name: Nguyen Van A, birthdate: '1990-01-01', gender: male,
   passcode: '999999', level: 1, vssid_account: {bhxh_code: '3333333333'}}
"""


def test_a_failed_deferred_load_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(STATE), encoding="utf-8")
    before = path.read_bytes()
    state = StateFile(path)
    vneid = VNeIDProvider(state=state)
    record = PersonaRecord.from_json(PersonaFactory("x").new().to_vneid_json())

    def half_a_load() -> None:
        with state.deferred():
            vneid.add_persona(record)
            raise RuntimeError("the bulk load failed half-way")

    with pytest.raises(RuntimeError):
        half_a_load()
    assert path.read_bytes() == before
    assert state.writes == 0


def test_a_completed_deferred_load_is_written_once(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = StateFile(path)
    vneid = VNeIDProvider(state=state)
    with state.deferred():
        for person in PersonaFactory("y").many(3):
            vneid.add_persona(PersonaRecord.from_json(person.to_vneid_json()))
    assert state.writes == 1
    saved = json.loads(path.read_text(encoding="utf-8"))["sections"]["vneid"]["personas"]
    assert len(saved) == 3


def test_a_refused_serve_leaves_the_state_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(STATE), encoding="utf-8")
    before = path.read_bytes()
    personas = tmp_path / "people.yaml"
    personas.write_text(PERSONAS, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        build_served(0, 0, personas_file=personas, state_file=path)
    message = str(refused.value)
    assert path.read_bytes() == before
    assert f"{personas}: personas[1].vssid_account.bhxh_code: 3333333333" in message
    assert "already has the VssID account 1111111111 in the state file" in message
    assert "give this entry bhxh_code 1111111111, or remove the entry" in message
    assert "delete" not in message.lower()  # no server is running to call DELETE on


def test_a_start_refused_after_binding_frees_both_ports_and_the_state_file(
    tmp_path: Path,
) -> None:
    """A persona file refused once both ports are bound and the state file is locked: both
    sockets are closed and the lock released, so the user can fix the file and start again
    on the same ports at once."""
    path = tmp_path / "state.json"
    path.write_text(json.dumps(STATE), encoding="utf-8")
    personas = tmp_path / "people.yaml"
    personas.write_text(PERSONAS, encoding="utf-8")
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    with pytest.raises(ConfigError, match="already has the VssID account"):
        build_served(ports[0], ports[1], personas_file=personas, state_file=path)
    assert not (tmp_path / ".state.json.lock").exists()
    StateFile(path, exclusive=True).close()
    for port in ports:  # no socket left listening: each binds again
        with socket.socket() as again:
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", port))
            again.listen()


def test_a_stored_account_is_never_given_to_another_person(tmp_path: Path) -> None:
    """P-1 the other way round: an entry whose bhxh_code is another person's stored account
    would replace that account without a word; the start is refused, the file unchanged."""
    path = tmp_path / "state.json"
    path.write_text(json.dumps(STATE), encoding="utf-8")
    before = path.read_bytes()
    personas = tmp_path / "people.yaml"
    personas.write_text(
        """personas:
- {personal_id: '001090000003', full_name: Tran Van B, birthdate: '1990-02-02', gender: male,
   passcode: '222222', vssid_account: {bhxh_code: '1111111111'}}
""",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as refused:
        build_served(0, 0, personas_file=personas, state_file=path)
    assert path.read_bytes() == before
    assert (
        f"{personas}: personas[0].vssid_account.bhxh_code: 1111111111 is already the "
        "VssID account of personal_id 001090000001 in the state file"
    ) in str(refused.value)


def test_an_exclusive_state_file_is_refused_while_another_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    first = StateFile(path, exclusive=True)
    try:
        with pytest.raises(StateFileError) as refused:
            StateFile(path, exclusive=True)
        assert str(refused.value) == (
            f"state file {path} is in use by another vneid-harness serve (pid {os.getpid()}, "
            f"which holds {tmp_path / '.state.json.lock'}); stop that serve first, or give "
            "this one a state file of its own"
        )
        StateFile(path).close()  # the Python API without exclusive=True does not lock
    finally:
        first.close()
    StateFile(path, exclusive=True).close()  # released: the next one may take it


def test_a_second_serve_on_one_state_file_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with pair_in_thread(state_file=path) as pair:
        pair.vneid.add_persona(PersonaRecord.from_json(PersonaFactory("z").new().to_vneid_json()))
        before = path.read_bytes()
        people = tmp_path / "people.yaml"
        save_personas(people, PersonaFactory("w").many(2))
        with pytest.raises(ConfigError, match=r"is in use by another vneid-harness serve"):
            build_served(0, 0, state_file=path, personas_file=people)
        assert path.read_bytes() == before
    with pair_in_thread(state_file=path) as again:  # the first one released it on exit
        assert len(again.vneid.personas()) == 1


def test_two_serve_processes_on_one_state_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with ServeProcess("--state", str(path)) as first:
        assert first.proc is not None
        with pytest.raises(AssertionError) as refused, ServeProcess("--state", str(path)):
            pass
        assert (
            f"error: state file {path} is in use by another vneid-harness serve (pid "
            f"{first.proc.pid}"
        ) in str(refused.value).replace("\n", "")
    with ServeProcess("--state", str(path)):  # stopped: the file is free again
        pass
