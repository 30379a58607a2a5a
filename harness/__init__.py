"""vneid-harness: simulation and conformance harness for VNeID -> VssID app-to-app login."""

__version__ = "0.1.0"

ADMIN_TOKEN_ENV = "VNEID_HARNESS_ADMIN_TOKEN"
"""The variable of the targets' admin token (S-6), read by ``vneid-harness`` and by pytest."""
