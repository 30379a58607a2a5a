"""S-5: secrets never appear in logs or reports unredacted.

One place knows which names carry secrets; recorders (provider request logs, the phone's
trace, reports) pass every URL, header set, form and JSON body through these functions.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlencode, urlsplit, urlunsplit

from harness.protocol.errors import ERRORS
from harness.protocol.strict_json import NotStrictJSON, loads

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "URL_HEADERS",
    "SECRET_KEYS",
    "TOO_DEEP",
    "URL_REDACTED",
    "is_secret_key",
    "load_json",
    "redact_body",
    "redact_form",
    "redact_headers",
    "redact_json",
    "redact_json_text",
    "redact_path",
    "redact_secret_shapes",
    "redact_text_body",
    "redact_url",
    "redact_value",
]

REDACTED = "[REDACTED]"
SECRET_KEYS = frozenset(
    {
        "passcode",
        "password",
        "client_secret",
        "code",
        "code_verifier",
        "access_token",
        "id_token",
        "refresh_token",
        "session_token",
        "client_assertion",
        "admin_token",
        "secret",
        "private_key",
        "d",
        "id_token_hint",
        "assertion",
        "token",
        "verifier",
    }
)
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "cookie",
        "set-cookie",
        "x-harness-admin-token",
        "proxy-authorization",
    }
)


_SECRET_FORMS = frozenset(
    SECRET_KEYS
    | {k.replace("_", "") for k in SECRET_KEYS}
    | {k.replace("_", "-") for k in SECRET_KEYS}
)
"""Each secret name also as one word (``sessionToken``, compared in lower case) and with
hyphens (``session-token``)."""


def is_secret_key(key: str) -> bool:
    """Whether ``key`` names a secret: a name of :data:`SECRET_KEYS` in any case, in one word
    or with hyphens, with any surrounding spaces (``Passcode``, ``sessionToken``)."""
    return key.strip().lower() in _SECRET_FORMS


URL_REDACTED = quote(REDACTED, safe="")
"""The marker as a URL's password: percent-encoded, so the redacted URL is still one
(``[REDACTED]`` in the user information reads as an IPv6 literal: ``urlsplit`` refuses it,
and the reports that take the URL apart stopped the run)."""


_MAX_URL_NESTING = 8
"""How many URLs, each a parameter's value in the one around it (``?next=vssid://cb?code=…``),
:func:`redact_url` takes apart; a URL nested deeper is redacted whole. Each level had a
Python frame and rescanned the rest: ``/x?a=?a=?a=…`` (a client's 600-character query)
raised ``RecursionError`` out of the redaction, and every later read of the request log
was a 500."""
_url_nesting = threading.local()


def redact_url(url: str) -> str:
    """``url`` with the values of secret query and fragment parameters replaced (in a fragment
    that holds an app's route, ``#/route?code=…``, those after its ``?`` too) and the password
    of its user information (``http://user:%5BREDACTED%5D@host/``: still a URL); a lone
    surrogate comes back as its escape text (so the result always encodes as UTF-8). A URL
    nested in parameters' values deeper than :data:`_MAX_URL_NESTING` comes back as
    ``[REDACTED]``."""
    depth: int = getattr(_url_nesting, "depth", 0)
    if depth >= _MAX_URL_NESTING:
        return REDACTED
    _url_nesting.depth = depth + 1
    try:
        return _redact_url(url)
    finally:
        _url_nesting.depth = depth


def _redact_url(url: str) -> str:
    if not url.isascii():
        url = _escape_surrogates(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    netloc = parts.netloc
    if "@" in netloc:  # user information: its password is a credential (RFC 3986 §3.2.1)
        user, _, host = netloc.rpartition("@")
        if ":" in user:
            netloc = f"{user.split(':', 1)[0]}:{URL_REDACTED}@{host}"
    if not parts.query and not parts.fragment:
        return (
            url
            if netloc is parts.netloc
            else urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        )
    query = _redact_pairs(parts.query)
    fragment = _redact_fragment(parts.fragment) if "=" in parts.fragment else parts.fragment
    if query == parts.query and fragment == parts.fragment and netloc is parts.netloc:
        return url  # nothing taken out: as it came, to the last ``#``
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def _redact_fragment(fragment: str) -> str:
    """A fragment's parameters redacted: ``code=…&state=…`` (a fragment response) pair by
    pair, as a query; and, in a single-page app's route (``/route?code=…&state=…``), the
    parameters after a ``?`` too, the route kept as it is."""
    if "?" not in fragment:
        return _redact_pairs(fragment)
    return "&".join(_redact_route_pair(chunk) if chunk else chunk for chunk in fragment.split("&"))


def _redact_route_pair(chunk: str) -> str:
    """One ``&``-separated chunk of a fragment: a pair whose name is secret is redacted whole
    (``code=a?b``); otherwise a secret parameter after a ``?`` in it (``/route?code=…``,
    ``tab=1?code=…``) is, with the rest of the chunk (its value), and a URL percent-encoded
    as a value after a ``?`` is redacted as :func:`redact_value` does."""
    if "?" not in chunk or is_secret_key(unquote_plus(chunk.partition("=")[0])):
        return _redact_pair(chunk)
    parts = chunk.split("?")
    for i, part in enumerate(parts[1:], 1):
        name, eq, value = part.partition("=")
        if eq and is_secret_key(unquote_plus(name)):
            return "?".join([*parts[:i], f"{name}={REDACTED}"])
        if eq:  # a URL as the value, encoded or not (``?next=vssid%3A…``, ``next=vssid:cb#…``)
            clean = _public(redact_value(value))
            if clean != value:
                parts[i] = f"{name}={clean}"
    return "?".join(parts)


_PLAIN_PAIR = re.compile(r"([A-Za-z0-9_.~\[\]-]*)=[A-Za-z0-9_.~\[\]-]*")
"""A ``name=value`` pair that decoding and re-encoding leave as it is (no ``%``, ``+`` or
other character :func:`~urllib.parse.quote_plus` would escape): most pairs are, tokens
included, so they skip the decode/encode round trip."""


_ENCODED_EQUALS = re.compile(r"%(?:25)*3D", re.IGNORECASE)
"""``=`` percent-encoded once or more (``%3D``, ``%253D``): a value that holds parameters."""


def _redact_pair(chunk: str) -> str:
    """One ``&``-separated chunk as it came, unless something in it is a secret: a secret
    name's value replaced (the name as it came), and a pair whose decoded name or value holds
    a secret (a URL with parameters, :func:`redact_value`; a secret's shape) decoded,
    redacted and encoded again. Evidence keeps the client's own encoding (``%41``,
    ``scope=openid%20profile``, ``redirect_uri=vssid://cb``, a bare ``x``)."""
    match = _PLAIN_PAIR.fullmatch(chunk)
    if match is not None and "eyJ" not in chunk:  # a JWS is plain too: the shapes find it
        return f"{match.group(1)}={REDACTED}" if is_secret_key(match.group(1)) else chunk
    secret = _secret_named(chunk)
    if secret is not None:
        return secret
    value = chunk.partition("=")[2]
    if "=" in value or "eyJ" in value or _ENCODED_EQUALS.search(value):
        return _reencode(chunk)  # never cached: the value may hold a secret (a JWS, a URL)
    return _reencode_public(chunk)


def _secret_named(chunk: str) -> str | None:
    """``name=[REDACTED]`` (the name as it came) when ``chunk``'s name, decoded, is a
    secret's; a bare secret name as it came; ``None`` for any other chunk."""
    name, eq, _ = chunk.partition("=")
    if not is_secret_key(unquote_plus(name, errors="replace")):
        return None
    return f"{name}={REDACTED}" if eq else chunk


def _reencode(chunk: str) -> str:
    """``chunk`` (one pair, its name no secret's) as it came when it holds no secret once
    decoded. Otherwise redacted and, when it came without escapes, written back so
    (``next=vssid://cb?code=[REDACTED]``, ``x=1?code=[REDACTED]``); a pair that came encoded
    is encoded again (``next=vssid%3A%2F%2Fcb%3Fcode%3D[REDACTED]``)."""
    pairs = _decoded(chunk)
    if pairs is None:
        # not UTF-8 once decoded: shown as it came (a refusal's evidence), unless, read with
        # U+FFFD for the bad bytes, it holds a secret (a URL with a code as its value)
        lossy = parse_qsl(chunk, keep_blank_values=True, errors="replace")
        clean = _redacted_pairs(lossy)
        return chunk if clean == lossy else urlencode(clean, safe="[]")
    redacted = _redacted_pairs(pairs)
    if redacted == pairs:
        return chunk
    if "%" not in chunk and "+" not in chunk and len(redacted) == 1:
        name, value = redacted[0]
        plain = f"{name}={value}" if "=" in chunk else name
        if _decoded(plain) == redacted:
            return plain
    return urlencode(redacted, safe="[]")


def _decoded(chunk: str) -> list[tuple[str, str]] | None:
    try:
        return parse_qsl(chunk, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return None


def _redacted_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [
        (k, REDACTED) if is_secret_key(k) else (_public(k), _public(redact_value(v)))
        for k, v in pairs
    ]


def _public(text: str) -> str:
    """A decoded name or value of a pair whose name is not secret, with what is shaped like a
    secret redacted (JSON sent as one field, ``x=1?code=…``, ``code%3D…`` as a name)."""
    return redact_secret_shapes(text) if _MAY_HAVE_SHAPES.search(text) else text


_NESTING = 3
"""How many times :func:`redact_value` decodes a percent-encoded value looking for a URL."""


def redact_value(value: str) -> str:
    """A parameter's or a JSON string's value with the secrets of a URL in it redacted, as
    :func:`redact_url` does: ``vssid://cb?code=…`` as it is, and also percent-encoded once or
    more (``vssid%3A%2F%2Fcb%3Fcode%3D…``, a URL sent as a form field's or a query
    parameter's value, then encoded again), where it is redacted once decoded and encoded
    again as many times. Any other value, and a URL without a secret, comes back as it is."""
    candidate = value
    for depth in range(_NESTING + 1):
        # Decoded, the value must itself be a URL (text that merely holds one is not decoded).
        if "=" in candidate and (
            _is_url_with_parameters(candidate)
            if depth == 0
            else (
                ("?" in candidate or "#" in candidate) and _URL_START.match(candidate) is not None
            )
        ):
            redacted = redact_url(candidate)
            if redacted == candidate:
                return value  # no secret in it: kept exactly as it came
            for _ in range(depth):
                redacted = quote(redacted, safe="[]")
            return redacted
        if "%" not in candidate or depth == _NESTING:
            return value
        candidate = unquote(candidate)
    return value  # pragma: no cover - the loop always returns


_reencode_public = functools.lru_cache(maxsize=512)(_reencode)
"""The same for a chunk whose name is not secret (``redirect_uri=…``, ``scope=…``,
``iss=…``): those repeat from one login to the next."""


def _redact_pairs(encoded: str) -> str:
    """``encoded`` with secret values replaced, pair by pair, each pair without a secret
    exactly as it came (empty ones too)."""
    return "&".join(_redact_pair(chunk) if chunk else chunk for chunk in encoded.split("&"))


def redact_form(encoded: str) -> str:
    """A form-encoded body with secret fields replaced."""
    return _redact_pairs(encoded)


_SCHEMED_HEADERS = frozenset({"authorization", "proxy-authorization"})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*")
"""An authentication scheme's name (RFC 9110 §11.1: a token), shown before the credential."""
URL_HEADERS = frozenset({"location", "content-location", "referer"})
"""Headers whose value is a URL, redacted as one: a web login's 303 carries the
authorization code in ``Location`` (``…/callback?code=…``), and a page reached from it sends
it on in ``Referer``."""


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with credentials replaced, keeping the scheme word (``Bearer [REDACTED]``),
    and the secret parameters of URL-valued headers (:data:`URL_HEADERS`)."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in SECRET_HEADERS:
            # an Authorization keeps its scheme word (``Bearer [REDACTED]``); a cookie
            # (``sid=…; Path=/``) or an admin token has none, and goes whole
            scheme, _, rest = value.partition(" ")
            out[name] = (
                f"{scheme} {REDACTED}"
                if rest and lowered in _SCHEMED_HEADERS and _SCHEME.fullmatch(scheme)
                else REDACTED
            )
        elif lowered in URL_HEADERS:
            out[name] = redact_url(value)
        else:
            out[name] = value
    return out


TOO_DEEP = "[too deeply nested JSON]"
"""What :func:`redact_json` gives for a value it cannot walk within Python's recursion limit."""


def redact_json(value: Any) -> Any:
    """A deep copy of a JSON value with secret keys' values replaced and URLs redacted; a
    value nested too deeply to walk (about 500 levels: ``json.loads`` reads deeper than a
    Python walk goes) is :data:`TOO_DEEP`, never a ``RecursionError``."""
    try:
        return _redact_json(value)
    except RecursionError:
        return TOO_DEEP


def _redact_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            k: (
                REDACTED
                if isinstance(k, str) and is_secret_key(k) and v is not None
                else _redact_json(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact_json(v) for v in value]
    if isinstance(value, str):
        return _redact_string(value)
    return value


def _redact_string(value: str) -> str:
    """A string value of a JSON body: a URL in it (:func:`redact_value`); JSON text as JSON
    (written back only if a secret was taken out); a form as a form (its encoding kept);
    then anything shaped like a secret (:func:`redact_secret_shapes`). JSON text too deep to
    take apart (``[[[…]]]`` 600 deep, 1.2 KB) is redacted as text."""
    if "=" in value or "%" in value:
        value = redact_value(value)
    if value.lstrip(" \t\r\n")[:1] in ("{", "["):
        try:
            loaded = json.loads(value)
            if isinstance(loaded, dict | list):
                clean = _redact_json(loaded)
                return value if clean == loaded else json.dumps(clean, ensure_ascii=False)
        except (ValueError, RecursionError):
            pass  # not JSON, or too deep for a walk: as text below
    if "=" in value and _is_form(value):
        form = redact_form(value)
        if form != value:
            return form
    return redact_secret_shapes(value) if _MAY_HAVE_SHAPES.search(value) else value


def redact_path(path: str) -> str:
    """A decoded request path (``/authorize?code=…`` once ``%3F`` is decoded) with the
    secrets after a ``?`` or ``#`` in it redacted, and a secret written as a path segment
    (``/x/code=…``); a path without either comes back as it is."""
    if "?" not in path and "#" not in path:
        return redact_secret_shapes(path) if "=" in path else path
    clean = redact_url(path)  # the path itself when nothing was taken out
    cut = min((i for i in (clean.find("?"), clean.find("#")) if i >= 0), default=len(clean))
    head = clean[:cut]
    return (redact_secret_shapes(head) if "=" in head else head) + clean[cut:]


_NAMES_ALTERNATION = "|".join(sorted((re.escape(k) for k in _SECRET_FORMS), key=len, reverse=True))
_SUFFIX_ALTERNATION = "secret|token|password|passcode|verifier|assertion"
"""The last words of an identifier that name a secret whatever precedes them (``*_SECRET``,
``*_token``); not ``code`` (``bhxh_code``, ``status_code``) nor ``d`` (``x_d``)."""
_LIST = r"\[(?:[^\[\]\n]|\[[^\[\]\n]*\]?)*\]?"
"""A list as a secret's value (``"client_secret": ["s1"]`` in JSON cut short, not parsed),
nested once (``[["a"], "b"]``)."""
_ASSIGNED = re.compile(  # 'name': value (a dict or JSON), name=value (a call, URL or form)
    rf"""(?P<key>(?P<q>['"])(?:{_NAMES_ALTERNATION})(?P=q)\s*:\s*"""
    rf"""|(?:(?<![\w-])|(?<=%3[Ff])|(?<=%2[36]))(?:{_NAMES_ALTERNATION})[+ ]*=(?!=)"""
    # a quoted value after spaces (``pytest -l``'s locals: ``verifier   = 'V3R'``), or after
    # a name ending in a word that is a secret whatever comes before it
    # (``DEFAULT_CLIENT_SECRET = '…'``; not ``bhxh_code``, ``status_code``, ``x_d``)
    rf"""|(?<![\w-])(?:{_NAMES_ALTERNATION}) *= *(?=['"])"""
    rf"""|(?<![\w-])\w+_(?:{_SUFFIX_ALTERNATION}) *= *(?=['"]))"""
    rf"""(?P<value>{re.escape(REDACTED)}"""  # and a secret run on from one (``…]CCC3``)
    rf"""(?:(?=[A-Za-z0-9_~+/-])(?:(?!{re.escape(REDACTED)})[^\s&'",;)}}\]>])*)?"""
    rf"""|'[^'\n]*'?|"[^"\n]*"?|{_LIST}[^\s&'",;)}}\]>]*|[^\s&'",;)}}\]>{{\[]"""
    rf"""(?:(?!{re.escape(REDACTED)})[^\s&'",;)}}\]>])*)""",  # up to a [REDACTED] after it
    re.IGNORECASE,
)
_ERROR_CODES = frozenset(ERRORS) | {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "server_error",
    "temporarily_unavailable",
    "invalid_token",
    "unsupported_response_type",
    "login_required",
    "interaction_required",
    "consent_required",
}
"""§8's error codes and those of RFC 6749 and OpenID Connect: as the value of ``code`` (a
test's ``code="invalid_grant"``, an error's ``code=access_denied``) they are no secret."""
_CREDENTIAL = re.compile(
    r"\b(Bearer|Basic)\s+(?:(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{6,}"
    r"|[A-Za-z]{20,})"
)
"""A credential after its scheme: 6 characters or more of a token68 with a digit or a symbol
in it, or 20 letters (``Basic authentication`` is text, not a credential)."""
_AUTHORIZATION = re.compile(
    r"""(\b(?:proxy-)?authorization['"]?\s*[:=]\s*\(?['"]?(?:b['"])?\w+\s+)[^\s'",;)]+""",
    re.IGNORECASE,
)
"""Whatever follows the scheme in an ``Authorization`` header written out, however short."""
_JWS = re.compile(
    r"(?:(?<![A-Za-z0-9_-])|(?<=%[0-9A-Fa-f]{2})|(?<=\\[nrtbfv])"
    r"|(?<=\\u[0-9A-Fa-f]{4}))"
    r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"
)
"""A JWS compact serialisation: one starting where a token starts, also after a
percent-escape (``%3DeyJ…``) or a backslash escape of a repr or JSON text (``\\neyJ…``,
``\\u0026eyJ…``), never inside a longer run of token characters, where each ``eyJ`` of a
long run without dots (``eyJaeyJa…``) would rescan the rest of it: quadratic, about 60 ms
for a 16 KB body, seconds for a request log of them."""
_USERINFO_PASSWORD = re.compile(
    r"((?:(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*:)?(?://|\\/\\/)"
    r"(?:[^\s/?#@:\"'<>\\]|'(?![\s,;)\]}]))*):"
    r"(?!//)(?:[^\s/?#\"'<>]|'(?![\s,;)\]}]))+@"
)
"""A URL's password in its user information (``http://user:pw@host``, ``//user:pw@host``;
RFC 3986 §3.2.1): a credential, wherever a URL is written out (a handle's repr, an error
quoting a URL). The password runs to the authority's last ``@``, as ``urlsplit`` and httpx
read ``user:p@ss@host``, and may hold a ``'`` (a sub-delim) but not one that ends a quoted
string (``'http://h:80', 'me@x.org'`` is two strings); JSON's escaped ``https:\\/\\/`` too."""
_MAY_HAVE_SHAPES = re.compile(r"[=:%]|Bearer|Basic|eyJ")
"""A cheap test: text without any of these holds none of the shapes below."""


def _assigned(match: re.Match[str]) -> str:
    value = match.group("value")
    if value.strip("'\"") == REDACTED:  # already redacted; one with more after it is not
        return match.group(0)
    if (
        value.strip("'\"") in _ERROR_CODES
        and match.group("key").strip("'\"=: \t").lower() == "code"
    ):
        return match.group(0)  # code="invalid_grant" in a source line is §8's, no secret
    quote = value[0] if value[:1] in ("'", '"') else ""
    end = quote if quote and len(value) > 1 and value.endswith(quote) else ""
    return f"{match.group('key')}{quote}{REDACTED}{end}"


def redact_secret_shapes(text: str) -> str:
    """Free ``text`` (an error message, a failure, a string value in a recorded body) with
    whatever is shaped like a secret replaced: the value after a secret name (``'access_token':
    '…'``, ``"code": "…"``, ``client_secret='…'``, ``code=…``), the credential after
    ``Bearer``/``Basic``, and JWS compact serialisations (``eyJ….….…``). A value already
    ``[REDACTED]`` is left as it is."""
    clean = _redact_shapes_once(text)
    # The same, percent-encoded once or more (``callback_url=vssid%3A%2F%2Fcb%3Fcode%3D…``):
    # shown decoded as deep as decoding finds more secrets, every depth looked at (a secret
    # encoded twice beside one encoded once went with the first depth's answer).
    shown = decoded = clean
    for _ in range(_NESTING):
        if "%" not in decoded:
            break
        decoded = unquote(decoded)
        redacted = _redact_shapes_once(decoded)
        if redacted != decoded:
            shown = redacted
        decoded = redacted
    return shown


def _redact_shapes_once(text: str) -> str:
    text = _JWS.sub(REDACTED, text)
    if "@" in text:
        # a password redact_url already replaced (``%5BREDACTED%5D``) is left as it is: the
        # URL stays one (``[REDACTED]`` there reads as an IPv6 literal)
        text = _USERINFO_PASSWORD.sub(
            lambda m: (
                m.group(0)
                if m.group(0).endswith(f":{URL_REDACTED}@")
                else f"{m.group(1)}:{REDACTED}@"
            ),
            text,
        )
    text = _AUTHORIZATION.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _CREDENTIAL.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _ASSIGNED.sub(_assigned, text)


_URL_START = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:|[/?#]")
"""How a URL may begin: a scheme (``vssid:``, ``https:``), an absolute path or a bare query
or fragment."""


def _is_url_with_parameters(value: str) -> bool:
    """Whether :func:`redact_json` treats ``value`` (which holds a ``=``) as a URL whose query
    or fragment may carry secrets: ``vssid://cb?code=…``, ``vssid://cb#code=…`` (a fragment
    response), ``vssid:cb?code=…`` (no ``//``), ``/cb?code=…``; or text with a ``://`` URL."""
    return ("?" in value or "#" in value) and (
        "://" in value or _URL_START.match(value) is not None
    )


def load_json(text: str) -> tuple[Any, bool]:
    """JSON ``text`` as Python's ``json`` reads it, and whether it is strict JSON: ``False``
    when it holds ``NaN``, ``Infinity`` or a float literal too large for a double (RFC 8259
    §6 has no text for them; a long integer is kept, it writes back as it came). Raises
    ``ValueError`` or ``RecursionError`` when ``text`` is not JSON at all."""
    try:
        return loads(text, unique=False), True
    except NotStrictJSON:
        return loads(text, unique=False, finite=False), False


def _escape_surrogates(value: Any) -> Any:
    """``value`` with each string (key or value) that holds a lone surrogate (only a
    ``\\ud800`` escape makes one) written with that surrogate as the escape text instead."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {_escape_surrogates(k): _escape_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape_surrogates(v) for v in value]
    return value


def redact_json_text(text: str, loaded: tuple[Any, bool] | None = None) -> Any:
    """JSON ``text`` as a redacted value that always serialises as strict UTF-8 JSON: lone
    surrogates become escape text, and a body holding ``NaN``, ``Infinity`` or ``1e999``
    comes back as its redacted JSON text (a string) instead of a value. ``loaded``:
    :func:`load_json` of ``text``, when the caller has read it already. Raises
    ``ValueError`` or ``RecursionError`` when ``text`` is not JSON at all."""
    value, strict = load_json(text) if loaded is None else loaded
    if "\\u" in text:  # only an escape can make a lone surrogate
        value = _escape_surrogates(value)
    redacted = redact_json(value)
    return redacted if strict else json.dumps(redacted, ensure_ascii=False)


_PLAIN_FORM = re.compile(r"[A-Za-z0-9_.~\[\]-]*(?:=[^&]*)?(?:&[A-Za-z0-9_.~\[\]-]*(?:=[^&]*)?)*")
"""A form whose parameter names are all plain (the values may be anything)."""
_PARAMETER_NAME = re.compile(r"[A-Za-z0-9_.~\[\]-]*")
_SECRET_IN_TEXT = re.compile(
    rf"""(?<![A-Za-z0-9_])(?P<key>["']?(?:{_NAMES_ALTERNATION})["']?\s*[:=]\s*)"""
    rf"""(?P<value>{re.escape(REDACTED)}[^\s"',;&}}\]]*"""  # a secret run on from it too
    rf"""|"(?:[^"\\]|\\.)*"?|'[^']*'?|{_LIST}[^\s"',;&}}\]]*|[^\s"',;&}}\]]*)""",
    re.IGNORECASE,
)
"""A secret name followed by its value in free text: ``"passcode": "…"``, ``code=…``
(``code=[REDACTED]``, already redacted, is left as it is)."""


def _redact_secrets_in_text(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        quote = match["value"][:1]
        value = f"{quote}{REDACTED}{quote}" if quote in ('"', "'") else REDACTED
        return match["key"] + value

    return _SECRET_IN_TEXT.sub(replace, text)


def _is_form(encoded: str) -> bool:
    """Whether every parameter name of ``encoded``, once decoded, is a plausible one: a
    JSON text or free text sent as a form is one unlikely "name" and no value."""
    if _PLAIN_FORM.fullmatch(encoded):
        return True
    return all(
        _PARAMETER_NAME.fullmatch(unquote_plus(chunk.partition("=")[0]))
        for chunk in encoded.split("&")
    )


def _redact_form_body(text: str) -> Any:
    """A body sent as a form, redacted: as JSON when it is JSON (``curl -d '{…}'`` sends JSON
    as a form); a URL in it as :func:`redact_json` redacts one (``vssid:cb?code=…``,
    ``a=vssid://cb?code=…``); then as a form when it is one, otherwise as decoded text with
    the values of secret names replaced wherever they appear."""
    if text.lstrip(" \t\r\n")[:1] in ("{", "["):
        try:
            return redact_json_text(text)
        except (ValueError, RecursionError):
            pass
    if "=" in text and _is_url_with_parameters(text):
        text = redact_url(text)
        if text == REDACTED:  # not a URL urlsplit could read
            return text
    if _is_form(text):
        return redact_form(text)
    # not a form throughout (``login failed for password=…``, ``a b=1&code=sec ret``): a
    # pair whose name is a secret's goes to its ``&`` as a form's would, then the text
    text = "&".join(_secret_named(chunk) or chunk for chunk in text.split("&"))
    return redact_secret_shapes(_redact_secrets_in_text(unquote_plus(text)))


def redact_text_body(text: str) -> Any:
    """A body already read as text, of unknown kind (a recorder given a string), redacted as
    :func:`redact_body` redacts one sent as a form: a JSON text as its value (see
    :func:`redact_json_text`), a URL, a form or free text as text. What it returns always
    serialises as strict UTF-8 JSON (a lone surrogate as its escape text). Text in which
    nothing can name a secret's value (no ``=``, ``:`` or ``%``) comes back as it is."""
    if not text.isascii():
        text = _escape_surrogates(text)
    if "=" not in text and ":" not in text and "%" not in text:
        return text
    return _redact_form_body(text)


def redact_body(raw: bytes, content_type: str, *, limit: int = 64 * 1024) -> Any:
    """A recorded HTTP body, decoded for reading and redacted: JSON as a value, forms as a
    redacted form string, anything else as a short placeholder. What it returns always
    serialises as strict JSON (no ``NaN``, no lone surrogate), so a log that holds it can
    always be read (see :func:`redact_json_text`)."""
    if not raw:
        return None
    ctype = content_type.split(";")[0].strip().lower()
    text = raw[:limit].decode("utf-8", "replace")
    if ctype == "application/x-www-form-urlencoded":
        return _redact_form_body(text)
    if ctype.endswith("json"):
        try:
            return redact_json_text(text)
        except (ValueError, RecursionError):
            return "[unparseable or too deeply nested JSON]"
    if ctype.startswith("text/html"):
        return f"[html, {len(raw)} bytes]"
    return f"[{ctype or 'body'}, {len(raw)} bytes]"
