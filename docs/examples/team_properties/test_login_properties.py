"""A team's own property tests with the harness (docs/properties.md, "Property tests of your
own"): run with ``pytest docs/examples/team_properties`` or ``vneid-harness run
docs/examples/team_properties``; ``tests/cli/test_docs_examples.py`` keeps them passing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import strategies as hs
from harness.flows import login_with_vneid, start_vneid_login
from harness.protocol import is_valid_code_verifier, parse_version, s256_challenge, verify_s256
from harness.world import FreshWorld

# test_seed and fresh_world are function-scoped (one test's seed): Hypothesis warns that they
# are not reset between examples, which is the point here (each example opens its own world)
PER_EXAMPLE_WORLDS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.clause("P-2", "R-3", "R-11")
@PER_EXAMPLE_WORLDS
@given(
    citizen=hs.personas(level=st.sampled_from([1, 2]), vssid_account=st.booleans()),
    platform=hs.platforms(),
    salt=st.integers(0, 2**16),
)
def test_who_reaches_the_home_screen(fresh_world, citizen, platform, salt):
    """Only a level-2 citizen with a VssID account reaches VssID's home screen."""
    world: FreshWorld
    with fresh_world(salt) as world:  # the salt: each example its own, replayable providers
        world.personas.register(citizen)  # a drawn persona: registered here, in its world
        screen = login_with_vneid(world.device(platform).driver, citizen)
        if citizen.level == 1:
            want = ("vssid", "app-error", "unmet_authentication_requirements")
        elif citizen.vssid_account is None:
            want = ("vssid", "app-error", "vssid_account_not_found")
        else:
            want = ("vssid", "vssid-home", None)
        assert (screen.app, screen.id, screen.error) == want, (
            f"expected {want}, observed {screen.describe()}"
        )


@pytest.mark.clause("V-2", "V-6")
@PER_EXAMPLE_WORLDS
@given(vneid=hs.versions())
def test_an_old_vneid_asks_for_an_update(fresh_world, vneid):
    """VNeID below 2.1.0 shows its update screen with a store link; 2.1.0 and later its login."""
    with fresh_world() as world:
        screen = start_vneid_login(world.device("android", vneid=vneid).driver)
        if parse_version(vneid) >= parse_version("2.1.0"):
            assert (screen.app, screen.id) == ("vneid", "vneid-login"), screen.id
        else:
            assert (screen.app, screen.id) == ("vneid", "app-update"), screen.id
            assert screen.data.get("store_url"), "V-2: the update screen links to the store"


@pytest.mark.clause("S-1")
@given(st.from_regex(r"[A-Za-z0-9._~-]{43,128}", fullmatch=True))
def test_a_valid_verifier_matches_its_own_challenge(verifier):
    """No world needed: the protocol's pure functions (harness.protocol)."""
    assert is_valid_code_verifier(verifier)
    assert verify_s256(verifier, s256_challenge(verifier))
