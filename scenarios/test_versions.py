"""App versions: every boundary of VssID and VNeID (the run's profile's minimums; PROTOCOL.md's
defaults are 1.6.7 and 2.1.0), in the apps and servers.

V-6: minimum versions are configuration, so the cases are kinds of version *relative to the
minimum* ("the minimum", "a higher patch", "a pre-release of the minimum"…), each computed in
the test from the run's profile (:func:`version_case`). Against the defaults they are the
versions named in the comments of the kind lists."""

from __future__ import annotations

from typing import Any

import pytest

from harness.apps.base import store_link_in
from harness.apps.screens import (
    APP_UPDATE,
    APP_UPDATE_STORE,
    VNEID_LOGIN,
    VSSID_LOGIN,
    VSSID_LOGIN_VNEID,
)
from harness.flows import decide, enter_credentials, login_with_vneid, start_vneid_login
from harness.personas import Persona
from harness.protocol import AppId, Profile
from harness.pytest_plugin import run_profile
from harness.rp import TestRelyingParty
from harness.targets import Target, VNeIDHandle, VssIDHandle, embedded_target
from harness.world import DeviceFactory, make_device
from scenarios.support import (
    COMPLETE_PATH,
    answered,
    app_headers,
    app_session_token,
    assert_error_body,
    assert_home,
    calls,
    complete,
    hand_off,
    public,
    store_origin,
)
from scenarios.version_cases import MALFORMED_CASES, default_id, version_case

VSSID_NEW_ENOUGH = [
    "minimum",
    "higher-patch",
    "next-minor-short",
    "minimum-with-build",
    "next-major",
    "prerelease-of-next-minor",
    "minimum-64-chars",
]
# 1.6.7, 1.6.10, 1.7, 1.6.7+build.5, 2.0, 1.7.0-beta.1, 1.6.7+bbb… (64 characters: V-3
# refuses over 64)
VSSID_TOO_OLD = [
    "lower-patch",
    "beta-of-minimum",
    "minimum-truncated",
    "previous-major-9.99",
    "just-below-with-build",
]
# 1.6.6, 1.6.7-beta.1, 1.6, 0.9.99, 1.6.6+build.5 (build metadata lifts nothing, V-2)
VNEID_NEW_ENOUGH = [
    "minimum",
    "minimum-other-length",
    "higher-minor",
    "fourth-component",
    "minimum-with-numeric-build",
    "prerelease-of-next-minor",
    "minimum-64-chars",
]
# 2.1.0, 2.1, 2.10.0, 2.1.0.1, 2.1.0+77, 2.2.0-beta.1, 2.1.0+bbb… (64 characters)
VNEID_TOO_OLD = [
    "lower-minor-higher-patch",
    "rc-of-minimum",
    "lower-minor-short",
    "previous-major-99.99",
    "just-below-with-build",
]
# 2.0.9, 2.1.0-rc.1, 2.0, 1.99.99, 2.0.99+build.5
MALFORMED = ["v2.1.0", "2..1", "02.1.0", "", "1" * 65, "2.1.0-", "2.1.0+", "latest", "2.1.0.0.1"]
"""Malformed under any minimum (V-1, V-3; ``2.1.0+``: SemVer's build has an identifier)."""


def assert_store_link(
    body: dict[str, Any], profile: Profile, app: AppId, platform: str, *, embedded: bool
) -> None:
    """V-4, V-5, P-3: a 426 carries the app's store link for the caller's platform, in any
    field; the mock's field name and exact listing (``store_url``, §10) are its own."""
    clause = "V-4" if app == "vssid" else "V-5"
    store = store_origin(profile, app, platform)
    assert (store_link_in(body, store) or "").startswith(store), (
        f"{clause}, P-3: expected a link to {store} for {platform}, observed {body}"
    )
    if embedded:
        assert body["store_url"] == profile.store_link(app, platform), (
            f"{clause}: the store link of the app itself, for the caller's platform"
        )


# -- VssID ------------------------------------------------------------------------------------
@pytest.mark.clause("P-3", "V-1", "V-2", "V-4", "V-6")
@pytest.mark.parametrize("kind", VSSID_NEW_ENOUGH, ids=default_id("vssid"))
@pytest.mark.plan("vssid-relying-party")
def test_vssid_at_or_above_minimum_logs_in(
    target: Target, device: DeviceFactory, persona: Persona, kind: str
) -> None:
    version = version_case(target.profile, "vssid", kind)
    phone = device("ios", vssid=version)
    assert_home(login_with_vneid(phone.driver, persona), f"VssID {version} ({kind}) must log in")


@pytest.mark.clause("V-2", "V-6")
@pytest.mark.parametrize("kind", VSSID_TOO_OLD, ids=default_id("vssid"))
# in no vendor plan: the harness's own VssID app decides, never a relying party under test
def test_old_vssid_shows_no_vneid_entry(target: Target, device: DeviceFactory, kind: str) -> None:
    version = version_case(target.profile, "vssid", kind)
    phone = device("android", vssid=version)
    screen = phone.driver.open_app("vssid")
    assert screen.id == VSSID_LOGIN
    assert not screen.has(VSSID_LOGIN_VNEID), f"VssID {version} must not offer VNeID login"


@pytest.mark.clause("V-2", "V-4")
@pytest.mark.parametrize("platform", ["ios", "android"])
@pytest.mark.parametrize("kind", [*VSSID_TOO_OLD], ids=default_id("vssid"))
@pytest.mark.plan("vssid-relying-party")
def test_vssid_backend_refuses_old_app_with_store_link(
    target: Target, vssid: VssIDHandle, kind: str, platform: str
) -> None:
    version = version_case(target.profile, "vssid", kind)
    with vssid.client() as http:
        response = http.post(
            "/api/v1/auth/vneid/start", json={}, headers=app_headers("vssid", version, platform)
        )
    assert_store_link(
        assert_error_body(response, 426, "app_update_required", "V-4"),
        target.profile,
        "vssid",
        platform,
        embedded=vssid.is_embedded,
    )


@pytest.mark.clause("V-2", "V-4")
@pytest.mark.parametrize("kind", VSSID_NEW_ENOUGH, ids=default_id("vssid"))
@pytest.mark.plan("vssid-relying-party")
def test_vssid_backend_accepts_new_enough_app(
    target: Target, vssid: VssIDHandle, kind: str
) -> None:
    version = version_case(target.profile, "vssid", kind)
    with vssid.client() as http:
        response = http.post(
            "/api/v1/auth/vneid/start", json={}, headers=app_headers("vssid", version)
        )
    assert 200 <= response.status_code < 300, (
        f"VssID {version}: expected start to answer 2xx (A-1), observed HTTP "
        f"{response.status_code}: {response.text}"
    )
    link = str(response.json().get("authorize_url"))
    forms = (f"{target.profile.authorize_link_custom}?", f"{target.profile.authorize_link_https}?")
    assert link.startswith(forms), (  # either form of A-1
        f"A-1: expected authorize_url to start {forms[0]} or {forms[1]}, observed {public(link)}"
    )


@pytest.mark.clause("V-1", "V-3", "V-4")
@pytest.mark.parametrize("version", MALFORMED)
@pytest.mark.plan("vssid-relying-party")
def test_vssid_backend_refuses_malformed_version(vssid: VssIDHandle, version: str) -> None:
    with vssid.client() as http:
        response = http.post(
            "/api/v1/auth/vneid/start", json={}, headers=app_headers("vssid", version)
        )
    assert_error_body(response, 400, "app_version_invalid", "V-3")


@pytest.mark.clause("V-3", "V-4")
@pytest.mark.parametrize("call", ["start", "complete", "me"])
@pytest.mark.parametrize(
    "version", ["too-old", None, "v1.6.7"], ids=["too-old", "missing", "malformed"]
)
@pytest.mark.plan("vssid-relying-party")
def test_every_vssid_app_call_is_version_gated(
    target: Target, vssid: VssIDHandle, persona: Persona, call: str, version: str | None
) -> None:
    """V-3, V-4 "on every app API call": not only at the start of a login, and a missing or
    malformed version as well as one too old. Everything else in the call is valid (a live
    transaction and its callback, a live session), so whichever check a backend makes
    first, the version is the only thing to refuse."""
    headers = {"X-Device-Platform": "ios"}
    if version == "too-old":
        headers["X-VssID-App-Version"] = version_case(target.profile, "vssid", "lower-patch")
    elif version is not None:
        headers["X-VssID-App-Version"] = version
    request: dict[str, Any] = {"json": {}}
    if call != "start":
        transaction_id, callback = hand_off(target, persona)
        request = {"json": {"transaction_id": transaction_id, "callback_url": callback}}
    if call == "me":
        done = complete(target, request["json"]["transaction_id"], request["json"]["callback_url"])
        assert 200 <= done.status_code < 300, (
            f"A-6: expected complete to answer 2xx with a session, observed {answered(done)}"
        )
        request = {"headers": {"Authorization": f"Bearer {done.json()['session_token']}"}}
    method, path = {
        "start": ("POST", "/api/v1/auth/vneid/start"),
        "complete": ("POST", COMPLETE_PATH),
        "me": ("GET", "/api/v1/me"),
    }[call]
    with vssid.client() as http:
        response = http.request(
            method,
            path,
            json=request.get("json"),
            headers={**headers, **request.get("headers", {})},
        )
    if version == "too-old":
        assert_error_body(response, 426, "app_update_required", "V-4")
    else:
        assert_error_body(response, 400, "app_version_invalid", "V-3")


@pytest.mark.clause("V-2", "V-4")
def test_prerelease_identifiers_order_as_in_semver(request: pytest.FixtureRequest) -> None:
    """V-2 orders pre-releases as SemVer 2.0 §11.4: numeric identifiers sort below
    alphanumeric ones, so against a 1.6.7-alpha minimum 1.6.7-1 is too old and 1.6.7-beta is
    new enough. Only a profile of our own has a pre-release minimum (the run's profile with
    that minimum)."""
    target = embedded_target(
        seed="v2-prerelease",
        profile=run_profile(request.config).evolve(vssid_min_version="1.6.7-alpha"),
    )
    versions = ["1.6.7-1", "1.6.6", "1.6.7-alpha", "1.6.7-alpha.1", "1.6.7-beta", "1.6.7"]
    try:
        with target.vssid.client() as http:
            statuses = {
                v: http.post(
                    "/api/v1/auth/vneid/start", json={}, headers=app_headers("vssid", v)
                ).status_code
                for v in versions
            }
    finally:
        target.close()
    assert statuses == {
        "1.6.7-1": 426,
        "1.6.6": 426,
        "1.6.7-alpha": 200,
        "1.6.7-alpha.1": 200,
        "1.6.7-beta": 200,
        "1.6.7": 200,
    }


@pytest.mark.clause("V-4", "V-6")
def test_vssid_app_shows_update_screen_when_backend_says_426(
    target: Target, device: DeviceFactory
) -> None:
    """An app that thinks it is new enough (a sideloaded build) still meets the server gate:
    the app follows the run's profile (1.6.7 by default) and is at its next minor (1.7), the
    server's minimum is the minor after (1.8)."""
    major, minor = target.profile.vssid_min_version.release[:2]
    strict = embedded_target(
        seed="v6-app", profile=target.profile.evolve(vssid_min_version=f"{major}.{minor + 2}")
    )
    phone = make_device(strict, "android", vssid=f"{major}.{minor + 1}")
    phone.vssid_app.profile = target.profile
    try:
        screen = start_vneid_login(phone.driver)
        assert screen.id == APP_UPDATE
        store_url = screen.element(APP_UPDATE_STORE).value
        assert store_url is not None, "the update screen links to no store"
        assert store_url.startswith(store_origin(target.profile, "vssid", "android"))
    finally:
        phone.close()
        strict.close()


@pytest.mark.clause("V-4", "A-6")
@pytest.mark.parametrize("platform", ["ios", "android"])
@pytest.mark.plan("vssid-relying-party")
def test_vssid_downgraded_during_the_hand_off_shows_the_update_screen(
    target: Target, device: DeviceFactory, persona: Persona, vssid: VssIDHandle, platform: str
) -> None:
    """VssID is replaced by a build below the minimum while the user is in VNeID: the callback
    reaches a backend that answers 426 to /complete, and the app shows §9's update screen with
    the store link the refusal carries, not a generic error."""
    phone = device(platform)
    start_vneid_login(phone.driver)
    phone.install_vssid(version_case(target.profile, "vssid", "lower-patch"))
    enter_credentials(phone.driver, persona)
    screen = decide(phone.driver)
    assert (screen.app, screen.id) == ("vssid", APP_UPDATE)
    store_url = screen.element(APP_UPDATE_STORE).value
    assert store_url is not None, "the update screen links to no store"
    assert store_url.startswith(store_origin(target.profile, "vssid", platform))
    if vssid.is_embedded:  # the mock's 426 carries exactly the profile's listing (§10)
        assert store_url == target.profile.store_link("vssid", platform)
    statuses = [r["status"] for r in calls(vssid, "/api/v1/auth/vneid/complete")]
    assert statuses == [426], (
        f"V-4: expected the downgraded app's complete to be refused with 426, observed {statuses}"
    )
    store = phone.driver.tap(APP_UPDATE_STORE)  # VssID's own listing, in the phone's store
    assert store.data["app_id"] == "vssid"
    assert store.data["url"].startswith(store_origin(target.profile, "vssid", platform))


@pytest.mark.clause("V-4")
@pytest.mark.plan("vssid-relying-party")
def test_a_signed_in_vssid_downgraded_shows_the_update_screen_at_launch(
    target: Target, device: DeviceFactory, persona: Persona, vssid: VssIDHandle
) -> None:
    """VssID signed in, then downgraded below the minimum: at launch its backend answers 426
    to GET /me and the app shows the update screen, not the home screen or an error."""
    phone = device("ios")
    assert_home(login_with_vneid(phone.driver, persona))
    phone.install_vssid(version_case(target.profile, "vssid", "lower-patch"))
    screen = phone.driver.open_app("vssid")
    assert (screen.app, screen.id) == ("vssid", APP_UPDATE)
    store_url = screen.element(APP_UPDATE_STORE).value
    assert store_url is not None, "the update screen links to no store"
    assert store_url.startswith(store_origin(target.profile, "vssid", "ios"))
    statuses = [r["status"] for r in calls(vssid, "/api/v1/me", "GET")]
    assert statuses == [200, 426], (
        f"V-4: expected GET /me to answer 200 before the downgrade and 426 after, observed "
        f"{statuses}"
    )


# -- VNeID ------------------------------------------------------------------------------------
@pytest.mark.clause("P-3", "V-1", "V-2", "V-5", "V-6")
@pytest.mark.parametrize("kind", VNEID_NEW_ENOUGH, ids=default_id("vneid"))
@pytest.mark.plan("vneid-provider")
def test_vneid_at_or_above_minimum_logs_in(
    target: Target, device: DeviceFactory, persona: Persona, kind: str
) -> None:
    version = version_case(target.profile, "vneid", kind)
    phone = device("android", vneid=version)
    assert_home(login_with_vneid(phone.driver, persona), f"VNeID {version} ({kind}) must log in")


# In no vendor's plan: the old VNeID app (the harness's) refuses the link before any call, so
# the provider under test is never reached (it passed against a server without an app API)
@pytest.mark.clause("V-2", "V-3", "V-6")
@pytest.mark.parametrize("platform", ["ios", "android"])
@pytest.mark.parametrize(
    "kind", [*VNEID_TOO_OLD, *MALFORMED_CASES], ids=default_id("vneid")
)  # … v2.1.0, 02.1.0
def test_old_vneid_shows_its_update_screen(
    target: Target, device: DeviceFactory, vneid: VNeIDHandle, kind: str, platform: str
) -> None:
    version = version_case(target.profile, "vneid", kind)
    phone = device(platform, vneid=version)
    screen = start_vneid_login(phone.driver)
    assert screen.app == "vneid", f"VNeID {version}"
    assert screen.id == APP_UPDATE, f"VNeID {version}"
    store_url = screen.element(APP_UPDATE_STORE).value
    assert store_url is not None, "the update screen links to no store"
    assert store_url.startswith(store_origin(target.profile, "vneid", platform))
    assert calls(vneid, "/api/app/v1/sessions") == [], "an old VNeID must not log in"


@pytest.mark.clause("V-2", "V-5")
@pytest.mark.parametrize("platform", ["ios", "android"])
@pytest.mark.parametrize("kind", VNEID_TOO_OLD, ids=default_id("vneid"))
@pytest.mark.plan("vneid-provider")
def test_vneid_server_refuses_old_app_with_store_link(
    target: Target, vneid: VNeIDHandle, persona: Persona, kind: str, platform: str
) -> None:
    version = version_case(target.profile, "vneid", kind)
    with vneid.client() as http:
        response = http.post(
            "/api/app/v1/sessions",
            json={"personal_id": persona.personal_id, "passcode": persona.passcode},
            headers=app_headers("vneid", version, platform),
        )
    assert_store_link(
        assert_error_body(response, 426, "app_update_required", "V-5"),
        target.profile,
        "vneid",
        platform,
        embedded=vneid.is_embedded,
    )


@pytest.mark.clause("V-1", "V-3", "V-5")
@pytest.mark.parametrize("version", [*MALFORMED, None])
@pytest.mark.plan("vneid-provider")
def test_vneid_server_refuses_malformed_or_missing_version(
    vneid: VNeIDHandle, persona: Persona, version: str | None
) -> None:
    headers = {"X-Device-Platform": "ios"}
    if version is not None:
        headers["X-VNeID-App-Version"] = version
    with vneid.client() as http:
        response = http.post(
            "/api/app/v1/sessions",
            headers=headers,
            json={"personal_id": persona.personal_id, "passcode": persona.passcode},
        )
    assert_error_body(response, 400, "app_version_invalid", "V-3")


@pytest.mark.clause("V-3", "V-5")
@pytest.mark.parametrize(
    "version", ["too-old", None, "v2.1.0"], ids=["too-old", "missing", "malformed"]
)
@pytest.mark.plan("vneid-provider")
def test_vneid_authorizations_are_version_gated_too(
    target: Target, vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, version: str | None
) -> None:
    """V-5 "on every app API call": the authorization as well as the login, and a missing
    or malformed version as well as one too old. The session and the link are valid, so
    the version is the only thing to refuse."""
    with vneid.client(headers=app_headers("vneid", profile=target.profile)) as http:
        token = app_session_token(http, persona)
    headers = {"X-Device-Platform": "ios", "Authorization": f"Bearer {token}"}
    if version == "too-old":
        headers["X-VNeID-App-Version"] = version_case(
            target.profile, "vneid", "lower-minor-higher-patch"
        )
    elif version is not None:
        headers["X-VNeID-App-Version"] = version
    with vneid.client() as http:
        response = http.post(
            "/api/app/v1/authorizations",
            json={"link": rp.login().link, "decision": "approve"},
            headers=headers,
        )
    if version == "too-old":
        assert_error_body(response, 426, "app_update_required", "V-5")
    else:
        assert_error_body(response, 400, "app_version_invalid", "V-3")


@pytest.mark.clause("V-4", "V-5", "V-6", "T-4")
def test_minimum_versions_are_configuration(
    request: pytest.FixtureRequest, persona: Persona
) -> None:
    """V-6: raising the minimum in the profile moves every gate, in the apps and in both
    servers, with no code change. The run's minimums (by default VNeID 2.1.0, VssID 1.6.7)
    are raised to their next minor (2.2.0, 1.7.0); builds new enough before (VNeID 2.1.5,
    VssID 1.6.10) are now too old."""
    base = run_profile(request.config)
    vneid_major, vneid_minor, vneid_patch = base.vneid_min_version.release[:3]
    vssid_major, vssid_minor = base.vssid_min_version.release[:2]
    vneid_min = f"{vneid_major}.{vneid_minor + 1}.0"
    vssid_min = f"{vssid_major}.{vssid_minor + 1}.0"
    old_vneid_version = f"{vneid_major}.{vneid_minor}.{vneid_patch + 5}"
    old_vssid_version = version_case(base, "vssid", "higher-patch")
    target = embedded_target(
        seed="v6", profile=base.evolve(vneid_min_version=vneid_min, vssid_min_version=vssid_min)
    )
    try:
        assert target.vneid.discovery()["vneid_app_minimum_version"] == vneid_min
        old_vssid = make_device(target, "ios", vssid=old_vssid_version, vneid=vneid_min)
        assert not old_vssid.driver.open_app("vssid").has(VSSID_LOGIN_VNEID)
        old_vneid = make_device(target, "ios", vssid=vssid_min, vneid=old_vneid_version)
        assert start_vneid_login(old_vneid.driver).id == APP_UPDATE
        fresh = make_device(target, "ios", vssid=vssid_min, vneid=vneid_min)
        assert start_vneid_login(fresh.driver).id == VNEID_LOGIN
        with target.vssid.client() as http:
            response = http.post(
                "/api/v1/auth/vneid/start", json={}, headers=app_headers("vssid", old_vssid_version)
            )
        assert_error_body(response, 426, "app_update_required", "V-4")
        with target.vneid.client() as http:  # the gate comes before the credentials
            response = http.post(
                "/api/app/v1/sessions",
                json={"personal_id": persona.personal_id, "passcode": persona.passcode},
                headers=app_headers("vneid", old_vneid_version),
            )
        assert_error_body(response, 426, "app_update_required", "V-5")
    finally:
        target.close()
