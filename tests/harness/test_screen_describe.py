"""Screen.describe: what a failure message says of a screen, without the citizen's own data."""

from __future__ import annotations

from harness.apps.base import App, Reply
from harness.apps.screens import APP_ERROR, VSSID_HOME, Screen, error_screen


def test_a_home_screen_is_described_without_whose_it_is() -> None:
    screen = Screen(
        "vssid",
        VSSID_HOME,
        data={
            "bhxh_code": "0123456789",
            "full_name": "Nguyễn Văn An",
            "personal_id": "079123456701",
        },
    )
    said = screen.describe()
    assert said == "vssid showing vssid-home (the citizen's data left out)"
    for secret in ("0123456789", "Nguyễn", "079123456701"):
        assert secret not in said
    # the same for anyone: one fault is one message in the report
    other = Screen(
        "vssid",
        VSSID_HOME,
        data={"bhxh_code": "9", "full_name": "Trần Bình", "personal_id": "001234567802"},
    )
    assert other.describe() == said


def test_an_error_screen_is_described_by_its_code_clause_and_description() -> None:
    screen = Screen(
        "vssid",
        APP_ERROR,
        error="invalid_grant",
        data={"error": "invalid_grant", "clause": "T-2", "error_description": "the code was used"},
    )
    assert screen.describe() == (
        "vssid showing app-error: error invalid_grant (clause T-2): the code was used"
    )


def test_an_error_screen_without_a_clause_reads_no_clause() -> None:
    # a refusal that names its code but no clause
    screen = error_screen(
        "vneid",
        "invalid_request",
        status=404,
        catalog_clause=False,
        description="POST /api/app/v1/sessions answered 404 with a body that is not JSON (0 bytes)",
    )
    assert screen.describe() == (
        "vneid showing app-error: error invalid_request (no clause): POST "
        "/api/app/v1/sessions answered 404 with a body that is not JSON (0 bytes)"
    )
    assert "None" not in screen.describe()
    cited = error_screen("vssid", "invalid_grant", clause="T-2", catalog_clause=False)
    assert cited.describe() == "vssid showing app-error: error invalid_grant (clause T-2): "


def test_a_code_the_answer_did_not_name_is_said_to_be_the_apps_own() -> None:
    """A vendor's HTML 404, a proxy's 502: the app shows a code from the status
    (``invalid_request``, ``server_error``), which the failure message must not pass off as
    a refusal the server sent."""
    app = App("vneid", "2.1.0")
    page = Reply(
        404,
        unreadable="POST /api/app/v1/sessions answered 404 with a body that is not JSON (9 bytes)",
    )
    assert app.error_screen_for(page).describe() == (
        "vneid showing app-error: error invalid_request (the app's fallback for a 404 "
        "answer naming no §8 code; no clause): POST /api/app/v1/sessions answered 404 with "
        "a body that is not JSON (9 bytes)"
    )
    assert app.error_screen_for(Reply(502, {"detail": "bad gateway"})).describe() == (
        "vneid showing app-error: error server_error (the app's fallback for a 502 answer "
        "naming no §8 code; no clause): "
    )
    # a refusal that names its code reads as the server's, as before
    named = Reply(401, {"error": "invalid_credentials", "clause": "A-2"})
    assert app.error_screen_for(named).describe() == (
        "vneid showing app-error: error invalid_credentials (clause A-2): "
    )
    assert "code_named" not in app.error_screen_for(named).data


def test_other_data_is_kept() -> None:
    screen = Screen("vneid", "vneid-consent", data={"service": "VssID", "client_id": "vssid"})
    assert (
        screen.describe()
        == "vneid showing vneid-consent {'service': 'VssID', 'client_id': 'vssid'}"
    )


def test_a_caught_callback_is_described_without_its_code() -> None:
    """A hijacking app's screen holds the callbacks it caught (S-4): the code stays out."""
    caught = "vssid://auth/vneid/callback?code=SECRET-CODE-1&state=s1"
    screen = Screen("hijacker", "hijacker-caught", data={"received": (caught,), "last": caught})
    said = screen.describe()
    assert "SECRET-CODE-1" not in said
    assert "code=[REDACTED]&state=s1" in said
