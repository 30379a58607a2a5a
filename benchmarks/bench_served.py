"""Issue 7, item 2: the served VNeID mock against two popular mock providers from npm.

Run: ``.venv/bin/python benchmarks/bench_served.py [--seconds S] [--repeats R]
[--concurrency C] [--http httptools,h11] [--providers vneid,oauth2-mock-server,mockpass]``
(``make setup`` installs the npm peers from package.json).

Each provider is started on a loopback port by this script and stopped by its process id
afterwards (also when the run fails): the harness's VNeID with ``vneid-harness serve`` on
each ``--http`` stack, ``oauth2-mock-server`` (``benchmarks/peers/oauth2-mock-server.mjs``,
ES256 key) and ``@opengovsg/mockpass`` (its Singpass v2 OpenID provider, with its login page
on). One client, :mod:`oidc_client` (aiohttp, uvloop), drives the same authorization-code
flow with PKCE against each: ``C`` flows at a time for ``S`` seconds, the providers taking
turns (``S`` seconds each, ``R`` turns each) so a burst of load elsewhere hits them alike.
It prints flows per second per provider and turn, the medians, and the harness's ratio to
the faster peer, turn by turn and as the median of those (target ≥ 1.2). Nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
from flowbench import machine
from joserfc.jwk import ECKey, KeySet
from oidc_client import Client, ClientConfig, FlowError

from harness.processes import free_port, stop_process

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"
BIN = Path(sys.executable).parent
REDIRECT_URI = "http://127.0.0.1:9/callback"
CLIENT_ID, CLIENT_SECRET = "bench-rp", "bench-rp-secret-0123456789"


@dataclass
class Running:
    """A provider process this script started, and the client configured for it."""

    name: str
    process: subprocess.Popen[str]
    config: ClientConfig
    results: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


def _wait_ready(process: subprocess.Popen[str], url: str, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before it was ready")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer {url} within {timeout:.0f} s")


def start_vneid(http: str) -> Running:
    port = free_port()
    process = subprocess.Popen(
        [
            str(BIN / "vneid-harness"),
            "serve",
            "--vneid-port",
            str(port),
            "--vssid-port",
            "0",
            "--http",
            http,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, f"{issuer}/.well-known/openid-configuration", "vneid-harness serve")
        from harness.personas import PersonaFactory

        persona = PersonaFactory("bench-served").new()
        with httpx.Client(base_url=issuer, timeout=10) as control:
            control.post(
                "/_harness/clients",
                json={
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": [REDIRECT_URI],
                    "token_endpoint_auth_method": "client_secret_basic",
                },
            ).raise_for_status()
            control.post("/_harness/personas", json=persona.to_vneid_json()).raise_for_status()
    except BaseException:
        stop_process(process)
        raise
    return Running(
        f"vneid ({http})",
        process,
        ClientConfig(
            issuer=issuer,
            client_id=CLIENT_ID,
            redirect_uri=REDIRECT_URI,
            client_secret=CLIENT_SECRET,
            username=persona.personal_id,
            password=persona.passcode,
        ),
    )


def start_oauth2_mock_server() -> Running:
    port = free_port()
    script = ROOT / "benchmarks" / "peers" / "oauth2-mock-server.mjs"
    process = subprocess.Popen(
        ["node", str(script), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, f"{issuer}/.well-known/openid-configuration", "oauth2-mock-server")
    except BaseException:
        stop_process(process)
        raise
    return Running(
        "oauth2-mock-server",
        process,
        ClientConfig(issuer=issuer, client_id=CLIENT_ID, redirect_uri=REDIRECT_URI),
    )


def start_mockpass() -> Running:
    port = free_port()
    package = NODE_MODULES / "@opengovsg" / "mockpass"
    env = {
        **os.environ,
        "MOCKPASS_PORT": str(port),
        "SHOW_LOGIN_PAGE": "true",
        "NODE_ENV": "production",
    }
    process = subprocess.Popen(
        ["node", str(package / "index.js")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=package,
        env=env,
    )
    issuer = f"http://127.0.0.1:{port}/singpass/v2"
    try:
        _wait_ready(process, f"{issuer}/.well-known/openid-configuration", "mockpass")
        # MockPass's documented sample relying-party keys: it verifies our client assertion
        # with the public half and encrypts the ID token to it.
        keys = json.loads((package / "static" / "certs" / "oidc-v2-rp-secret.json").read_text())
        signing = next(k for k in keys["keys"] if k.get("use") == "sig")
        config = ClientConfig(
            issuer=issuer,
            client_id=CLIENT_ID,
            redirect_uri=REDIRECT_URI,
            signing_key=ECKey.import_key(signing),
            signing_alg=signing["alg"],
            decryption_keys=KeySet.import_key_set(
                {"keys": [k for k in keys["keys"] if k.get("use") == "enc"]}
            ),
        )
    except BaseException:
        stop_process(process)
        raise
    return Running("mockpass", process, config)


async def measure(running: Running, seconds: float, concurrency: int) -> float:
    """Flows per second with ``concurrency`` flows in flight for ``seconds``."""
    connector = aiohttp.TCPConnector(limit=concurrency, ttl_dns_cache=None)
    async with aiohttp.ClientSession(connector=connector) as http:
        client = Client(running.config)
        await client.prepare(http)
        await asyncio.gather(*(client.flow(http) for _ in range(concurrency)))  # warm-up
        done = 0
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                try:
                    await client.flow(http)
                    done += 1
                except FlowError as exc:
                    running.errors[exc.kind] += 1
                except (aiohttp.ClientError, OSError) as exc:
                    running.errors[type(exc).__name__] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - started)


@contextlib.contextmanager
def providers(names: list[str], stacks: list[str]) -> Iterator[list[Running]]:
    running: list[Running] = []
    try:
        for name in names:
            if name == "vneid":
                running += [start_vneid(stack) for stack in stacks]
            elif name == "oauth2-mock-server":
                running.append(start_oauth2_mock_server())
            elif name == "mockpass":
                running.append(start_mockpass())
            else:
                raise SystemExit(f"unknown provider {name!r}")
        yield running
    finally:
        for item in running:
            stop_process(item.process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="one provider's turn")
    parser.add_argument("--repeats", type=int, default=10, help="turns per provider")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--http",
        default="httptools,h11",
        help="the harness's HTTP stacks to measure (comma-separated)",
    )
    parser.add_argument("--providers", default="vneid,oauth2-mock-server,mockpass")
    args = parser.parse_args()
    peers = [p for p in args.providers.split(",") if p != "vneid"]
    if peers and not (NODE_MODULES / "oauth2-mock-server").is_dir():
        parser.exit(
            2,
            f"bench_served: the peers ({', '.join(peers)}) are npm packages and "
            f"{NODE_MODULES} has none: run `make setup` first (npm ci), or measure only the "
            "harness's VNeID with --providers vneid\n",
        )
    import uvloop

    print(f"machine: {machine()}")
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"node {node}, peers: {_versions()}")
    with providers(args.providers.split(","), args.http.split(",")) as running:
        for repeat in range(1, args.repeats + 1):
            line = []
            for item in running:
                rate = uvloop.run(measure(item, args.seconds, args.concurrency))
                item.results.append(rate)
                line.append(f"{item.name} {rate:7.1f}")
            print(f"turn {repeat} (flows/s): " + " | ".join(line), flush=True)
        print(
            f"median flows/s over {args.repeats} turns of {args.seconds:g} s each, "
            f"{args.concurrency} flows in flight:"
        )
        for item in running:
            errors = ", ".join(f"{k} {v}" for k, v in item.errors.items()) or "none"
            print(f"  {item.name:24s} {statistics.median(item.results):8.1f}  (errors: {errors})")
        ours = [i for i in running if i.name.startswith("vneid")]
        peers = [i for i in running if not i.name.startswith("vneid")]
        if ours and peers:
            best = max(peers, key=lambda i: statistics.median(i.results))
            for item in ours:
                ratios = [a / b for a, b in zip(item.results, best.results, strict=True)]
                print(
                    f"  {item.name} / {best.name} (the faster peer): median of the turns' "
                    f"ratios {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max "
                    f"{max(ratios):.2f}); ratio of the medians "
                    f"{statistics.median(item.results) / statistics.median(best.results):.2f}"
                )
    print(f"machine after: {machine()}")


def _versions() -> str:
    found = []
    for package in ("oauth2-mock-server", "@opengovsg/mockpass"):
        meta = NODE_MODULES / package / "package.json"
        version = json.loads(meta.read_text())["version"] if meta.exists() else "missing"
        found.append(f"{package} {version}")
    return ", ".join(found)


if __name__ == "__main__":
    main()
