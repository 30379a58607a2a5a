"""A relying party reached over HTTP keeps the accounts earlier runs gave it: before a
citizen made again is registered, the ones it should not have are removed, where the
relying party lets the harness list and remove them (the VssID mock's extension to §11);
one that does not is left as it is and not asked again."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from harness.targets import VssIDHandle

PID = "079300000001"
Handler = Callable[[httpx.Request], httpx.Response]


def _handle(handler: Handler, asked: list[str]) -> VssIDHandle:
    def recording(request: httpx.Request) -> httpx.Response:
        asked.append(f"{request.method} {request.url.path}")
        return handler(request)

    return VssIDHandle("vssid", "http://rp.test", httpx.MockTransport(recording))


def _listing(request: httpx.Request) -> httpx.Response:
    if request.method == "GET":
        return httpx.Response(
            200,
            json={
                "accounts": [  # a server that ignores the filter
                    {"bhxh_code": "0000000001", "personal_id": PID},
                    {"bhxh_code": "0000000002", "personal_id": "079300000009"},
                ]
            },
        )
    return httpx.Response(200, json={"deleted": request.url.path.rsplit("/", 1)[1]})


@pytest.mark.clause("P-1")
def test_only_the_citizens_other_accounts_are_removed() -> None:
    asked: list[str] = []
    handle = _handle(_listing, asked)
    assert handle.keep_only_account(PID, None) == ["0000000001"]
    assert asked == ["GET /_harness/accounts", "DELETE /_harness/accounts/0000000001"]
    asked.clear()
    assert handle.keep_only_account(PID, "0000000001") == []  # its own: kept
    assert asked == ["GET /_harness/accounts"]


@pytest.mark.clause("P-1")
@pytest.mark.parametrize(
    "listing",
    [
        httpx.Response(404, json={"error": "not_found"}),
        httpx.Response(405),
        httpx.Response(
            200,
            text="<html>a single-page app's fallback</html>",
            headers={"content-type": "text/html"},
        ),
        httpx.Response(200, json={"items": []}),
    ],
)
def test_a_relying_party_that_does_not_list_accounts_is_not_asked_again(
    listing: httpx.Response,
) -> None:
    asked: list[str] = []
    handle = _handle(lambda request: listing, asked)
    assert handle.keep_only_account(PID, None) == []
    assert handle.keep_only_account(PID, None) == []
    assert asked == ["GET /_harness/accounts"]


@pytest.mark.clause("P-1")
def test_one_that_lists_but_does_not_remove_is_not_asked_again() -> None:
    asked: list[str] = []

    def no_delete(request: httpx.Request) -> httpx.Response:
        return _listing(request) if request.method == "GET" else httpx.Response(405)

    handle = _handle(no_delete, asked)
    assert handle.keep_only_account(PID, None) == []
    assert handle.keep_only_account(PID, None) == []
    assert asked == ["GET /_harness/accounts", "DELETE /_harness/accounts/0000000001"]


def test_a_refusal_of_another_kind_is_an_error() -> None:
    from harness.targets import ControlError

    handle = _handle(
        lambda request: httpx.Response(
            403,
            content=json.dumps({"error": "forbidden"}).encode(),
            headers={"content-type": "application/json"},
        ),
        [],
    )
    with pytest.raises(ControlError, match="admin token"):
        handle.keep_only_account(PID, None)
