"""A real OpenID provider for the single sign-on tests: tests/oidc/provider.js (the certified
`oidc-provider` from npm) run with the machine's Node.js on 127.0.0.1, on a free port.

    with oidc_provider(client, accounts) as provider:
        provider.issuer  # "http://127.0.0.1:<port>", its discovery document answering

Its node_modules come from `make` (`npm ci --prefix tests/oidc`): missing, this fails and says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.server import free_port, stop_process

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"
STARTUP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str]


@dataclass(frozen=True)
class Account:
    sub: str
    email: str
    password: str
    given_name: str = ""
    family_name: str = ""
    email_verified: bool = True


@dataclass
class RunningProvider:
    issuer: str
    process: subprocess.Popen[bytes]
    log_path: Path
    client: Client
    accounts: list[Account] = field(default_factory=list)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else "(no provider output)"


def _discovery_answers(issuer: str) -> bool:
    try:
        with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=2) as response:  # noqa: S310 - http://127.0.0.1
            return response.status == 200 and json.load(response).get("issuer") == issuer
    except (OSError, ValueError, urllib.error.URLError):
        return False


@contextmanager
def oidc_provider(
    client: Client, accounts: list[Account], *, claims_in_id_token: bool = False
) -> Iterator[RunningProvider]:
    """Start the provider with one `client` and these `accounts`; stop it (and remove its files) after.

    `claims_in_id_token`: the ID token carries the e-mail and names; by default only the userinfo
    endpoint does (oidc-provider's default, and many real providers')."""
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("tests/oidc/node_modules is missing: run `npm ci --prefix tests/oidc` (make pytest does)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="consulta-oidc-") as folder:
        config_path = Path(folder) / "config.json"
        config = {
            "port": port,
            "client": vars(client),
            "accounts": [vars(account) for account in accounts],
            "claims_in_id_token": claims_in_id_token,
        }
        # Readable by this user only: it holds the client secret and the test passwords.
        config_path.touch(mode=0o600)
        config_path.write_text(json.dumps(config))
        log_path = Path(folder) / "provider.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                ["node", str(OIDC_DIR / "provider.js"), str(config_path)],
                cwd=OIDC_DIR,
                stdin=subprocess.PIPE,  # closed when we stop: the script exits then too
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "NODE_ENV": "test"},
            )
        running = RunningProvider(f"http://127.0.0.1:{port}", process, log_path, client, list(accounts))
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while not _discovery_answers(running.issuer):
                if process.poll() is not None:
                    raise RuntimeError(f"The OpenID provider exited ({process.returncode}):\n{running.log_text()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"The OpenID provider did not answer in time:\n{running.log_text()}")
                time.sleep(0.1)  # the poll interval of a bounded wait
            yield running
        finally:
            if process.stdin:
                process.stdin.close()
            stop_process(process)
