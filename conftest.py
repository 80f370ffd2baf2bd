"""Project-wide pytest set-up: a secret key for this run, Django, and the shared test world as fixtures.

The settings refuse to load without `SECRET_KEY` (or `SECRET_KEY_FILE`), so the test run
makes its own random key before Django reads them. That is why `DJANGO_SETTINGS_MODULE` is
set here and not in pyproject's pytest options: from there pytest-django would import the
settings before any conftest runs. Subprocesses the tests start inherit the same key; the
live servers get one of their own (tests/e2e/server.py).
"""

import os
import secrets

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consulta.settings")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # wins over a SECRET_KEY_FILE of make's

import django

django.setup()  # before the fixtures' module below imports models

pytest_plugins = ["consulta.testing"]
