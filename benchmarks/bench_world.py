"""Issue 7, item 3: the cost of a login does not grow with the world, and memory stays flat.

Run:
``.venv/bin/python benchmarks/bench_world.py size [--personas 1000000] [--rounds N] [--repeats R]``
``.venv/bin/python benchmarks/bench_world.py memory [--logins 100000]``

``size`` builds two embedded worlds, one with 100 citizens and one with ``--personas``
citizens, each with a VNeID account and a linked VssID account registered through the
providers' Python API (``add_persona``, ``add_account``; no HTTP), then times logins of
citizens drawn from each world, interleaved, and prints the ratio big / small (target ≤ 1.1).

``memory`` runs ``--logins`` logins on one embedded pair on a manual clock: half complete,
the other half are abandoned at each step (after ``start``, after the VNeID session, after
the authorization: a code never redeemed), and the clock moves 5 minutes every 1,000
logins, so transactions, sessions, codes and tokens keep expiring. It prints the resident
memory after a warm-up and at the end (target: growth ≤ 20 MB) and how many entries each
store holds. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flowbench import VNEID_APP, VSSID_APP, interleave, machine, protocol_login, sim_login

from harness.personas import Persona, VssIDAccount
from harness.protocol import ManualClock, generate_personal_id
from harness.targets import Target, embedded_target
from mock_providers.vneid import PersonaRecord
from mock_providers.vneid import provider as vneid_provider
from mock_providers.vssid import AccountRecord
from mock_providers.vssid.accounts import AccountStore

SMALL_WORLD = 100


def rss() -> int:
    """This process's resident memory in bytes (Linux ``/proc``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def citizens(n: int, seed: int = 7) -> Iterator[tuple[PersonaRecord, AccountRecord]]:
    """``n`` distinct level-2 citizens with linked accounts, made without Faker (fast)."""
    rng = random.Random(seed)
    for i in range(n):
        birthdate = dt.date(1940 + i % 80, 1 + i % 12, 1 + i % 28)
        sex: Any = "female" if i % 2 else "male"
        drawn = generate_personal_id(
            rng, birthdate=birthdate, sex=sex, province=1 + (i // 1_000_000) % 96
        )
        personal_id = f"{drawn[:6]}{i % 1_000_000:06d}"  # the serial: unique per province
        name = f"Công Dân {i}"
        yield (
            PersonaRecord(personal_id, f"{i % 1_000_000:06d}", 2, name, birthdate.isoformat(), sex),
            AccountRecord(f"{i:010d}", personal_id, name),
        )


def populate(target: Target, n: int) -> float:
    """Register ``n`` citizens through the Python API; the seconds it took."""
    vneid, vssid = target.vneid.embedded, target.vssid.embedded
    vneid_provider.MAX_PERSONAS = max(vneid_provider.MAX_PERSONAS, n + 1000)
    vssid.account_store = AccountStore(limit=max(n + 1000, 10_000))
    start = time.perf_counter()
    for persona, account in citizens(n):
        vneid.add_persona(persona)
        vssid.add_account(account)
    return time.perf_counter() - start


def as_persona(record: PersonaRecord, account: AccountRecord) -> Persona:
    """The harness's view of a registered citizen (what the apps type in)."""
    return Persona(
        personal_id=record.personal_id,
        full_name=record.full_name,
        birthdate=dt.date.fromisoformat(record.birthdate),
        gender=record.gender,
        passcode=record.passcode,
        level=2,
        vssid_account=VssIDAccount(account.bhxh_code),
    )


def size(args: argparse.Namespace) -> None:
    print(f"machine: {machine()}")
    small, big = embedded_target(seed="world-small"), embedded_target(seed="world-big")
    took_small = populate(small, SMALL_WORLD)
    took_big = populate(big, args.personas)
    print(
        f"registered {SMALL_WORLD} citizens in {took_small:.2f} s and {args.personas:,} in "
        f"{took_big:.1f} s (Python API); resident memory now "
        f"{rss() / 2**20:,.0f} MiB"
    )
    # Citizens spread over each world (the big world's last one was registered last).
    picks_small = [as_persona(*c) for c in _pick(SMALL_WORLD)]
    picks_big = [as_persona(*c) for c in _pick(args.personas)]
    clients = {id(t): (t.vssid.client(), t.vneid.client()) for t in (small, big)}
    counter = {"small": 0, "big": 0}

    def login(target: Target, picks: list[Persona], which: str, kind: str) -> None:
        persona = picks[counter[which] % len(picks)]
        counter[which] += 1
        if kind == "sim":
            sim_login(target, persona)
        else:
            protocol_login(target, persona, clients[id(target)])

    ratios: dict[str, list[float]] = {"protocol": [], "sim": []}
    for repeat in range(1, args.repeats + 1):
        cases = interleave(
            [
                ("protocol, 100", lambda: login(small, picks_small, "small", "protocol")),
                (f"protocol, {args.personas:,}", lambda: login(big, picks_big, "big", "protocol")),
                ("sim, 100", lambda: login(small, picks_small, "small", "sim")),
                (f"sim, {args.personas:,}", lambda: login(big, picks_big, "big", "sim")),
            ],
            rounds=args.rounds,
            gc_off=False,
        )
        ratios["protocol"].append(cases[1].median / cases[0].median)
        ratios["sim"].append(cases[3].median / cases[2].median)
        print(
            f"repeat {repeat}: "
            + " | ".join(f"{c.name} {c.median * 1e3:6.3f} ms" for c in cases)
            + f" | big/small protocol {ratios['protocol'][-1]:.3f}, "
            f"sim {ratios['sim'][-1]:.3f}",
            flush=True,
        )
    print(
        f"median over {args.repeats} repeats of {args.rounds}: login cost with "
        f"{args.personas:,} citizens / with {SMALL_WORLD}: "
        + ", ".join(
            f"{k} {statistics.median(v):.3f} (min {min(v):.3f}, max {max(v):.3f})"
            for k, v in ratios.items()
        )
    )
    print(f"machine after: {machine()}")


def _pick(n: int, count: int = 50) -> list[tuple[PersonaRecord, AccountRecord]]:
    wanted = {round(i * (n - 1) / (count - 1)) for i in range(count)}
    return [c for i, c in enumerate(citizens(n)) if i in wanted]


def memory(args: argparse.Namespace) -> None:
    print(f"machine: {machine()}")
    clock = ManualClock()
    target = embedded_target(seed="memory", clock=clock)
    populate(target, 1000)
    picks = [as_persona(*c) for c in _pick(1000, 200)]
    vssid, vneid = target.vssid.client(), target.vneid.client()

    def abandoned(persona: Persona, step: int) -> None:
        start = vssid.post("/api/v1/auth/vneid/start", headers=VSSID_APP, json={}).json()
        if step == 0:
            return
        session = vneid.post(
            "/api/app/v1/sessions",
            headers=VNEID_APP,
            json={"personal_id": persona.personal_id, "passcode": persona.passcode},
        ).json()
        if step == 1:
            return
        vneid.post(
            "/api/app/v1/authorizations",
            headers={**VNEID_APP, "Authorization": f"Bearer {session['session_token']}"},
            json={"link": start["authorize_url"], "decision": "approve"},
        ).raise_for_status()

    def run(first: int, last: int) -> None:
        for i in range(first, last):
            persona = picks[i % len(picks)]
            if i % 2 == 0:
                protocol_login(target, persona, (vssid, vneid))
            else:
                abandoned(persona, (i // 2) % 3)
            if i % 1000 == 999:
                clock.advance(300)

    warmup = min(10_000, args.logins // 10)
    gc.collect()
    at_start = rss()
    run(0, warmup)
    gc.collect()
    before = rss()
    started = time.perf_counter()
    step = max(args.logins // 10, 1)
    for first in range(warmup, args.logins, step):
        run(first, min(first + step, args.logins))
        gc.collect()
        print(
            f"  {min(first + step, args.logins):>7,} logins: resident "
            f"{rss() / 2**20:7.1f} MiB, {stores(target)}",
            flush=True,
        )
    after = rss()
    took = time.perf_counter() - started
    print(
        f"{args.logins:,} logins ({args.logins // 2:,} completed, {args.logins // 2:,} "
        f"abandoned at start, session or authorization) in {took:.0f} s after a warm-up of "
        f"{warmup:,}: resident memory {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB, "
        f"growth {(after - before) / 2**20:+.1f} MiB (target <= 20 MiB); from before the "
        f"first login ({at_start / 2**20:.1f} MiB, providers and 1,000 citizens "
        f"registered): {(after - at_start) / 2**20:+.1f} MiB"
    )
    print(f"machine after: {machine()}")


def stores(target: Target) -> str:
    vneid, vssid = target.vneid.embedded, target.vssid.embedded
    sizes = {
        "vneid sessions": len(vneid.grants.sessions),
        "codes": len(vneid.grants.codes),
        "access tokens": len(vneid.grants.access_tokens),
        "vssid transactions": len(vssid.transactions),
        "vssid sessions": len(vssid.sessions),
        "request logs": len(vneid.requests) + len(vssid.requests),
    }
    return ", ".join(f"{k} {v}" for k, v in sizes.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_size = sub.add_parser("size", help="login cost with 100 vs --personas citizens")
    p_size.add_argument("--personas", type=int, default=1_000_000)
    p_size.add_argument("--rounds", type=int, default=200)
    p_size.add_argument("--repeats", type=int, default=5)
    p_mem = sub.add_parser("memory", help="resident memory over --logins logins")
    p_mem.add_argument("--logins", type=int, default=100_000)
    args = parser.parse_args()
    size(args) if args.command == "size" else memory(args)


if __name__ == "__main__":
    main()
