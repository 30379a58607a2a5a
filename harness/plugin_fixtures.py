"""The plugin's fixtures (a part of :mod:`harness.pytest_plugin`); the public ones are
README.md's "Writing scenarios": ``target`` (``vneid``, ``vssid``), ``personas``
(``persona``), ``device``, ``rp``, ``fresh_world``, ``adopt_trace``, and the seeds
``harness_seed`` and ``test_seed``. Each hands its traces to the reports
(:func:`harness.plugin_reports.adopt_trace`). Heavy imports happen inside them, so loading
pytest stays cheap.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from harness.plugin_config import broken_mocks, citizens, run_profile
from harness.plugin_options import OPT_DRIVER, OPT_PERSONAS, OPT_SEED, OPT_VNEID_URL
from harness.plugin_reports import adopt_trace as adopt_trace_for
from harness.plugin_reports import allure_reporter, remember_personas

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from harness.personas import Persona
    from harness.rp import TestRelyingParty
    from harness.targets import Target, VNeIDHandle, VssIDHandle
    from harness.trace import Trace
    from harness.world import Device, DeviceFactory, FreshWorld, PersonaPool

__all__: list[str] = []


@pytest.fixture(scope="session")
def harness_seed(request: pytest.FixtureRequest) -> int:
    """The run's seed (``--seed``)."""
    seed: int = request.config.getoption(OPT_SEED)
    return seed


@pytest.fixture
def test_seed(request: pytest.FixtureRequest, harness_seed: int) -> str:
    """A seed for this test alone, derived from the run's seed and the test's identity
    (replayable): its module's import name and its name within the module
    (``scenarios.test_happy_path::test_x[ios]``), not its node id, whose path is relative to
    pytest's root folder: the bundled suites got other citizens under ``vneid-harness run``,
    under ``pytest --pyargs scenarios`` from a project's folder (``.venv/lib/python3.11/
    site-packages/scenarios/…``) and from another folder, so a failure with one citizen did
    not replay with the same ``--seed`` elsewhere."""
    return f"{harness_seed}/{zlib.crc32(seed_identity(request.node).encode()):08x}"


def seed_identity(node: pytest.Item) -> str:
    """``module.name::Class::test[params]``: where the test is, as Python imports it; a test
    outside a Python module (a plugin's item) keeps its node id."""
    module = getattr(node, "module", None)
    _, sep, within = node.nodeid.partition("::")
    if module is None or not sep:
        return node.nodeid
    return f"{module.__name__}::{within}"


@pytest.fixture
def target(
    request: pytest.FixtureRequest, _remote_target: Target | None, test_seed: str
) -> Iterator[Target]:
    """The providers under test: fresh embedded mocks per test, or the remote ones."""
    from harness.trace import Trace

    trace = Trace()  # the scenario's own calls to the providers (``vneid.client()``…)
    adopt_trace_for(request.node, trace)
    if _remote_target is not None:
        from harness.errors import ConfigError

        try:  # a target that went away (TargetUnreachable) fails the test: the run stops
            # after three such tests in a row (harness.plugin_remote)
            _remote_target.begin_test(test_seed)
        except ConfigError as exc:  # what the target lacks, it lacks for every test: once
            pytest.exit(f"error: {exc}", returncode=pytest.ExitCode.USAGE_ERROR)
        _remote_target.vneid.trace = _remote_target.vssid.trace = trace
        yield _remote_target
        _remote_target.vneid.trace = _remote_target.vssid.trace = None
        _remote_target.reset_clocks()
        return
    from harness.targets import embedded_target

    embedded = embedded_target(
        seed=test_seed,
        profile=run_profile(request.config),
        **broken_mocks(request.config).embedded_target(),
    )
    embedded.vneid.trace = embedded.vssid.trace = trace
    yield embedded
    embedded.close()


@pytest.fixture
def vneid(target: Target) -> VNeIDHandle:
    """The VNeID identity provider: its control API, clients, request log."""
    return target.vneid


@pytest.fixture
def vssid(target: Target) -> VssIDHandle:
    """The VssID backend: its control API, clients, request log."""
    return target.vssid


@pytest.fixture
def personas(request: pytest.FixtureRequest, target: Target, test_seed: str) -> PersonaPool:
    """Synthetic citizens registered with the providers: ``personas.new(level=2, ...)``."""
    from harness.world import PersonaPool

    pool = PersonaPool(
        target,
        seed=test_seed,
        file=request.config.getoption(OPT_PERSONAS),
        citizens=citizens(request.config),
    )
    remember_personas(request.node, pool.made)
    reporter = allure_reporter(request.config)
    if reporter is not None:
        reporter.personas(request.node, pool.registered)
    return pool


@pytest.fixture
def device(request: pytest.FixtureRequest, target: Target) -> Iterator[DeviceFactory]:
    """A phone factory: ``device("ios", vssid="1.6.7", vneid="2.1.0")`` (``None``: not
    installed; by default each app at the run's profile's minimum version). The phone is
    driven by ``--driver``."""
    from harness.world import make_device

    made: list[Device] = []
    driver_name: str = request.config.getoption(OPT_DRIVER)
    runtime = None
    if driver_name != "sim":  # the session's phone server, browser, Appium (started lazily)
        from harness.drivers.pytest_ui import ui_runtime

        runtime = ui_runtime(request.config)

    def factory(platform: str = "ios", **kwargs: Any) -> Device:
        extra = sorted(set(kwargs) - {"vssid", "vneid"})
        if extra:
            from harness.errors import ConfigError

            said = "; the driver is the run's --driver" if "driver" in extra else ""
            raise ConfigError(
                f"device(): unknown argument(s) {', '.join(extra)}; it takes "
                f"platform, vssid= and vneid= (versions, None: not installed){said}"
            )
        dev = make_device(target, platform, driver=driver_name, runtime=runtime, **kwargs)
        made.append(dev)
        adopt_trace_for(request.node, dev.trace)
        _report_device(request.node, dev, driver_name)
        return dev

    yield factory
    if runtime is not None:  # a failed test keeps its traces and last screens
        from harness.drivers.pytest_ui import keep_failure_artifacts

        keep_failure_artifacts(request.node, made)
    for dev in made:
        dev.close()


def _report_device(item: pytest.Item, dev: Device, driver: str) -> None:
    """Give Allure the phone's platform, driver and app versions (tags and parameters)."""
    reporter = allure_reporter(item.config)
    if reporter is not None:
        installed = dev.phone.installed
        versions = [
            dev.phone.app(a).version if a in installed else None for a in ("vssid", "vneid")
        ]
        reporter.device(item, dev.platform, driver, *versions)


@pytest.fixture
def fresh_world(
    request: pytest.FixtureRequest, test_seed: str
) -> Callable[..., AbstractContextManager[FreshWorld]]:
    """For a Hypothesis test, a world per example: ``with fresh_world(salt) as world:`` gives
    embedded providers (``world.target``, with the run's profile), citizens
    (``world.personas``) and simulated phones (``world.device(platform, vssid=…,
    vneid=…)``), seeded from the test's seed and ``salt`` (draw it, and an example replays
    with its own citizens), wired as the fixtures are (traces adopted, passcodes scrubbed)
    and closed at the block's end; in Allure each block is one step (``example 3: salt=17``,
    the one Hypothesis reports ``falsifying example …``) and its phones are tagged as the
    ``device`` fixture's are. Function-scoped like ``test_seed``: the test says
    ``suppress_health_check=[HealthCheck.function_scoped_fixture]``. Skipped against
    ``--vneid-url``: it builds the embedded mocks."""
    import contextlib

    from harness.targets import embedded_target
    from harness.trace import Trace
    from harness.world import FreshWorld, PersonaPool

    if request.config.getoption(OPT_VNEID_URL, None):
        pytest.skip("builds embedded mock providers for each example; this run targets --vneid-url")

    def adopt(trace: Trace) -> None:
        adopt_trace_for(request.node, trace)

    @contextlib.contextmanager
    def world(salt: object = "") -> Iterator[FreshWorld]:
        seed = f"{test_seed}/{salt}"
        reporter = allure_reporter(request.config)  # in Allure, each example one step of its own
        with (
            reporter.example(request.node, "" if salt == "" else f"salt={salt!r}")
            if reporter is not None
            else contextlib.nullcontext()
        ):
            target = embedded_target(
                seed=seed,
                profile=run_profile(request.config),
                **broken_mocks(request.config).embedded_target(),
            )
            trace = Trace()
            adopt(trace)
            target.vneid.trace = target.vssid.trace = trace
            pool = PersonaPool(target, seed=seed)
            remember_personas(request.node, pool.made)
            made = FreshWorld(
                target, pool, adopt, on_device=lambda dev: _report_device(request.node, dev, "sim")
            )
            try:
                yield made
            finally:
                made.close()

    return world


@pytest.fixture
def adopt_trace(request: pytest.FixtureRequest) -> Callable[[Trace], Trace]:
    """For a trace the test made itself (a phone from ``make_device``, a backend or a target
    of its own): ``adopt_trace(trace)`` makes it count like the fixtures' traces, so its
    exchanges become the test's Allure steps and sequence diagram, its conformance evidence,
    and its secrets are scrubbed from failure text. Returns the trace."""

    from harness.errors import ConfigError
    from harness.trace import Trace

    def adopt(trace: Trace) -> Trace:
        if not isinstance(trace, Trace):
            hint = (
                " (a phone: give phone.trace)"
                if isinstance(getattr(trace, "trace", None), Trace)
                else ""
            )
            raise ConfigError(
                f"adopt_trace: give a harness.trace.Trace{hint}, not {type(trace).__name__}"
            )
        adopt_trace_for(request.node, trace)
        return trace

    return adopt


@pytest.fixture
def persona(personas: PersonaPool) -> Persona:
    """One level-2 citizen with a VssID account: the happy-path user."""
    return personas.new()


@pytest.fixture
def rp(
    request: pytest.FixtureRequest, target: Target, test_seed: str
) -> Iterator[TestRelyingParty]:
    """A relying party of the harness's own, registered at the VNeID provider, for probing
    the provider directly (token endpoint, PKCE, redirect URIs); its calls are traced."""
    from harness.protocol import SeededEntropy
    from harness.rp import TestRelyingParty
    from harness.trace import Trace

    trace = Trace()
    adopt_trace_for(request.node, trace)
    client = TestRelyingParty(
        target.vneid, target.profile, trace=trace, entropy=SeededEntropy(f"{test_seed}/rp")
    ).register()
    yield client
    client.close()
