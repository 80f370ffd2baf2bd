"""No secret key, no start: the settings have no fallback key, and `make run` makes its own."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SETUP = "import django; django.setup()\n"
MESSAGE = "No secret key: set SECRET_KEY to a long random string, or SECRET_KEY_FILE to the path of a file"


def _python(code: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter with the settings module, without any key but those in `extra`."""
    env = {name: value for name, value in os.environ.items() if name not in {"SECRET_KEY", "SECRET_KEY_FILE"}}
    env.update({"DJANGO_SETTINGS_MODULE": "consulta.settings", **extra})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_without_a_key_the_settings_refuse_to_load() -> None:
    result = _python(SETUP + "print('started')")
    assert result.returncode == 1
    assert "started" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert MESSAGE in result.stderr
    assert "SECRET_KEY_FILE" in result.stderr and "make run" in result.stderr


def test_without_a_key_the_server_stops_with_one_clear_line() -> None:
    # What uvicorn imports: a one-line reason on stderr and exit code 1, no traceback.
    result = _python("import consulta.asgi")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Consulta cannot start: " + MESSAGE)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_empty_key_is_no_key() -> None:
    result = _python(SETUP, SECRET_KEY="  ")
    assert result.returncode == 1
    assert MESSAGE in result.stderr


def test_the_key_can_come_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text("a-key-kept-in-a-file-of-its-own-0123456789-abcdefghijklmnop\n")
    result = _python(
        SETUP + "from django.conf import settings; print(settings.SECRET_KEY)", SECRET_KEY_FILE=str(key_file)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "a-key-kept-in-a-file-of-its-own-0123456789-abcdefghijklmnop"


def test_secret_key_wins_over_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text("the-file's-key\n")
    code = SETUP + "from django.conf import settings; print(settings.SECRET_KEY)"
    result = _python(code, SECRET_KEY="the-environment's-key", SECRET_KEY_FILE=str(key_file))
    assert result.stdout.strip() == "the-environment's-key"


def test_a_missing_or_empty_key_file_is_refused_by_name(tmp_path: Path) -> None:
    missing = _python(SETUP, SECRET_KEY_FILE=str(tmp_path / "nowhere"))
    assert missing.returncode == 1
    assert f"SECRET_KEY_FILE names {str(tmp_path / 'nowhere')!r}, which cannot be read" in missing.stderr
    (tmp_path / "empty").write_text("\n")
    empty = _python(SETUP, SECRET_KEY_FILE=str(tmp_path / "empty"))
    assert empty.returncode == 1
    assert "which is empty" in empty.stderr


def test_the_settings_hold_no_fallback_key() -> None:
    text = (ROOT / "consulta" / "settings.py").read_text()
    assert 'env_str("SECRET_KEY"' not in text
    assert "consulta-demo-only-insecure-key" not in text  # the key every demo shared


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def test_make_makes_a_random_private_key_once(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "secret_key"
    first = _make("secret-key", f"SECRET_KEY_FILE={key_file}")
    assert first.returncode == 0, first.stderr
    key = key_file.read_text().strip()
    assert len(key) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # The second run keeps it: sessions and links outlive a restart.
    again = _make("secret-key", f"SECRET_KEY_FILE={key_file}")
    assert again.returncode == 0, again.stderr
    assert key_file.read_text().strip() == key
    # Another checkout gets another key.
    other = tmp_path / "other" / "secret_key"
    assert _make("secret-key", f"SECRET_KEY_FILE={other}").returncode == 0
    assert other.read_text().strip() != key


def test_make_run_uses_the_key_file_for_every_command() -> None:
    # Dry runs: what `make run` would do, and that it reads SECRET_KEY_FILE (exported to each command).
    dry = _make("-n", "run", "SECRET_KEY_FILE=/tmp/consulta-test-key-never-made")
    assert dry.returncode == 0, dry.stderr
    assert "secrets.token_urlsafe" in dry.stdout  # the key is made first, when missing
    makefile = (ROOT / "Makefile").read_text()
    assert "export SECRET_KEY_FILE ?= $(CURDIR)/var/secret_key" in makefile
    assert "static: $(VENV)/.run-deps | $(SECRET_KEY_FILE)" in makefile
