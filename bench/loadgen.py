"""Fallback load generator where wrk is absent: async httpx clients in a process of their own.

Bounded in time: ``--duration`` seconds of ``--connections`` concurrent clients, each sending its
next request when the last one is answered (as wrk does). Prints one line ``BENCH_JSON {...}`` with
the same fields as the wrk script (microseconds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

import httpx

_ID = re.compile(rb'"id"\s*:\s*(\d+)')


def _pct(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))]


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    headers = json.loads(args.headers)
    paths = Path(args.paths_file).read_text(encoding="utf-8").split() if args.mode == "rotate" else []
    turn = 0
    latencies: list[float] = []
    state = {"last_id": args.first_id, "bytes": 0, "status_errors": 0, "other_errors": 0}
    limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=args.connections)
    deadline = time.perf_counter() + args.duration
    async with httpx.AsyncClient(
        base_url=args.base_url, headers=headers, limits=limits, timeout=30
    ) as client:

        async def worker() -> None:
            sent = 0
            while time.perf_counter() < deadline:
                sent += 1
                start = time.perf_counter()
                try:
                    if args.mode == "export" and sent % 2 == 1:
                        response = await client.post(
                            args.create_path,
                            content=args.create_body,
                            headers={"Content-Type": "application/json"},
                        )
                    elif args.mode == "export":
                        response = await client.get(f"{args.poll_prefix}{state['last_id']}")
                    elif args.mode == "rotate":
                        nonlocal turn
                        turn += 1
                        response = await client.get(paths[turn % len(paths)])
                    else:
                        response = await client.get(args.path)
                except httpx.HTTPError:
                    state["other_errors"] += 1
                    continue
                latencies.append((time.perf_counter() - start) * 1e6)
                state["bytes"] += len(response.content)
                if response.status_code >= 400:
                    state["status_errors"] += 1
                if args.mode == "export":
                    found = _ID.search(response.content)
                    if found:
                        state["last_id"] = found.group(1).decode()

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.connections)))
        elapsed = time.perf_counter() - began
    return {
        "requests": len(latencies),
        "duration_us": int(elapsed * 1e6),
        "bytes": state["bytes"],
        "errors_status": state["status_errors"],
        "errors_connect": state["other_errors"],
        "errors_read": 0,
        "errors_write": 0,
        "errors_timeout": 0,
        "p50_us": _pct(latencies, 50),
        "p90_us": _pct(latencies, 90),
        "p99_us": _pct(latencies, 99),
        "max_us": max(latencies, default=0.0),
        "mean_us": sum(latencies) / len(latencies) if latencies else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--headers", required=True, help="JSON object of request headers")
    parser.add_argument("--mode", choices=["get", "export", "rotate"], default="get")
    parser.add_argument(
        "--paths-file", default="", help="rotate: a file of paths, one per line, taken in turn"
    )
    parser.add_argument("--path", default="/")
    parser.add_argument("--create-path", default="")
    parser.add_argument("--create-body", default="")
    parser.add_argument("--poll-prefix", default="")
    parser.add_argument("--first-id", default="")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    print("BENCH_JSON " + json.dumps(asyncio.run(_run(args))), flush=True)


if __name__ == "__main__":
    main()
