"""Typed access to the logged-in person behind a request."""

from django.http import HttpRequest

from consulta.accounts.models import User


def person(request: HttpRequest) -> User:
    """The logged-in user; only for views behind login_required."""
    user = request.user
    assert isinstance(user, User), "person() needs a logged-in user"
    return user
