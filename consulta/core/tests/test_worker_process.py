"""The real worker: `manage.py worker` and `python -m consulta.core.serve` as processes.

Against a temporary SQLite database and e-mail written to files (an outbox in memory is one
process's own). The worker is killed with SIGKILL in the middle of a batch; a new worker sends
every e-mail all the same.
"""

from __future__ import annotations

import email
import http.cookiejar
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from consulta.testing import wait_until

ROOT = Path(__file__).resolve().parents[3]
HOST = "127.0.0.1"
RECIPIENTS = [f"person{i}@example.test" for i in range(4)]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "EMAIL_BACKEND"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="consulta.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'consulta.sqlite3'}",
        TASKS_BACKEND="database",
        BASE_URL="http://testserver",
        **extra,
    )
    return env


def _python(env: dict[str, str], code: str) -> None:
    """Run `code` in a fresh Django process: migrate first, then the code."""
    setup = "import django; django.setup(); from django.core.management import call_command; "
    setup += "call_command('migrate', verbosity=0); "
    result = subprocess.run(
        [sys.executable, "-c", setup + code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _wait_for(condition: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    wait_until(condition, timeout, lambda: f"{what}; worker output:\n{log.read_text()}")


def _statuses(database: Path) -> list[str]:
    with sqlite3.connect(database, timeout=10) as db:
        return [status for (status,) in db.execute("SELECT status FROM django_tasks_database_dbtaskresult")]


def _recipients(mail_dir: Path) -> list[str]:
    found = []
    for path in mail_dir.iterdir():
        found += [str(email.message_from_bytes(chunk.strip())["To"]) for chunk in path.read_bytes().split(b"-" * 79)]
    return sorted(address for address in found if address != "None")


@contextmanager
def _process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _worker(worker_id: str) -> list[str]:
    return [sys.executable, "manage.py", "worker", "--worker-id", worker_id, "--interval", "0.1", "--no-startup-delay"]


def test_a_worker_killed_mid_batch_loses_no_email(tmp_path: Path) -> None:
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    database = tmp_path / "consulta.sqlite3"
    log = tmp_path / "worker.log"
    env = _env(
        tmp_path,
        EMAIL_BACKEND="consulta.core.tests.mail_backends.SlowFileBackend",
        TEST_MAIL_DIR=str(mail_dir),
        TEST_MAIL_DELAY="1",
        TASKS_RUNNING_TIMEOUT="4",  # above one send (1 s), even on a busy machine
    )
    _python(
        env,
        "from consulta.core.tasks import enqueue_email\n"
        f"for address in {RECIPIENTS!r}:\n"
        "    enqueue_email(subject='Hello', body='Reset link', recipients=[address])\n",
    )
    assert _statuses(database) == ["READY"] * 4

    def sending_after_one_sent() -> bool:
        statuses = _statuses(database)
        return "SUCCESSFUL" in statuses and "RUNNING" in statuses

    with _process(_worker("worker-a"), env, log) as worker_a:
        _wait_for(sending_after_one_sent, 20, "an e-mail sent and the next one being sent", log)
        worker_a.send_signal(signal.SIGKILL)  # mid-send (each takes 1 s): no clean-up of any kind
        worker_a.wait(timeout=5)
    statuses = _statuses(database)
    assert statuses.count("RUNNING") == 1  # the one it was sending, left so for ever by the library
    assert 1 <= statuses.count("SUCCESSFUL") < len(RECIPIENTS)
    assert len(_recipients(mail_dir)) == statuses.count("SUCCESSFUL")

    # Another worker (a new id, so it does not know the task is abandoned): it sends the
    # waiting e-mails at once and the killed one once it has run past TASKS_RUNNING_TIMEOUT.
    with _process(_worker("worker-b"), env, log) as worker_b:
        _wait_for(lambda: _statuses(database) == ["SUCCESSFUL"] * 4, 25, "every e-mail sent", log)
        worker_b.send_signal(signal.SIGTERM)
        assert worker_b.wait(timeout=10) == 0
    # Each exactly once: the kill fell before the message was handed over. A kill after the
    # server took it but before the row was marked sent would send that one twice (at least once).
    assert _recipients(mail_dir) == RECIPIENTS
    assert "queued again" in log.read_text()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_runs_the_server_and_the_worker_and_stops_both(tmp_path: Path) -> None:
    """`make run`'s command: a reset asked over HTTP is printed on the console by the worker."""
    port = _free_port()
    log = tmp_path / "serve.log"
    env = _env(tmp_path, EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend", ALLOWED_HOSTS=HOST)
    _python(
        env,
        "from consulta.testing import make_user\nmake_user('mia@example.test')\n",
    )
    command = [sys.executable, "-m", "consulta.core.serve", "consulta.asgi:application"]
    command += ["--host", HOST, "--port", str(port), "--lifespan", "off"]
    with _process(command, env, log) as serve:
        base = f"http://{HOST}:{port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

        def healthy() -> bool:
            try:
                return bool(opener.open(f"{base}/health/", timeout=2).status == 200)
            except OSError:
                return False

        _wait_for(healthy, 20, "the server", log)
        form = opener.open(f"{base}/accounts/password-reset/", timeout=5).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        assert token, form
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), "email": "mia@example.test"})
        with opener.open(f"{base}/accounts/password-reset/", data=data.encode(), timeout=5) as answer:
            assert answer.status == 200  # after the redirect to "sent"
        printed = re.compile(rf"To: mia@example\.test.*{re.escape(base)}/accounts/password-reset/\S+/\S+/", re.S)
        _wait_for(lambda: bool(printed.search(log.read_text())), 10, "the e-mail on the console", log)

        children = _children(serve.pid)
        assert len(children) == 2  # uvicorn and the worker
        serve.send_signal(signal.SIGINT)  # Ctrl+C
        assert serve.wait(timeout=20) == 0
        assert all(not Path(f"/proc/{pid}").exists() or _is_zombie(pid) for pid in children)


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def _is_zombie(pid: int) -> bool:
    try:
        return "State:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
