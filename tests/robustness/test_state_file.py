"""Nothing lost: personas, accounts and client registrations survive a restart when a state
file is configured (written atomically on every change, restored on start); concurrent
control-API writes leave one consistent state, in memory and on disk."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.personas import PersonaFactory
from harness.protocol import ProtocolError
from mock_providers.state import STATE_FORMAT, StateFile, StateFileError
from mock_providers.vneid import ClientRecord, PersonaRecord, VNeIDProvider
from mock_providers.vssid import AccountRecord, VssIDProvider
from tests.robustness.served_pair import ServeProcess, pair_in_thread

CLIENT = {
    "client_id": "vendor-rp",
    "client_secret": "vendor-secret",
    "redirect_uris": ["https://rp.example.test/cb"],
    "token_endpoint_auth_method": "client_secret_post",
}


def _persona(seed: str) -> dict[str, Any]:
    return PersonaFactory(seed).new().to_vneid_json()


def _account(seed: str) -> dict[str, Any]:
    account = PersonaFactory(seed).new().to_vssid_account_json()
    assert account is not None
    return account


def test_python_api_restores_personas_clients_accounts_and_subjects(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = StateFile(path)
    vneid, vssid = VNeIDProvider(state=state), VssIDProvider(state=state)
    persona = vneid.add_persona(PersonaRecord.from_json(_persona("a")))
    vneid.register_client(ClientRecord.from_json(CLIENT))
    account = vssid.add_account(AccountRecord.from_json(_account("a")))
    sub = vneid.grants.subjects.sub("vendor-rp", persona.personal_id)
    assert state.writes == 3

    again = StateFile(path)
    vneid2, vssid2 = VNeIDProvider(state=again), VssIDProvider(state=again)
    assert vneid2.persona(persona.personal_id) == persona  # passcode kept, not redacted
    assert vneid2.client("vendor-rp") == vneid.client("vendor-rp")
    assert vneid2.client("vssid") is not None
    assert vssid2.accounts() == [account]
    # T-3: "sub stable per person and client", also across a restart.
    assert vneid2.grants.subjects.sub("vendor-rp", persona.personal_id) == sub

    assert vneid2.remove_persona(persona.personal_id)
    assert vssid2.remove_account(account.bhxh_code)
    third = StateFile(path)
    assert VNeIDProvider(state=third).persona(persona.personal_id) is None
    assert VssIDProvider(state=third).accounts() == []


def test_a_section_nobody_attached_is_kept_on_write(tmp_path: Path) -> None:
    """A Python-API user serving VNeID alone must not wipe the VssID accounts of the file."""
    path = tmp_path / "state.json"
    account = VssIDProvider(state=StateFile(path)).add_account(
        AccountRecord.from_json(_account("kept"))
    )
    VNeIDProvider(state=StateFile(path)).add_persona(PersonaRecord.from_json(_persona("new")))
    assert VssIDProvider(state=StateFile(path)).accounts() == [account]


def test_a_rotated_client_secret_stands_on_both_sides_after_a_restart(tmp_path: Path) -> None:
    """VNeID kept the new secret of the vssid client, VssID went back to its default: every
    login after a restart failed with invalid_client. The issuer stays out of the file."""
    path = tmp_path / "state.json"
    state = StateFile(path)
    vneid, vssid = VNeIDProvider(state=state), VssIDProvider(state=state)
    registered = vneid.client("vssid")
    assert registered is not None
    vneid.register_client(
        ClientRecord.from_json({**registered.to_json(), "client_secret": "rotated-secret-1"})
    )
    vssid.configure(client_secret="rotated-secret-1", issuer="http://127.0.0.1:9999")
    assert json.loads(path.read_text())["sections"]["vssid"]["client"] == {
        "client_secret": "rotated-secret-1"
    }

    again = StateFile(path)
    VNeIDProvider(state=again)
    restored = VssIDProvider(state=again)
    assert restored.settings.client_secret == "rotated-secret-1"
    assert restored.settings.issuer != "http://127.0.0.1:9999"

    path.write_text(
        json.dumps(
            {
                "format": STATE_FORMAT,
                "sections": {"vssid": {"accounts": [], "client": {"issuer": "http://elsewhere"}}},
            }
        )
    )
    with pytest.raises(StateFileError, match="'client' must be an object of client_id"):
        VssIDProvider(state=StateFile(path))


def test_a_state_file_of_another_profile_keeps_the_profiles_callbacks(tmp_path: Path) -> None:
    """Served under a profile whose callback differs from the one the state file was written
    under, the VssID client has this profile's redirect URIs (and keeps the stored ones)."""
    from harness.protocol import DEFAULT_PROFILE
    from mock_providers.vneid import VNeIDSettings

    path = tmp_path / "state.json"
    vneid = VNeIDProvider(state=StateFile(path))
    vneid.register_client(ClientRecord.from_json(CLIENT))  # written under the defaults
    profile = DEFAULT_PROFILE.evolve(callback_path="/oauth/return")
    again = VNeIDProvider(VNeIDSettings(profile=profile), state=StateFile(path))
    client = again.client("vssid")
    assert client is not None
    assert client.redirect_uris == (
        *profile.vssid_redirect_uris,
        *DEFAULT_PROFILE.vssid_redirect_uris,
    )
    assert again.client("vendor-rp") == vneid.client("vendor-rp")
    same = VNeIDProvider(VNeIDSettings(profile=profile), state=StateFile(path))
    assert same.client("vssid") == client


def test_under_the_same_profile_a_re_registered_client_stands(tmp_path: Path) -> None:
    """§11 replaces a client registered again: the VssID client with the https callback only
    is restored so, not given the profile's other callback back."""
    from harness.protocol import DEFAULT_PROFILE

    path = tmp_path / "state.json"
    vneid = VNeIDProvider(state=StateFile(path))
    only_https = (DEFAULT_PROFILE.callback_https,)
    vneid.register_client(ClientRecord("vssid", only_https, "client_secret_basic", "s" * 32))
    again = VNeIDProvider(state=StateFile(path))
    client = again.client("vssid")
    assert client is not None
    assert client.redirect_uris == only_https


def test_a_merge_past_the_redirect_uri_limit_is_refused(tmp_path: Path) -> None:
    from harness.protocol import DEFAULT_PROFILE
    from mock_providers.vneid import VNeIDSettings
    from mock_providers.vneid.records import MAX_REDIRECT_URIS

    path = tmp_path / "state.json"
    vneid = VNeIDProvider(state=StateFile(path))
    uris = tuple(f"https://rp.example.test/cb/{n}" for n in range(MAX_REDIRECT_URIS))
    vneid.register_client(ClientRecord("vssid", uris, "client_secret_basic", "s" * 32))
    before = path.read_bytes()
    profile = DEFAULT_PROFILE.evolve(callback_path="/oauth/return")
    with pytest.raises(StateFileError, match="more than 20: remove some"):
        VNeIDProvider(VNeIDSettings(profile=profile), state=StateFile(path))
    assert path.read_bytes() == before


def test_a_state_file_behind_a_symlink_is_written_through_it(tmp_path: Path) -> None:
    """The link stays a link (the file it names is replaced, beside itself), and a second
    serve reaching the same file through the link is refused by the same lock."""
    (tmp_path / "persist").mkdir()
    real = tmp_path / "persist" / "state.json"
    link = tmp_path / "state.json"
    link.symlink_to(real)
    state = StateFile(link, exclusive=True)
    VNeIDProvider(state=state).add_persona(PersonaRecord.from_json(_persona("s")))
    assert link.is_symlink()
    assert json.loads(real.read_text())["sections"]
    with pytest.raises(StateFileError, match="lock"):
        StateFile(real, exclusive=True)


def test_a_removed_lock_file_lets_no_second_serve_overwrite_the_first(tmp_path: Path) -> None:
    """The lock file stays behind and looks like litter: removed, a second serve took the
    same state file, and each overwrote the other's changes (a persona added with a 200 was
    gone after both stopped). The first serve's next write takes the lock again when it is
    free, and is refused (503, kept in memory) when another serve holds it."""
    path = tmp_path / "state.json"
    lock = tmp_path / ".state.json.lock"
    first = StateFile(path, exclusive=True)
    vneid = VNeIDProvider(state=first)
    vneid.add_persona(PersonaRecord.from_json(_persona("f")))
    lock.unlink()
    vneid.add_persona(PersonaRecord.from_json(_persona("g")))  # free: taken again
    assert lock.exists()
    with pytest.raises(StateFileError, match="in use by another"):
        StateFile(path, exclusive=True)
    lock.unlink()
    second = StateFile(path, exclusive=True)  # a second serve, the lock file gone
    VNeIDProvider(state=second).add_persona(PersonaRecord.from_json(_persona("h")))
    with pytest.raises(ProtocolError) as refused:
        vneid.add_persona(PersonaRecord.from_json(_persona("i")))
    err = refused.value
    assert (err.code, err.status, err.clause) == ("temporarily_unavailable", 503, "S-6")
    assert "was removed while this serve held it" in err.description
    assert "in use by another vneid-harness serve" in err.description
    names = [
        p["personal_id"] for p in json.loads(path.read_text())["sections"]["vneid"]["personas"]
    ]
    assert len(names) == 3, "the second serve's file holds f, g and h; i was refused"
    second.close()
    # the second serve gone, the lock is free again: the first still must not write its
    # own memory (f, g, i) over the file the second left (f, g, h)
    with pytest.raises(ProtocolError) as refused:
        vneid.add_persona(PersonaRecord.from_json(_persona("j")))
    assert "another serve wrote the file meanwhile" in refused.value.description
    names = [
        p["personal_id"] for p in json.loads(path.read_text())["sections"]["vneid"]["personas"]
    ]
    assert len(names) == 3
    # nor at its next change, nor at its stop (the lock is its own again by then)
    with pytest.raises(ProtocolError, match="another serve wrote the file meanwhile"):
        vneid.add_persona(PersonaRecord.from_json(_persona("k")))
    said = first.write_pending()
    assert said is not None
    assert "are lost with this serve" in said
    assert "another serve wrote the file meanwhile" in said
    assert [
        p["personal_id"] for p in json.loads(path.read_text())["sections"]["vneid"]["personas"]
    ] == names
    first.close()


def test_a_symlink_loop_is_a_state_file_error(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(StateFileError, match="cannot be followed"):
        StateFile(tmp_path / "a")
    # a file under the loop too (Python 3.13's resolve() returns such paths as they are)
    with pytest.raises(StateFileError, match="cannot be followed"):
        StateFile(tmp_path / "a" / "state.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # nothing left beside


def test_the_file_is_private_and_replaced_atomically(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = StateFile(path)
    vneid = VNeIDProvider(state=state)
    vneid.add_persona(PersonaRecord.from_json(_persona("b")))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds passcodes and secrets
    inode = path.stat().st_ino
    vneid.add_persona(PersonaRecord.from_json(_persona("c")))
    assert path.stat().st_ino != inode  # a new file renamed over the old, never rewritten
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary left
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == STATE_FORMAT
    assert len(data["sections"]["vneid"]["personas"]) == 2


def test_a_failed_write_keeps_the_old_file_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = StateFile(path)
    vneid = VNeIDProvider(state=state)
    vneid.add_persona(PersonaRecord.from_json(_persona("d")))
    before = path.read_bytes()
    # The temporary file's name taken by a folder: the write fails, as on a full disk.
    (tmp_path / f".state.json.{os.getpid()}.tmp").mkdir()
    with pytest.raises(ProtocolError) as failed:
        vneid.add_persona(PersonaRecord.from_json(_persona("e")))
    err = failed.value
    assert (err.code, err.status) == ("temporarily_unavailable", 503)
    assert "could not be written" in err.description
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "is not valid JSON"),
        (b"\xff\xfe", "is not valid JSON"),
        (b'{"sections": {}}', "is not a vneid-harness state file"),
        # a section given twice: the first was dropped, and gone from the file at the start
        (
            b'{"format": "%s", "sections": {"vneid": {"personas": []}, "vneid": {"personas": []}}}'
            % STATE_FORMAT.encode(),
            "the key 'vneid' is given twice in one object; keep one",
        ),
        (json.dumps({"format": STATE_FORMAT}).encode(), 'has no "sections" object'),
        (
            json.dumps(
                {
                    "format": STATE_FORMAT,
                    "sections": {"vneid": {"personas": [{"personal_id": "123"}]}},
                }
            ).encode(),
            "section 'vneid' holds an invalid record",
        ),
        (
            json.dumps({"format": STATE_FORMAT, "sections": {"vssid": {"accounts": "x"}}}).encode(),
            "section 'vssid' holds an invalid record",
        ),
        # two records of one citizen: the last won, and the first was gone at the next write
        (
            json.dumps(
                {
                    "format": STATE_FORMAT,
                    "sections": {
                        "vneid": {
                            "personas": [_persona("twice"), {**_persona("twice"), "level": 1}]
                        }
                    },
                }
            ).encode(),
            "is held twice; keep one of the two records",
        ),
        (
            json.dumps(
                {
                    "format": STATE_FORMAT,
                    "sections": {
                        "vssid": {
                            "accounts": [
                                _account("twice"),
                                {**_account("twice"), "status": "locked"},
                            ]
                        }
                    },
                }
            ).encode(),
            "is held twice; keep one of the two records",
        ),
        (
            b'{"format": "'
            + STATE_FORMAT.encode()
            + b'", "sections": {"vneid": {"x": '
            + b"9" * 5000
            + b"}}}",
            "a number has more than 4300 digits",
        ),
        (
            json.dumps(
                {"format": STATE_FORMAT, "sections": {"vneid": {"subject_secret": "zz" * 32}}}
            ).encode(),  # was Python's "non-hexadecimal number…"
            "subject_secret must be 64 hexadecimal digits, as serve wrote it; put back",
        ),
    ],
)
def test_a_corrupt_file_is_a_clear_error_and_is_not_overwritten(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)

    def start() -> None:
        state = StateFile(path)
        VNeIDProvider(state=state)
        VssIDProvider(state=state)

    with pytest.raises(StateFileError) as refused:
        start()
    assert problem in str(refused.value)
    assert "left as it is" in str(refused.value)
    assert path.read_bytes() == content


def test_serve_refuses_a_corrupt_state_file_and_leaves_it(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{half a file", encoding="utf-8")
    with (
        pytest.raises(AssertionError, match="is not valid JSON"),
        ServeProcess("--state", str(path)),
    ):
        pass
    assert path.read_text(encoding="utf-8") == "{half a file"


def test_served_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    persona, account = _persona("restart"), _account("restart")
    with ServeProcess("--state", str(path)) as first:
        for url, route, body in (
            (first.vneid, "/_harness/personas", persona),
            (first.vneid, "/_harness/clients", CLIENT),
            (first.vssid, "/_harness/accounts", account),
        ):
            httpx.post(f"{url}{route}", json=body, timeout=10).raise_for_status()
    assert first.proc is not None
    assert first.proc.returncode == 0
    assert f"state kept in {path}" in first.output.replace("\n", "")
    with ServeProcess("--state", str(path)) as second:
        personas = httpx.get(f"{second.vneid}/_harness/personas", timeout=10).json()
        clients = httpx.get(f"{second.vneid}/_harness/clients", timeout=10).json()
        accounts = httpx.get(f"{second.vssid}/_harness/accounts", timeout=10).json()
    assert persona["personal_id"] in {p["personal_id"] for p in personas["personas"]}
    assert "vendor-rp" in {c["client_id"] for c in clients["clients"]}
    assert accounts["accounts"] == [account]


def test_a_persona_file_over_changed_state_says_what_it_replaced(tmp_path: Path) -> None:
    """``--personas`` is loaded over ``--state``: a passcode, level or status changed through
    the control API went back to the file's at a restart, silently. The start now names the
    citizens the persona file replaced (the change itself is as documented)."""
    from harness.personas import save_personas

    path, people = tmp_path / "state.json", tmp_path / "people.yaml"
    kept, changed = PersonaFactory("replaced").many(2)
    save_personas(people, [kept, changed])
    args = ("--state", str(path), "--personas", str(people))
    with ServeProcess(*args) as first:
        httpx.post(
            f"{first.vneid}/_harness/personas",
            timeout=10,
            json={**changed.to_vneid_json(), "level": 1},
        ).raise_for_status()
    assert "replaced" not in first.output
    with ServeProcess(*args) as second:
        level = {
            p["personal_id"]: p["level"]
            for p in httpx.get(f"{second.vneid}/_harness/personas", timeout=10).json()["personas"]
        }
    said = " ".join(second.output.split())
    assert level[changed.personal_id] == 2, "the persona file's record, as documented"
    backup = tmp_path / "state.json.bak"
    assert (
        "warning: the persona file replaced 1 citizen(s) the state file held otherwise: "
        f"{changed.personal_id}. The persona file's records are served; the state file as "
        f"it was is in {backup}: to serve its records instead, stop, move that copy over "
        "the state file and start with --state alone"
    ) in said
    assert kept.personal_id not in said
    # the copy holds what the control API had changed (the state file, rewritten at the
    # start, no longer does), and it is as private as the state file
    held = json.loads(backup.read_text(encoding="utf-8"))["sections"]["vneid"]["personas"]
    assert {p["personal_id"]: p["level"] for p in held}[changed.personal_id] == 1
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    # a second start that replaces records again keeps the first copy: it may be the only one
    with ServeProcess(*args) as again:
        httpx.post(
            f"{again.vneid}/_harness/personas",
            timeout=10,
            json={**changed.to_vneid_json(), "level": 1},
        ).raise_for_status()
    with ServeProcess(*args) as last:
        pass
    assert f"is in {tmp_path / 'state.json.bak.1'}:" in " ".join(last.output.split())
    assert json.loads(backup.read_text(encoding="utf-8")) == json.loads(
        (tmp_path / "state.json.bak.1").read_text(encoding="utf-8")
    )  # both held level 1
    os.replace(backup, path)  # as the warning says
    with ServeProcess("--state", str(path)) as third:
        level = {
            p["personal_id"]: p["level"]
            for p in httpx.get(f"{third.vneid}/_harness/personas", timeout=10).json()["personas"]
        }
    assert level[changed.personal_id] == 1


async def _concurrent_writes(vneid: str, vssid: str, count: int) -> list[int]:
    factory = PersonaFactory("concurrent-writes")
    people = [factory.new() for _ in range(count)]
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=20)) as http:
        calls = []
        for i, person in enumerate(people):
            calls.append(http.post(f"{vneid}/_harness/personas", json=person.to_vneid_json()))
            calls.append(
                http.post(f"{vssid}/_harness/accounts", json=person.to_vssid_account_json())
            )
            # Two accounts for one person race: one account per personal_id (P-1) holds.
            rival = {**(person.to_vssid_account_json() or {}), "bhxh_code": f"{9_000_000_000 + i}"}
            calls.append(http.post(f"{vssid}/_harness/accounts", json=rival))
            calls.append(
                http.post(
                    f"{vneid}/_harness/clients",
                    json={**CLIENT, "client_id": f"rp-{i % 5}", "client_name": f"writer {i}"},
                )
            )
        responses = await asyncio.gather(*calls)
    return [r.status_code for r in responses]


def test_concurrent_control_writes_leave_one_consistent_state(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    count = 100
    with pair_in_thread(state_file=path) as pair:
        statuses = asyncio.run(_concurrent_writes(pair.vneid_url, pair.vssid_url, count))
        accounts = pair.vssid.accounts()
        personas = pair.vneid.personas()
        clients = {c.client_id: c for c in pair.vneid.clients()}
    assert statuses.count(200) == 3 * count  # persona, first account, client; rivals refused
    assert statuses.count(400) == count
    by_person: dict[str, list[str]] = {}
    for account in accounts:
        by_person.setdefault(account.personal_id, []).append(account.bhxh_code)
    assert len(by_person) == count
    assert all(len(v) == 1 for v in by_person.values())
    assert len(personas) == count
    assert sorted(c for c in clients if c.startswith("rp-")) == [f"rp-{i}" for i in range(5)]
    # The file holds exactly what memory holds (the last write saw every change before it).
    saved = json.loads(path.read_text(encoding="utf-8"))["sections"]
    assert sorted(a["bhxh_code"] for a in saved["vssid"]["accounts"]) == sorted(
        a.bhxh_code for a in accounts
    )
    assert len(saved["vneid"]["personas"]) == count
    assert {c["client_id"]: c["client_name"] for c in saved["vneid"]["clients"]} == {
        k: c.client_name for k, c in clients.items()
    }


def test_a_large_state_file_is_written_off_the_event_loop(tmp_path: Path) -> None:
    """Each change writes the whole file: with many personas that took long enough to stall
    both providers (they share one event loop). The write now runs on a worker thread while
    the change's own answer still waits for it."""
    import time

    factory = PersonaFactory("big-state")
    people = tmp_path / "people.json"
    from harness.personas import save_personas

    save_personas(people, factory.many(12_000, vssid_account=False))
    with pair_in_thread(state_file=tmp_path / "state.json", personas_file=people) as served:
        finished: list[str] = []

        async def race() -> None:
            async with httpx.AsyncClient(timeout=60) as client:

                async def change() -> None:
                    r = await client.post(
                        served.vneid_url + "/_harness/personas", json=factory.new().to_vneid_json()
                    )
                    assert r.status_code == 200, r.text
                    finished.append("change")

                async def discovery() -> None:
                    await asyncio.sleep(0.02)
                    r = await client.get(served.vneid_url + "/.well-known/openid-configuration")
                    assert r.status_code == 200
                    finished.append("discovery")

                await asyncio.gather(change(), discovery())

        started = time.perf_counter()
        asyncio.run(race())
        assert finished == ["discovery", "change"], time.perf_counter() - started
        assert (
            len(json.loads((tmp_path / "state.json").read_text())["sections"]["vneid"]["personas"])
            == 12_001
        )


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_a_state_path_that_is_no_regular_file_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    """A FIFO blocked the start for ever; /dev/null was refused but left a lock file in
    /dev. Now each is refused before anything is created beside it."""
    if kind == "fifo":
        path = tmp_path / "state.json"
        os.mkfifo(path)
        said = "a named pipe"
    elif kind == "folder":
        path = tmp_path / "state.json"
        path.mkdir()
        said = "a folder"
    else:
        path, said = Path("/dev/null"), "a device"
    with pytest.raises(StateFileError, match=f"is {said}; give the path of a regular file"):
        StateFile(path, exclusive=True)
    assert not path.with_name(f".{path.name}.lock").exists()


def test_setting_the_config_to_what_it_is_writes_nothing(tmp_path: Path) -> None:
    """Each test of a remote run restores VssID's config: with a state file that rewrote the
    whole file (and pinned the values in it) before every test."""
    path = tmp_path / "state.json"
    state = StateFile(path)
    vssid = VssIDProvider(state=state)
    settings = vssid.settings
    writes = state.writes
    for _ in range(3):
        vssid.configure(client_id=settings.client_id, redirect_uri=settings.redirect_uri)
    assert state.writes == writes
    assert not path.exists() or "client" not in json.loads(path.read_text())["sections"].get(
        "vssid", {}
    )


def test_a_record_posted_again_unchanged_writes_nothing(tmp_path: Path) -> None:
    """A soak: a load test's setup posts the same personas and accounts at every run, and
    each post rewrote the whole file (1.1 MB a time, 6.5 GB in 20 minutes). A change that
    leaves the file's bytes as they are writes nothing; a real change still does, and a file
    changed under the serve is written again."""
    path = tmp_path / "state.json"
    state = StateFile(path)
    vneid, vssid = VNeIDProvider(state=state), VssIDProvider(state=state)
    record = PersonaRecord.from_json(_persona("same"))
    account = AccountRecord.from_json(_account("same"))
    vneid.add_persona(record)
    vssid.add_account(account)
    writes, inode = state.writes, path.stat().st_ino
    for _ in range(3):
        vneid.add_persona(PersonaRecord.from_json(_persona("same")))
        vssid.add_account(AccountRecord.from_json(_account("same")))
    assert (state.writes, path.stat().st_ino) == (writes, inode)
    vneid.add_persona(PersonaRecord.from_json(_persona("other")))
    assert state.writes == writes + 1
    path.write_text(path.read_text(encoding="utf-8") + " ", encoding="utf-8")  # by hand
    vneid.add_persona(PersonaRecord.from_json(_persona("other")))  # not what it wrote: again
    assert state.writes == writes + 2
    assert len(StateFile(path).section("vneid")["personas"]) == 2


def test_changes_made_to_be_written_later_are_all_written_by_one_flush(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "state.json")
    vneid = VNeIDProvider(state=state)
    writes = state.writes
    with state.writing_later():
        for seed in ("x", "y"):
            vneid.add_persona(PersonaRecord.from_json(_persona(seed)))
    assert state.writes == writes  # counted, not written
    state.flush()
    state.flush()  # nothing new: no second write
    assert state.writes == writes + 1
    held = json.loads((tmp_path / "state.json").read_text())["sections"]["vneid"]["personas"]
    assert len(held) == 2


def test_a_stored_client_that_no_longer_validates_is_named(tmp_path: Path) -> None:
    """A state file written before client ids and secrets had to be printable ASCII: the
    start is refused (the file left as it is), naming the client and what to do."""
    path = tmp_path / "state.json"
    path.write_text(
        json.dumps(
            {
                "format": STATE_FORMAT,
                "sections": {
                    "vneid": {
                        "clients": [
                            {**CLIENT, "client_id": "legacy-rp", "client_secret": "mật-khẩu-bí-mật"}
                        ]
                    }
                },
            }
        )
    )
    before = path.read_bytes()
    with pytest.raises(
        StateFileError,
        match=r"client 'legacy-rp': 'client_secret' must be "
        r"printable ASCII.*remove it from the file",
    ):
        VNeIDProvider(state=StateFile(path))
    assert path.read_bytes() == before


def test_a_stopped_or_refused_serve_leaves_no_lock_file(tmp_path: Path) -> None:
    """The lock file stayed behind after every serve, and after a start refused for a busy
    port too (with no state file written): litter a user could not tell from a live lock."""
    import socket

    from harness.errors import ConfigError
    from harness.serve import build_served

    path = tmp_path / "state.json"
    lock = tmp_path / ".state.json.lock"
    state = StateFile(path, exclusive=True)
    assert lock.exists()
    state.close()
    assert not lock.exists()
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        with pytest.raises(ConfigError, match="cannot listen"):
            build_served(busy.getsockname()[1], 0, state_file=path)
    finally:
        busy.close()
    assert not lock.exists()
    again = StateFile(path, exclusive=True)  # and the next serve takes it as before
    with pytest.raises(StateFileError, match="in use by another"):
        StateFile(path, exclusive=True)
    again.close()


def test_a_lock_taken_on_a_removed_lock_file_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A serve stopping removes its lock file while another opens it: a lock on the removed
    file would lock nothing, and two serves would share the state file. The lock file is
    opened again until the lock is on the file the path names."""
    from mock_providers import state as state_module

    path = tmp_path / "state.json"
    lock = tmp_path / ".state.json.lock"
    real_lock_once = StateFile._lock_once
    calls: list[int] = []

    def lock_then_lose_the_race(self: StateFile, at: Path) -> int:
        fd = real_lock_once(self, at)
        calls.append(fd)
        if len(calls) == 1:
            at.unlink()  # what a stopping serve's close() does in that moment
        return fd

    monkeypatch.setattr(state_module.StateFile, "_lock_once", lock_then_lose_the_race)
    state = StateFile(path, exclusive=True)
    assert len(calls) == 2
    assert lock.exists()
    monkeypatch.undo()
    with pytest.raises(StateFileError, match="in use by another"):
        StateFile(path, exclusive=True)
    state.close()


def test_a_full_client_registry_the_provider_accepted_restores(tmp_path: Path) -> None:
    """The built-in vssid client removed, then 1,000 clients registered (each a 200): every
    start after that was refused ("holds 1000 clients … remove some first"), which the
    refused start left no way to do. What the provider accepted restores."""
    from mock_providers.vneid import provider as vneid_provider

    path = tmp_path / "state.json"
    state = StateFile(path)
    first = VNeIDProvider(state=state)
    assert first.remove_client("vssid")
    with state.deferred():  # one write at the end, not 1,000
        for index in range(vneid_provider.MAX_CLIENTS):
            first.register_client(
                ClientRecord(f"c{index}", ("https://rp.test/cb",), "client_secret_basic", "s" * 32)
            )
    restarted = VNeIDProvider(state=StateFile(path))
    ids = {c.client_id for c in restarted.clients()}
    assert {f"c{index}" for index in range(vneid_provider.MAX_CLIENTS)} <= ids
    with pytest.raises(ProtocolError, match="holds 1000 clients, its limit"):
        restarted.register_client(
            ClientRecord("one-more", ("https://rp.test/cb",), "client_secret_basic", "s" * 32)
        )


def test_changes_a_failed_write_kept_in_memory_are_written_at_the_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk: the changes were answered 503, kept in memory; space freed, the serve
    stopped with "stopped" and lost them. The stop writes them, or says they are lost."""
    path = tmp_path / "state.json"
    state = StateFile(path, exclusive=True)
    vneid = VNeIDProvider(state=state)
    real_replace = os.replace

    def disk_full(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(ProtocolError, match="could not be written"):
        vneid.add_persona(PersonaRecord.from_json(_persona("kept")))
    assert state.write_pending() is not None  # still full
    said = state.write_pending()
    assert said is not None
    assert "are lost with this serve (No space left on device)" in said
    monkeypatch.setattr(os, "replace", real_replace)  # space freed
    assert state.write_pending() is None
    kept = PersonaRecord.from_json(_persona("kept")).personal_id
    assert kept in {
        p["personal_id"] for p in json.loads(path.read_text())["sections"]["vneid"]["personas"]
    }
    assert state.write_pending() is None  # nothing pending any more
    state.close()


def test_serves_stop_says_what_a_failed_write_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The stop's warning, through ``run_servers`` itself (it was tested on ``StateFile``
    alone): a disk still full when serve stops says which changes are lost, on stderr, and
    the file and its lock are closed all the same."""
    from harness import serve
    from mock_providers import _served

    served = serve.build_served(0, 0, state_file=tmp_path / "state.json")
    assert (tmp_path / ".state.json.lock").exists()  # held while serving

    def disk_full(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    def a_run_that_stops(coroutine: Any, http: str) -> None:
        coroutine.close()  # never started: the serve "ran" and was stopped
        monkeypatch.setattr(os, "replace", disk_full)
        with pytest.raises(ProtocolError, match="could not be written"):
            served.vneid.add_persona(PersonaRecord.from_json(_persona("lost")))

    monkeypatch.setattr(_served, "run_loop", a_run_that_stops)
    serve.run_servers(served)
    said = capsys.readouterr().err
    assert said.startswith(
        "warning: changes made since the last write that failed are not in "
        f"the state file {tmp_path / 'state.json'}, and are lost with this "
        "serve (No space left on device)"
    ), said
    assert all(sock.fileno() == -1 for sock in served.sockets)
    assert not (tmp_path / ".state.json.lock").exists()
    assert served.lost is not None
    assert "No space left on device" in served.lost


def test_serve_exits_1_when_a_stop_lost_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A script or CI stopping serve took the stop for a clean one (exit 0) while the changes
    acknowledged 503 were lost."""
    from typer.testing import CliRunner

    from harness import serve
    from harness.cli import app

    def a_stop_that_lost_changes(served: Any, **_: Any) -> None:
        for sock in served.sockets:
            sock.close()
        served.state.close()
        served.lost = "changes made since the last write that failed are lost (disk full)"

    monkeypatch.setattr(serve, "run_servers", a_stop_that_lost_changes)
    done = CliRunner().invoke(
        app,
        [
            "serve",
            "--vneid-port",
            "0",
            "--vssid-port",
            "0",
            "--state",
            str(tmp_path / "state.json"),
        ],
    )
    assert done.exit_code == 1, done.output
    assert "stopped; changes were lost (see the warning above)" in done.output


def test_a_read_only_state_file_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    """``os.replace`` needs only the folder to be writable: a baseline made read-only was
    rewritten at the first change, and left ``0600``."""
    path = tmp_path / "state.json"
    vneid = VNeIDProvider(state=StateFile(path))
    vneid.add_persona(PersonaRecord.from_json(_persona("baseline")))
    before = path.read_bytes()
    path.chmod(0o444)
    with pytest.raises(StateFileError, match=r"is read-only \(mode 0444\).*chmod u\+w.*copy"):
        StateFile(path, exclusive=True)
    assert path.read_bytes() == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]  # no lock file left


def test_a_state_file_keeps_its_permissions_across_writes(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"format": STATE_FORMAT, "sections": {}}), encoding="utf-8")
    path.chmod(0o640)  # a team's choice: readable by its group
    vneid = VNeIDProvider(state=StateFile(path))
    vneid.add_persona(PersonaRecord.from_json(_persona("mode")))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_killed_serves_temporary_copies_are_removed_at_the_next_start(tmp_path: Path) -> None:
    """Each held the state, passcodes included, under the name of a pid no later write
    reuses: they piled up beside the file (30 kills left 2 to 6)."""
    path = tmp_path / "state.json"
    VNeIDProvider(state=StateFile(path)).add_persona(PersonaRecord.from_json(_persona("t")))
    left = [tmp_path / ".state.json.12090.tmp", tmp_path / ".state.json.bak.tmp"]
    for stale in left:
        stale.write_text("passcode 123456", encoding="utf-8")
    others = [tmp_path / ".state.json.mine.tmp", tmp_path / ".other.json.123.tmp"]
    for other in others:
        other.write_text("not a copy of this state file's", encoding="utf-8")
    shared = StateFile(path)  # not exclusive: another serve may be writing one
    assert all(stale.exists() for stale in left)
    state = StateFile(path, exclusive=True)
    try:
        assert not any(stale.exists() for stale in left)
        assert all(other.exists() for other in others)
    finally:
        state.close()
    del shared


def test_a_state_file_of_a_newer_format_names_the_version(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    content = json.dumps({"format": "vneid-harness-state/2", "sections": {}}).encode()
    path.write_bytes(content)
    with pytest.raises(
        StateFileError,
        match="written in format 'vneid-harness-state/2', and "
        "this vneid-harness reads 'vneid-harness-state/1': serve it with the "
        "version of the harness that wrote it",
    ):
        StateFile(path)
    assert path.read_bytes() == content


def test_a_lock_file_that_cannot_be_made_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / ".state.json.lock").symlink_to(tmp_path / "gone" / "lock")
    with pytest.raises(
        StateFileError,
        match=r"cannot be opened .*; give a state file in a "
        r"folder that exists and this user can write to",
    ):
        StateFile(tmp_path / "state.json", exclusive=True)


def test_a_state_file_an_editor_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Notepad's UTF-8 starts with a byte order mark: the file was "not valid JSON (Expecting
    value: line 1 column 1)", which named no mark."""
    path = tmp_path / "state.json"
    vneid = VNeIDProvider(state=StateFile(path))
    persona = vneid.add_persona(PersonaRecord.from_json(_persona("bom")))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert VNeIDProvider(state=StateFile(path)).persona(persona.personal_id) == persona
