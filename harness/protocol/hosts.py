"""Which hosts are this machine (S-6): the test-control API answers loopback callers without
the admin token, and ``serve`` needs a token to listen anywhere else. One answer for both
(``serve`` read all of ``127.0.0.0/8`` as loopback, the control API three names)."""

from __future__ import annotations

import functools
import ipaddress

__all__ = ["IN_PROCESS_CLIENT", "is_loopback"]

IN_PROCESS_CLIENT = "in-process"
"""The caller address an in-process ASGI transport reports (``harness.embedded``): this
process itself, which the control API answers as it answers loopback, with no check of
``Host`` or ``Origin`` (no web browser reaches an app that is not served)."""


@functools.lru_cache(maxsize=64)
def is_loopback(host: str | None) -> bool:
    """Whether ``host`` names a loopback address only: ``localhost``, ``127.0.0.0/8``,
    ``::1``, and an IPv4 loopback address in IPv6 form (``::ffff:127.0.0.1``, as a
    dual-stack server reports an IPv4 caller). Not a host name that resolves to one
    (``localhost.example``), which a resolver may answer otherwise."""
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
