"""Deliberately broken providers (--broken-vneid CHECK): each forgets its own check and no other."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from harness.personas import Persona
from harness.protocol import ManualClock, SeededEntropy, parse_callback
from harness.pytest_plugin import run_profile
from harness.rp import RP_SCHEME, Login, TestRelyingParty, TokenResult
from harness.targets import Target, embedded_target
from harness.trace import Trace
from harness.world import PersonaPool
from scenarios.support import answered, app_headers, app_session_token, assert_error_body


@dataclass
class Forgetful:
    """An embedded target of the test's own whose VNeID mock forgets ``skipped``, on a
    manual clock, with a registered client and a level-2 citizen."""

    skipped: frozenset[str]
    clock: ManualClock
    target: Target
    rp: TestRelyingParty
    citizens: PersonaPool
    citizen: Persona


@pytest.fixture
def forgetful(
    request: pytest.FixtureRequest, test_seed: str, adopt_trace: Callable[[Trace], Trace]
) -> Iterator[Forgetful]:
    """A VNeID mock that skips the checks named by the test's parameter (none: a correct
    one), following the run's profile; it never touches the target under test."""
    skipped = frozenset(request.param)
    clock = ManualClock()
    target = embedded_target(
        seed=test_seed, clock=clock, profile=run_profile(request.config), vneid_skip_checks=skipped
    )
    citizens = PersonaPool(target, seed=test_seed)
    rp = TestRelyingParty(
        target.vneid,
        target.profile,
        trace=adopt_trace(Trace()),
        entropy=SeededEntropy(f"{test_seed}/rp"),
    ).register()
    yield Forgetful(skipped, clock, target, rp, citizens, citizens.new())
    rp.close()
    target.close()


def authorized(
    world: Forgetful, link: str, *, citizen: Persona | None = None, decision: str = "approve"
) -> httpx.Response:
    """A-4, A-5 over the VNeID app API: the answer to ``link`` after ``citizen`` (the
    world's own by default) logs in at the profile's minimum VNeID app."""
    who = citizen or world.citizen
    with world.target.vneid.client(
        headers=app_headers("vneid", profile=world.target.profile)
    ) as http:
        token = app_session_token(http, who)
        return http.post(
            "/api/app/v1/authorizations",
            json={"link": link, "decision": decision},
            headers={"Authorization": f"Bearer {token}"},
        )


def code_for(world: Forgetful, login: Login, **kwargs: object) -> str:
    """The code the provider sends back for ``login`` (A-5)."""
    response = authorized(world, login.link, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, f"A-5: expected redirect_to, observed {answered(response)}"
    callback = parse_callback(response.json()["redirect_to"])
    assert callback.code, f"A-5: expected a code, observed {callback.params}"
    return callback.code


def redeemed(result: TokenResult, how: str) -> str:
    assert result.status == 200, f"{how}: expected HTTP 200, observed {answered(result)}"
    token = result.body["access_token"]
    assert isinstance(token, str)
    return token


def refused(result: TokenResult, error: str, clause: str) -> None:
    """The §8 body with a non-empty description, and no token."""
    assert (result.status, result.error, result.body.get("clause")) == (400, error, clause), (
        answered(result)
    )
    assert isinstance(result.body.get("error_description"), str), answered(result)
    assert result.body["error_description"], answered(result)
    assert "access_token" not in result.body


def forgets(*checks: str) -> pytest.MarkDecorator:
    return pytest.mark.parametrize(
        "forgetful", [list(checks)], indirect=True, ids=["-".join(checks) or "correct"]
    )


# -- the authorization endpoint (S-2, S-1, P-2, A-7) -----------------------------------------


@pytest.mark.clause("S-2")
@forgets("redirect_uri")
def test_forgetting_redirect_uri_sends_the_citizen_to_a_longer_uri(forgetful: Forgetful) -> None:
    longer = f"{forgetful.rp.redirect_uri}.evil"
    response = authorized(forgetful, forgetful.rp.login(redirect_uri=longer).link)
    assert response.status_code == 200, answered(response)
    callback = parse_callback(response.json()["redirect_to"])
    assert (callback.redirect_uri, bool(callback.code)) == (longer, True), callback.params


@pytest.mark.clause("S-2")
@forgets("challenge")
def test_forgetting_another_check_still_matches_redirect_uri_exactly(forgetful: Forgetful) -> None:
    longer = f"{forgetful.rp.redirect_uri}.evil"
    response = authorized(forgetful, forgetful.rp.login(redirect_uri=longer).link)
    assert_error_body(response, 400, "invalid_redirect_uri", "S-2")


@pytest.mark.clause("S-1")
@forgets("challenge")
def test_forgetting_the_challenge_lets_a_login_without_pkce_redeem_without_a_verifier(
    forgetful: Forgetful,
) -> None:
    code = code_for(forgetful, forgetful.rp.login(code_challenge=""))
    redeemed(forgetful.rp.redeem(code, None), "no challenge, no verifier")


@pytest.mark.clause("S-1", "S-4")
@forgets("challenge")
def test_forgetting_the_challenge_compares_a_plain_challenge_as_plain_text(
    forgetful: Forgetful,
) -> None:
    """RFC 7636 §4.3: ``plain`` (or no method) makes the verifier the challenge itself."""
    plain = "p" * 43
    login = forgetful.rp.login(code_challenge=plain, code_challenge_method="plain")
    refused(forgetful.rp.redeem(code_for(forgetful, login), "q" * 43), "invalid_grant", "S-4")
    redeemed(forgetful.rp.redeem(code_for(forgetful, login), plain), "the plain verifier")


@pytest.mark.clause("S-1", "S-4")
@forgets("challenge")
def test_forgetting_the_challenge_still_checks_an_s256_challenge(forgetful: Forgetful) -> None:
    """Only the request's check is forgotten: an S256 challenge must still be 43 base64url
    characters, and its code needs the S256 verifier."""
    response = authorized(forgetful, forgetful.rp.login(code_challenge="x" * 42).link)
    assert response.status_code == 200, answered(response)
    callback = parse_callback(response.json()["redirect_to"])
    assert (callback.error, callback.code) == ("invalid_request", None), callback.params
    login = forgetful.rp.login()
    refused(forgetful.rp.redeem(code_for(forgetful, login), "q" * 43), "invalid_grant", "S-4")
    redeemed(
        forgetful.rp.redeem(code_for(forgetful, login), login.code_verifier), "the S256 verifier"
    )


@pytest.mark.clause("P-2")
@forgets("level")
def test_forgetting_the_level_gives_a_level_1_citizen_a_code(forgetful: Forgetful) -> None:
    code_for(forgetful, forgetful.rp.login(), citizen=forgetful.citizens.new(level=1))


@pytest.mark.clause("A-7")
@forgets("deny")
def test_forgetting_the_denial_gives_a_denying_citizen_a_code(forgetful: Forgetful) -> None:
    code_for(forgetful, forgetful.rp.login(), decision="deny")


# -- the token endpoint (T-1, T-2, S-1, S-4, T-3) --------------------------------------------


@pytest.mark.clause("T-2")
@forgets("code_expiry")
def test_forgetting_code_expiry_lets_a_code_outlive_its_lifetime(forgetful: Forgetful) -> None:
    login = forgetful.rp.login()
    code = code_for(forgetful, login)
    forgetful.clock.advance(forgetful.target.profile.code_ttl + 86_400)
    redeemed(forgetful.rp.redeem(code, login.code_verifier), "a day past the code's lifetime")


@pytest.mark.clause("T-2")
@forgets("code_reuse")
def test_forgetting_code_reuse_redeems_a_code_twice(forgetful: Forgetful) -> None:
    login = forgetful.rp.login()
    code = code_for(forgetful, login)
    first = redeemed(forgetful.rp.redeem(code, login.code_verifier), "the first redemption")
    redeemed(forgetful.rp.redeem(code, login.code_verifier), "the second redemption")
    assert forgetful.rp.userinfo(first).status == 200, "the first tokens stay"


@pytest.mark.clause("T-2", "T-5")
@forgets("revocation")
def test_forgetting_revocation_refuses_a_replay_but_keeps_the_first_tokens(
    forgetful: Forgetful,
) -> None:
    login = forgetful.rp.login()
    code = code_for(forgetful, login)
    first = redeemed(forgetful.rp.redeem(code, login.code_verifier), "the first redemption")
    refused(forgetful.rp.redeem(code, login.code_verifier), "invalid_grant", "T-2")
    still = forgetful.rp.userinfo(first)
    assert still.status == 200, f"the first tokens stay: {answered(still)}"


@pytest.mark.clause("T-1")
@forgets("code_binding")
def test_forgetting_the_code_binding_redeems_with_another_redirect_uri(
    forgetful: Forgetful,
) -> None:
    login = forgetful.rp.login()
    redeemed(
        forgetful.rp.redeem(
            code_for(forgetful, login), login.code_verifier, redirect_uri=f"{RP_SCHEME}://elsewhere"
        ),
        "another redirect_uri",
    )


@pytest.mark.clause("S-1", "S-4")
@forgets("verifier")
def test_forgetting_the_verifier_redeems_with_a_wrong_one(forgetful: Forgetful) -> None:
    login = forgetful.rp.login()
    redeemed(forgetful.rp.redeem(code_for(forgetful, login), "q" * 43), "a wrong verifier")


@pytest.mark.clause("T-1", "S-1", "S-4")
@pytest.mark.parametrize(
    "forgetful",
    [["code_reuse"], ["challenge"], ["code_expiry"]],
    indirect=True,
    ids=["code_reuse", "challenge", "code_expiry"],
)
def test_forgetting_another_check_still_binds_the_code_and_checks_the_verifier(
    forgetful: Forgetful,
) -> None:
    """A token request a correct provider refuses is refused the same way by one that
    forgets a check of another request; the right one still redeems."""
    login = forgetful.rp.login()
    code = code_for(forgetful, login)
    rp = forgetful.rp
    refused(
        rp.redeem(code, login.code_verifier, redirect_uri=f"{RP_SCHEME}://elsewhere"),
        "invalid_grant",
        "T-1",
    )
    with rp.variant(client_id="harness-rp-other") as other:
        refused(other.redeem(code, login.code_verifier), "invalid_grant", "T-1")
    refused(rp.redeem(code, "short"), "invalid_grant", "S-1")
    refused(rp.redeem(code, "q" * 43), "invalid_grant", "S-4")
    redeemed(rp.redeem(code, login.code_verifier), "the right request")


@pytest.mark.clause("T-3")
@forgets("pairwise")
def test_forgetting_pairwise_subjects_gives_two_clients_one_sub(forgetful: Forgetful) -> None:
    subs = []
    with forgetful.rp.variant(client_id="harness-rp-other") as other:
        for rp in (forgetful.rp, other):
            login = rp.login()
            code = code_for(forgetful, login)
            info = rp.userinfo(redeemed(rp.redeem(code, login.code_verifier), rp.client_id))
            subs.append(info.body["sub"])
    assert subs[0] == subs[1], subs
