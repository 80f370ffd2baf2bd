"""`python -m consulta.core.serve APP [uvicorn options]`: the web server and the worker together.

`make run` serves with this, so the demo stays one command: it starts uvicorn with the
arguments given (the same ones uvicorn itself takes) and the background worker
(`manage.py worker`, which sends the e-mail and prints it on the console with the console
e-mail backend). Ctrl+C or SIGTERM stops both, each gracefully: the worker finishes the task
it is running. A second Ctrl+C kills them. When either stops on its own (uvicorn cannot bind
its port, say), the other is stopped too and the exit code is the one that stopped.

Production runs the two as separate services instead (deploy/consulta@.service and
deploy/consulta-worker.service).
"""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[2]
STOP_WAIT_S = 15.0  # how long each may take to stop before it is killed


def main(uvicorn_args: list[str]) -> int:
    # Children in sessions of their own: the terminal's Ctrl+C reaches this process only, and
    # each child is told exactly once (a second signal would make the worker drop its task).
    # The stable worker id lets a worker killed mid-task take its task back when it starts again.
    worker_id = f"{socket.gethostname()}-serve"[:64]
    worker = _start([sys.executable, str(ROOT / "manage.py"), "worker", "--worker-id", worker_id])
    server = _start([sys.executable, "-m", "uvicorn", *uvicorn_args])
    children = {server: signal.SIGINT, worker: signal.SIGTERM}  # the graceful stop of each
    requests: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        requests.append(signum)
        if len(requests) == 1:
            for child, graceful in children.items():
                if child.poll() is None:
                    child.send_signal(graceful)
        else:
            for child in children:
                if child.poll() is None:
                    child.kill()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGHUP: the terminal closed
        signal.signal(signum, on_signal)

    stopped_by: subprocess.Popen[bytes] | None = None
    while not requests:
        stopped_by = next((child for child in children if child.poll() is not None), None)
        if stopped_by is not None:
            on_signal(signal.SIGTERM, None)  # one stopped on its own: stop the other
            break
        time.sleep(0.2)

    deadline = time.monotonic() + STOP_WAIT_S
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    if stopped_by is not None:
        return stopped_by.returncode or 1  # neither should stop unasked
    return 0


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    # Our own interpreter and arguments, no shell.
    return subprocess.Popen(command, start_new_session=True, preexec_fn=_stop_with_parent)  # noqa: S603


def _stop_with_parent() -> None:
    """In the child, on Linux: SIGTERM when this process dies, even by SIGKILL (no orphans)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # elsewhere a killed parent leaves them running


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
