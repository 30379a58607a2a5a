"""The checks of a run's options that more than one front end makes, each in one wording.

The CLI (:mod:`harness.cli`), the runner (:mod:`harness.run`) and the pytest plugin
(:mod:`harness.pytest_plugin`) take the same options, and refused the same mistakes in words
of their own (three wordings of an empty ``VNEID_HARNESS_ADMIN_TOKEN``, two of ``-n 2``
against remote targets). Each check here is a pure function of the values given: it returns
what is wrong, said so that the user knows what to change, or ``None``. Each front end turns
a problem into its own kind of refusal, with its own exit status: the CLI's ``error: …``
(exit 2), the runner's ``cannot run plan …:`` (2), pytest's usage error (4). The engine's
raising checks (:func:`harness.targets.check_target_url`,
:func:`harness.targets.check_admin_token`, :func:`harness.conformance.get_plan`) raise a
:class:`~harness.errors.ConfigError` with the same words.

When to check (an option typed or read from its variable, which targets need a token) stays
with each front end; only what is wrong, and how it is said, is here. A module of checks that
imports nothing of the engine, so that the engine's modules can use it too
(``tests/test_layering.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlsplit

import httpx

from harness import ADMIN_TOKEN_ENV
from harness.protocol.redaction import redact_url

__all__ = [
    "REMOTE_TESTS_TAKE_TURNS",
    "SERVE_PORTS",
    "admin_token_env_problem",
    "admin_token_problem",
    "broken_plan_problem",
    "broken_with_targets_problem",
    "empty_path_problem",
    "empty_value_problem",
    "plan_problem",
    "remote_workers_problem",
    "target_url_problem",
    "targets_given",
    "vssid_without_vneid_problem",
]

EMPTY = "is empty (an unset variable?)"
"""How an option given as ``""`` (a shell variable left unset) is said, after its name."""


def empty_value_problem(value: str | None) -> str | None:
    """An option given as ``""`` that would otherwise fall back to its default without a word
    (``--protocol-url``, ``--replay-as``, ``--hypothesis-profile``); said after the option's
    name."""
    if value != "":
        return None
    return f"{EMPTY}: give a value, or leave the option out for its default"


def empty_path_problem(value: str) -> str | None:
    """A path option given as ``""`` (or blanks): read as a path it was ``.``, the folder the
    command started in (``--out ""`` wrote a run's reports over what was there); said after
    the option's name."""
    if value.strip():
        return None
    return f"{EMPTY}: give a path"


def plan_problem(plan: str, plans: Iterable[str]) -> str | None:
    """``plan`` is not one of ``plans`` (:data:`harness.conformance.PLANS`)."""
    known = list(plans)
    if plan in known:
        return None
    return f"unknown plan {plan!r}: choose one of {', '.join(known)}"


SERVE_PORTS: Mapping[str, int] = {"--vneid-url": 8801, "--vssid-url": 8802}
"""The port of each target option's example: where ``vneid-harness serve`` puts that
provider by default (its ``--vneid-port`` and ``--vssid-port``)."""


def targets_given(vneid_url: str | None, vssid_url: str | None) -> list[str]:
    """The target options given (``--vneid-url``, ``--vssid-url``), as the checks below name
    them."""
    return [
        option for option, url in (("--vneid-url", vneid_url), ("--vssid-url", vssid_url)) if url
    ]


def target_url_problem(option: str, url: str | None, *, example: str | None = None) -> str | None:
    """``url`` (given as ``option``; ``None``: not given) is not an http(s) URL with a host the
    HTTP client can use; said with an example of that option (a VssID URL's example once
    showed the VNeID's port; ``example``: another's, such as the Appium server's). A password
    in the URL stays out of the words (S-5)."""
    if url is None:
        return None
    example = example or (
        f"(for example {option} http://127.0.0.1:{SERVE_PORTS.get(option, 8801)})"
    )
    if not url.strip():  # an unset shell variable: not "no target" (the embedded mocks)
        return (
            f"{option} {EMPTY}: give the target's URL {example}, or leave the option out "
            "to run against the embedded mock providers"
        )
    shown = redact_url(url)
    if not url[:8].lower().startswith(("http://", "https://")):  # RFC 3986 §3.1: any case
        if "@" in url and "://" not in url:  # no URL to redact in: what follows the user info
            shown = f"…@{url.rsplit('@', 1)[1]}"
        return f"{option} must be an http(s) URL, got {shown!r} {example}"
    try:
        host = httpx.URL(url).host  # an invalid IDNA label ("xn--zz") raises UnicodeError
    except (httpx.InvalidURL, UnicodeError) as exc:
        return f"{option} {shown!r} is not a usable URL ({exc}) {example}"
    if not host:
        return f"{option} {shown!r} has no host {example}"
    try:  # httpx reads the port with int(): "８８０１", "+8801", " 8801", "8_801", 99999
        urlsplit(url).port  # noqa: B018 - the standard library's stricter reading
    except ValueError:
        return (
            f"{option} {shown!r} has a port that is not a number from 0 to 65535 in ASCII "
            f"digits {example}"
        )
    return None


def vssid_without_vneid_problem(vneid_url: str | None, vssid_url: str | None) -> str | None:
    """A VssID target without a VNeID target: an out-of-process backend cannot trust the
    harness's in-process provider."""
    if not vssid_url or vneid_url:
        return None
    return (
        "--vssid-url needs --vneid-url: a VssID backend out of process can only trust a "
        "VNeID provider it can reach (e.g. both from vneid-harness serve)"
    )


def admin_token_problem(admin_token: str | None) -> str | None:
    """S-6: not a token callers can present (``None``: none given, which is fine). It must be
    non-empty printable ASCII without spaces at its ends: it travels in the
    ``X-Harness-Admin-Token`` HTTP header, where anything else never matches, and a control
    character (a newline read from a secret file) made the HTTP client refuse the header and
    quote it, token and all, in its error (S-5)."""
    if admin_token is None:
        return None
    where = f"--admin-token (or {ADMIN_TOKEN_ENV})"
    if not admin_token:
        return (
            f"{where} is empty; give a token, or leave it out to serve the test-control "
            "API to loopback callers only (S-6)"
        )
    if not all(" " <= ch <= "~" for ch in admin_token) or admin_token != admin_token.strip(" "):
        return (
            f"{where} must be printable ASCII with no space at either end: clients send "
            "it in the X-Harness-Admin-Token HTTP header, which cannot carry it "
            "otherwise; choose another token"
        )
    return None


def admin_token_env_problem(given: str | None, environ: Mapping[str, str]) -> str | None:
    """``VNEID_HARNESS_ADMIN_TOKEN`` set but empty, and no ``--admin-token`` given
    (``given``): read as unset (as Click reads it), a run sent no token to targets served
    with one, and ``serve`` served the control API without one."""
    if given is not None or environ.get(ADMIN_TOKEN_ENV) != "":
        return None
    return (
        f"{ADMIN_TOKEN_ENV} is set but empty: set it to the token (the one the targets "
        "were served with; for serve, the one to require), pass --admin-token, or unset "
        "it (without a token the test-control API answers loopback callers only, S-6)"
    )


def broken_with_targets_problem(broken: Sequence[str], targets: Sequence[str]) -> str | None:
    """``--broken-rp``/``--broken-vneid`` (the options given, ``broken``) with a target option
    (``targets``, the ones given): they break the harness's embedded mocks, and a server
    under test is tested as it is."""
    if not broken or not targets:
        return None
    given = " and ".join(broken)
    verb = "break" if len(broken) > 1 else "breaks"
    return (
        f"{given} {verb} the harness's embedded mocks, to preview a failing verdict; a "
        f"server of yours is tested as it is: leave out {given}, or "
        f"{' and '.join(targets)}"
    )


def broken_plan_problem(plan: str, rp: bool, vneid: bool) -> str | None:
    """``--broken-rp`` (``rp``) or ``--broken-vneid`` (``vneid``) with a plan that does not
    grade the mock it breaks: the run would pass as if nothing were broken."""
    if rp and plan == "vneid-provider":
        return (
            "--broken-rp breaks the embedded relying party, which plan vneid-provider does "
            "not grade: give it with --plan vssid-relying-party (or all)"
        )
    if vneid and plan == "vssid-relying-party":
        return (
            "--broken-vneid breaks the embedded provider, which plan vssid-relying-party "
            "does not grade: give it with --plan vneid-provider (or all)"
        )
    return None


REMOTE_TESTS_TAKE_TURNS = (
    "tests against remote providers share their state (request logs, clocks, faults) and "
    "must take turns"
)
"""Why a run against ``--vneid-url``/``--vssid-url`` has one worker (``run`` and pytest)."""


def remote_workers_problem(
    workers: int | None, targets: Sequence[str], *, option: str, one_process: str
) -> str | None:
    """More than one worker (``workers``; ``None``: one per CPU) against remote targets (the
    target options given, ``targets``): the workers' tests change the same providers'
    clocks, faults and settings under each other and fail for it. ``option`` names how the
    front end takes workers (``-n``, ``--workers``) and ``one_process`` how to ask it for
    one."""
    if not targets or (workers is not None and workers <= 1):
        return None
    shown = "auto" if workers is None else str(workers)
    return (
        f"{option} {shown} with {' and '.join(targets)}: {REMOTE_TESTS_TAKE_TURNS}; run "
        f"them in one process ({one_process})"
    )
