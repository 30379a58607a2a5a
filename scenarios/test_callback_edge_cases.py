"""The callback answered over HTTP: each refusal's §8 body, and the provider's errors (R-1…R-4).

The tests over the relying party's HTTP API (and the phone) are in the `vssid-relying-party`
plan; those of a scripted issuer (``world``) check the harness's own VssID mock only."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from harness.personas import Persona
from harness.protocol import ERRORS, AuthorizationRequest, parse_callback
from harness.protocol.redaction import is_secret_key
from harness.pytest_plugin import run_profile
from harness.targets import Target, VNeIDHandle, VssIDHandle
from harness.trace import Trace
from harness.world import DeviceFactory, PersonaPool
from scenarios.scripted_issuer import ScriptedWorld, assert_refused
from scenarios.support import (
    answered,
    app_headers,
    assert_error_screen,
    complete,
    error_json,
    hand_off,
    no_token_request,
    public,
    replace_param,
    shown,
)


def refused(
    response: httpx.Response, code: str, clause: str, vssid: VssIDHandle, *, mock_code: bool = False
) -> dict[str, Any]:
    """A refusal with the §8 body ``{error, error_description, clause}``: this ``code`` (for
    a relying party other than the embedded mock, only when the code is the protocol's, not
    ``mock_code``, the mock's choice where §8 names none), and a clause (which one is the
    mock's choice: checked on the mock only)."""
    body = error_json(response, f"the relying party to refuse with {code} ({clause})")
    assert 400 <= response.status_code < 600, (
        f"{clause}: expected the relying party to refuse with {code}, observed HTTP "
        f"{response.status_code}"
        + (
            ": it logged the citizen in (a session_token)"
            if "session_token" in body
            else f": {body}"
        )
    )
    for field in ("error", "clause"):
        assert isinstance(body.get(field), str), (
            f"§8: expected a string {field} in the refusal's body, observed {public(body)}"
        )
        assert body[field], f"§8: expected a non-empty {field}, observed {public(body)}"
    if vssid.is_embedded or not mock_code:
        assert body["error"] == code, (
            f"expected {code} ({clause}), observed HTTP {response.status_code}: {body}"
        )
        spec = ERRORS.get(code)
        if spec is not None and spec.status is not None:
            assert response.status_code == spec.status, (
                f"expected HTTP {spec.status} for {code} (§8), observed HTTP "
                f"{response.status_code}: {body}"
            )
    if vssid.is_embedded:
        assert body["clause"] == clause, (
            f"expected {code} to cite clause {clause}, observed {body['clause']}: {public(body)}"
        )
    assert isinstance(body.get("error_description"), str), (
        f"§8: expected an error_description string, observed {public(body)}"
    )
    assert body["error_description"], (
        f"§8: expected a non-empty error_description, observed {public(body)}"
    )
    assert "session_token" not in body, (
        f"R-12: expected no session with the refusal ({code}), observed a session_token"
    )
    return body


# -- against the target: what any relying party must answer (portable) ---------------------------


@pytest.mark.plan("vssid-relying-party")
@pytest.mark.clause("R-1", "R-12")
@pytest.mark.parametrize(
    "spoil",
    [
        shown("forged", lambda state: "forged-state-value-0123456789"),
        shown("missing", lambda state: None),
        shown("with-a-suffix", lambda state: f"{state}x"),  # "equals", not "starts with"
        shown("cut-short", lambda state: state[:-1]),
    ],
    ids=["forged-state-value-0123456789", "None", "with-a-suffix", "cut-short"],
)
def test_a_wrong_or_missing_state_is_refused_with_its_clause(
    target: Target,
    vssid: VssIDHandle,
    vneid: VNeIDHandle,
    persona: Persona,
    spoil: Callable[[str], str | None],
) -> None:
    """R-1: the callback's ``state`` equals the transaction's (a fault-injection audit: a
    prefix match went unnoticed)."""
    tx, callback = hand_off(target, persona)
    state = parse_callback(callback).state
    assert state is not None, f"A-5: expected a state in the callback, observed {public(callback)}"
    refused(
        complete(target, tx, replace_param(callback, "state", spoil(state))),
        "state_mismatch",
        "R-1",
        vssid,
    )
    no_token_request(vneid, "R-1")


@pytest.mark.plan("vssid-relying-party")
@pytest.mark.clause("R-2", "R-12")
@pytest.mark.parametrize(
    "spoil",
    [
        shown("elsewhere", lambda iss: "http://evil.test"),
        shown("missing", lambda iss: None),
        shown("trailing-slash", lambda iss: f"{iss}/"),  # RFC 9207 §2.4: simple string compare
    ],
    ids=["http://evil.test", "None", "trailing-slash"],
)
def test_a_wrong_or_missing_iss_is_refused_with_its_clause(
    target: Target,
    vssid: VssIDHandle,
    vneid: VNeIDHandle,
    persona: Persona,
    spoil: Callable[[str], str | None],
) -> None:
    """R-2: the callback's ``iss`` equals the issuer, compared as strings (RFC 9207 §2.4; a
    fault-injection audit: ignoring a trailing slash went unnoticed)."""
    tx, callback = hand_off(target, persona)
    refused(
        complete(target, tx, replace_param(callback, "iss", spoil(vneid.issuer))),
        "issuer_mismatch",
        "R-2",
        vssid,
    )
    no_token_request(vneid, "R-2")


@pytest.mark.plan("vssid-relying-party")
@pytest.mark.clause("R-4")
def test_a_callback_to_another_uri_is_refused_with_its_clause(
    target: Target, vssid: VssIDHandle, vneid: VNeIDHandle, persona: Persona
) -> None:
    """The callback moved to another path of the same app: ``vssid://auth/vneid/other``
    by PROTOCOL.md's defaults (the profile's callback with its last segment replaced)."""
    tx, callback = hand_off(target, persona)
    registered = target.profile.callback_custom
    head, last = registered.rsplit("/", 1)
    other = f"{head}/{'other' if last != 'other' else 'another'}"
    assert callback.startswith(f"{registered}?"), f"expected a callback to {registered}"
    moved = callback.replace(registered, other, 1)
    refused(complete(target, tx, moved), "invalid_request", "R-4", vssid, mock_code=True)
    no_token_request(vneid, "R-4")


@pytest.mark.plan("vssid-relying-party")
@pytest.mark.clause("A-6", "R-12")
@pytest.mark.parametrize(
    "spoil",
    [
        shown("no-scheme", lambda callback: callback.split("://", 1)[1]),  # not a link at all
        shown("repeated-state", lambda callback: f"{callback}&state=again"),  # RFC 6749 §3.1
    ],
    ids=["no-scheme", "repeated-state"],
)
def test_a_callback_url_that_is_not_a_link_is_refused_citing_a6(
    target: Target,
    vssid: VssIDHandle,
    vneid: VNeIDHandle,
    persona: Persona,
    spoil: Callable[[str], str],
) -> None:
    tx, callback = hand_off(target, persona)
    refused(complete(target, tx, spoil(callback)), "invalid_request", "A-6", vssid, mock_code=True)
    no_token_request(vneid, "A-6")


@pytest.mark.plan("vssid-relying-party")
@pytest.mark.clause("A-5", "R-12")
def test_a_callback_with_neither_code_nor_error_is_refused(
    target: Target, vssid: VssIDHandle, vneid: VNeIDHandle, persona: Persona
) -> None:
    tx, callback = hand_off(target, persona)
    refused(
        complete(target, tx, replace_param(callback, "code", None)),
        "invalid_request",
        "A-5",
        vssid,
        mock_code=True,
    )
    no_token_request(vneid, "A-5")


@pytest.mark.plan("vssid-relying-party")
@pytest.mark.clause("R-3", "A-7")
def test_a_denied_login_ends_with_access_denied_citing_r3(
    target: Target, vssid: VssIDHandle, vneid: VNeIDHandle, persona: Persona
) -> None:
    tx, callback = hand_off(target, persona, decision="deny")
    refused(complete(target, tx, callback), "access_denied", "R-3", vssid)
    no_token_request(vneid, "R-3")


@pytest.mark.plan("vssid-relying-party")
@pytest.mark.clause("R-3", "A-7")
@pytest.mark.parametrize(
    "error",
    [
        "invalid_request",
        "invalid_scope",
        "unsupported_response_type",
        "unmet_authentication_requirements",
    ],
)
def test_each_redirected_error_of_a7_ends_the_login_with_that_error(
    target: Target, vssid: VssIDHandle, vneid: VNeIDHandle, persona: Persona, error: str
) -> None:
    tx, callback = hand_off(target, persona)
    forged = replace_param(replace_param(callback, "code", None), "error", error)
    refused(complete(target, tx, forged), error, "R-3", vssid)
    no_token_request(vneid, "R-3")


@pytest.mark.plan("vssid-relying-party")
@pytest.mark.clause("R-3", "R-1")
def test_an_error_callback_ends_the_transaction(
    target: Target, vssid: VssIDHandle, vneid: VNeIDHandle, persona: Persona
) -> None:
    """R-3 "ends the transaction with that error": the same transaction cannot be completed
    afterwards, even with the real callback (a second fault-injection audit: a transaction
    left open after an error went unnoticed; every error test completed once)."""
    tx, callback = hand_off(target, persona)
    forged = replace_param(replace_param(callback, "code", None), "error", "access_denied")
    refused(complete(target, tx, forged), "access_denied", "R-3", vssid)
    again = complete(target, tx, callback)
    body = refused(again, "transaction_already_used", "R-1", vssid, mock_code=True)
    assert "session_token" not in body, "R-3: the transaction ended with the error"
    no_token_request(vneid, "R-3")


# -- the VssID mock's own answers: a backend built by the test -------------------------------------


# -- faults of the response also apply to error redirects ------------------------------------------


@pytest.mark.plan("vssid-relying-party")
@pytest.mark.clause("R-2")
@pytest.mark.parametrize("level", [2, 1], ids=["deny", "level-1"])
def test_a_wrong_iss_on_an_error_redirect_is_refused_as_a_mix_up(
    device: DeviceFactory, personas: PersonaPool, target: Target, vneid: VNeIDHandle, level: int
) -> None:
    """RFC 9207 §2.4: the relying party checks ``iss`` before acting on an ``error``."""
    from harness.flows import login_with_vneid

    citizen = personas.new(level=level)
    vneid.arm_fault(target.profile.vssid_client_id, "authz_response_iss_invalid")
    phone = device("android")
    screen = login_with_vneid(phone.driver, citizen, decision="deny" if level == 2 else "approve")
    assert_error_screen(screen, app="vssid", code="issuer_mismatch", clause="R-2")
    no_token_request(vneid, "R-2")


@pytest.fixture
def world(
    request: pytest.FixtureRequest, test_seed: str, adopt_trace: Callable[[Trace], Trace]
) -> Iterator[ScriptedWorld]:
    """A VssID backend of the test's own, following the run's profile (its values drawn
    from the test's seed)."""
    made = ScriptedWorld(seed=test_seed, profile=run_profile(request.config))
    adopt_trace(made.trace)
    yield made
    made.close()


def error_callback(
    world: ScriptedWorld, error: str, description: str | None = None
) -> httpx.Response:
    transaction_id, request = world.start()
    params = {"code": None, "error": error, "error_description": description}
    return world.complete(transaction_id, world.callback(request, **params))


@pytest.mark.clause("R-3")
@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("access_denied", 400),
        ("invalid_request", 400),
        ("invalid_scope", 400),
        ("unsupported_response_type", 400),
        ("unauthorized_client", 400),
        ("unmet_authentication_requirements", 403),
        ("server_error", 502),
    ],
)
def test_a_known_provider_error_keeps_its_code_with_its_status(
    world: ScriptedWorld, error: str, status: int
) -> None:
    body = assert_refused(error_callback(world, error, "why"), status, error, "R-3")
    assert (body["provider_error"], body["provider_error_description"]) == (error, "why")
    assert body["error_description"].endswith(f"{error}: why"), body
    assert world.issuer.calls_to("/token") == []


@pytest.mark.clause("R-3")
def test_temporarily_unavailable_is_the_providers_failure(world: ScriptedWorld) -> None:
    body = assert_refused(
        error_callback(world, "temporarily_unavailable", "maintenance"),
        502,
        "provider_unavailable",
        "R-3",
    )
    assert body["provider_error"] == "temporarily_unavailable"
    assert body["error_description"].endswith(": maintenance"), body


@pytest.mark.clause("R-3")
@pytest.mark.parametrize(
    ("error", "shown"),
    [
        ("no_such_error", "no_such_error"),
        ("x" * 64, "x" * 64),
        ("x" * 65, repr("x" * 64)),
        ('bad"quote', repr('bad"quote')),
        ("lỗi", repr("lỗi")),
    ],
)
def test_an_unknown_provider_error_is_invalid_request_and_shown_safely(
    world: ScriptedWorld, error: str, shown: str
) -> None:
    """RFC 6749 §4.1.2.1: an error code is 1-64 characters of %x20-21 / %x23-5B / %x5D-7E;
    anything else is shown quoted, cut to 64."""
    body = assert_refused(error_callback(world, error), 400, "invalid_request", "R-3")
    assert body["provider_error"] == shown, body
    assert body["provider_error_description"] is None, body
    assert not body["error_description"].endswith(":"), body


@pytest.mark.clause("R-3")
def test_an_empty_provider_error_is_shown_quoted(world: ScriptedWorld) -> None:
    body = assert_refused(error_callback(world, ""), 400, "invalid_request", "R-3")
    assert body["provider_error"] == "''", body


@pytest.mark.clause("R-3")
def test_the_providers_description_is_kept_to_300_characters(world: ScriptedWorld) -> None:
    body = assert_refused(
        error_callback(world, "access_denied", "d" * 400), 400, "access_denied", "R-3"
    )
    assert body["provider_error_description"] == "d" * 300


@pytest.mark.clause("R-3")
def test_a_provider_error_without_description_says_so(world: ScriptedWorld) -> None:
    body = assert_refused(error_callback(world, "access_denied"), 400, "access_denied", "R-3")
    assert body["provider_error_description"] is None
    assert body["error_description"].endswith("access_denied"), body


@pytest.mark.clause("A-1", "A-2")
def test_the_authorization_request_follows_the_profile(
    test_seed: str, adopt_trace: Callable[[Trace], Trace]
) -> None:
    """A-2 with a vendor profile: its scope and its app-link base, not the defaults."""
    from harness.protocol import DEFAULT_PROFILE, parse_authorize_link

    profile = DEFAULT_PROFILE.evolve(scope="openid", vneid_scheme="vneid-vendor")
    made = ScriptedWorld(seed=test_seed, profile=profile)
    adopt_trace(made.trace)
    try:
        started = made.http.post("/api/v1/auth/vneid/start", json={}).json()
    finally:
        made.close()
    assert started["authorize_url"].startswith("vneid-vendor://authorize?")
    _, link = parse_authorize_link(started["authorize_url"], profile)
    request = AuthorizationRequest.from_params(link.params)
    assert (request.scope, request.acr_values) == ("openid", "urn:vneid:loa:2")


@pytest.mark.clause("A-1")
def test_state_and_nonce_carry_256_bits_and_the_transaction_id_128(world: ScriptedWorld) -> None:
    """A-1 asks for at least 128 bits; the VssID mock gives state, nonce and the PKCE
    verifier 256 bits (43 base64url characters) and the transaction id 128 (22)."""
    transaction_id, request = world.start()
    assert (len(request["state"]), len(request["nonce"])) == (43, 43)
    assert len(transaction_id) == 22
    verifier = world.provider.transactions.consume(transaction_id).code_verifier
    assert len(verifier) == 43


@pytest.mark.plan("vssid-relying-party")
@pytest.mark.clause("A-6", "R-12")
@pytest.mark.parametrize(
    "token", [None, "not-a-session-token", "expired"], ids=["none", "unknown", "ended"]
)
def test_me_answers_only_a_live_session_token(
    target: Target, vssid: VssIDHandle, persona: Persona, token: str | None
) -> None:
    """A-6: ``me`` returns the person of the session the bearer token names; without one,
    or with a token the backend never issued or no longer holds, it is 401 (RFC 6750 §3.1:
    ``invalid_token`` for a token sent; none is required without credentials). A backend
    that answered any bearer token gave every citizen's data to anyone."""
    tx, callback = hand_off(target, persona)
    done = complete(target, tx, callback)
    assert done.status_code == 200, (
        f"A-6: expected complete to log the citizen in (HTTP 200), observed {answered(done)}"
    )
    headers = app_headers("vssid", profile=target.profile)
    if token == "expired":
        target.vssid.set_clock(target.profile.vssid_session_ttl + 61)  # the session ended
        token = done.json()["session_token"]
    with target.vssid.client(headers=headers) as app:
        answer = app.get(
            "/api/v1/me", headers={} if token is None else {"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 401, (
        f"expected HTTP 401 from me with {'no' if token is None else 'that'} bearer token "
        f"(RFC 6750 §3.1), observed HTTP {answer.status_code}: {answer.text}"
    )
    assert persona.personal_id not in answer.text, (
        "A-6: expected me's 401 to carry none of the citizen's data, observed their "
        "personal_id in it"
    )
    if token is not None:  # RFC 6750 §3.1 puts it in WWW-Authenticate; the mock's body too
        challenge = answer.headers.get("www-authenticate", "")
        body = answer.json() if "json" in answer.headers.get("content-type", "") else {}
        said = 'error="invalid_token"' in challenge or body.get("error") == "invalid_token"
        assert said, (
            "expected invalid_token in WWW-Authenticate (RFC 6750 §3.1) or the body, "
            f"observed {challenge!r} and {answer.text[:200]!r}"
        )
        if vssid.is_embedded:
            assert body.get("error") == "invalid_token", (
                f"expected invalid_token in the body, observed {answered(answer)}"
            )


def _unredacted(value: Any, where: str = "") -> list[str]:
    """Where a JSON value holds a secret-named field that is not redacted."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if (
                is_secret_key(str(key))
                and isinstance(item, str)
                and item
                and "REDACTED" not in item
            ):
                found.append(f"{where}.{key}")
            found += _unredacted(item, f"{where}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found += _unredacted(item, f"{where}[{n}]")
    return found


@pytest.mark.plan("vssid-relying-party")
@pytest.mark.clause("S-5", "A-1", "A-6")
def test_the_relying_party_keeps_its_secrets_out_of_its_answers_and_log(
    target: Target, vssid: VssIDHandle, persona: Persona
) -> None:
    """S-5: the app gets no PKCE verifier from ``start`` nor tokens of VNeID's from
    ``complete``, and the relying party's request log (§11) shows no code, session token or
    other secret unredacted, though the harness reads it in every test."""
    headers = app_headers("vssid", profile=target.profile)
    with target.vssid.client(headers=headers) as app:
        started = app.post("/api/v1/auth/vneid/start", json={})
    assert _unredacted(started.json()) == [], f"start handed the app a secret: {started.text}"
    tx, callback = hand_off(target, persona)
    code = dict(parse_qsl(urlsplit(callback).query)).get("code", "")
    assert code, f"A-5: expected a code in the callback, observed {public(callback)}"
    done = complete(target, tx, callback)
    assert done.status_code == 200, (
        f"A-6: expected complete to log the citizen in (HTTP 200), observed {answered(done)}"
    )
    answer = done.json()
    assert not {"id_token", "access_token", "code_verifier"} & set(answer), (
        f"complete handed the app what only the backend may hold: {sorted(answer)}"
    )
    session = answer["session_token"]
    with target.vssid.client(headers=headers) as app:
        me = app.get("/api/v1/me", headers={"Authorization": f"Bearer {session}"})
        assert me.status_code == 200, (
            f"A-6: expected me to answer the session (HTTP 200), observed {answered(me)}"
        )
    log = vssid.requests()
    shown = json.dumps(log)
    assert code not in shown, "S-5: the relying party's request log shows the code"
    assert session not in shown, "S-5: the relying party's request log shows a session token"
    if vssid.is_embedded:  # its redaction's mark; another provider may mask its own way
        assert _unredacted(log) == [], f"S-5: unredacted secrets in the log: {_unredacted(log)}"
