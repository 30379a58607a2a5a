"""Each deliberately broken provider (``--broken-vneid FAULT``: the embedded VNeID mock carries
one fault of its catalog on every request) fails plan vneid-provider on exactly the clauses
that catch that fault, the provider-side twin of test_broken_relying_parties.py; and each
provider that forgets one of its own checks (``--broken-vneid CHECK``, :data:`CHECK_BREAKS`)
fails it on exactly the clauses of that check.

What a broken provider fails is in two parts, both asserted exactly:

* the plan's checks of the provider itself (:data:`BREAKS`): the tests that look at what the
  provider answers, other than the login journeys below (the ID-token faults: T-3);
* the spill-over (:data:`LOGIN_JOURNEYS`, :data:`LOGIN_CLAUSES`): a provider whose tokens or
  redirects the embedded VssID rightly refuses lets no citizen reach VssID's home, so the
  end-to-end login tests fail too, on the journey clauses they are tagged with (P-1 to P-3,
  A-1 and A-3 to A-6, V-1, V-2, V-5, V-6), for every fault below. Like R-12 for a broken
  relying party, this says "a login failed", not which check caught it; it is listed
  separately, and required in full, so that neither part can hide the other.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mock_providers.vneid.faults import FAULTS
from mock_providers.vneid.settings import SKIPPABLE_CHECKS
from tests.cli.plan_runs import run_plan

BREAKS: dict[str, set[str]] = {
    # the ID token's signature (T-3): userinfo (T-5) and the pairwise-sub test (T-4) read the
    # token's sub through its signature, so they fail with it
    "id_token_sig_invalid": {"T-3", "T-4", "T-5"},
    # the ID token's claims (T-3)
    "id_token_aud_invalid": {"T-3"},
    "id_token_nonce_invalid": {"T-3"},
    "id_token_expired": {"T-3"},
    # no acr: the level-1 requests' tests (A-2, P-2) read it too
    "id_token_acr_missing": {"T-3", "A-2", "P-2"},
    # the redirect: state and iss are the request's and the issuer's; the error
    # redirects (deny, level 1) carry them too
    "authz_response_state_invalid": {"A-2", "A-5", "A-7", "P-2", "R-3", "R-12"},
    "authz_response_iss_missing": {"A-5", "A-7", "P-2", "R-2", "R-3", "R-12"},
    # userinfo (T-5) answers another subject than the ID token
    "userinfo_sub_mismatch": {"T-5"},
}
"""Eight faults, one run of the plan each (about 7 s): the rest of the catalog was measured
once and gives the same sets as its kind here (so running it would add time, not coverage):
``id_token_kid_unknown``, ``id_token_sig_none`` and ``id_token_sig_hs256_pubkey`` and
``id_token_sub_missing`` as ``id_token_sig_invalid``; ``id_token_iss_invalid``,
``id_token_aud_extra_*``, ``id_token_azp_invalid``, ``id_token_nonce_missing``,
``id_token_iat_*``, ``id_token_exp_missing`` and ``id_token_acr_level1`` as
``id_token_aud_invalid``; ``id_token_personal_id_*`` {T-3, T-5};
``authz_response_iss_invalid`` as ``authz_response_iss_missing``;
``userinfo_personal_id_mismatch`` as ``userinfo_sub_mismatch``."""

LOGIN_JOURNEYS = (
    "scenarios/test_happy_path.py::test_citizen_lands_on_vssid_home[",
    "::test_every_hop_is_in_the_order_of_section_4",
    "::test_app_api_answers_carry_what_section_4_lists",
    "::test_me_returns_the_same_person",
    "::test_a_wrong_passcode_can_be_corrected",
    "::test_vneid_at_or_above_minimum_logs_in[",
)
"""The end-to-end logins (phone, VNeID, VssID) of the plan: with any fault above, VssID refuses
the login and every one of them fails."""
LOGIN_CLAUSES = {"P-1", "P-2", "P-3", "A-1", "A-3", "A-4", "A-5", "A-6", "V-1", "V-2", "V-5", "V-6"}
"""The clauses those tests are tagged with: the spill-over of every fault above."""


def _journey(test: str) -> bool:
    return any(part in test for part in LOGIN_JOURNEYS)


def test_every_expectation_names_a_fault_of_the_catalog() -> None:
    assert set(BREAKS) <= set(FAULTS.bugs())
    assert not {name for name in FAULTS.names() if name not in FAULTS.bugs()} & set(BREAKS)


@pytest.mark.parametrize("fault", list(BREAKS))
def test_broken_provider_fails_the_plan_on_its_clauses(tmp_path: Path, fault: str) -> None:
    run = run_plan(tmp_path, "vneid-provider", "--broken-vneid", fault)
    assert run.status == 1
    assert run.verdict["ok"] is False
    failed = [row for row in run.results if row["outcome"] == "failed"]
    journeys = [row["test"] for row in run.results if _journey(row["test"])]
    assert len(journeys) >= 6, journeys
    # the spill-over: every login journey fails, and only on its journey clauses
    assert {row["test"] for row in failed if _journey(row["test"])} == set(journeys)
    assert {c for row in failed if _journey(row["test"]) for c in row["clauses"]} == LOGIN_CLAUSES
    # the provider's own checks: exactly the clauses that catch this fault
    caught = {c for row in failed if not _journey(row["test"]) for c in row["clauses"]}
    assert caught == BREAKS[fault], [
        (r["test"], r["clauses"]) for r in failed if not _journey(r["test"])
    ]
    # and the verdict per clause says the same
    assert run.failed_clauses() == BREAKS[fault] | LOGIN_CLAUSES
    run.assert_badged_failed(BREAKS[fault])


CHECK_BREAKS: dict[str, set[str]] = {
    # the token endpoint: PKCE (the hijacking app's stolen code too), the code's
    # bindings (a redirect_uri of another registered callback: S-2 too), client secrets,
    # single use, lifetime
    "verifier": {"S-1", "S-4"},
    "code_binding": {"T-1", "S-2"},
    "client_secret": {"T-1"},
    "code_reuse": {"T-2"},
    "code_expiry": {"T-2"},
    "revocation": {"T-2"},
    "no_store": {"T-1"},
    # discovery says pairwise: two clients, one citizen, two subs
    "pairwise": {"T-3", "T-4"},
    # a denial that gets a code: the tests of that deny to see whether a newer login
    # is asked for, and the phone's cancel journey, see it too
    "deny": {"A-7", "A-4", "A-5", "R-3", "R-12"},
    "locked": {"A-4"},
    # the authorization request: the refusals go back by redirect, or must not (S-3)
    "redirect_uri": {"S-2", "S-3", "A-7"},
    "challenge": {"S-1", "A-7"},
    # level 1 through: the redirect's error, the acr_values parsing and the
    # phone's journey to VssID's error see it too
    "level": {"P-2", "A-2", "A-7", "R-3", "R-12"},
    # the app API's version gate: old (V-2 orders them), malformed (V-1, V-3), the app's
    # update screen on the server's 426 (V-6)
    "app_version": {"V-1", "V-2", "V-3", "V-5", "V-6"},
}
"""A provider that forgets one of its own checks (``--broken-vneid CHECK``): the plan fails on
exactly these clauses. No spill-over: a forgotten check lets through what a correct provider
refuses, and the login journeys ask for nothing it refuses, so they pass."""


def test_every_check_a_provider_can_forget_has_its_expectation() -> None:
    assert set(CHECK_BREAKS) == set(SKIPPABLE_CHECKS)
    assert not set(SKIPPABLE_CHECKS) & set(FAULTS.names())  # one option takes both


@pytest.mark.parametrize("check", list(CHECK_BREAKS))
def test_a_provider_forgetting_a_check_fails_the_plan_on_its_clauses(
    tmp_path: Path, check: str
) -> None:
    run = run_plan(tmp_path, "vneid-provider", "--broken-vneid", check)
    assert run.status == 1
    failed = [row for row in run.results if row["outcome"] == "failed"]
    journeys = [row for row in run.results if _journey(row["test"])]
    assert len(journeys) >= 6
    assert all(row["outcome"] == "passed" for row in journeys), journeys
    caught = {c for row in failed for c in row["clauses"]}
    assert caught == CHECK_BREAKS[check], [(r["test"], r["clauses"]) for r in failed]
    assert run.failed_clauses() == CHECK_BREAKS[check]
    run.assert_badged_failed(CHECK_BREAKS[check])


def test_the_correct_provider_passes_the_plan(tmp_path: Path) -> None:
    assert run_plan(tmp_path, "vneid-provider").status == 0


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["--broken-vneid", "no_such_fault"],
            "--broken-vneid: unknown fault or check 'no_such_fault'; choose a fault from "
            "id_token_nonce_invalid, ",
        ),
        (
            ["--broken-vneid", "signing_key_rotated"],  # a variation: valid, not a bug
            "--broken-vneid: unknown fault or check 'signing_key_rotated'; choose a fault from ",
        ),
        (
            ["--broken-vneid", "verifier", "--vneid-url", "http://127.0.0.1:9"],
            "--broken-vneid breaks the harness's embedded mocks, to preview a failing verdict; a "
            "server of yours is tested as it is: leave out --broken-vneid, or --vneid-url",
        ),
        (
            ["--broken-vneid", "id_token_sig_invalid", "--vneid-url", "http://127.0.0.1:9"],
            "--broken-vneid breaks the harness's embedded mocks, to preview a failing verdict; a "
            "server of yours is tested as it is: leave out --broken-vneid, or --vneid-url",
        ),
    ],
)
def test_a_fault_it_cannot_carry_is_a_usage_error(
    pytester: pytest.Pytester, args: list[str], said: str
) -> None:
    pytester.makepyfile("def test_x(target):\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert said in result.stderr.str()
    if "unknown" in said:
        assert ", ".join(FAULTS.bugs()) in result.stderr.str()
        assert f"or a check from {', '.join(SKIPPABLE_CHECKS)}" in result.stderr.str()


def test_an_id_token_dated_ahead_is_named_by_its_iat(tmp_path: Path) -> None:
    """T-3: an ID token whose ``iat`` (and ``exp`` along with it) lies ahead of the harness's
    clock, as a provider whose clock runs ahead issues them, is named by its ``iat``: it was
    named "expected exp at most 600 s from now, observed 665 s", as if it lived too long
    (899 s against a provider served with its clock 5 min ahead)."""
    run = run_plan(
        tmp_path,
        "vneid-provider",
        "--broken-vneid",
        "id_token_iat_future",
        "-k",
        "test_id_token_is_es256_with_kid_and_every_claim",
    )
    (row,) = [r for r in run.results if r["outcome"] == "failed"]
    assert "T-3: expected iat the time the token was issued" in row["message"], row["message"]
    # 65 s ahead of the whole second the fault read, so 64 to 65 s ahead of the check's now
    assert re.search(r"observed \+6[45] s from now", row["message"]), row["message"]
