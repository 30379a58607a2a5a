"""The protocol model, pure and free of I/O: versions, identifiers, links, errors, clauses.

It imports nothing of the rest of the harness; the mock providers share only this package
with the test machinery (ARCHITECTURE.md).
"""

from harness.protocol.clauses import CLAUSES, SECTIONS, Clause, clause, validate_clause_ids
from harness.protocol.errors import (
    ERRORS,
    ErrorSpec,
    IdentifierError,
    LinkError,
    ProtocolError,
    VersionError,
    error_spec,
    oauth_description,
)
from harness.protocol.identifiers import (
    FULL_NAME_PATTERN,
    MAX_FULL_NAME,
    PersonalId,
    full_name_problem,
    generate_bhxh_code,
    generate_personal_id,
    is_valid_bhxh_code,
    is_vschar,
    parse_personal_id,
)
from harness.protocol.links import (
    AuthorizationRequest,
    Callback,
    LinkForm,
    ParsedLink,
    add_query,
    delivered_to,
    parse_authorize_link,
    parse_callback,
    parse_link,
)
from harness.protocol.numbers import finite_number
from harness.protocol.pkce import is_valid_code_verifier, s256_challenge, verify_s256
from harness.protocol.profile import (
    ACR_LEVEL1,
    ACR_LEVEL2,
    DEFAULT_PROFILE,
    PLATFORMS,
    AppId,
    Platform,
    Profile,
    acr_for_level,
    level_for_acr,
)
from harness.protocol.runtime import (
    Clock,
    Entropy,
    ManualClock,
    OffsetClock,
    SeededEntropy,
    SystemClock,
    SystemEntropy,
)
from harness.protocol.versions import Version, parse_version, require_min_version

__all__ = [
    "FULL_NAME_PATTERN",
    "MAX_FULL_NAME",
    # clauses
    "CLAUSES",
    "SECTIONS",
    "Clause",
    "clause",
    "validate_clause_ids",
    # errors
    "ERRORS",
    "ErrorSpec",
    "IdentifierError",
    "LinkError",
    "ProtocolError",
    "VersionError",
    "error_spec",
    "oauth_description",
    # numbers
    "finite_number",
    # identifiers
    "PersonalId",
    "full_name_problem",
    "generate_bhxh_code",
    "generate_personal_id",
    "is_valid_bhxh_code",
    "is_vschar",
    "parse_personal_id",
    # links
    "AuthorizationRequest",
    "Callback",
    "LinkForm",
    "ParsedLink",
    "add_query",
    "delivered_to",
    "parse_authorize_link",
    "parse_callback",
    "parse_link",
    # pkce
    "is_valid_code_verifier",
    "s256_challenge",
    "verify_s256",
    # profile
    "ACR_LEVEL1",
    "ACR_LEVEL2",
    "DEFAULT_PROFILE",
    "PLATFORMS",
    "AppId",
    "Platform",
    "Profile",
    "acr_for_level",
    "level_for_acr",
    # runtime
    "Clock",
    "Entropy",
    "ManualClock",
    "OffsetClock",
    "SeededEntropy",
    "SystemClock",
    "SystemEntropy",
    # versions
    "Version",
    "parse_version",
    "require_min_version",
]
