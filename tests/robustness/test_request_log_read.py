"""Reading a large request log (§11 ``GET /_harness/requests``) does not stop the providers:
redacting a thousand large bodies takes seconds, and it used to run on the event loop both
providers share, so every other request waited for it (a robustness review)."""

from __future__ import annotations

import asyncio
import json

import httpx

from harness.serve import ServedProviders

ITEM = "vssid://auth/vneid/callback?code=abcdefgh&state=xyz%3D1&iss=http%3A%2F%2Fa"
BODY = json.dumps({"offset_seconds": "x", "junk": [ITEM] * 190}).encode()


async def _fill_then_read(served: ServedProviders, entries: int) -> list[str]:
    base = served.vneid_url
    finished: list[str] = []
    async with httpx.AsyncClient(timeout=120) as client:
        await client.delete(base + "/_harness/requests")
        for _ in range(entries):  # refused (400), recorded all the same
            await client.post(
                base + "/_harness/clock", content=BODY, headers={"Content-Type": "application/json"}
            )

        async def read_log() -> None:
            async with client.stream("GET", base + "/_harness/requests") as answer:
                finished.append("log")  # its head: sent once the whole log was redacted
                assert answer.status_code == 200
                assert len(json.loads(await answer.aread())["requests"]) == entries

        async def discovery() -> None:
            await asyncio.sleep(0.05)  # once the read has started
            answer = await client.get(base + "/.well-known/openid-configuration")
            assert answer.status_code == 200
            finished.append("discovery")

        await asyncio.gather(read_log(), discovery())
    return finished


def test_other_requests_are_answered_while_the_log_is_read(served: ServedProviders) -> None:
    # 150 such bodies take ~2.5 s to redact here; discovery takes milliseconds
    assert asyncio.run(_fill_then_read(served, 150)) == ["discovery", "log"]


def test_clearing_the_log_does_not_read_it(served: ServedProviders) -> None:
    with httpx.Client(base_url=served.vneid_url, timeout=60) as client:
        client.delete("/_harness/requests")
        for _ in range(3):
            client.post(
                "/_harness/clock", content=BODY, headers={"Content-Type": "application/json"}
            )
        assert client.delete("/_harness/requests").json() == {"cleared": 3}
