"""Requests per second served for the patient entry page, one uvicorn worker, against a bare ASGI app.

OURS: the real server (tests/e2e/server.py: one uvicorn worker, Channels, in-memory
layer, temporary SQLite) answering GET /wait/northside/ — the full page: the clinic and
its waiting area read, opening hours, the form with its extra questions, the template,
the CSRF cookie, every middleware. Each request comes without cookies, as a new patient
arriving does (so each answer also sets a fresh CSRF cookie).

BASELINE, same run, runs interleaved with ours: the bare ASGI app (bench/_bare_asgi.py)
under the same uvicorn with the same options, answering GET /page/<n>/ with a static
HTML string of the same number of bytes as our page's body (measured at the start).

LOAD: an asyncio HTTP/1.1 keep-alive client in this process (standard library only):
C connections, each sending its next GET as soon as the previous answer is read, for a
fixed time (bounded in requests too). Per run: requests answered 200 per second, and the
latency of each request (written → whole body read). Each concurrency: one warm-up run
of each side left out, then runs alternating ours/bare.

    python -m bench.entry_rps [--connections 8,32] [--runs 3] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
import urllib.parse
import urllib.request
from typing import Any

from bench._common import Run, bare_asgi_server, consulta_server, log, percentile, row, summarize, write_result

NAME = "entry_rps"
TITLE = "Patient entry page: requests per second served by one uvicorn worker"
CLINIC = "northside"
MAX_REQUESTS_PER_RUN = 200_000
WARMUP_S = 1.0
IO_TIMEOUT_S = 10.0


class LoadError(RuntimeError):
    """A connection failed or an answer was not 200: the run is not a measurement."""


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int]:
    """Read one HTTP/1.1 response (Content-Length bodies only); return (status, body bytes)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
        elif name.strip().lower() == "transfer-encoding" and "chunked" in value.lower():
            raise LoadError("Chunked answers are not expected here")
    if length is None:
        raise LoadError("An answer without Content-Length")
    await reader.readexactly(length)
    return status, length


async def _connection(
    host: str, port: int, request: bytes, end: float, budget: list[int], latencies: list[float], errors: list[str]
) -> None:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), IO_TIMEOUT_S)
    try:
        while time.perf_counter() < end and budget[0] > 0:
            budget[0] -= 1
            sent = time.perf_counter()
            writer.write(request)
            status, _length = await asyncio.wait_for(_read_response(reader), IO_TIMEOUT_S)
            if status != 200:
                errors.append(f"status {status}")
                return
            latencies.append((time.perf_counter() - sent) * 1000)
    except (TimeoutError, OSError, asyncio.IncompleteReadError, LoadError) as error:
        errors.append(repr(error))
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _load(url: str, connections: int, seconds: float) -> dict[str, Any]:
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/html\r\nAccept-Language: en-US\r\n"
        "Connection: keep-alive\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    errors: list[str] = []
    budget = [MAX_REQUESTS_PER_RUN]
    started = time.perf_counter()
    end = started + seconds
    await asyncio.gather(
        *(_connection(host, port, request, end, budget, latencies, errors) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    return {
        "connections": connections,
        "seconds": round(elapsed, 3),
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "errors": errors[:10],
        "error_count": len(errors),
        "latency_ms": summarize(latencies),
        "_latencies": latencies,
    }


def load(url: str, connections: int, seconds: float) -> dict[str, Any]:
    result = asyncio.run(_load(url, connections, seconds))
    if result["error_count"]:
        raise LoadError(f"{url}: {result['error_count']} failed connections, e.g. {result['errors'][:3]}")
    return result


def body_size(url: str) -> int:
    with urllib.request.urlopen(url, timeout=IO_TIMEOUT_S) as response:  # noqa: S310 - http://127.0.0.1
        if response.status != 200:
            raise LoadError(f"GET {url} answered {response.status}")
        return len(response.read())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", default="8,32", help="comma-separated numbers of concurrent connections")
    parser.add_argument("--runs", type=int, default=3, help="measured runs of each side per concurrency")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one run")
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.connections.split(",") if c.strip()]
    runs = max(1, args.runs)
    run = Run(
        NAME,
        TITLE,
        {
            "connections": levels,
            "runs": runs,
            "seconds_per_run": args.seconds,
            "max_requests_per_run": MAX_REQUESTS_PER_RUN,
            "warmup_s": WARMUP_S,
        },
    )
    figures: dict[str, Any] = {"levels": {}}
    baseline: dict[str, Any] = {"levels": {}}
    rows = []
    with consulta_server() as server, bare_asgi_server() as bare_url:
        entry_url = next(c for c in server.demo["clinics"] if c["slug"] == CLINIC)["waiting_area_url"]
        size = body_size(entry_url)
        page_url = f"{bare_url}/page/{size}/"
        if body_size(page_url) != size:
            raise LoadError("The bare page is not the size of ours")
        log(f"entry_rps: entry page body {size} bytes; bare page the same")
        figures["url"] = urllib.parse.urlsplit(entry_url).path
        figures["body_bytes"] = size
        baseline["url"] = f"/page/{size}/"
        for connections in levels:
            load(entry_url, connections, WARMUP_S)
            load(page_url, connections, WARMUP_S)
            ours: list[dict[str, Any]] = []
            bare: list[dict[str, Any]] = []
            for _ in range(runs):
                ours.append(load(entry_url, connections, args.seconds))
                bare.append(load(page_url, connections, args.seconds))
                log(f"  C={connections}: ours {ours[-1]['rps']:.0f} req/s, bare {bare[-1]['rps']:.0f} req/s")
            ours_all = [x for r in ours for x in r.pop("_latencies")]
            bare_all = [x for r in bare for x in r.pop("_latencies")]
            ours_rps = float(statistics.median(r["rps"] for r in ours))
            bare_rps = float(statistics.median(r["rps"] for r in bare))
            figures["levels"][str(connections)] = {
                "runs": ours,
                "rps_median": ours_rps,
                "latency_ms": summarize(ours_all),
            }
            baseline["levels"][str(connections)] = {
                "runs": bare,
                "rps_median": bare_rps,
                "latency_ms": summarize(bare_all),
            }
            p50 = round(percentile(ours_all, 50), 3), round(percentile(bare_all, 50), 3)
            p99 = round(percentile(ours_all, 99), 3), round(percentile(bare_all, 99), 3)
            rows += [
                row(
                    f"entry page GET /wait/{CLINIC}/, requests/s served, {connections} connections, median of {runs}",
                    ours_rps,
                    bare_rps,
                    unit="req/s",
                ),
                row(f"same, latency p50, {connections} connections", *p50),
                row(f"same, latency p99, {connections} connections", *p99),
            ]
            log(f"entry_rps: C={connections}: ours {ours_rps:.0f} req/s p50 {p50[0]} ms; bare {bare_rps:.0f} req/s")
    result = run.result(
        figures=figures,
        baseline={
            "what": (
                "the bare ASGI app (bench/_bare_asgi.py) under the same uvicorn options, "
                f"serving a static HTML string of the same size ({figures['body_bytes']} bytes)"
            ),
            **baseline,
        },
        rows=rows,
        notes=[
            "One uvicorn worker each; the load generator is an asyncio HTTP/1.1 keep-alive client in the "
            "benchmark's own process, on the same 2-core machine: it takes CPU from the server, and for the "
            "bare app it is likely the limit, so the ratio understates the gap rather than overstating it.",
            "Requests carry no cookies (new patients): each of ours also sets a CSRF cookie. Only 200 answers "
            "count; any error fails the run.",
            f"Runs of {args.seconds:g} s (and at most {MAX_REQUESTS_PER_RUN:,} requests), ours and bare "
            "alternating, after a warm-up of each; req/s is the median run's. Latency (written → whole body "
            "read) pools every request of the runs; per-run summaries are in the JSON.",
            "Ratio below 1× for req/s: ours serves that fraction of what the bare app serves.",
        ],
    )
    path = write_result(result)
    log(f"entry_rps: wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
