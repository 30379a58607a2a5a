"""Authorization requests and callbacks as app links (A-2, A-5, A-6).

Two link forms carry the same query: the custom scheme (``vneid://authorize?…``,
``vssid://auth/vneid/callback?…``) and the claimed https form (``https://vneid.test/authorize?…``).
Decoding is deliberately lenient about *which* parameters are present (the provider decides
which errors go back by redirect, A-7) but strict about the shape: a parameter given twice is
refused (RFC 6749 §3.1) and unknown parameters are kept aside, never an error.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote_plus, unquote, urlsplit, urlunsplit

from harness.protocol.errors import LinkError
from harness.protocol.profile import ACR_LEVEL2, DEFAULT_PROFILE, Profile
from harness.protocol.redaction import is_secret_key

__all__ = [
    "AUTHORIZATION_PARAMS",
    "MAX_LINK_LENGTH",
    "AuthorizationRequest",
    "Callback",
    "LinkForm",
    "ParsedLink",
    "UndecodableParameter",
    "add_query",
    "delivered_to",
    "encode_query",
    "parse_authorize_link",
    "parse_callback",
    "parse_link",
    "parse_query",
]

MAX_LINK_LENGTH = 8192
AUTHORIZATION_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "acr_values",
    "login_hint",
    "ui_locales",
)


class LinkForm(enum.StrEnum):
    CUSTOM_SCHEME = "custom"
    CLAIMED_HTTPS = "https"


@dataclass(frozen=True, slots=True)
class ParsedLink:
    """A link split into its base (scheme, host, path) and its single-valued parameters."""

    url: str
    base: str
    params: Mapping[str, str]
    fragment: str = ""
    repeated: tuple[str, ...] = ()
    """With ``allow_repeated``: the names given more than once (``params`` has the first value
    of each), for a caller that must answer each case differently (RFC 6749 §4.1.2.1)."""
    undecodable: tuple[str, ...] = ()
    """With ``allow_undecodable``: the names whose percent-encoding is not UTF-8 (left out of
    ``params``), for the same callers."""

    @property
    def scheme(self) -> str:
        return urlsplit(self.base).scheme


def parse_link(
    url: object,
    *,
    clause: str = "A-5",
    allow_repeated: bool = False,
    allow_undecodable: bool = False,
) -> ParsedLink:
    """Split ``url`` into base and query; refuse non-strings, over-long links, repeated
    params (unless ``allow_repeated``: then they are listed in :attr:`ParsedLink.repeated`)
    and params that are not UTF-8 once decoded (unless ``allow_undecodable``: then they are
    listed in :attr:`ParsedLink.undecodable`)."""
    if not isinstance(url, str) or not url:
        raise LinkError("a link must be a non-empty string", clause=clause)
    if len(url) > MAX_LINK_LENGTH:
        raise LinkError(
            f"the link is {len(url)} characters long; at most {MAX_LINK_LENGTH}", clause=clause
        )
    if any(ch in url for ch in "\x00\r\n\t "):
        raise LinkError("the link contains whitespace or control characters", clause=clause)
    undecodable: list[str] | None = [] if allow_undecodable else None
    try:
        parts = urlsplit(url)
        pairs = parse_query(parts.query, max_fields=100, undecodable=undecodable)
    except ValueError as exc:
        raise LinkError(f"the link cannot be parsed: {exc}", clause=clause) from None
    if not parts.scheme:
        raise LinkError(f"the link {url[:80]!r} has no scheme", clause=clause)
    params, repeated = single_values(pairs, clause=clause, allow_repeated=allow_repeated)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return ParsedLink(url, base, params, parts.fragment, repeated, tuple(undecodable or ()))


def single_values(
    pairs: Iterable[tuple[str, str]], *, clause: str, allow_repeated: bool = False
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Query or form ``pairs`` as one value per name; a name given twice is a
    :class:`LinkError` (RFC 6749 §3.1), unless ``allow_repeated``: then it keeps its first
    value and is listed in the second item (for a caller that answers each case apart)."""
    params: dict[str, str] = {}
    repeated: list[str] = []
    for key, value in pairs:
        if key in params:
            if not allow_repeated:
                raise LinkError(
                    f"parameter {key!r} appears more than once (RFC 6749 §3.1)", clause=clause
                )
            if key not in repeated:
                repeated.append(key)
            continue
        params[key] = value
    return params, tuple(repeated)


class UndecodableParameter(ValueError):
    """A query or form parameter whose percent-encoding is not UTF-8 (RFC 3986 §2.5): decoded
    with replacement, a ``state`` of ``%ff`` would go back as another value (RFC 6749
    §4.1.2). ``name`` is the parameter, as far as it decodes."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"parameter {name[:40]!r}: its percent-encoding is not UTF-8 (RFC 3986 "
            "§2.5); percent-encode the UTF-8 bytes of the text"
        )


def parse_query(
    query: str, *, max_fields: int, undecodable: list[str] | None = None
) -> list[tuple[str, str]]:
    """``urllib.parse.parse_qsl(query, keep_blank_values=True, max_num_fields=max_fields,
    errors="strict")``, the same pairs (``ValueError`` beyond ``max_fields``): a key or value
    with no ``+`` or ``%`` in it (every name, token and id here) is kept as it is, without going
    through ``unquote``'s layers; the rest is decoded as ``parse_qsl`` decodes it.

    A pair whose percent-encoding is not UTF-8 is an :class:`UndecodableParameter`, or, given
    an ``undecodable`` list, left out and its name added there (for a caller that answers
    such a request by redirect once it knows where, RFC 6749 §4.1.2.1)."""
    if not query:
        return []
    if 1 + query.count("&") > max_fields:
        raise ValueError("Max number of fields exceeded")
    pairs: list[tuple[str, str]] = []
    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        try:
            if "+" in key or "%" in key:
                key = _unquoted(key)
            if "+" in value or "%" in value:
                value = _unquote(value) if is_secret_key(key) else _unquoted(value)
        except UnicodeDecodeError:
            name = key if "%" not in key else unquote(key.replace("+", " "), errors="replace")
            if undecodable is None:
                raise UndecodableParameter(name) from None
            undecodable.append(name)
            continue
        pairs.append((key, value))
    return pairs


def _unquote(text: str) -> str:
    return unquote(text.replace("+", " "), errors="strict")


_unquoted = lru_cache(maxsize=256)(_unquote)
""":func:`_unquote`, cached for names and the values of public parameters: the few that need
decoding (``redirect_uri``, ``scope``, ``acr_values``, ``iss``) come again in every login. A
secret's value is never cached (as in :mod:`harness.protocol.redaction`)."""

_quoted = lru_cache(maxsize=256)(quote_plus)
"""``quote_plus``, cached on the same terms as :data:`_unquoted`."""


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")
"""What ``quote_plus`` leaves as it is (RFC 3986 unreserved): tokens, ids, most values."""


def encode_query(pairs: Iterable[tuple[str, str]]) -> str:
    """``urllib.parse.urlencode(pairs)`` for text pairs, the same string: a key or value made
    only of unreserved characters (every name, token and id here) is kept as it is without
    going through ``quote_plus``'s layers; the rest (``redirect_uri``, ``scope``) is quoted
    (and, unless it is a secret's value, the quoted form remembered)."""
    return "&".join(
        f"{k if _UNRESERVED.fullmatch(k) else _quoted(k)}="
        f"{v if _UNRESERVED.fullmatch(v) else (quote_plus if is_secret_key(k) else _quoted)(v)}"
        for k, v in pairs
    )


def add_query(uri: str, params: Iterable[tuple[str, str]]) -> str:
    """Append ``params`` to ``uri``, keeping a query it already has (RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
    extra = encode_query(params)
    query = f"{parts.query}&{extra}" if parts.query and extra else (parts.query or extra)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """The authorization request of A-2, as VssID builds it."""

    client_id: str
    redirect_uri: str
    state: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str = "S256"
    scope: str = "openid profile"
    response_type: str = "code"
    acr_values: str | None = ACR_LEVEL2
    login_hint: str | None = None
    ui_locales: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())
    """Further parameters (e.g. ones a test adds to check they are ignored)."""

    def params(self) -> list[tuple[str, str]]:
        pairs = [
            ("response_type", self.response_type),
            ("client_id", self.client_id),
            ("redirect_uri", self.redirect_uri),
            ("scope", self.scope),
            ("state", self.state),
            ("nonce", self.nonce),
            ("code_challenge", self.code_challenge),
            ("code_challenge_method", self.code_challenge_method),
            ("acr_values", self.acr_values),
            ("login_hint", self.login_hint),
            ("ui_locales", self.ui_locales),
        ]
        present = [(k, v) for k, v in pairs if v is not None]
        return present + list(self.extra)

    def to_link(
        self, form: LinkForm = LinkForm.CUSTOM_SCHEME, profile: Profile = DEFAULT_PROFILE
    ) -> str:
        """The app link that carries this request (A-1)."""
        base = (
            profile.authorize_link_custom
            if form is LinkForm.CUSTOM_SCHEME
            else profile.authorize_link_https
        )
        return f"{base}?{encode_query(self.params())}"

    def to_url(self, endpoint: str) -> str:
        """The same request against any authorization endpoint (e.g. the web one)."""
        return add_query(endpoint, self.params())

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> AuthorizationRequest:
        """Build from decoded parameters; refuses a missing required parameter."""
        missing = [
            k for k in ("client_id", "redirect_uri", "state", "code_challenge") if not params.get(k)
        ]
        if missing:
            raise LinkError(f"authorization request lacks {', '.join(missing)}", clause="A-2")
        extra = tuple((k, v) for k, v in params.items() if k not in AUTHORIZATION_PARAMS)
        return cls(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            state=params["state"],
            nonce=params.get("nonce"),
            code_challenge=params["code_challenge"],
            code_challenge_method=params.get("code_challenge_method", "plain"),
            scope=params.get("scope", ""),
            response_type=params.get("response_type", ""),
            acr_values=params.get("acr_values"),
            login_hint=params.get("login_hint"),
            ui_locales=params.get("ui_locales"),
            extra=extra,
        )


def _form_of(link: ParsedLink, custom_base: str, https_base: str) -> LinkForm | None:
    base = link.base
    if base == custom_base or base == custom_base.rstrip("/"):
        return LinkForm.CUSTOM_SCHEME
    if base == https_base:
        return LinkForm.CLAIMED_HTTPS
    return None


def parse_authorize_link(
    url: object,
    profile: Profile = DEFAULT_PROFILE,
    *,
    extra_bases: Iterable[str] = (),
    allow_repeated: bool = False,
    allow_undecodable: bool = False,
) -> tuple[LinkForm, ParsedLink]:
    """Decode an authorize app link (either form, A-5); refuse a link to anything else.

    ``extra_bases`` are further accepted bases that count as the https form (e.g. the web
    authorization endpoint of a served provider); ``allow_repeated`` and
    ``allow_undecodable`` as in :func:`parse_link`.
    """
    link = parse_link(
        url, clause="A-5", allow_repeated=allow_repeated, allow_undecodable=allow_undecodable
    )
    form = _form_of(link, profile.authorize_link_custom, profile.authorize_link_https)
    if form is None and link.base in set(extra_bases):
        form = LinkForm.CLAIMED_HTTPS
    if form is None:
        raise LinkError(
            f"{link.base!r} is not a VNeID authorize link; expected "
            f"{profile.authorize_link_custom}?… or {profile.authorize_link_https}?…",
            clause="A-5",
        )
    return form, link


@dataclass(frozen=True, slots=True)
class Callback:
    """A redirect back to the client (A-5, A-6), success or error."""

    redirect_uri: str
    """The URI the callback was delivered to, without the response parameters."""
    params: Mapping[str, str]
    form: LinkForm | None

    @property
    def code(self) -> str | None:
        return self.params.get("code")

    @property
    def state(self) -> str | None:
        return self.params.get("state")

    @property
    def iss(self) -> str | None:
        return self.params.get("iss")

    @property
    def error(self) -> str | None:
        return self.params.get("error")

    @property
    def error_description(self) -> str | None:
        return self.params.get("error_description")


_RESPONSE_PARAMS = frozenset({"code", "state", "iss", "error", "error_description", "error_uri"})


def delivered_to(url: object | ParsedLink, redirect_uri: str) -> bool:
    """R-4: was the callback ``url`` delivered to ``redirect_uri``?

    Scheme, authority and path must be equal (S-2), and every query parameter that
    ``redirect_uri`` itself carries must come back with its value (RFC 6749 §3.1.2 keeps that
    query). Any other parameter is a response parameter, and RFC 6749 §4.1.2 says "the client
    MUST ignore unrecognized response parameters": a provider that adds ``session_state`` or
    anything else does not make the callback land elsewhere. ``url`` must parse as a link
    (or be one parsed already).
    """
    link = url if isinstance(url, ParsedLink) else parse_link(url, clause="A-6")
    base, params = _registered(redirect_uri)
    return link.base == base and all(link.params.get(key) == value for key, value in params)


@lru_cache(maxsize=64)
def _registered(redirect_uri: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A registered ``redirect_uri``'s base and own query (a provider has one or two)."""
    expected = parse_link(redirect_uri, clause="R-4")
    return expected.base, tuple(expected.params.items())


def parse_callback(url: object | ParsedLink, profile: Profile = DEFAULT_PROFILE) -> Callback:
    """Decode a callback URL (or one parsed already by :func:`parse_link`); ``redirect_uri``
    is the URL with the response parameters removed."""
    link = url if isinstance(url, ParsedLink) else parse_link(url, clause="A-6")
    form = _form_of(link, profile.callback_custom, profile.callback_https)
    kept = [(k, v) for k, v in link.params.items() if k not in _RESPONSE_PARAMS]
    redirect_uri = add_query(link.base, kept) if kept else link.base
    if form is None and kept:
        form = _form_of(
            ParsedLink(redirect_uri, redirect_uri, {}),
            profile.callback_custom,
            profile.callback_https,
        )
    params = {k: v for k, v in link.params.items() if k in _RESPONSE_PARAMS}
    return Callback(redirect_uri, params, form)
