"""Consulta as it runs past one machine: PostgreSQL, Redis, several workers, nginx in front.

Everything binds 127.0.0.1 and is stopped by `Cluster.stop()`: a fresh
PostgreSQL database (dropped at the end), one Redis database index (flushed
before and after), N uvicorn workers on free ports, an nginx that spreads
HTTP and WebSockets over them, and a background worker (`manage.py worker`:
e-mail, alerts, the scheduled clean-ups) beside each, as deploy/consulta-worker.service
runs one per machine. Their e-mail is written to files in `mail_dir`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e import server as single
from tests.e2e.server import BIN, HOST, ROOT, ServerError, free_port, stop_process

PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
REDIS_DB = 7  # kept apart from anything else using the machine's Redis
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
START_TIMEOUT_S = 30.0

NGINX_CONF = """
worker_processes 1;
error_log {tmp}/nginx-error.log warn;
pid {tmp}/nginx.pid;
events {{ worker_connections 512; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
  # As deploy/nginx.conf: bodies up to 1 MiB (the pre-call test's uploads), kept in memory (the
  # temporary folder is root's, and nginx's worker runs as nobody).
  client_max_body_size 1m; client_body_buffer_size 1m;
  fastcgi_temp_path {tmp}/fcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  upstream consulta {{
{servers}
  }}
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    listen {host}:{port};
    location / {{
      proxy_pass http://consulta;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 120s;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
    }}
  }}
}}
"""


def services_answer() -> str | None:
    """None when PostgreSQL and Redis answer; otherwise what is missing."""
    pg = subprocess.run(["pg_isready", "-h", PG["host"], "-p", PG["port"]], capture_output=True, check=False)
    if pg.returncode != 0:
        return "PostgreSQL does not answer on 127.0.0.1:5432 (.ci/run starts it)"
    redis = subprocess.run(["redis-cli", "-h", HOST, "ping"], capture_output=True, text=True, check=False)
    if redis.stdout.strip() != "PONG":
        return "Redis does not answer on 127.0.0.1:6379 (.ci/run starts it)"
    if not Path(NGINX).exists():
        return "nginx is missing: run `make test` (it installs Debian's nginx-light)"
    return None


@dataclass
class Worker:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def kill(self) -> None:
        """kill -9: no clean shutdown, no disconnect handlers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        stop_process(self.process)


@dataclass
class Cluster:
    tmp_dir: Path
    database: str
    env: dict[str, str]
    proxy_port: int
    demo: dict[str, Any] = field(default_factory=dict)
    workers: list[Worker] = field(default_factory=list)
    task_workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    nginx: subprocess.Popen[bytes] | None = None

    @property
    def mail_dir(self) -> Path:
        return self.tmp_dir / "mail"

    @property
    def url(self) -> str:
        """The address people use: nginx in front of every worker."""
        return f"http://{HOST}:{self.proxy_port}"

    def logs(self, last_lines: int = 40) -> str:
        parts = []
        task_logs = sorted(self.tmp_dir.glob("task-worker-*.log"))
        for path in [*(w.log_path for w in self.workers), *task_logs, self.tmp_dir / "nginx-error.log"]:
            if path.exists():
                lines = path.read_text(errors="replace").splitlines()[-last_lines:]
                parts.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(parts)

    def patient_sockets(self) -> list[int]:
        """How many patient sockets each worker has accepted so far, read from its log.

        The logs name no token (consulta/core/logging.py), so which worker holds a given
        patient's socket is told by counting before and after that patient connects."""
        line = '"WebSocket /ws/patient/[redacted]/" [accepted]'
        return [worker.log_path.read_text(errors="replace").count(line) for worker in self.workers]

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        for task_worker in self.task_workers:
            stop_process(task_worker)
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.terminate()
            self.nginx.wait(timeout=10)
        subprocess.run(["redis-cli", "-h", HOST, "-n", str(REDIS_DB), "flushdb"], capture_output=True, check=False)
        _psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def _psql(sql: str) -> None:
    result = subprocess.run(
        [
            "psql",
            "-h",
            PG["host"],
            "-p",
            PG["port"],
            "-U",
            PG["user"],
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ServerError(f"psql failed: {sql}\n{result.stderr}")


def start(tmp_dir: Path, workers: int = 2) -> Cluster:
    problem = services_answer()
    if problem:
        raise ServerError(problem)
    database = f"consulta_e2e_{uuid.uuid4().hex[:10]}"
    _psql(f'CREATE DATABASE "{database}"')
    proxy_port = free_port()
    base_url = f"http://{HOST}:{proxy_port}"
    env = single.server_env(tmp_dir, base_url)
    env.update(
        {
            "DATABASE_URL": f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{database}",
            "REDIS_URL": f"redis://{HOST}:6379/{REDIS_DB}",
            # The background workers' e-mail, one file per message (alerts, invitations).
            "EMAIL_BACKEND": "consulta.core.tests.mail_backends.SlowFileBackend",
            "TEST_MAIL_DIR": str(tmp_dir / "mail"),
            "TEST_MAIL_DELAY": "0",
            "ALERT_POLL_SECONDS": "0.5",
        }
    )
    cluster = Cluster(tmp_dir=tmp_dir, database=database, env=env, proxy_port=proxy_port)
    try:
        subprocess.run(["redis-cli", "-h", HOST, "-n", str(REDIS_DB), "flushdb"], capture_output=True, check=True)
        single._manage(env, "migrate", "--noinput", "--verbosity", "0")
        cluster.demo = json.loads(single._manage(env, "seed_demo", "--json", "--base-url", base_url))
        cluster.mail_dir.mkdir(exist_ok=True)
        for _ in range(workers):
            cluster.workers.append(start_worker(cluster))
            cluster.task_workers.append(start_task_worker(cluster, len(cluster.task_workers)))
        conf = tmp_dir / "nginx.conf"
        servers = "\n".join(f"    server {HOST}:{w.port} max_fails=1 fail_timeout=5s;" for w in cluster.workers)
        conf.write_text(NGINX_CONF.format(tmp=tmp_dir, servers=servers, host=HOST, port=proxy_port))
        cluster.nginx = subprocess.Popen(
            [NGINX, "-p", str(tmp_dir), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        wait_healthy(cluster.url, lambda: cluster.nginx is not None and cluster.nginx.poll() is None, cluster.logs)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def start_worker(cluster: Cluster) -> Worker:
    port = free_port()
    log_path = cluster.tmp_dir / f"worker-{port}.log"
    command = [str(BIN / "uvicorn"), "consulta.asgi:application", "--host", HOST, "--port", str(port)]
    command += single.UVICORN_OPTIONS
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=cluster.env, stdout=log, stderr=subprocess.STDOUT)
    worker = Worker(port=port, process=process, log_path=log_path)
    wait_healthy(worker.url, lambda: process.poll() is None, cluster.logs)
    return worker


def start_task_worker(cluster: Cluster, index: int) -> subprocess.Popen[bytes]:
    """`manage.py worker` with an id of its own, as deploy/consulta-worker.service starts it."""
    command = [str(BIN / "python"), "manage.py", "worker", "--worker-id", f"machine-{index}-worker", "--no-reload"]
    command += ["--interval", "0.2"]
    with (cluster.tmp_dir / f"task-worker-{index}.log").open("wb") as log:
        return subprocess.Popen(command, cwd=ROOT, env=cluster.env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(url: str, alive: Any, logs: Any) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not alive():
            raise ServerError(f"{url} exited while starting:\n{logs()}")
        try:
            with urllib.request.urlopen(f"{url}/health/", timeout=2) as response:  # noqa: S310 - 127.0.0.1 only
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)  # poll interval of a bounded wait
    raise ServerError(f"{url}/health/ did not answer within {START_TIMEOUT_S:.0f} s:\n{logs()}")


def environment_ok() -> bool:
    return os.access(NGINX, os.X_OK)
