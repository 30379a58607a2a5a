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
def test_serving_installs_the_filter() -> None:
    uvicorn_config(object())
    for name in ("uvicorn.asgi", "uvicorn.error", "uvicorn.access"):
        assert any(isinstance(f, RedactingLogFilter) for f in logging.getLogger(name).filters)
