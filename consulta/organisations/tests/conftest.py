"""Fixtures of the permission matrix's socket rows: `sockets` opens them through the whole ASGI app."""

from consulta.consultations.tests.sockets import sockets

__all__ = ["sockets"]
