"""The real Consulta server for the browser tests, started the way `make run` starts it.

Isolated from the developer's own demo: a temporary SQLite database, a free port
on 127.0.0.1, the in-memory channel layer, and a log file of its own.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from consulta.core.ratelimit import RULES  # every rule, so that none is left at its default

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the virtualenv pytest runs in
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 30.0
# A random key for the servers of this run (the settings refuse to start without one); one per
# process, so every manage.py and uvicorn started from it signs and checks with the same key.
RUN_SECRET_KEY = secrets.token_urlsafe(50)
# uvicorn refuses WebSocket frames above this before the application sees them, as in
# `make run` and deploy/consulta@.service: MAX_FRAME_BYTES of consulta/calls/messages.py.
WS_MAX_SIZE = 65536
# As `make run` and deploy/consulta@.service start it. No proxy headers: the client's address
# comes from X-Forwarded-For only through consulta/core/client.py and TRUSTED_PROXIES.
UVICORN_OPTIONS = ["--no-server-header", "--lifespan", "off", "--no-proxy-headers", "--ws-max-size", str(WS_MAX_SIZE)]


HIGH_LIMITS = {f"RATE_LIMIT_{rule.upper()}": "100000/minute" for rule in RULES} | {"WAITING_AREA_MAX_CALLERS": "0"}


class ServerError(RuntimeError):
    """The server could not be prepared or started; the message carries its output."""


@dataclass
class LiveServer:
    url: str
    demo: dict[str, Any]
    log_path: Path
    process: subprocess.Popen[bytes]

    def log_text(self, last_lines: int | None = None) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no server log)"
        if last_lines is not None:
            lines = lines[-last_lines:]
        return "\n".join(lines)

    def stop(self) -> None:
        stop_process(self.process)

    def env(self, extra_env: dict[str, str] | None = None) -> dict[str, str]:
        """The environment of this server's processes (its database, key and base URL), plus `extra_env`."""
        return server_env(self.log_path.parent, self.url) | (extra_env or {})

    def python(self, code: str, extra_env: dict[str, str] | None = None) -> Any:
        """Run `code` in this server's own database (`manage.py shell`); the JSON of the last line
        it prints, or None when it prints nothing."""
        done = subprocess.run(  # this interpreter, our own manage.py
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=ROOT,
            env=self.env(extra_env),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise ServerError(f"`manage.py shell` failed with exit code {done.returncode}:\n{done.stderr}")
        lines = done.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines else None

    @contextmanager
    def worker(self, worker_id: str, extra_env: dict[str, str] | None = None) -> Iterator[Path]:
        """This server's background worker (`manage.py worker`), running in the block; its log's path."""
        log_path = self.log_path.parent / f"{worker_id}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # this interpreter, our own manage.py
                [sys.executable, "manage.py", "worker", "--worker-id", worker_id],
                cwd=ROOT,
                env=self.env(extra_env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            yield log_path
        finally:
            stop_process(process)


def stop_process(process: subprocess.Popen[Any]) -> None:
    """Ask a process to stop (SIGTERM), and kill it if it does not within 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def server_env(tmp_dir: Path, base_url: str, host: str = HOST) -> dict[str, str]:
    env = dict(os.environ)
    # Shared services would couple this run to others: the in-memory layer serves one process.
    env.pop("REDIS_URL", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "consulta.settings",
            "SECRET_KEY": RUN_SECRET_KEY,
            "DATABASE_URL": f"sqlite:///{tmp_dir / 'e2e.sqlite3'}",
            "BASE_URL": base_url,
            "ALLOWED_HOSTS": ",".join(dict.fromkeys([host, "127.0.0.1", "localhost"])),
            "PYTHONUNBUFFERED": "1",
        }
    )
    # Every browser test, the cluster and the benchmarks enter patients and open sockets from
    # 127.0.0.1, far more than one real address would: limits out of their way (still counted,
    # so the code path runs). A test of the limits starts a server of its own with the defaults.
    for name, value in HIGH_LIMITS.items():
        env.setdefault(name, value)
    return env


def default_limits_env(env: dict[str, str]) -> dict[str, str]:
    """`env` with the rate limits and the waiting area's cap of a real deployment (the defaults)."""
    return {name: value for name, value in env.items() if name not in HIGH_LIMITS}


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise ServerError(
            f"`manage.py {' '.join(args)}` failed with exit code {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def start(
    tmp_dir: Path, *, default_limits: bool = False, host: str = HOST, extra_env: dict[str, str] | None = None
) -> LiveServer:
    """Migrate, seed and start uvicorn; return once GET /health/ answers 200.

    `default_limits`: the rate limits of a real deployment instead of HIGH_LIMITS. `host`: the
    address to listen on, 127.0.0.1 or one of a network namespace's veth that the test made
    (tests/e2e/netns.py). `extra_env`: settings of this server only (TURN_URLS, ...)."""
    if not (ROOT / "var" / "static" / "staticfiles.json").exists():
        raise ServerError("Collected static files are missing: run `make static` (or `make test`) first.")
    port = free_port(host)
    base_url = f"http://{host}:{port}"
    env = server_env(tmp_dir, base_url, host)
    if default_limits:
        env = default_limits_env(env)
    env.update(extra_env or {})
    _manage(env, "migrate", "--noinput", "--verbosity", "0")
    output = _manage(env, "seed_demo", "--json", "--base-url", base_url)
    try:
        demo = json.loads(output)
    except ValueError as error:
        raise ServerError(f"`manage.py seed_demo --json` printed no JSON ({error}):\n{output}") from error

    log_path = tmp_dir / "server.log"
    command = [
        str(BIN / "uvicorn"),
        "consulta.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
        *UVICORN_OPTIONS,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(url=base_url, demo=demo, log_path=log_path, process=process)
    try:
        _wait_until_healthy(server)
    except BaseException:
        server.stop()
        raise
    return server


@contextmanager
def serving(prefix: str = "consulta-e2e-", **options: Any) -> Iterator[LiveServer]:
    """A server of its own (`start`'s options) in a temporary folder; stopped and removed afterwards."""
    tmp_dir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        server = start(tmp_dir, **options)
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


@contextmanager
def serving_http(handler: type[BaseHTTPRequestHandler], host: str = HOST) -> Iterator[str]:
    """A plain HTTP server of `handler` on a free port of `host`, in a thread; yields its base URL
    ("http://host:port"). For the static pages of the loopback tests and the benchmarks' bare calls."""
    httpd = ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, name="static-pages", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def _wait_until_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_problem = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerError(
                f"The server exited with code {server.process.returncode} while starting. Its output:\n"
                + server.log_text()
            )
        try:
            with urllib.request.urlopen(f"{server.url}/health/", timeout=2) as response:  # noqa: S310 - http://127.0.0.1
                if response.status == 200:
                    return
                last_problem = f"status {response.status}"
        except urllib.error.HTTPError as error:
            last_problem = f"status {error.code}"
        except OSError as error:  # refused while uvicorn binds, or a timeout
            last_problem = repr(error)
        time.sleep(0.2)  # poll interval of a bounded wait
    raise ServerError(
        f"GET {server.url}/health/ did not answer 200 within {STARTUP_TIMEOUT_S:.0f} s "
        f"(last: {last_problem}). Server output:\n" + server.log_text()
    )
