"""The harness's packages read the wall clock and draw randomness only where a run's replay
does not depend on it (docs/design.md, "What a seed replays, and fixed instants").

Protocol logic takes a ``Clock`` and an ``Entropy`` (``harness.protocol.runtime``), and every
random value a test makes comes from its seed (the ``test_seed`` fixture), so that the same
``--seed`` replays a failure with the same data. This walks the source of ``harness``,
``mock_providers``, ``scenarios`` and ``reports`` for direct reads of the wall clock and
direct draws of randomness; each one found must be listed below with why it is outside the
replay. A new one fails here: take a ``Clock``/``Entropy``, or draw from the test's seed
(``SeededEntropy(test_seed)``, ``derive_private_key``), or list it with its reason."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("harness", "mock_providers", "scenarios", "reports")

# dotted names (after resolving imports) that read the wall clock or draw randomness
WALL_CLOCK = frozenset(
    {
        "time.time",
        "time.time_ns",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
    }
)
RANDOM_MODULES = ("random.", "secrets.")
RANDOM_CALLS = frozenset(
    {
        "uuid.uuid1",
        "uuid.uuid4",
        "os.urandom",
        "joserfc.jwk.ECKey.generate_key",
        "joserfc.jwk.OKPKey.generate_key",
        "joserfc.jwk.RSAKey.generate_key",
        "cryptography.hazmat.primitives.asymmetric.ec.generate_private_key",
    }
)
DEFAULTS = frozenset({"SystemEntropy", "SystemClock"})
"""The injectable defaults, built only where nothing was injected."""

ALLOWED: dict[tuple[str, str], str] = {
    ("harness/protocol/runtime.py", "time.time"): "SystemClock itself",
    ("harness/protocol/runtime.py", "secrets.token_bytes"): "SystemEntropy itself",
    (
        "harness/rp.py",
        "secrets.token_urlsafe",
    ): "a client assertion's jti: a provider that remembers jtis would refuse a replay",
    (
        "harness/web/server.py",
        "secrets.token_urlsafe",
    ): "the web driver's page id on its loopback server (I/O, like its port)",
    (
        "harness/targets.py",
        "time.time",
    ): "Target.now() of a provider reached over HTTP: its clock is the real one",
    ("harness/run.py", "time.time"): "the run's start in summary.json",
    (
        "harness/lease.py",
        "datetime.datetime.now",
    ): "since when a run holds served providers, shown to another user it refuses",
    (
        "harness/scratch.py",
        "time.time",
    ): "the age of a scratch folder a killed process left, against its mtime",
    (
        "mock_providers/_lease.py",
        "SystemEntropy",
    ): "lease ids: apart from the provider's seeded stream, so a lease changes no draw",
    (
        "harness/run_progress.py",
        "time.time_ns",
    ): "when the run began, against the files' mtimes in the results folder",
    (
        "harness/serve.py",
        "SystemEntropy",
    ): "`serve`, and `conformance` without a seed: long-running servers, not a test",
    ("harness/trace.py", "SystemClock"): "a trace's instants follow the real clock",
    ("harness/device.py", "SystemClock"): "the phone's apps' session timers (real clock)",
    (
        "harness/preflight.py",
        "SystemClock",
    ): "a remote target's Date header against the time now (its clock is a real one)",
    ("mock_providers/vneid/provider.py", "SystemEntropy"): "the default when none is given",
    ("mock_providers/vssid/provider.py", "SystemEntropy"): "the default when none is given",
    ("reports/allure_steps.py", "uuid.uuid4"): "Allure's step ids",
    (
        "scenarios/support.py",
        "time.time",
    ): "resolve_times without a provider's time: instants follow the real clock",
    (
        "scenarios/test_tokens.py",
        "time.time",
    ): "checks a real-clock provider's iat and exp against the time now",
    (
        "scenarios/properties/profiles.py",
        "random.SystemRandom",
    ): "the deep profile's Hypothesis seed, chosen once and named in each replay line",
}


def _sources() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _aliases(tree: ast.Module) -> dict[str, str]:
    """What each imported name stands for: ``dt`` -> ``datetime``, ``ECKey`` ->
    ``joserfc.jwk.ECKey``."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _unreplayable(name: str) -> str | None:
    """The name to report when ``name`` (imports resolved) reads the wall clock or draws
    randomness, else None."""
    last = name.rsplit(".", 1)[-1]
    if last in DEFAULTS:
        return last
    if name in WALL_CLOCK or name in RANDOM_CALLS or name.startswith(RANDOM_MODULES):
        return name
    return None


def found_in(path: Path) -> set[str]:
    """What ``path`` calls, or hands on to be called (``default_factory=time.time_ns``),
    that reads the wall clock or draws randomness."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    aliases = _aliases(tree)
    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    calls = {id(node.func): node for node in ast.walk(tree) if isinstance(node, ast.Call)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Attribute, ast.Name)) or id(node) in inner:
            continue
        name = _dotted(node)
        if name is None:
            continue
        head, _, rest = name.partition(".")
        if head not in aliases:  # a local name (a dict called ``secrets``), not a module
            continue
        resolved = aliases[head] + (f".{rest}" if rest else "")
        call = calls.get(id(node))
        # a reference that is not called here: a type (``random.Random``) or a callable
        # handed on; random.Random(seed) is a seeded stream, replayable
        seeded = resolved == "random.Random" and (call is None or call.args or call.keywords)
        hit = None if seeded else _unreplayable(resolved)
        if hit is not None:
            found.add(hit)
    return found


def test_only_the_listed_places_read_the_wall_clock_or_draw_randomness() -> None:
    unlisted = sorted(
        f"{path.relative_to(ROOT).as_posix()}: {name}"
        for path in _sources()
        for name in found_in(path)
        if (path.relative_to(ROOT).as_posix(), name) not in ALLOWED
    )
    assert not unlisted, (
        "these read the wall clock or draw randomness outside the injectable Clock/Entropy "
        "and the test's seed, so a replay from --seed would not make the same data: "
        f"{unlisted}"
    )


def test_every_listed_place_is_still_there() -> None:
    found = {
        (path.relative_to(ROOT).as_posix(), name) for path in _sources() for name in found_in(path)
    }
    stale = sorted(f"{path}: {name}" for path, name in ALLOWED if (path, name) not in found)
    assert not stale, f"listed in ALLOWED but no longer found (remove them): {stale}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import time\ntime.time()", {"time.time"}),
        ("from time import time as now\nnow()", {"time.time"}),
        ("import datetime as dt\ndt.datetime.now()", {"datetime.datetime.now"}),
        ("from datetime import date\ndate.today()", {"datetime.date.today"}),
        ("import random\nrandom.choice([1])", {"random.choice"}),
        ("import random\nrandom.Random()", {"random.Random"}),
        ("import random\nrandom.Random(4)", set()),
        ("import secrets\nsecrets.token_hex(4)", {"secrets.token_hex"}),
        (
            "from joserfc.jwk import ECKey\nECKey.generate_key('P-256')",
            {"joserfc.jwk.ECKey.generate_key"},
        ),
        ("from harness.protocol import SystemEntropy\nSystemEntropy()", {"SystemEntropy"}),
        ("import time\ntime.monotonic()", set()),
        ("import time\nfield(default_factory=time.time_ns)", {"time.time_ns"}),
        ("import random\ndef f(rng: random.Random) -> None: ...", set()),
        ("secrets = {}\nsecrets.get('x')", set()),
    ],
    ids=[
        "time",
        "aliased-from",
        "datetime-as",
        "date-today",
        "random-choice",
        "unseeded-Random",
        "seeded-Random",
        "secrets",
        "generate_key",
        "default-entropy",
        "monotonic",
        "handed-on",
        "a-type",
        "a-local-name",
    ],
)
def test_the_walk_finds_what_it_looks_for(tmp_path: Path, source: str, expected: set[str]) -> None:
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    assert found_in(path) == expected
