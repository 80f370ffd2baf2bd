"""Fixtures of the socket tests: `sockets` opens them through the whole ASGI app."""

from consulta.consultations.tests.sockets import sockets

__all__ = ["sockets"]
