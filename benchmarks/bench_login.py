"""How long one simulated login costs, against a baseline measured in the same process.

Run: ``.venv/bin/python benchmarks/bench_login.py [--rounds N]``. Prints absolute times and
ratios against the baseline (one bare in-process HTTP request through the same transport),
so results compare across machines. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from harness.embedded import SyncASGITransport
from harness.flows import login_with_vneid
from harness.targets import embedded_target
from harness.world import PersonaPool, make_device


def _timed(fn: Callable[[], object], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    async def ok(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    bare = httpx.Client(
        transport=SyncASGITransport(Starlette(routes=[Route("/", ok)])),
        base_url="http://bench.test",
    )
    _timed(lambda: bare.get("/"), 50)
    baseline = statistics.median(_timed(lambda: bare.get("/"), args.rounds * 5))

    target = embedded_target(seed="bench")
    pool = PersonaPool(target, seed="bench")
    persona = pool.new()

    def one_login() -> None:
        device = make_device(target, "ios")
        screen = login_with_vneid(device.driver, persona)
        assert screen.id == "vssid-home", screen.data
        device.close()

    def fresh_world_login() -> None:
        fresh = embedded_target(seed="bench-fresh")
        PersonaPool(fresh, seed="bench-fresh").register(persona)
        device = make_device(fresh, "android")
        assert login_with_vneid(device.driver, persona).id == "vssid-home"
        device.close()
        fresh.close()

    _timed(one_login, 10)
    login = statistics.median(_timed(one_login, args.rounds))
    world = statistics.median(_timed(fresh_world_login, max(20, args.rounds // 4)))
    print(f"baseline: one in-process HTTP request  {baseline * 1e6:8.0f} µs   1.0x")
    print(
        f"one sim login on warm providers        {login * 1e3:8.2f} ms  "
        f"{login / baseline:6.1f}x baseline"
    )
    print(
        f"fresh providers + persona + login      {world * 1e3:8.2f} ms  "
        f"{world / baseline:6.1f}x baseline"
    )
    target.close()


if __name__ == "__main__":
    main()
