"""HTTP Basic client credentials as RFC 6749 §2.3.1 writes them (T-1, ``client_secret_basic``).

The client id and the secret are each form-urlencoded (``application/x-www-form-urlencoded``)
and joined by a colon; the Basic scheme (RFC 7617) sends base64 of that. The user-id ends at
the first colon (an encoded id has none); the secret may hold more. One place, so the mock
VNeID that reads them, the mock VssID and the harness's relying party that send them, and the
trace that redacts them cannot disagree.
"""

from __future__ import annotations

import base64
import binascii
from typing import TypeGuard
from urllib.parse import quote_plus, unquote_plus

__all__ = [
    "BasicCredentialsError",
    "basic_pair",
    "decode_basic",
    "decode_pair",
    "encode_basic",
    "is_basic",
]

_PREFIX = "basic "


class BasicCredentialsError(ValueError):
    """An ``Authorization: Basic`` header that holds no ``client_id:secret`` pair; its text
    says why, in words for the client that sent it."""


def is_basic(header: str | None) -> TypeGuard[str]:
    """Whether ``header`` (an ``Authorization`` value) uses the Basic scheme, whose name is
    case-insensitive (RFC 9110 §11.1)."""
    return header is not None and header[: len(_PREFIX)].lower() == _PREFIX


def encode_basic(client_id: str, secret: str) -> str:
    """The ``Authorization`` value of ``client_secret_basic``: ``Basic`` and base64 of
    ``urlencode(client_id):urlencode(secret)``."""
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def basic_pair(header: str) -> str:
    """The text a Basic ``header`` carries (``id:secret``, each still form-urlencoded): the
    base64 after the scheme name, decoded as UTF-8. Raises :class:`BasicCredentialsError`
    when it is not base64 of UTF-8 text."""
    try:
        # OWS only (RFC 9110 §5.6.3: SP, HTAB): str.strip() also took \xa0, \x85, \x1c-\x1f
        token68 = header[len(_PREFIX) :].strip(" \t")
        return base64.b64decode(token68, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BasicCredentialsError(
            "the Basic credentials are not base64 of 'client_id:secret'"
        ) from None


def decode_basic(header: str) -> tuple[str, str]:
    """``(client_id, secret)`` of a Basic ``header``, each form-urldecoded. Raises
    :class:`BasicCredentialsError` when the header is not base64 of UTF-8 text, when the
    text has no colon or nothing before it, or when a percent-escape is not UTF-8."""
    return decode_pair(basic_pair(header))


def decode_pair(pair: str) -> tuple[str, str]:
    """``(client_id, secret)`` of the text a Basic header carries (:func:`basic_pair`), each
    form-urldecoded; :class:`BasicCredentialsError` as :func:`decode_basic`."""
    client_id, colon, secret = pair.partition(":")
    if not colon or not client_id:
        raise BasicCredentialsError("the Basic credentials are not 'client_id:secret'")
    try:
        return unquote_plus(client_id, errors="strict"), unquote_plus(secret, errors="strict")
    except UnicodeDecodeError:
        raise BasicCredentialsError(
            "the Basic credentials are not form-urlencoded UTF-8 (RFC 6749 §2.3.1): a "
            "percent-escape is not UTF-8"
        ) from None
