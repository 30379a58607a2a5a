"""The checks before a run against remote targets (``vneid-harness run``, ``conformance``,
plain pytest with ``--vneid-url``, the load profile): each target answers its health check,
is of its role (a VNeID has discovery, a VssID its control API's config), and a relying party
trusts the run's VNeID (:func:`preflight`, which refuses the run); and what would fail many
tests for itself, said before them (:func:`target_warnings`: another issuer, another minimum
version, no app API at the URL). Each read (the GETs, the app API's one POST) is made once and
shared (:class:`TargetReads`). What they check comes as a
:class:`PreflightTargets` (:meth:`harness.run.RunOptions.targets`, or built by the plugin and
the load profile from their own options)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import ADMIN_TOKEN_ENV
from harness.apps.vneid import SESSIONS_PATH
from harness.body_text import body_text
from harness.conformance.plans import ALL
from harness.errors import ConfigError
from harness.profile_file import load_profile
from harness.protocol import paths
from harness.protocol.redaction import REDACTED, redact_url
from harness.protocol.runtime import SystemClock
from harness.targets import CHECKLISTS, HTTP_TIMEOUT, MISSING_STATUSES, check_target_url

if TYPE_CHECKING:
    import httpx

    from harness.protocol import Clock, Profile

__all__ = ["DISCOVERY_MINIMUM", "PreflightTargets", "TargetReads", "preflight", "target_warnings"]


@dataclass(frozen=True)
class PreflightTargets:
    """What the checks before a run read of its options: the remote targets (``None``: that
    provider is embedded), the admin token of their test-control API, the profile file the
    run was given, and the plan."""

    vneid_url: str | None = None
    vssid_url: str | None = None
    admin_token: str | None = None
    profile: Path | None = None
    """The run's ``--protocol-profile`` file (``None``: PROTOCOL.md's defaults)."""
    plan: str = ALL
    """The run's plan: a relying party under ``vssid-relying-party`` is told to have the
    harness VNeID served where it looks, not to give another ``--vneid-url``."""


class TargetReads:
    """The reads of the checks before a run against remote targets, each made once: the
    preflight and the warnings read the same health, discovery and relying-party config
    (three times each, before). The admin token goes to the test-control API's paths only
    (S-5: a vendor's discovery is public, and its proxies log headers)."""

    def __init__(
        self,
        admin_token: str | None,
        timeout: float = 5.0,
        *,
        verify: bool = True,
        clock: Clock | None = None,
    ) -> None:
        self._headers = {"X-Harness-Admin-Token": admin_token} if admin_token else {}
        self._timeout = timeout
        self._verify = verify
        """Whether an https target's certificate is checked (the load profile's users, as
        Locust's, do not check it)."""
        self._answers: dict[str, httpx.Response | httpx.HTTPError] = {}
        self._clock: Clock = clock or SystemClock()
        """This machine's clock, read as each answer arrives (:meth:`received_at`)."""
        self._received: dict[str, float] = {}

    @property
    def verify(self) -> bool:
        """Whether an https target's certificate is checked."""
        return self._verify

    @property
    def timeout(self) -> float:
        """The seconds each read is given (connecting, and waiting for the answer)."""
        return self._timeout

    def get(self, base_url: str, path: str) -> httpx.Response:
        """``GET base_url + path``, or the ``httpx.HTTPError`` it raised, the first time."""
        return self._once(
            "GET",
            base_url,
            path,
            headers=self._headers if path.startswith(paths.CONTROL_PREFIX) else {},
        )

    def post(self, base_url: str, path: str, body: object) -> httpx.Response:
        """``POST base_url + path`` with ``body`` as JSON and no other header (no app
        version, no token), or the ``httpx.HTTPError`` it raised, the first time."""
        return self._once("POST", base_url, path, json=body)

    def _once(self, method: str, base_url: str, path: str, **sent: Any) -> httpx.Response:
        """The answer to ``METHOD base_url + path``, asked the first time only (an error
        too: raised again each time)."""
        import httpx

        url = base_url.rstrip("/") + path
        key = f"{method} {url}"
        if key not in self._answers:
            try:
                self._answers[key] = httpx.request(
                    method, url, timeout=self._timeout, verify=self._verify, **sent
                )
            except httpx.HTTPError as exc:
                self._answers[key] = exc
            self._received[key] = self._clock.now()
        answer = self._answers[key]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def received_at(self, base_url: str, path: str) -> float | None:
        """When (this machine's clock, seconds since the epoch) the answer to ``GET
        base_url + path`` arrived, or ``None`` when it was not asked."""
        return self._received.get(f"GET {base_url.rstrip('/')}{path}")

    def json(self, base_url: str, path: str) -> object:
        """The JSON of :meth:`get` (``None``: no answer, or not JSON)."""
        import httpx

        try:
            return self.get(base_url, path).json()
        except (httpx.HTTPError, ValueError):
            return None


def preflight(
    targets: PreflightTargets, timeout: float = 5.0, reads: TargetReads | None = None
) -> str | None:
    """Why the targets cannot be used, or ``None``: each must answer its control API's
    health check (§11) within ``timeout`` seconds, so a down or wrong target is reported
    before the run instead of as a wall of failures. ``reads``: shared with
    :func:`target_warnings`, so each is read once."""
    import httpx

    from harness.tls import ca_environment_problem, tls_problem

    reads = reads or TargetReads(targets.admin_token, timeout)
    if reads.verify and (targets.vneid_url or targets.vssid_url):
        problem = ca_environment_problem()  # httpx reads it for each client: a traceback
        if problem is not None:
            return problem
    for name, url in (("VNeID", targets.vneid_url), ("VssID", targets.vssid_url)):
        if not url:
            continue
        shown = redact_url(url)  # a password in it stays out of the message (S-5)
        try:
            check_target_url(f"--{name.lower()}-url", url)
        except ConfigError as exc:
            return str(exc)
        try:
            response = reads.get(url, paths.HEALTH)
        except httpx.HTTPError as exc:
            said = f"{type(exc).__name__}: {exc}"
            if targets.admin_token:  # a client may quote the header it refused (S-5)
                said = said.replace(targets.admin_token, REDACTED)
            if isinstance(exc, httpx.TimeoutException) and not isinstance(
                exc, httpx.ConnectTimeout | httpx.PoolTimeout
            ):  # it took the request: running, but slower than the check allows
                return (
                    f"the {name} target at {shown} took the connection but did not answer "
                    f"GET /_harness/health within {reads.timeout:g} s ({said}); it is running "
                    "at that URL but stuck or too slow: the health check must answer within "
                    f"{reads.timeout:g} s (each call of the tests within {HTTP_TIMEOUT.read:g} s)"
                )
            problem = tls_problem(exc, name, url, shown, reads.timeout)
            if problem is not None:
                return problem
            return (
                f"the {name} target at {shown} does not answer ({said}); is it running, "
                "and is the URL right?"
            )
        if response.status_code in (401, 403):  # S-6: the control API's admin token
            return (
                f"the {name} target at {shown} answered {response.status_code} to "
                f"GET /_harness/health ({body_text(response)}): "
                + (
                    "it refused the admin token given: give the one it was served with "
                    f"(--admin-token or {ADMIN_TOKEN_ENV})"
                    if targets.admin_token
                    else "its test-control API needs the admin token it was served with: give "
                    f"it with --admin-token or {ADMIN_TOKEN_ENV}"
                )
            )
        if response.status_code != 200:
            return (
                f"the {name} target at {shown} answered {response.status_code} to "
                f"GET /_harness/health ({body_text(response)}); it must offer the "
                "test-control API of PROTOCOL.md §11 (with --admin-token if it needs one; "
                f'docs/conformance.md, "{CHECKLISTS[name.lower()]}", lists all that a '
                f"{name} under test must offer)"
            )
        problem = _health_answer_problem(response)
        if problem is not None:
            return (
                f"the {name} target at {shown} answered GET /_harness/health with "
                f"{problem}: is the URL the provider's base address?"
            )
        problem = _role_problem(name, url, shown, reads) or _lease_problem(name, url, shown, reads)
        if problem is not None:
            return problem
    if targets.vneid_url and targets.vssid_url:
        return _trust_problem(
            targets.vneid_url,
            targets.vssid_url,
            reads,
            conformance=targets.plan == "vssid-relying-party",
        )
    return None


def _lease_problem(name: str, url: str, shown: str, reads: TargetReads) -> str | None:
    """Someone else holds the provider (``GET /_harness/lease``: a served mock's; a provider
    without a lease says nothing): runs sharing it would fail each other's tests."""
    from harness.lease import in_use_message

    state = reads.json(url, paths.LEASE)
    if not isinstance(state, dict) or state.get("held") is not True:
        return None
    return in_use_message(f"{name} target", shown, state.get("holder"), state.get("expires_in"))


_ROLE_ENDPOINTS = {"VNeID": paths.DISCOVERY, "VssID": paths.CONFIG}
"""What only each party answers: a VNeID its discovery (T-4), a VssID the relying party's
configuration of the test-control API (§11)."""


def _role_problem(name: str, url: str, shown: str, reads: TargetReads) -> str | None:
    """Whether the target given for ``name`` is the other party: ``--vneid-url`` and
    ``--vssid-url`` swapped, or a wrong port. Both answer the health check, and the run then
    failed every test on a control call the other party does not have (261 of 277 of the
    ``vneid-provider`` plan), or stopped after its first test. Only a VssID target is
    refused for lacking its endpoint (the run needs it to point the relying party at its
    VNeID); a VNeID without discovery is refused only when it looks like a VssID, and its
    discovery tests otherwise say what is wrong."""
    import httpx

    other = "VssID" if name == "VNeID" else "VNeID"
    try:
        own = reads.get(url, _ROLE_ENDPOINTS[name])
        if own.status_code == 200:
            return None
        if own.status_code in (401, 403) and name == "VssID":
            return (
                f"the VssID target at {shown} answered {own.status_code} to GET "
                f"/_harness/config ({body_text(own)}): give the admin token it was "
                f"served with (--admin-token, or ${ADMIN_TOKEN_ENV})"
            )
        theirs = reads.get(url, _ROLE_ENDPOINTS[other])
    except httpx.HTTPError:
        return None  # it answered the health check: the run's tests say what is wrong
    looks_other = theirs.status_code == 200
    if not looks_other and name == "VNeID":
        return None
    said = (
        f"the {name} target at {shown} answered {own.status_code} to "
        f"GET {_ROLE_ENDPOINTS[name]} ({body_text(own)})"
    )
    if looks_other:
        return (
            f"{said}, and answers GET {_ROLE_ENDPOINTS[other]} as a {other} does: it looks "
            f"like a {other}; are --vneid-url and --vssid-url swapped, or is the port "
            "wrong?"
        )
    return (
        f"{said}: the run points the relying party at its VNeID through it (PROTOCOL.md "
        "§11, docs/conformance.md); is the URL the VssID's base address, with the "
        "test-control API?"
    )


def _trust_problem(
    vneid_url: str, vssid_url: str, reads: TargetReads, *, conformance: bool = False
) -> str | None:
    """Whether the relying party trusts another issuer than the VNeID of this run: every
    login would then fail with issuer_mismatch, filed as the relying party's failures. What
    cannot be read (no config endpoint, no discovery) is left to the run to report."""
    config = reads.json(vssid_url, paths.CONFIG)
    discovery = reads.json(vneid_url, paths.DISCOVERY)
    trusted = config.get("issuer") if isinstance(config, dict) else None
    issuer = discovery.get("issuer") if isinstance(discovery, dict) else None
    if not isinstance(trusted, str) or not isinstance(issuer, str) or trusted == issuer:
        return None
    if trusted.rstrip("/") == issuer.rstrip("/"):  # compare exactly
        return (
            f"the VssID target at {redact_url(vssid_url)} trusts the issuer {trusted!r}, "
            f"and the VNeID of this run is {issuer!r}: they differ only in a trailing "
            "'/', and issuers are compared exactly (R-2, R-6), so every login would fail with "
            "issuer_mismatch; configure the issuer exactly as the VNeID's discovery "
            "names it"
        )
    if not conformance:
        other = "give the VNeID it trusts (--vneid-url)"
    elif trusted.startswith("https://"):  # the harness VNeID is served over plain HTTP only
        other = None
    else:
        other = (
            "serve the harness VNeID where it looks (--serve-vneid-port with the port of that "
            "issuer)"
        )
    # the address once when the issuer is where the VNeID was reached (the harness VNeID
    # of `conformance` always is): "(http://127.0.0.1:8801, at http://127.0.0.1:8801)"
    where = redact_url(vneid_url)
    ours = issuer if issuer.rstrip("/") == where.rstrip("/") else f"{issuer}, at {where}"
    return (
        f"the VssID target at {redact_url(vssid_url)} trusts the issuer {trusted}, not the "
        f"VNeID of this run ({ours}): every login would fail "
        "with issuer_mismatch (R-2). Point it at that issuer (POST /_harness/config, or "
        "its own settings)"
        + (
            f", or {other}"
            if other is not None
            else ": the plan serves its VNeID over plain HTTP only, so no --serve-vneid-port "
            f"makes it the https issuer {trusted}"
        )
    )


DISCOVERY_MINIMUM = "vneid_app_minimum_version"
"""Where the mock VNeID's discovery names T-4's minimum VNeID app version (PROTOCOL.md does
not name the field; a provider that names it otherwise gets no profile warning)."""


def target_warnings(
    targets: PreflightTargets,
    profile: Profile | None = None,
    timeout: float = 5.0,
    reads: TargetReads | None = None,
) -> list[str]:
    """Warnings before a run against a remote VNeID, from its discovery (T-4): what would
    fail many tests for a reason of the run's set-up rather than the provider's. The tests
    still run: the provider may be the one at fault.

    - its issuer is not the URL the run was given (``localhost`` for ``127.0.0.1``): the
      issuer checks (R-2, T-3) fail; OpenID Connect Discovery §4.3 has them equal;
    - it publishes another minimum app version than the run's profile: against a provider
      serving a profile file the run was not given, the suites' phones install versions it
      refuses (V-4, V-5).

    And for a remote VssID, its relying party's ``client_id`` (``GET /_harness/config``) is
    not the run's profile's: it serves another profile, whose versions and links the suites'
    phones do not follow either.

    ``profile``: the run's, read from ``targets.profile`` (read here when not given);
    ``reads``: shared with :func:`preflight`."""
    if profile is None and targets.profile is not None:
        profile = load_profile(targets.profile)
    reads = reads or TargetReads(targets.admin_token, timeout)
    warnings = _vneid_warnings(targets, profile, reads) if targets.vneid_url else []
    if targets.vssid_url:
        warnings += _vssid_warnings(targets, profile, reads)
    for name, url in (("VNeID", targets.vneid_url), ("VssID", targets.vssid_url)):
        skew = _clock_skew(name, url, reads) if url else None
        if skew is not None:
            warnings.append(skew)
    return warnings


CLOCK_WARNING_AFTER = 5.0
"""How far (seconds) a target's clock may be from this machine's before the run says so:
the R-8 faults a relying party must refuse put ``exp``/``iat`` 5 s beyond R-8's 60 s
(``mock_providers.vneid.faults.BEYOND_SKEW``), and an HTTP ``Date`` is whole seconds
(up to about 2 s off, with the second it truncates and a server caching it for a second)."""
R8_SKEW = 60
"""R-8: "with ≤ 60 s skew"."""


def _clock_skew(name: str, url: str, reads: TargetReads) -> str | None:
    """A target whose clock (its ``Date`` header on the health answer, RFC 9110 §6.6.1)
    is more than :data:`CLOCK_WARNING_AFTER` from this machine's: the harness dates what it
    checks and what it sends by its own clock, and a vendor's server on another machine
    failed the time checks with messages that named no clock (``iat is 299 s in the
    future`` in every login, ``client_assertion exp … in the past``, ``exp at most 600 s
    from now, observed 899 s``)."""
    import email.utils

    import httpx

    try:
        response = reads.get(url, paths.HEALTH)
    except httpx.HTTPError:
        return None
    received = reads.received_at(url, paths.HEALTH)
    try:
        dated = email.utils.parsedate_to_datetime(response.headers.get("date", ""))
    except (TypeError, ValueError, OverflowError):
        # no Date (or not an HTTP date: a year or zone of 20 digits is an OverflowError
        # in email.utils, which stopped the run's checks with a traceback): nothing to compare
        return None
    if received is None or dated.tzinfo is None:
        return None
    # the Date is the second the answer was made in, truncated: its middle is the best guess
    ahead = dated.timestamp() + 0.5 - received
    if abs(ahead) <= CLOCK_WARNING_AFTER:
        return None
    seconds = round(abs(ahead))
    how = f"{seconds} s {'ahead of' if ahead > 0 else 'behind'}"
    effect = _vneid_skew_effect(ahead) if name == "VNeID" else _vssid_skew_effect(ahead)
    return (
        f"the {name} at {redact_url(url)} has a clock {how} this machine's (its Date "
        f"header: {response.headers.get('date')}; here: "
        f"{email.utils.formatdate(received, usegmt=True)}): {effect}. Set both machines' "
        "clocks from the same time server (NTP)"
    )


def _vssid_warnings(
    targets: PreflightTargets, profile: Profile | None, reads: TargetReads
) -> list[str]:
    from harness.protocol import DEFAULT_PROFILE

    config = reads.json(targets.vssid_url or "", paths.CONFIG)  # unread: the preflight
    client_id = config.get("client_id") if isinstance(config, dict) else None
    expected = (profile or DEFAULT_PROFILE).vssid_client_id
    if not isinstance(client_id, str) or client_id == expected:
        return []
    given = (
        f"the profile file {targets.profile}"
        if targets.profile is not None
        else "PROTOCOL.md's default, no --protocol-profile given"
    )
    return [
        f"the VssID at {redact_url(targets.vssid_url or '')} is configured with client_id "
        f"{client_id!r} (GET /_harness/config), and this run expects {expected!r} "
        f"({given}): if it serves another profile, give the run the same file "
        '(--protocol-profile FILE, docs/conformance.md "Profile files"): the suites\' '
        "phones install the run's minimum versions and follow its links, and many tests "
        "fail for that alone"
    ]


APP_API_PROBE = SESSIONS_PATH
"""The app API call the warnings send (A-4's, with ``{}`` and no app version): a provider
that has it refuses it (V-3: ``app_version_invalid``, or another §8 error), one without it
answers 404."""


def _vneid_warnings(
    targets: PreflightTargets, profile: Profile | None, reads: TargetReads
) -> list[str]:
    url = (targets.vneid_url or "").rstrip("/")
    warnings = _app_api_missing(targets, reads)
    discovery = reads.json(url, paths.DISCOVERY)
    if not isinstance(discovery, dict):  # unread or not JSON: the run's discovery tests say why
        return warnings
    issuer = discovery.get("issuer")
    if isinstance(issuer, str) and issuer.rstrip("/") != url:
        warnings.append(
            f"the VNeID at {redact_url(targets.vneid_url or url)} names its issuer {issuer} in its "
            "discovery, and issuers are compared exactly (R-2, T-3; OpenID Connect Discovery "
            "§4.3 has the issuer equal to the URL its discovery is fetched from): if that is "
            f"the same provider, give --vneid-url {issuer}, or the issuer checks fail for that "
            "alone"
        )
    mismatch = _minimum_mismatch(targets, profile, discovery.get(DISCOVERY_MINIMUM))
    if mismatch is not None:
        warnings.append(mismatch)
    return warnings


def _vneid_skew_effect(ahead: float) -> str:
    """What a provider's clock ``ahead`` seconds of the harness's does to the run."""
    if abs(ahead) <= R8_SKEW:
        return (
            "the tests allow it (R-8's 60 s of skew), but a relying party whose own clock is "
            "off the other way runs out of those 60 s sooner"
        )
    if ahead > 0:
        return (
            "the harness's VssID, like any relying party allowing R-8's 60 s of skew, finds "
            "its ID tokens issued in the future, so every login fails at R-8, and the T-3 "
            "and T-1 (private_key_jwt, RFC 7523 §3) time checks fail too, for the clocks alone"
        )
    return (
        "its ID tokens look issued long ago (T-3's iat check fails) and the harness's client "
        "assertions not valid yet (T-1 private_key_jwt, RFC 7523 §3); once it is behind by "
        "more than an ID token's lifetime, every login fails at R-8 (exp past), for the "
        "clocks alone"
    )


def _vssid_skew_effect(ahead: float) -> str:
    """What a relying party's clock ``ahead`` seconds of the harness's does to the run."""
    if ahead > 0:
        said = (
            "the R-8 test's ID token issued 65 s in the future by this machine's clock (5 s "
            "beyond R-8's 60 s of skew) looks to it issued within its skew, so it accepts it "
            "and fails R-8 for the clocks alone"
        )
        if ahead > R8_SKEW:
            said += (
                "; once it is ahead by more than an ID token's lifetime, every login's ID "
                "token looks expired to it"
            )
        return said
    said = (
        "the R-8 test's ID token expired 65 s ago by this machine's clock (5 s beyond R-8's "
        "60 s of skew) looks to it expired within its skew, so it accepts it and fails R-8 "
        "for the clocks alone"
    )
    if -ahead > R8_SKEW:
        said += (
            "; and the ID tokens of the harness's VNeID look issued in the future to it, "
            "beyond R-8's 60 s, so every login fails at R-8"
        )
    return said


def _app_api_missing(targets: PreflightTargets, reads: TargetReads) -> list[str]:
    """A provider without the app API (A-4, A-5) at ``--vneid-url``: every login of the
    suites stops at its first call, and the run listed some 250 failures, each with the same
    404, and no line saying that one missing piece was the cause of all (a vendor's
    general-purpose OpenID Connect server, or the right server under another base path).
    One probe (:data:`APP_API_PROBE`, which any provider refuses); an answer that is not a
    missing path says nothing: the tests grade it."""
    import httpx

    url = targets.vneid_url or ""
    try:
        response = reads.post(url, APP_API_PROBE, {})
    except httpx.HTTPError:
        return []  # it answered the health check: the run's tests say what is wrong
    if response.status_code not in MISSING_STATUSES:
        return []
    return [
        f"the VNeID at {redact_url(url)} answered {response.status_code} to "
        f"POST {APP_API_PROBE} ({body_text(response)}): the VNeID app's API "
        "(PROTOCOL.md §4, A-4 and A-5: POST /api/app/v1/sessions and "
        "/api/app/v1/authorizations) is not at this URL, and every login of the suites "
        "stops at that call, so most tests fail for that alone. The app API must be under "
        "the same base URL as discovery and the test-control API "
        f"({redact_url(url).rstrip('/')}/api/app/v1/…): it is the first thing to "
        'implement (docs/conformance.md, "What your provider must offer")'
    ]


def _minimum_mismatch(
    targets: PreflightTargets, profile: Profile | None, published: object
) -> str | None:
    from harness.protocol import DEFAULT_PROFILE, ProtocolError, parse_version

    if not isinstance(published, str):
        return None
    try:
        version = parse_version(published)
    except ProtocolError:
        return None
    profile = profile or DEFAULT_PROFILE
    if version == profile.vneid_min_version:
        return None
    given = (
        f"the profile file {targets.profile}"
        if targets.profile is not None
        else "PROTOCOL.md's default, no --protocol-profile given"
    )
    return (
        f"the VNeID at {redact_url(targets.vneid_url or '')} publishes "
        f"{DISCOVERY_MINIMUM} {published} in "
        f"its discovery, and this run expects {profile.vneid_min_version} ({given}): "
        "if the provider serves another profile, give the run the same file "
        '(--protocol-profile FILE, docs/conformance.md "Profile files"): the suites\' '
        "phones install the run's minimum versions, and logins the provider refuses "
        "as too old (V-4, V-5) fail many tests for that alone"
    )


def _health_answer_problem(response: httpx.Response) -> str | None:
    """What is wrong with a 200 answer to ``GET /_harness/health``, if anything: a body that
    is not JSON (a web server's page), or JSON that is not §11's
    (:func:`~harness.targets.health_problem`)."""
    from harness.targets import health_problem

    try:
        body = response.json()
    except ValueError:
        kind = response.headers.get("content-type", "no content type")
        return f"a body that is not JSON ({kind}: {body_text(response)})"
    return health_problem(body)
