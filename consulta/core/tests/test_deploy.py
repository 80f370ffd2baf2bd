"""The deployment samples under deploy/ hold what they promise: checked settings, bounded frames,
a relay that cannot reach inside, an access log without tokens."""

from __future__ import annotations

import ipaddress
import os
import secrets
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from consulta.calls.messages import MAX_FRAME_BYTES
from consulta.testing import wait_until

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _env_file(path: Path) -> dict[str, str]:
    variables = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            variables[name.strip()] = value.strip()
    return variables


def _check_deploy(tmp_path: Path, **changes: str | None) -> subprocess.CompletedProcess[str]:
    """`manage.py check --deploy --fail-level WARNING` with deploy/env.example's variables and no others.

    The one file it names that a deployer makes, /etc/consulta/secret_key, is a temporary file
    with a random key here; the database is a temporary SQLite file (checking needs no server).
    """
    variables = _env_file(DEPLOY / "env.example")
    assert variables["SECRET_KEY_FILE"] == "/etc/consulta/secret_key"
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(50) + "\n")
    variables["SECRET_KEY_FILE"] = str(key_file)
    variables["DATABASE_URL"] = f"sqlite:///{tmp_path / 'check.sqlite3'}"
    for name, value in changes.items():
        if value is None:
            variables.pop(name, None)
        else:
            variables[name] = value
    env = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "consulta.settings", **variables}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_the_documented_production_environment(tmp_path: Path) -> None:
    result = _check_deploy(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNINGS" not in output and "ERRORS" not in output, output


def test_check_deploy_objects_to_a_weak_secret_key(tmp_path: Path) -> None:
    result = _check_deploy(tmp_path, SECRET_KEY="change-me-to-a-long-random-string")
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


def test_check_deploy_objects_without_the_tls_proxy_settings(tmp_path: Path) -> None:
    # The clean result above is owed to the settings: without them the same check fails.
    result = _check_deploy(tmp_path, BEHIND_TLS_PROXY=None, SECURE_COOKIES=None)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in output, warning


# --- Frames bounded by the server ---------------------------------------------------------------


def test_every_uvicorn_command_bounds_websocket_frames() -> None:
    expected = f"--ws-max-size {MAX_FRAME_BYTES}"
    unit = (DEPLOY / "consulta@.service").read_text()
    assert expected in unit
    makefile = (ROOT / "Makefile").read_text()
    assert f"WS_MAX_SIZE := {MAX_FRAME_BYTES}" in makefile
    serving = [line for line in makefile.splitlines() if "consulta.asgi:application" in line]
    assert serving, "no command in the Makefile serves consulta.asgi:application"
    for line in serving:  # uvicorn itself, or a wrapper that hands its options to uvicorn
        assert "--ws-max-size $(WS_MAX_SIZE)" in line, line
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert "client_max_body_size 1m;" in nginx


def test_no_uvicorn_command_believes_forwarded_headers_itself() -> None:
    """uvicorn's own proxy headers trust 127.0.0.1: a local client could forge its address past
    the rate limits. The address comes from consulta/core/client.py and TRUSTED_PROXIES alone."""
    makefile = (ROOT / "Makefile").read_text()
    serving = [line for line in makefile.splitlines() if "consulta.asgi:application" in line]
    unit = (DEPLOY / "consulta@.service").read_text()
    for line in [*serving, *(line for line in unit.splitlines() if line.startswith("ExecStart"))]:
        assert "--no-proxy-headers" in line, line


# --- The TURN relay -------------------------------------------------------------------------------

MUST_BE_DENIED = [
    # IPv4: "this network", private, shared (CGNAT), loopback, link-local (cloud metadata),
    # IETF assignments, documentation, 6to4 relays, benchmarking, multicast, reserved, broadcast.
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    # IPv6: unspecified, loopback, IPv4-mapped, NAT64, discard, documentation, 6to4,
    # unique-local, site-local, link-local, multicast.
    "::/128",
    "::1/128",
    "::ffff:0:0/96",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fec0::/10",
    "fe80::/10",
    "ff00::/8",
]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _turn_options() -> list[tuple[str, str]]:
    options = []
    for line in (DEPLOY / "turnserver.conf").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, value = line.partition("=")
            options.append((name.strip(), value.strip()))
    return options


def _denied_ranges() -> list[tuple[Address, Address]]:
    ranges = []
    for name, value in _turn_options():
        if name == "denied-peer-ip":
            first, _, last = value.partition("-")
            low, high = ipaddress.ip_address(first), ipaddress.ip_address(last or first)
            assert low.version == high.version and low <= high, value  # type: ignore[operator]
            ranges.append((low, high))
    return ranges


@pytest.mark.parametrize("network", MUST_BE_DENIED)
def test_the_turn_relay_denies_every_range_that_is_not_the_public_internet(network: str) -> None:
    net = ipaddress.ip_network(network)
    covered = any(
        low.version == net.version and low <= net.network_address and net.broadcast_address <= high  # type: ignore[operator]
        for low, high in _denied_ranges()
    )
    assert covered, f"{network} is not denied in deploy/turnserver.conf"


def test_the_turn_relay_reopens_nothing_and_listens_on_nothing_of_a_test() -> None:
    names = {name for name, _value in _turn_options()}
    assert "allow-loopback-peers" not in names
    assert "allowed-peer-ip" not in names  # it would override the denials
    assert "no-multicast-peers" in names
    for name, value in _turn_options():
        if name in {"listening-ip", "relay-ip", "external-ip"}:
            assert not ipaddress.ip_address(value.split("/")[0]).is_loopback, f"{name}={value}"


# --- nginx's access log -----------------------------------------------------------------------


def _nginx_block(text: str, start: str) -> str:
    """The directive starting with `start` (a `{ … }` block or a statement up to `;`) from nginx.conf."""
    index = text.index(start)
    if text[index:].split("\n", 1)[0].rstrip().endswith("{"):
        return text[index : text.index("\n}", index) + 2]
    return text[index : text.index("';", index) + 2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_nginx_logs_no_token_and_no_query_string(tmp_path: Path) -> None:
    conf = (DEPLOY / "nginx.conf").read_text()
    port = _free_port()
    # The sample's own map and log format, in front of nothing: nginx answers 204 itself.
    (tmp_path / "nginx.conf").write_text(
        f"""
worker_processes 1;
error_log {tmp_path}/error.log warn;
pid {tmp_path}/nginx.pid;
events {{ worker_connections 64; }}
http {{
  client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
  fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
  {_nginx_block(conf, "map $uri $consulta_log_uri")}
  {_nginx_block(conf, "log_format consulta")}
  server {{
    listen 127.0.0.1:{port};
    access_log {tmp_path}/access.log consulta;
    location / {{ return 204; }}
  }}
}}
"""
    )
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    secret = secrets.token_urlsafe(24)
    paths = {
        f"/consultation/{secret}/": "/consultation/[redacted]/",
        f"/consultation/{secret}/leave/": "/consultation/[redacted]/leave/",
        f"/join/{secret}/": "/join/[redacted]/",
        f"/g/{secret}/": "/g/[redacted]/",
        f"/r/{secret}/invite/": "/r/[redacted]/invite/",
        f"/u/{secret}/": "/u/[redacted]/",
        f"/w/{secret}/": "/w/[redacted]/",
        f"/accounts/invitation/{secret}/": "/accounts/invitation/[redacted]/",
        f"/accounts/password-reset/MQ/{secret}/": "/accounts/password-reset/[redacted]/[redacted]/",
        f"/ws/patient/{secret}/": "/ws/patient/[redacted]/",
        f"/ws/invites/{secret}/": "/ws/invites/[redacted]/",
        f"/ws/guest/{secret}/": "/ws/guest/[redacted]/",
        f"/ws/rooms/{secret}/": "/ws/rooms/[redacted]/",
        f"/ws/user-rooms/{secret}/": "/ws/user-rooms/[redacted]/",
        f"/wait/northside/?p={secret}": "/wait/northside/ ",
        "/c/northside/waiting-area/": "/c/northside/waiting-area/ ",
        "/accounts/password-reset/sent/": "/accounts/password-reset/sent/ ",
    }
    try:

        def answers() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2):
                    return True
            except OSError:
                output = process.stdout.read().decode() if process.poll() is not None and process.stdout else ""
                assert process.poll() is None, f"nginx did not start:\n{output}"
                return False

        wait_until(answers, 10, "nginx to answer")
        for path in paths:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Referer": path})
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - 127.0.0.1
                assert response.status == 204
    finally:
        process.terminate()
        process.wait(timeout=10)
    log = (tmp_path / "access.log").read_text()
    assert secret not in log, log
    assert "?p=" not in log, log
    for logged in paths.values():
        assert f"GET {logged}" in log, (logged, log)
