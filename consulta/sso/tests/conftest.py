"""The real OpenID provider for this folder's tests: see provider.py."""

from consulta.sso.tests.provider import running_provider

__all__ = ["running_provider"]
