"""A-2, A-5, A-6: authorization links and callbacks in both forms."""

from __future__ import annotations

import pytest

from harness.protocol import (
    DEFAULT_PROFILE,
    AuthorizationRequest,
    LinkError,
    LinkForm,
    add_query,
    delivered_to,
    parse_authorize_link,
    parse_callback,
)

pytestmark = pytest.mark.clause("A-2", "A-5", "A-6")

REQ = AuthorizationRequest(
    client_id="vssid",
    redirect_uri="vssid://auth/vneid/callback",
    state="s t&=ư",
    nonce="n",
    code_challenge="c" * 43,
    extra=(("foo", "bar"),),
)


@pytest.mark.parametrize(
    ("form", "prefix"),
    [
        (LinkForm.CUSTOM_SCHEME, "vneid://authorize?"),
        (LinkForm.CLAIMED_HTTPS, "https://vneid.test/authorize?"),
    ],
)
def test_authorization_request_round_trips_in_both_forms(form: LinkForm, prefix: str) -> None:
    link = REQ.to_link(form)
    assert link.startswith(prefix)
    parsed_form, parsed = parse_authorize_link(link)
    assert parsed_form is form
    assert AuthorizationRequest.from_params(parsed.params) == REQ
    assert parsed.params["acr_values"] == "urn:vneid:loa:2"
    assert parsed.params["code_challenge_method"] == "S256"


def test_authorize_link_to_elsewhere_is_refused() -> None:
    with pytest.raises(LinkError) as info:
        parse_authorize_link("https://evil.test/authorize?client_id=vssid")
    assert info.value.code == "invalid_request"


def test_repeated_parameter_is_refused() -> None:
    with pytest.raises(LinkError, match="more than once"):
        parse_authorize_link("vneid://authorize?state=a&state=b")


@pytest.mark.parametrize("bad", ["", None, 5, "x" * 9000, "vneid://authorize?a=1 2", "no-scheme"])
def test_malformed_links_are_refused(bad: object) -> None:
    with pytest.raises(LinkError):
        parse_authorize_link(bad)


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("vssid://auth/vneid/callback?code=c&state=s&iss=http%3A%2F%2Fi", LinkForm.CUSTOM_SCHEME),
        (
            "https://vssid.test/auth/vneid/callback?code=c&state=s&iss=http%3A%2F%2Fi",
            LinkForm.CLAIMED_HTTPS,
        ),
    ],
)
def test_callback_decodes_both_forms(url: str, form: LinkForm) -> None:
    cb = parse_callback(url)
    assert cb.form is form
    assert (cb.code, cb.state, cb.iss) == ("c", "s", "http://i")
    assert cb.redirect_uri in DEFAULT_PROFILE.vssid_redirect_uris


def test_callback_keeps_registered_query_in_redirect_uri() -> None:
    cb = parse_callback("https://rp.test/cb?tenant=1&error=access_denied&state=s")
    assert cb.redirect_uri == "https://rp.test/cb?tenant=1"
    assert cb.error == "access_denied"
    assert cb.form is None


def test_add_query_keeps_existing_query() -> None:
    assert add_query("https://rp.test/cb?x=1", [("code", "c")]) == "https://rp.test/cb?x=1&code=c"
    assert add_query("vssid://auth/vneid/callback", [("a", "b c")]) == (
        "vssid://auth/vneid/callback?a=b+c"
    )


class TestDeliveredTo:
    """R-4: which callbacks came to a redirect_uri (RFC 6749 §3.1.2, §4.1.2)."""

    @pytest.mark.parametrize(
        ("url", "redirect_uri", "expected"),
        [
            ("vssid://auth/vneid/callback?code=c&state=s", "vssid://auth/vneid/callback", True),
            (
                "vssid://auth/vneid/callback?code=c&session_state=x",
                "vssid://auth/vneid/callback",
                True,
            ),
            ("https://vssid.test/cb?tenant=a&code=c", "https://vssid.test/cb?tenant=a", True),
            ("https://vssid.test/cb?code=c", "https://vssid.test/cb?tenant=a", False),
            ("https://vssid.test/cb?tenant=b&code=c", "https://vssid.test/cb?tenant=a", False),
            ("https://vssid.test/cb/x?code=c", "https://vssid.test/cb", False),
            ("https://vssid.test:8443/cb?code=c", "https://vssid.test/cb", False),
            ("http://vssid.test/cb?code=c", "https://vssid.test/cb", False),
            ("vssid://auth/vneid/callback?code=c", "https://vssid.test/auth/vneid/callback", False),
            # S-2 exact match: a path is case-sensitive (RFC 3986 §6.2.2.1)
            (
                "https://vssid.test/Auth/Vneid/Callback?code=c",
                "https://vssid.test/auth/vneid/callback",
                False,
            ),
            ("vssid://auth/VNEID/callback?code=c", "vssid://auth/vneid/callback", False),
        ],
    )
    def test_matches_scheme_authority_path_and_own_query(
        self, url: str, redirect_uri: str, expected: bool
    ) -> None:
        assert delivered_to(url, redirect_uri) is expected

    def test_an_unparseable_callback_is_a_link_error(self) -> None:
        with pytest.raises(LinkError) as info:
            delivered_to("no scheme here", "vssid://auth/vneid/callback")
        assert info.value.clause == "A-6"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/authorize-x?client_id=vssid",
        "http://127.0.0.1:8000/authorize/evil?client_id=vssid",
        "http://127.0.0.1:8000/AUTHORIZE?client_id=vssid",
    ],
)
def test_extra_bases_match_exactly_not_as_a_prefix(url: str) -> None:
    """A-5: a served provider's web authorize endpoint counts as the https form only as
    itself; a longer path (or another case) is not an authorize link."""
    from harness.protocol import parse_authorize_link

    base = "http://127.0.0.1:8000/authorize"
    assert parse_authorize_link(f"{base}?client_id=vssid", extra_bases=(base,))[0] == "https"
    with pytest.raises(LinkError) as info:
        parse_authorize_link(url, extra_bases=(base,))
    assert info.value.clause == "A-5"
