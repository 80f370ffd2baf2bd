"""Real coturn for the tests and benchmarks, started from the shipped deploy/turnserver.conf.

    with running_coturn(addresses=["127.0.0.1"]) as turn:
        extra_env = {"TURN_URLS": ",".join(turn.urls), "TURN_SECRET": turn.secret}

Only what a test must change is replaced: the addresses coturn listens and relays on, its
ports (free ones), the shared secret, the realm, and TLS: `no-tls` and `no-dtls`, or with
`tls=True` a TLS listener (`turns:`) with a self-signed certificate made for the test (a browser
must then be started with --ignore-certificate-errors to trust it: Chromium checks a TURN
server's certificate). Every `denied-peer-ip` of the shipped file stays in force; `allowed-peer-ip` opens
exactly the test's own addresses (a relayed call between two browsers on one machine relays
to those), nothing else. Loopback peers are allowed only when 127.0.0.1 is one of them.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.server import ROOT, stop_process

SHIPPED_CONF = ROOT / "deploy" / "turnserver.conf"
TURNSERVER = "/usr/bin/turnserver"
TURNSERVER_MISSING = "coturn missing: run `make system-deps` (Debian package `coturn`, /usr/bin/turnserver)"
OPENSSL = "/usr/bin/openssl"
STARTUP_TIMEOUT_S = 15.0
# Relay ports per coturn: two browsers, a few candidates each, plus an ICE restart or two.
RELAY_PORTS = 40
# Lines of the shipped file a test replaces (or, for TLS, cannot use: no certificate here).
REPLACED = {
    "listening-port",
    "tls-listening-port",
    "listening-ip",
    "relay-ip",
    "min-port",
    "max-port",
    "static-auth-secret",
    "realm",
    "cert",
    "pkey",
    "log-file",
    "pidfile",
    "userdb",
}


class CoturnError(RuntimeError):
    """coturn could not be started; the message carries its log."""


@dataclass(frozen=True)
class Coturn:
    host: str  # the first address: the one the URLs name
    port: int  # UDP and TCP
    secret: str  # TURN_SECRET for the server under test
    realm: str
    conf_path: Path
    log_path: Path
    tls_port: int = 0  # TCP with TLS (turns:), or 0 for none

    @property
    def urls_tls(self) -> str:
        return f"turns:{self.host}:{self.tls_port}?transport=tcp"

    @property
    def urls_udp(self) -> str:
        return f"turn:{self.host}:{self.port}?transport=udp"

    @property
    def urls_tcp(self) -> str:
        return f"turn:{self.host}:{self.port}?transport=tcp"

    @property
    def urls(self) -> list[str]:
        return [self.urls_udp, self.urls_tcp, *([self.urls_tls] if self.tls_port else [])]

    def server_env(self, **settings: str) -> dict[str, str]:
        """The extra settings of a Consulta server that hands out this relay (plus `settings`)."""
        return {"TURN_URLS": ",".join(self.urls), "TURN_SECRET": self.secret, **settings}

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no coturn log)"


def coturn_conf(
    shipped: str,
    *,
    addresses: Sequence[str],
    port: int,
    min_port: int,
    secret: str,
    realm: str,
    log_path: Path,
    tls: tuple[int, Path, Path] | None = None,
) -> str:
    """The shipped configuration with the test's addresses, ports, secret and realm in it.
    `tls`: (port, certificate, key) of a TLS listener, else none."""
    kept = [line for line in shipped.splitlines() if line.strip().split("=", 1)[0].strip() not in REPLACED]
    test_lines = [
        "# --- tests/e2e/coturn.py: the test's own values ---",
        *(f"listening-ip={address}" for address in addresses),
        *(f"relay-ip={address}" for address in addresses),
        f"listening-port={port}",
        f"min-port={min_port}",
        f"max-port={min_port + RELAY_PORTS - 1}",
        f"static-auth-secret={secret}",
        f"realm={realm}",
        *([f"tls-listening-port={tls[0]}", f"cert={tls[1]}", f"pkey={tls[2]}"] if tls else ["no-tls"]),
        "no-dtls",
        f"log-file={log_path}",
        "simple-log",
        "no-stdout-log",
        f"pidfile={log_path.with_suffix('.pid')}",
        f"userdb={log_path.with_name('turndb')}",  # not the machine's /var/lib/turn/turndb
        # Only the test's own addresses: the relayed browsers run on them. Every denial stays.
        *(f"allowed-peer-ip={address}" for address in addresses),
    ]
    if any(address.startswith("127.") for address in addresses):
        # coturn refuses loopback peers before it reads allowed-peer-ip: a loopback-only test needs it.
        test_lines.append("allow-loopback-peers")
    return "\n".join([*kept, *test_lines]) + "\n"


def _free_port_pair(host: str) -> int:
    """A port free for TCP and UDP on `host`."""
    for _attempt in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
                return port
    raise CoturnError(f"No port free for both TCP and UDP on {host}")


def _free_port_range(host: str, count: int) -> int:
    """The first of `count` consecutive UDP ports free on `host` (coturn's relay range)."""
    for _attempt in range(50):
        start = secrets.randbelow(60000 - 20000 - count) + 20000
        sockets: list[socket.socket] = []
        try:
            for port in range(start, start + count):
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(udp)
                udp.bind((host, port))
            return start
        except OSError:
            continue
        finally:
            for udp in sockets:
                udp.close()
    raise CoturnError(f"No {count} consecutive free UDP ports on {host}")


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _self_signed(directory: Path, address: str) -> tuple[Path, Path]:
    """A certificate for `address`, valid for a day, and its key (PEM files in `directory`)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    command = [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={address}"]
    command += ["-addext", f"subjectAltName=IP:{address}", "-keyout", str(key), "-out", str(cert)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise CoturnError(f"openssl could not make the test's certificate:\n{result.stderr}")
    return cert, key


@contextmanager
def running_coturn(
    addresses: Sequence[str] = ("127.0.0.1",), secret: str | None = None, *, tls: bool = False
) -> Iterator[Coturn]:
    """coturn listening and relaying on `addresses` (127.0.0.1, or 198.18.x.y of a namespace's veth);
    with `tls`, also over TLS (turns:) with a self-signed certificate."""
    if not shutil.which(TURNSERVER):
        raise CoturnError(TURNSERVER_MISSING)
    addresses = list(addresses)
    secret = secret or secrets.token_urlsafe(24)
    tmp_dir = Path(tempfile.mkdtemp(prefix="consulta-coturn-"))
    try:
        port = _free_port_pair(addresses[0])
        tls_port = 0
        while tls and tls_port in (0, port):
            tls_port = _free_port_pair(addresses[0])
        tls_files = (tls_port, *_self_signed(tmp_dir, addresses[0])) if tls else None
        log_path = tmp_dir / "turnserver.log"
        turn = Coturn(
            host=addresses[0],
            port=port,
            secret=secret,
            realm="consulta.test",
            conf_path=tmp_dir / "turnserver.conf",
            log_path=log_path,
            tls_port=tls_port,
        )
        conf = coturn_conf(
            SHIPPED_CONF.read_text(),
            addresses=addresses,
            port=port,
            min_port=_free_port_range(addresses[0], RELAY_PORTS),
            secret=secret,
            realm=turn.realm,
            log_path=log_path,
            tls=tls_files,
        )
        turn.conf_path.write_text(conf)
        output = (tmp_dir / "stdout.log").open("wb")
        process = subprocess.Popen(
            [TURNSERVER, "-c", str(turn.conf_path)], stdout=output, stderr=subprocess.STDOUT, cwd=tmp_dir
        )
        try:
            _wait_until_listening(turn, process, tmp_dir)
            yield turn
        finally:
            stop_process(process)
            output.close()
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def _wait_until_listening(turn: Coturn, process: subprocess.Popen[bytes], tmp_dir: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CoturnError(
                f"coturn exited with code {process.returncode} while starting.\n"
                f"{(tmp_dir / 'stdout.log').read_text(errors='replace')}\n{turn.log_text()}"
            )
        if _listening(turn.host, turn.port) and (not turn.tls_port or _listening(turn.host, turn.tls_port)):
            return
        time.sleep(0.1)  # poll interval of a bounded wait
    raise CoturnError(
        f"coturn did not listen on {turn.host}:{turn.port} within {STARTUP_TIMEOUT_S:.0f} s.\n{turn.log_text()}"
    )
