"""What ``serve`` prints once both providers listen (:mod:`harness.serve_banner`), without a
server: the sockets are bound, never served. ``tests/cli/test_cli_serve.py`` checks the same
lines as a served pair prints them."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.broken_mocks import BrokenMocks
from harness.protocol import DEFAULT_PROFILE
from harness.serve import ServedProviders, bind_loopback
from harness.serve_banner import BannerLine, listening, ready_banner, unresolved


@pytest.fixture
def served() -> Iterator[ServedProviders]:
    sockets = (bind_loopback(0), bind_loopback(0))
    try:
        ports = [sock.getsockname()[1] for sock in sockets]
        yield ServedProviders(
            vneid=None,
            vssid=None,
            vneid_url=f"http://127.0.0.1:{ports[0]}",
            vssid_url=f"http://127.0.0.1:{ports[1]}",
            sockets=sockets,
        )
    finally:
        for sock in sockets:
            sock.close()


def _banner(served: ServedProviders, **given: Any) -> list[BannerLine]:
    given.setdefault("profile", DEFAULT_PROFILE)
    given.setdefault("broken", BrokenMocks())
    return ready_banner(served, **given)


def test_a_plain_serve_says_where_each_provider_is_and_how_to_stop(
    served: ServedProviders,
) -> None:
    lines = _banner(served)
    assert [line.warning for line in lines] == [False] * 4
    assert lines[0].text == (
        f"VNeID identity provider listening on {served.vneid_url}  (issuer; discovery at "
        f"{served.vneid_url}/.well-known/openid-configuration)"
    )
    assert lines[1].text == (
        f"VssID backend listening on {served.vssid_url}  (trusts {served.vneid_url}; "
        f"client_id {DEFAULT_PROFILE.vssid_client_id})"
    )
    assert lines[2].text == f"API docs at {served.vneid_url}/docs and {served.vssid_url}/docs"
    assert lines[3].text == "Press Ctrl-C to stop."


def test_the_files_served_from_are_named_in_order(served: ServedProviders) -> None:
    lines = _banner(
        served,
        profile_file=Path("profile.yaml"),
        personas_file=Path("team [qa].yaml"),
        state_file=Path("state.json"),
    )
    assert [line.text for line in lines[2:5]] == [
        "protocol profile profile.yaml",
        "personas loaded from team [qa].yaml",  # as given: the console escapes it
        "state kept in state.json",
    ]


def test_a_deliberately_broken_mock_is_a_warning(served: ServedProviders) -> None:
    broken = BrokenMocks.parse(["nonce"], None)
    warnings = [line.text for line in _banner(served, broken=broken) if line.warning]
    assert warnings == [f"the VssID mock is {broken.describe_rp()}"]
    assert "deliberately broken" in warnings[0]


def test_a_public_host_that_does_not_resolve_says_what_fails_and_what_to_do(
    served: ServedProviders,
) -> None:
    lines = _banner(
        served, public_host="idp.invalid", public_host_problem="Name or service not known"
    )
    (warning,) = [line for line in lines if line.warning]
    assert warning.text.startswith(
        "idp.invalid does not resolve on this machine (Name or service not known): "
    )
    assert "provider_unavailable" in warning.text
    assert "give a --public-host that resolves here too" in warning.text


@pytest.mark.parametrize(
    ("replaced", "named", "more"),
    [
        (("001",), "001", ""),
        (
            tuple(f"{n:03}" for n in range(12)),
            ", ".join(f"{n:03}" for n in range(10)),
            " and 2 more",
        ),
    ],
)
@pytest.mark.parametrize("backup", [None, Path("state.json.bak")])
def test_replaced_citizens_are_named_with_the_way_back(
    served: ServedProviders,
    replaced: tuple[str, ...],
    named: str,
    more: str,
    backup: Path | None,
) -> None:
    served.replaced, served.backup = replaced, backup
    (warning,) = [line for line in _banner(served) if line.warning]
    assert warning.text.startswith(
        f"the persona file replaced {len(replaced)} citizen(s) the state file held "
        f"otherwise: {named}{more}. The persona file's records are served; "
    )
    way_back = (
        "start with --state alone to keep the state file's records"
        if backup is None
        else "the state file as it was is in state.json.bak: to serve its records instead"
    )
    assert way_back in warning.text


def test_a_url_naming_another_host_shows_the_address_bound_too() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        assert listening(f"http://127.0.0.1:{port}", sock) == f"http://127.0.0.1:{port}"
        assert listening(f"http://idp.example:{port}", sock) == (
            f"127.0.0.1:{port} as http://idp.example:{port}"
        )


def test_an_ipv6_address_is_bracketed_as_in_a_url() -> None:
    try:
        sock = socket.socket(socket.AF_INET6)
        sock.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with sock:
        port = sock.getsockname()[1]
        assert listening(f"http://[::1]:{port}", sock) == f"http://[::1]:{port}"


def test_a_host_name_that_does_not_resolve_says_why() -> None:
    assert unresolved("localhost") is None
    assert unresolved("idp.invalid")  # RFC 2606: .invalid never resolves
