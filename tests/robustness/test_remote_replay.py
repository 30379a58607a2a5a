"""A test run alone against a served VNeID makes the values it made in the whole run: the
in-process VssID of ``--vneid-url`` draws from each test's seed, not from one per session."""

from __future__ import annotations

from harness.protocol import parse_authorize_link
from harness.serve import ServedProviders
from harness.targets import remote_target


def _start(target_seed: str | None, served: ServedProviders) -> tuple[str, str]:
    target = remote_target(served.vneid_url, seed=0)
    try:
        target.begin_test(target_seed)
        with target.vssid.client(traced=False) as client:
            answer = client.post(
                "/api/v1/auth/vneid/start",
                json={},
                headers={"X-VssID-App-Version": "1.6.7", "X-Device-Platform": "ios"},
            )
        assert answer.status_code == 200, answer.text
        _, link = parse_authorize_link(answer.json()["authorize_url"])
        return link.params["state"], link.params["nonce"]
    finally:
        target.close()


def test_the_in_process_vssid_draws_from_the_test_seed(served: ServedProviders) -> None:
    first = _start("5/0000abcd", served)
    assert _start("5/0000abcd", served) == first  # the same test, alone: the same values
    assert _start("5/0000abce", served) != first  # another test: its own
