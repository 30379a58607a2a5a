"""S-5 for uvicorn's own logs (``serve --log-level trace`` logs each request's scope): the
query string's secrets, secret headers and secret-shaped text are redacted."""

from __future__ import annotations

import asyncio
import logging
import sys

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.protocol.runtime import SystemClock
from mock_providers._http import RequestLog, provider_app
from mock_providers._served import RedactingLogFilter, uvicorn_config


def _logged(msg: str, *args: object) -> str:
    record = logging.LogRecord("uvicorn.asgi", 5, __file__, 1, msg, args, None)
    assert RedactingLogFilter().filter(record)
    return record.getMessage()


@pytest.mark.clause("S-5")
def test_a_scope_logged_at_trace_level_keeps_no_secret() -> None:
    scope = {
        "type": "http",
        "path": "/userinfo",
        "query_string": b"access_token=S3CRET1&x=1",
        "headers": [
            (b"authorization", b"Bearer S3CRET2"),
            (b"cookie", b"sid=S3CRET3"),
            (b"accept", b"*/*"),
        ],
    }
    text = _logged("%s [%d] Started scope=%s", "ASGI", 1, scope)
    assert "S3CRET" not in text
    assert "'query_string': b'access_token=[REDACTED]&x=1'" in text
    assert "(b'accept', b'*/*')" in text
    assert _logged("plain %s", "text") == "plain text"


@pytest.mark.clause("S-5")
def test_paths_and_quoted_query_strings_keep_no_secret() -> None:
    """A code hidden in the path (``/cb%3Fcode%3D…``) and a query string that Python writes
    in double quotes (it holds a ``'``)."""
    scope = {
        "type": "http",
        "path": "/cb?code=S3CRET1",
        "raw_path": b"/cb%3Fcode%3DS3CRET1",
        "query_string": b"a='x'&access%5Ftoken=S3CRET2",
    }
    text = _logged("%s [%d] Started scope=%s", "ASGI", 1, scope)
    assert "S3CRET" not in text, text
    assert "'path': '/cb?code=[REDACTED]'" in text


def test_a_record_that_cannot_be_formatted_is_let_through() -> None:
    record = logging.LogRecord("uvicorn.asgi", 5, __file__, 1, "%s %s", ("one",), None)
    assert RedactingLogFilter().filter(record)


@pytest.mark.clause("S-5")
def test_serving_installs_the_filter() -> None:
    uvicorn_config(object())
    for name in ("uvicorn.asgi", "uvicorn.error", "uvicorn.access"):
        assert any(isinstance(f, RedactingLogFilter) for f in logging.getLogger(name).filters)


def test_no_advice_to_install_a_websocket_library() -> None:
    """WebSockets are off on purpose (an upgrade request is answered as plain HTTP): uvicorn's
    advice to pip install a WebSocket library is dropped, its "Unsupported upgrade request."
    kept."""
    advice = logging.LogRecord(
        "uvicorn.error",
        logging.WARNING,
        __file__,
        1,
        "No supported WebSocket library detected. Please use \"pip install 'uvicorn[standard]'\"",
        None,
        None,
    )
    assert not RedactingLogFilter().filter(advice)
    assert _logged("Unsupported upgrade request.") == "Unsupported upgrade request."
    assert uvicorn_config(object(), http="h11").ws == "none"


@pytest.mark.clause("S-5")
def test_a_traceback_logged_with_a_record_keeps_no_secret() -> None:
    """uvicorn logs "Exception in ASGI application" with the app's traceback, whose last line
    is the exception's text (a review: only the message was redacted)."""
    try:
        raise ValueError("bad request access_token=S3CRET1 eyJhbGciOi.eyJzdWIiOi.c2ln")
    except ValueError:
        record = logging.LogRecord(
            "uvicorn.error",
            logging.ERROR,
            __file__,
            1,
            "Exception in ASGI application",
            None,
            sys.exc_info(),
        )
    assert RedactingLogFilter().filter(record)
    text = logging.Formatter().format(record)
    assert "S3CRET" not in text
    assert "eyJzdWIiOi" not in text
    assert "ValueError: bad request access_token=[REDACTED] [REDACTED]" in text


@pytest.mark.clause("S-5")
def test_an_unexpected_error_is_logged_without_secrets(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A harness bug's log line named the path as it came (``/cb%3Fcode=…``) and logged the
    exception with its traceback as given. Embedded providers log without the served
    filter, so the line itself must be clean."""
    monkeypatch.setattr(logging.getLogger("mock_providers"), "filters", [])

    async def broken(request: Request) -> Response:
        raise RuntimeError(f"failed on passcode={request.query_params['passcode']}")

    app = provider_app(
        [Route("/cb?code=S3CRET1", broken), Route("/boom", broken)],
        log=RequestLog(),
        clock=SystemClock(),
    )

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://p.test") as client:
            await client.get("/cb%3Fcode%3DS3CRET1?passcode=S3CRET3")
            return await client.get("/boom?passcode=S3CRET2")

    with caplog.at_level(logging.INFO, logger="mock_providers"):
        answer = asyncio.run(send())
    assert answer.status_code == 500
    assert answer.json()["error"] == "server_error"
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "unexpected error on GET /boom\nTraceback" in logged, logged
    assert "RuntimeError: failed on passcode=[REDACTED]" in logged, logged
    assert "GET /cb?code=[REDACTED]" in logged, logged
    assert "S3CRET" not in logged
    assert all(r.exc_info is None for r in caplog.records)


def test_the_providers_own_logger_is_filtered_when_served() -> None:
    uvicorn_config(object())
    assert any(
        isinstance(f, RedactingLogFilter) for f in logging.getLogger("mock_providers").filters
    )
