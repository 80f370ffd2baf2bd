"""The settings as mypy's Django plugin loads them (pyproject.toml, `[tool.django-stubs]`).

The plugin imports the settings only to learn the apps and models: nothing is served or
signed. The real settings refuse to load without a secret key, so this module hands them a
random one when none is set, and `mypy` runs on a fresh checkout as it is. It is no
server's settings module (and would fail safe as one: a random key per process lets nobody
forge anything; it only forgets every session at each restart).
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

from consulta.settings import *  # noqa: F403
