"""A network namespace for one browser: its own link to the host, a firewall, a shaped line.

    with network_namespace(shaped=True) as ns:
        server = live.start(tmp, host=ns.host_address)     # listens on the host end of the link
        ns.block_udp(allow_tcp=[server_port, turn_port])   # optional: the namespace's firewall
        browser = ns.launch_chromium(playwright)           # Chromium runs inside the namespace
        ns.shape(Shaping(rate_kbit=350, delay_ms=50, loss_percent=2))
        ns.shape(Shaping(loss_percent=100))                # an outage, live
        ns.shape(None)                                     # and back

The link has a /30 of 198.18.0.0/15 (the benchmarking range, RFC 2544) that exists only on it:
the host end is `.1`, the namespace end `.2`; the namespace has no route but that /30, so its
browser reaches the host end and nothing else. Unshaped, the link is a veth pair. Shaped
(`shaped=True`), it is two TUN devices joined by tests/e2e/shaper.py, a user-space line
(rate, delay, loss, each direction), because this machine's kernel has no `tc netem` (see that
module). The firewall is an nftables table inside the namespace (it goes with it): no UDP at
all, TCP only to the given ports of the host end. Everything made is removed in a finally;
no rule of the host's is touched. Used by tests/e2e/test_turn_relay.py and
bench/impaired_call.py. Needs root (CAP_NET_ADMIN), `ip` (iproute2) and `nft` (nftables):
fails loudly otherwise.
"""

from __future__ import annotations

import json
import os
import secrets
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Playwright

from tests.e2e.helpers import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.server import ROOT

TOOLS = {"ip": "iproute2", "nft": "nftables"}
NFT_TABLE = "consulta_netns"
# Packets a shaped line queues: about this much time at its rate (a real line's buffer), and at
# least MIN_QUEUE_PACKETS. netem's default, 1000 packets, is many seconds at 350 kbit/s.
LINK_UP_TIMEOUT_S = 10.0
SHAPER_TIMEOUT_S = 10.0


class NetnsError(RuntimeError):
    """A namespace, link, rule or shaping could not be made: the message says which and why."""


@dataclass(frozen=True)
class Shaping:
    """One direction's line (both directions get it): rate, one-way delay, random loss."""

    rate_kbit: int | None = None
    delay_ms: int = 0
    loss_percent: float = 0.0

    def command(self) -> str:
        return json.dumps(
            {"rate_kbit": self.rate_kbit or 0, "delay_ms": self.delay_ms, "loss_percent": self.loss_percent}
        )


def run(*command: str, namespace: str | None = None, check: bool = True, stdin: str | None = None) -> str:
    """Run a network command (inside `namespace` if given); NetnsError with its output on failure."""
    full = ["ip", "netns", "exec", namespace, *command] if namespace else list(command)
    result = subprocess.run(full, input=stdin, capture_output=True, text=True, timeout=30, check=False)
    if check and result.returncode != 0:
        problem = (result.stderr or result.stdout).strip()
        hint = " (root, CAP_NET_ADMIN, is needed)" if "ermission" in problem or "not permitted" in problem else ""
        raise NetnsError(f"`{' '.join(full)}` failed with exit code {result.returncode}{hint}: {problem}")
    return result.stdout


def require_tools() -> None:
    missing = [f"{tool} (Debian package {package})" for tool, package in TOOLS.items() if not shutil.which(tool)]
    if missing:
        raise NetnsError(f"Missing for network namespaces: {', '.join(missing)}; run `make system-deps`.")
    if os.geteuid() != 0:
        raise NetnsError("Network namespaces need root (CAP_NET_ADMIN): run these tests as root, as CI does.")


def _free_subnet() -> int:
    """The base of a /30 in 198.18.0.0/15 that no interface of the host has an address in."""
    used = run("ip", "-4", "-o", "addr", "show")
    for _attempt in range(100):
        base = secrets.randbelow(2**17 // 4) * 4  # offset of a /30 in the /15
        if base == 0:
            continue
        if f" {_address(base, 1)}/" not in used and f" {_address(base, 2)}/" not in used:
            return base
    raise NetnsError("No free /30 left in 198.18.0.0/15 after 100 tries")


def _address(base: int, host: int) -> str:
    offset = base + host
    return f"198.{18 + (offset >> 16)}.{(offset >> 8) & 255}.{offset & 255}"


@dataclass
class Namespace:
    name: str
    host_interface: str
    namespace_interface: str
    host_address: str  # the host end of the veth: servers the browser should reach listen here
    address: str  # the namespace's end
    work_dir: Path
    shaper: subprocess.Popen[str] | None = None  # tests/e2e/shaper.py, when the link is shaped

    def shape(self, shaping: Shaping | None) -> None:
        """Shape both directions of the link now (None: unshaped). Usable during a call."""
        if self.shaper is None or self.shaper.stdin is None or self.shaper.stdout is None:
            raise NetnsError("This namespace's link is a plain veth: make it with network_namespace(shaped=True)")
        self.shaper.stdin.write((shaping or Shaping()).command() + "\n")
        self.shaper.stdin.flush()
        if _read_line(self.shaper, SHAPER_TIMEOUT_S) != "ok":
            raise NetnsError(f"The shaper did not take {shaping}")

    def block_udp(self, allow_tcp: Sequence[int] = ()) -> None:
        """Inside the namespace only: no UDP at all, TCP only to `allow_tcp` ports of the host end.

        An nftables table of the namespace's own (it goes with the namespace); call it once the
        servers' ports are known."""
        ports = ", ".join(str(port) for port in allow_tcp)
        allowed = f"ip daddr {self.host_address} tcp dport {{ {ports} }} accept" if allow_tcp else ""
        rules = f"""
table inet {NFT_TABLE} {{
  chain output {{
    type filter hook output priority 0; policy accept;
    meta l4proto udp drop
    oifname "lo" accept
    {allowed}
    meta l4proto tcp drop
  }}
  chain input {{
    type filter hook input priority 0; policy accept;
    meta l4proto udp drop
  }}
}}
"""
        run("nft", "-f", "-", namespace=self.name, stdin=rules)

    def chromium_wrapper(self) -> Path:
        """An executable that runs Debian's Chromium inside this namespace, with the arguments it gets."""
        wrapper = self.work_dir / "chromium-in-netns"
        if not wrapper.exists():
            wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {self.name} {CHROMIUM} "$@"\n')
            wrapper.chmod(0o700)
        return wrapper

    def launch_chromium(self, playwright: Playwright, args: Sequence[str] = CHROMIUM_ARGS) -> Browser:
        """Chromium inside the namespace; Playwright drives it over a pipe, which crosses namespaces."""
        return playwright.chromium.launch(executable_path=str(self.chromium_wrapper()), headless=True, args=list(args))


@contextmanager
def network_namespace(*, shaped: bool = False) -> Iterator[Namespace]:
    """A namespace with a link to the host (see the module's doc); removed, with all it made, at the end."""
    require_tools()
    suffix = secrets.token_hex(3)
    base = _free_subnet()
    ns = Namespace(
        name=f"consulta-{suffix}",
        host_interface=f"cq{suffix}h",
        namespace_interface=f"cq{suffix}n",
        host_address=_address(base, 1),
        address=_address(base, 2),
        work_dir=Path(tempfile.mkdtemp(prefix="consulta-netns-")),
    )
    with ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, ns.work_dir, ignore_errors=True)
        run("ip", "netns", "add", ns.name)
        # Deleting the namespace removes what is inside it: its end of the link and its nft table.
        cleanup.callback(run, "ip", "netns", "del", ns.name, check=False)
        if shaped:
            ns.shaper = _start_shaper(ns)
            cleanup.callback(_stop_shaper, ns.shaper)
        else:
            run("ip", "link", "add", ns.host_interface, "type", "veth", "peer", "name", ns.namespace_interface)
            cleanup.callback(run, "ip", "link", "del", ns.host_interface, check=False)
        run("ip", "link", "set", ns.namespace_interface, "netns", ns.name)
        run("ip", "addr", "add", f"{ns.host_address}/30", "dev", ns.host_interface)
        run("ip", "link", "set", ns.host_interface, "up")
        for command in (
            ("ip", "link", "set", "lo", "up"),
            ("ip", "addr", "add", f"{ns.address}/30", "dev", ns.namespace_interface),
            ("ip", "link", "set", ns.namespace_interface, "up"),
        ):  # no default route: the host end of the link is all the namespace can reach
            run(*command, namespace=ns.name)
        cleanup.callback(run, "nft", "delete", "table", "inet", NFT_TABLE, namespace=ns.name, check=False)
        _wait_until_reachable(ns)
        yield ns


def _start_shaper(ns: Namespace) -> subprocess.Popen[str]:
    """tests/e2e/shaper.py, once it has made both TUN devices (still both in the host's namespace)."""
    shaper = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.shaper", ns.host_interface, ns.namespace_interface],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=(ns.work_dir / "shaper.log").open("w"),
        text=True,
    )
    if _read_line(shaper, SHAPER_TIMEOUT_S) != "ready":
        _stop_shaper(shaper)
        raise NetnsError(f"The shaper did not start: {(ns.work_dir / 'shaper.log').read_text(errors='replace')}")
    return shaper


def _read_line(process: subprocess.Popen[str], timeout_s: float) -> str | None:
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], timeout_s)
    return process.stdout.readline().strip() if readable else None


def _stop_shaper(shaper: subprocess.Popen[str]) -> None:
    """Closing its stdin ends it (its TUN devices go with it); a kill if it will not."""
    if shaper.stdin is not None:
        shaper.stdin.close()
    try:
        shaper.wait(timeout=10)
    except subprocess.TimeoutExpired:
        shaper.kill()
        shaper.wait(timeout=10)


def _wait_until_reachable(ns: Namespace) -> None:
    """Both ends of the veth up and carrying (links come up asynchronously): a bounded wait."""
    deadline = time.monotonic() + LINK_UP_TIMEOUT_S
    while time.monotonic() < deadline:
        ends = run("ip", "-o", "link", "show", "dev", ns.host_interface) + run(
            "ip", "-o", "link", "show", "dev", ns.namespace_interface, namespace=ns.name
        )
        if ends.count("LOWER_UP") == 2:
            return
        time.sleep(0.05)  # poll interval of a bounded wait
    raise NetnsError(f"The link {ns.host_interface} did not come up within {LINK_UP_TIMEOUT_S:.0f} s")
