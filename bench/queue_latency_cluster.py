"""Queue notification latency across two workers: `bench.queue_latency --cluster`.

Its own module so that `run_all` runs it too: the patient's entry POST reaches one
worker, the clinician's dashboard is on the other, and the event crosses Redis
(tests/e2e/cluster.py: PostgreSQL, Redis, two uvicorn workers).

    python -m bench.queue_latency_cluster [--n 30] [--waiting 1,100,1000]
"""

from __future__ import annotations

import sys

from bench import queue_latency


def main(argv: list[str] | None = None) -> int:
    return queue_latency.main(["--cluster", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
