"""S-5 for uvicorn's own logs (``serve --log-level trace`` logs each request's scope): the
query string's secrets, secret headers and secret-shaped text are redacted."""

from __future__ import annotations

import logging

import pytest

from mock_providers._served import RedactingLogFilter, uvicorn_config


def _logged(msg: str, *args: object) -> str:
    record = logging.LogRecord("uvicorn.asgi", 5, __file__, 1, msg, args, None)
    assert RedactingLogFilter().filter(record)
    return record.getMessage()


@pytest.mark.clause("S-5")
def test_a_scope_logged_at_trace_level_keeps_no_secret() -> None:
    scope = {"type": "http", "path": "/userinfo", "query_string": b"access_token=S3CRET1&x=1",
             "headers": [(b"authorization", b"Bearer S3CRET2"), (b"cookie", b"sid=S3CRET3"),
                         (b"accept", b"*/*")]}
    text = _logged("%s [%d] Started scope=%s", "ASGI", 1, scope)
    assert "S3CRET" not in text
    assert "'query_string': b'access_token=[REDACTED]&x=1'" in text
    assert "(b'accept', b'*/*')" in text
    assert _logged("plain %s", "text") == "plain text"


@pytest.mark.clause("S-5")
def test_paths_and_quoted_query_strings_keep_no_secret() -> None:
    """A code hidden in the path (``/cb%3Fcode%3D…``) and a query string that Python writes
    in double quotes (it holds a ``'``)."""
    scope = {"type": "http", "path": "/cb?code=S3CRET1", "raw_path": b"/cb%3Fcode%3DS3CRET1",
             "query_string": b"a='x'&access%5Ftoken=S3CRET2"}
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
    advice = logging.LogRecord("uvicorn.error", logging.WARNING, __file__, 1,
                               "No supported WebSocket library detected. Please use \"pip "
                               "install 'uvicorn[standard]'\"", None, None)
    assert not RedactingLogFilter().filter(advice)
    assert _logged("Unsupported upgrade request.") == "Unsupported upgrade request."
    assert uvicorn_config(object(), http="h11").ws == "none"
