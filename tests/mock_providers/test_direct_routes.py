"""The middleware calls plain routes directly (:mod:`mock_providers._routing`): that must
answer and record exactly what Starlette's own routing answers and records.

Two pairs of providers with the same seed and the same manual clock get the same requests,
one pair with the direct calls and one with Starlette's layers; every answer (status,
headers, body) and every request-log entry must be equal, for a whole login and for the
refusals on the way (version gate, bad bodies, unknown tokens, 404, 405, HEAD).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

import mock_providers._http as http_plumbing
from harness.embedded import SyncASGITransport
from harness.personas import Persona
from harness.protocol import ManualClock, ProtocolError
from harness.targets import Target, embedded_target
from harness.world import PersonaPool
from mock_providers._http import ProviderMiddleware, RequestLog, exception_handlers
from mock_providers._routing import direct_routes

VSSID_APP = {"X-VssID-App-Version": "1.6.7", "X-Device-Platform": "ios"}
VNEID_APP = {"X-VNeID-App-Version": "2.1.0", "X-Device-Platform": "android"}


def _target(monkeypatch: pytest.MonkeyPatch, *, direct: bool) -> Target:
    target = embedded_target(seed="direct-routes", clock=ManualClock())
    with monkeypatch.context() as m:  # each middleware reads its table on its first request
        if not direct:
            m.setattr(http_plumbing, "direct_routes", lambda app: {})
        for handle in (target.vneid, target.vssid):
            handle.control.get("/_harness/health")
    return target


def _script(target: Target, persona: Persona) -> Iterator[httpx.Response]:
    """A login and the refusals around it, as the apps and a careless client send them."""
    vssid, vneid = target.vssid.client(traced=False), target.vneid.client(traced=False)
    yield vssid.post("/api/v1/auth/vneid/start", headers={"X-VssID-App-Version": "1.0"}, json={})
    yield vssid.post("/api/v1/auth/vneid/start", headers=VSSID_APP, content=b"{bad")
    start = vssid.post("/api/v1/auth/vneid/start", headers=VSSID_APP, json={})
    yield start
    yield vneid.post(
        "/api/app/v1/sessions",
        headers=VNEID_APP,
        json={"personal_id": persona.personal_id, "passcode": "000000"},
    )
    session = vneid.post(
        "/api/app/v1/sessions",
        headers=VNEID_APP,
        json={"personal_id": persona.personal_id, "passcode": persona.passcode},
    )
    yield session
    bearer = {**VNEID_APP, "Authorization": f"Bearer {session.json()['session_token']}"}
    redirect = vneid.post(
        "/api/app/v1/authorizations",
        headers=bearer,
        json={"link": start.json()["authorize_url"], "decision": "approve"},
    )
    yield redirect
    yield vneid.post("/token", data={"grant_type": "authorization_code", "code": "nope"})
    yield vneid.get("/userinfo", headers={"Authorization": "Bearer nope"})
    done = vssid.post(
        "/api/v1/auth/vneid/complete",
        headers=VSSID_APP,
        json={
            "transaction_id": start.json()["transaction_id"],
            "callback_url": redirect.json()["redirect_to"],
        },
    )
    yield done
    yield vssid.get(
        "/api/v1/me",
        headers={**VSSID_APP, "Authorization": f"Bearer {done.json()['session_token']}"},
    )
    yield vssid.get("/api/v1/me", headers=VSSID_APP)
    yield vssid.get("/api/v1/auth/vneid/start", headers=VSSID_APP)  # 405
    yield vneid.get("/no/such/endpoint")  # 404
    yield vneid.head("/.well-known/openid-configuration")
    yield vneid.get("/jwks")


def _answers(
    target: Target,
) -> tuple[list[tuple[int, list[tuple[str, str]], bytes]], list[dict[str, Any]]]:
    persona = PersonaPool(target, seed="direct-routes").new()
    answers = [
        (r.status_code, r.headers.multi_items(), r.content) for r in _script(target, persona)
    ]
    logs = [
        e.to_json()
        for handle in (target.vneid, target.vssid)
        for e in handle.embedded.requests.all()
    ]
    return answers, logs


def test_direct_calls_answer_and_record_what_starlette_routing_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    direct = _target(monkeypatch, direct=True)
    routed = _target(monkeypatch, direct=False)
    assert direct_routes(direct.vneid.embedded.app), "the VNeID mock has plain routes"
    for target, expect_direct in ((direct, True), (routed, False)):
        middleware = target.vneid.embedded.app.middleware_stack.app  # inside server errors
        assert isinstance(middleware, ProviderMiddleware)
        assert bool(middleware._direct) is expect_direct  # the two ways really differ
    got, want = _answers(direct), _answers(routed)
    assert [a[0] for a in got[0]] == [a[0] for a in want[0]]
    assert got[0] == want[0]
    assert got[1] == want[1]
    assert {a[0] for a in got[0]} >= {200, 400, 401, 404, 405, 426}


async def _plain(request: Request) -> Response:
    return JSONResponse({"plain": True})


async def _shadowing(request: Request) -> Response:
    return JSONResponse({"param": request.path_params["name"]})


async def _refusing(request: Request) -> Response:
    raise ProtocolError("refused on purpose", clause="A-1")


async def _failing(request: Request) -> Response:
    raise RuntimeError("a bug")


async def _streaming(request: Request) -> Response:
    async def parts() -> Any:
        yield b"one,"
        yield b"two"

    return StreamingResponse(parts(), media_type="text/plain")


def _sync(request: Request) -> Response:
    return PlainTextResponse("sync")


def _app() -> tuple[Starlette, RequestLog]:
    log = RequestLog()
    app = Starlette(
        routes=[
            Route("/{name}/shadowed", _shadowing),
            Route("/x/shadowed", _plain),
            Route("/plain", _plain, methods=["GET", "POST"]),
            Route("/refusing", _refusing),
            Route("/failing", _failing),
            Route("/streaming", _streaming),
            Route("/sync", _sync),
        ],
        exception_handlers=exception_handlers(),
        middleware=[Middleware(ProviderMiddleware, log=log, clock=ManualClock())],
    )
    return app, log


def test_the_table_holds_only_what_the_router_would_choose_directly() -> None:
    app, _ = _app()
    table = direct_routes(app)
    assert set(table) == {
        ("GET", "/plain"),
        ("HEAD", "/plain"),
        ("POST", "/plain"),
        ("GET", "/refusing"),
        ("HEAD", "/refusing"),
        ("GET", "/failing"),
        ("HEAD", "/failing"),
        ("GET", "/streaming"),
        ("HEAD", "/streaming"),
    }
    # /x/shadowed: an earlier route with a parameter takes it; /sync runs in a thread


async def _not_found(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("none here", status_code=404)


def test_an_app_with_status_handlers_keeps_starlette_routing() -> None:
    app = Starlette(
        routes=[Route("/plain", _plain)],
        exception_handlers={**exception_handlers(), 404: _not_found},
    )
    assert direct_routes(app) == {}


def test_refusals_failures_and_streams_through_direct_calls() -> None:
    app, log = _app()
    client = httpx.Client(transport=SyncASGITransport(app), base_url="http://t.test")
    with client:
        assert client.get("/x/shadowed").json() == {"param": "x"}
        refused = client.get("/refusing")
        assert refused.status_code == 400
        assert refused.json()["clause"] == "A-1"
        assert client.get("/streaming").text == "one,two"
        assert client.get("/sync").text == "sync"
        with pytest.raises(RuntimeError, match="a bug"):  # as before: ServerErrorMiddleware
            client.get("/failing")
    entries = {e.path: e for e in log.all()}
    assert entries["/refusing"].status == 400
    assert entries["/refusing"].response["error"] == "invalid_request"
    assert entries["/streaming"].status == 200
    assert entries["/streaming"].response == "[text/plain, 7 bytes]"  # both parts, summarised
    assert entries["/failing"].status == 0  # no answer left the app
