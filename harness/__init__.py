"""vneid-harness: simulation and conformance harness for VNeID -> VssID app-to-app login."""

__version__ = "0.1.0"
