"""Concurrency without cross-talk, over real HTTP against `vneid-harness serve`.

1,000 logins of distinct personas start at once (50 in flight: httpx's async client slows
down badly beyond that, TOOLCHAIN.md); each must end with a VssID session for exactly its
own person. One code redeemed concurrently yields exactly one token response (T-2); one
transaction completed concurrently yields exactly one session (R-1).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.personas import Persona, PersonaFactory, save_personas
from harness.protocol import parse_callback
from mock_providers.defaults import DEFAULT_VSSID_CLIENT_SECRET
from tests.robustness.served_pair import VNEID_APP, VSSID_APP, ServeProcess

LOGINS = 1_000
IN_FLIGHT = 50
RACERS = 20


@pytest.fixture(scope="module")
def people() -> list[Persona]:
    factory = PersonaFactory("concurrent-logins")
    return [factory.new() for _ in range(LOGINS)]


@pytest.fixture(scope="module")
def server(
    people: list[Persona], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServeProcess]:
    path = tmp_path_factory.mktemp("load") / "personas.yaml"
    save_personas(path, people)
    with ServeProcess("--personas", str(path)) as served:
        yield served


def _clients(server: ServeProcess) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    limits = httpx.Limits(
        max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT, keepalive_expiry=2
    )  # under the server's 5 s keep-alive
    return (
        httpx.AsyncClient(base_url=server.vneid, limits=limits, timeout=60),
        httpx.AsyncClient(base_url=server.vssid, limits=limits, timeout=60),
    )


async def _ok(response: Any) -> dict[str, Any]:
    r = await response
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def _callback(
    vneid: httpx.AsyncClient, vssid: httpx.AsyncClient, persona: Persona
) -> dict[str, str]:
    """A-1 … A-5 as the two apps do them: the body of the VssID app's ``complete``."""
    start = await _ok(vssid.post("/api/v1/auth/vneid/start", headers=VSSID_APP))
    session = await _ok(
        vneid.post(
            "/api/app/v1/sessions",
            headers=VNEID_APP,
            json={"personal_id": persona.personal_id, "passcode": persona.passcode},
        )
    )
    answer = await _ok(
        vneid.post(
            "/api/app/v1/authorizations",
            headers={**VNEID_APP, "Authorization": f"Bearer {session['session_token']}"},
            json={"link": start["authorize_url"], "decision": "approve"},
        )
    )
    return {"transaction_id": start["transaction_id"], "callback_url": answer["redirect_to"]}


async def _login(
    vneid: httpx.AsyncClient, vssid: httpx.AsyncClient, persona: Persona
) -> dict[str, Any]:
    """A-1 … A-6 as the two apps do them; returns what the session says."""
    done = await _ok(
        vssid.post(
            "/api/v1/auth/vneid/complete",
            headers=VSSID_APP,
            json=await _callback(vneid, vssid, persona),
        )
    )
    me = await _ok(
        vssid.get(
            "/api/v1/me", headers={**VSSID_APP, "Authorization": f"Bearer {done['session_token']}"}
        )
    )
    return {"complete": done, "me": me}


async def _all_logins(server: ServeProcess, people: list[Persona]) -> list[dict[str, Any]]:
    vneid, vssid = _clients(server)
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(persona: Persona) -> dict[str, Any]:
        async with gate:
            return await _login(vneid, vssid, persona)

    async with vneid, vssid:
        return await asyncio.gather(*(one(p) for p in people))


@pytest.mark.clause("A-6", "P-1")
def test_a_thousand_concurrent_logins_each_get_their_own_person(
    server: ServeProcess, people: list[Persona]
) -> None:
    results = asyncio.run(_all_logins(server, people))
    assert len(results) == LOGINS
    tokens = set()
    for persona, result in zip(people, results, strict=True):
        account = persona.vssid_account
        assert account is not None
        assert result["me"] == {
            "bhxh_code": account.bhxh_code,
            "full_name": persona.full_name,
            "personal_id": persona.personal_id,
        }
        assert result["complete"]["bhxh_code"] == account.bhxh_code
        tokens.add(result["complete"]["session_token"])
    assert len(tokens) == LOGINS  # no session handed out twice


async def _code_for(server: ServeProcess, persona: Persona) -> tuple[str, str]:
    """A fresh authorization code for ``vssid`` (and its verifier), through the app API."""
    from harness.protocol import AuthorizationRequest, LinkForm, s256_challenge

    verifier = "race-" + "v" * 45
    request = AuthorizationRequest(
        client_id="vssid",
        redirect_uri="vssid://auth/vneid/callback",
        state="race-state",
        nonce="race-nonce",
        code_challenge=s256_challenge(verifier),
    )
    async with httpx.AsyncClient(base_url=server.vneid, timeout=30) as vneid:
        session = await _ok(
            vneid.post(
                "/api/app/v1/sessions",
                headers=VNEID_APP,
                json={"personal_id": persona.personal_id, "passcode": persona.passcode},
            )
        )
        answer = await _ok(
            vneid.post(
                "/api/app/v1/authorizations",
                headers={**VNEID_APP, "Authorization": f"Bearer {session['session_token']}"},
                json={"link": request.to_link(LinkForm.CUSTOM_SCHEME), "decision": "approve"},
            )
        )
    code = parse_callback(answer["redirect_to"]).code
    assert code
    return code, verifier


async def _race_redemptions(server: ServeProcess, code: str, verifier: str) -> list[httpx.Response]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": "vssid://auth/vneid/callback",
    }
    limits = httpx.Limits(max_connections=RACERS)
    async with httpx.AsyncClient(base_url=server.vneid, timeout=30, limits=limits) as client:
        return await asyncio.gather(
            *(
                client.post("/token", data=form, auth=("vssid", DEFAULT_VSSID_CLIENT_SECRET))
                for _ in range(RACERS)
            )
        )


@pytest.mark.clause("T-2")
def test_a_code_redeemed_concurrently_yields_exactly_one_token_response(
    server: ServeProcess, people: list[Persona]
) -> None:
    code, verifier = asyncio.run(_code_for(server, people[0]))
    responses = asyncio.run(_race_redemptions(server, code, verifier))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * (RACERS - 1)
    refused = [r.json() for r in responses if r.status_code == 400]
    assert {(e["error"], e["clause"]) for e in refused} == {("invalid_grant", "T-2")}
    # T-2: the replays revoked the tokens of the one success.
    token = next(r.json()["access_token"] for r in responses if r.status_code == 200)
    info = httpx.get(
        f"{server.vneid}/userinfo", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert (info.status_code, info.json()["error"]) == (401, "invalid_token")


async def _race_completions(server: ServeProcess, persona: Persona) -> list[httpx.Response]:
    async with (
        httpx.AsyncClient(base_url=server.vneid, timeout=30) as vneid,
        httpx.AsyncClient(
            base_url=server.vssid, timeout=30, limits=httpx.Limits(max_connections=RACERS)
        ) as vssid,
    ):
        body = await _callback(vneid, vssid, persona)
        return await asyncio.gather(
            *(
                vssid.post("/api/v1/auth/vneid/complete", headers=VSSID_APP, json=body)
                for _ in range(RACERS)
            )
        )


@pytest.mark.clause("R-1")
def test_a_transaction_completed_concurrently_yields_exactly_one_session(
    server: ServeProcess, people: list[Persona]
) -> None:
    responses = asyncio.run(_race_completions(server, people[1]))
    assert sorted(r.status_code for r in responses) == [200] + [409] * (RACERS - 1)
    refused = {(r.json()["error"], r.json()["clause"]) for r in responses if r.status_code == 409}
    assert refused == {("transaction_already_used", "R-1")}
