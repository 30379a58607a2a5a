"""The two mock servers, as ASGI apps: the VNeID identity provider and the VssID relying party.

They share only :mod:`harness.protocol` with the harness (ARCHITECTURE.md) and never import
its test machinery.
"""
