"""What each step costs under the sim, web and appium drivers (docs/drivers.md).

Run: ``.venv/bin/python benchmarks/bench_drivers.py [--rounds N] [--drivers sim,web,appium]``.
Prints the one-off start-up costs (phone screen server, Chromium, Appium server) and, per
driver, the median of each step over ``N`` logins: a new device, ``open_app``, ``tap``,
``type``, ``screen`` and a whole login. Not a test: nothing here asserts a time; the machine's
load average is printed beside the numbers because it moves them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from harness.drivers.runtime import UIRuntime
from harness.flows import decide, enter_credentials
from harness.personas import Persona
from harness.targets import Target, embedded_target
from harness.world import PersonaPool, make_device

ROOT = Path(__file__).resolve().parents[1]


def _ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:7.1f} ms"


def measure(
    driver: str, target: Target, persona: Persona, runtime: UIRuntime, rounds: int
) -> dict[str, list[float]]:
    """Each step's durations over ``rounds`` logins (after one warm-up login)."""
    steps: dict[str, list[float]] = defaultdict(list)

    def timed(step: str, call: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = call()
        steps[step].append(time.perf_counter() - start)
        return result

    for round_ in range(rounds + 1):
        begin = time.perf_counter()
        device = timed(
            "new device", lambda: make_device(target, "ios", driver=driver, runtime=runtime)
        )
        ui = device.driver
        timed("open_app", partial(ui.open_app, "vssid"))
        timed("tap (a navigation)", partial(ui.tap, "vssid-login-vneid"))
        timed("type", partial(ui.type, "vneid-personal-id", persona.personal_id))
        timed("screen (read)", ui.screen)
        enter_credentials(ui, persona)
        screen = decide(ui)
        assert screen.id == "vssid-home", screen.data
        timed("close", device.close)
        steps["login, device to close"].append(time.perf_counter() - begin)
        if round_ == 0:  # warm-up
            steps.clear()
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--drivers", default="sim,web,appium")
    args = parser.parse_args()
    drivers = args.drivers.split(",")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    target = embedded_target(seed="bench-drivers")
    persona = PersonaPool(target, seed="bench-drivers").new()
    with UIRuntime(root=ROOT) as runtime:
        startup: list[tuple[str, Callable[[], Any]]] = []
        if "web" in drivers or "appium" in drivers:
            startup.append(("phone screen server start", runtime.phone_server))
        if "web" in drivers:
            startup.append(("Chromium launch (Playwright)", lambda: runtime.chromium().browser()))
        if "appium" in drivers:
            startup.append(("Appium server start (until /status ready)", runtime.appium_url))
        for name, start_up in startup:
            start = time.perf_counter()
            start_up()
            print(f"{name:45s} {(time.perf_counter() - start) * 1000:7.1f} ms")
        for driver in drivers:
            steps = measure(driver, target, persona, runtime, args.rounds)
            print(f"-- {driver} (median of {args.rounds})")
            for step, samples in steps.items():
                print(f"   {step:42s} {_ms(samples)}")
    target.close()


if __name__ == "__main__":
    main()
