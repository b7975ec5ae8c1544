"""In-process figures: app build time, requests per second through httpx.ASGITransport, reset time.

Run in a fresh process by the runner (so the cold build is cold); prints ``BENCH_JSON {...}``.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
from bench_common import (  # noqa: E402
    HEADERS,
    LOOKUP_PATH,
    POLICIES_PATH,
    Stopwatch,
    lookup_params,
    percentile,
    stitched_people,
)

from profile_harness.app import create_app  # noqa: E402
from profile_harness.seed.demo import demo_document  # noqa: E402
from profile_harness.seed.fixtures import load_document  # noqa: E402
from profile_harness.store import Store  # noqa: E402

_IMPORTED = time.perf_counter()


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock", headers=HEADERS)


async def _rate(
    client: httpx.AsyncClient, path: str, params: dict[str, str], seconds: float
) -> dict[str, Any]:
    """Sequential requests for ``seconds``: requests per second and per-request latency (ms)."""
    latencies: list[float] = []
    statuses: set[int] = set()
    deadline = time.perf_counter() + seconds
    began = time.perf_counter()
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        response = await client.get(path, params=params)
        latencies.append((time.perf_counter() - start) * 1000)
        statuses.add(response.status_code)
    elapsed = time.perf_counter() - began
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 3),
        "p99_ms": round(percentile(latencies, 99), 3),
        "statuses": sorted(statuses),
    }


async def _measure(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"import_s": round(_IMPORTED - _STARTED, 3)}
    document = demo_document(20, seed=7)
    # Cold: the first build in this process (spec parsing and validator compilation included).
    with Stopwatch() as load:
        store = Store(seed=7)
        load_document(store, document, "demo data")
    with Stopwatch() as build:
        app = create_app(store)
    person = stitched_people(document)[0]
    async with _client(app) as client:
        with Stopwatch() as first:
            response = await client.get(LOOKUP_PATH, params=lookup_params(person["ecid"]))
        assert response.status_code == 200, response.text
        out["cold"] = {
            "demo_load_s": round(load.seconds, 4),
            "create_app_s": round(build.seconds, 4),
            "first_request_s": round(first.seconds, 4),
            "total_s": round(load.seconds + build.seconds + first.seconds, 4),
        }
    # Warm: later builds in the same process, as a test session building a second app would see.
    loads, builds, firsts = [], [], []
    for _ in range(args.builds):
        with Stopwatch() as load:
            store = Store(seed=7)
            load_document(store, document, "demo data")
        with Stopwatch() as build:
            app = create_app(store)
        async with _client(app) as client:
            with Stopwatch() as first:
                await client.get(LOOKUP_PATH, params=lookup_params(person["ecid"]))
        loads.append(load.seconds)
        builds.append(build.seconds)
        firsts.append(first.seconds)
    out["warm"] = {
        "builds": args.builds,
        "demo_load_s": round(statistics.median(loads), 4),
        "create_app_s": round(statistics.median(builds), 4),
        "first_request_s": round(statistics.median(firsts), 4),
        "total_s": round(statistics.median(loads) + statistics.median(builds) + statistics.median(firsts), 4),
    }
    # Throughput through the ASGI transport, one request at a time (as a test suite sends them).
    async with _client(app) as client:
        for path, params in ((LOOKUP_PATH, lookup_params(person["ecid"])), (POLICIES_PATH, {})):
            await _rate(client, path, params, 0.5)  # warm-up
        out["lookup"] = await _rate(client, LOOKUP_PATH, lookup_params(person["ecid"]), args.seconds)
        out["policies"] = await _rate(client, POLICIES_PATH, {}, args.seconds)
        # Per-test reset: the demo tenant is loaded (not timed), then POST /__admin/reset (timed).
        resets: list[float] = []
        await client.post("/__admin/reset")
        for _ in range(args.resets):
            load_document(store, document, "demo data")
            start = time.perf_counter()
            response = await client.post("/__admin/reset")
            resets.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.text
        out["reset"] = {
            "resets": args.resets,
            "p50_ms": round(percentile(resets, 50), 3),
            "p99_ms": round(percentile(resets, 99), 3),
            "mean_ms": round(statistics.fmean(resets), 3),
        }
    out["lookup_person"] = person
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--builds", type=int, default=5)
    parser.add_argument("--resets", type=int, default=200)
    args = parser.parse_args()
    print("BENCH_JSON " + json.dumps(asyncio.run(_measure(args))), flush=True)


if __name__ == "__main__":
    main()
