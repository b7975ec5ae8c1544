"""Scale: N generated people (three datasets) loaded, looked up and exported to Parquet, in-process.

Run in a process of its own by the runner (memory figures are this process's RSS, from /proc);
prints ``BENCH_JSON {...}``. Steps, each timed, as ``serve --generate`` loads a world: generate it
straight into packed records (``generated_document``), load it (``load_document``, trusted: no
schema pass, no copy), drop the document, build the identity index and graph (the first lookup does
it), look up stitched people by ECID, export every profile to Parquet.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import threading
import time
from typing import Any

import httpx
from bench_common import (
    DATASETS_PATH,
    EXPORT_PATH,
    HEADERS,
    LOOKUP_PATH,
    UNION,
    Stopwatch,
    export_body,
    lookup_params,
    mib,
    percentile,
    proc_status_kib,
    reset_peak_rss,
)

from profile_harness.app import create_app
from profile_harness.seed.demo import (
    CRM_DATASET,
    DEMO_ORG,
    DEMO_SANDBOX,
    EVENT_DATASET,
    LOYALTY_DATASET,
    generated_document,
    person,
)
from profile_harness.seed.fixtures import load_document
from profile_harness.store import Store, Tenant
from profile_harness.store.jobs import JobTiming


def _rss() -> float:
    return mib(proc_status_kib("VmRSS"))


def _peak() -> float:
    return mib(proc_status_kib("VmHWM"))


OUT: dict[str, Any] = {}


def stitched_people(tenant: Tenant, people: int, count: int) -> list[dict[str, Any]]:
    """People stitched from CRM + loyalty + logged-in events, from the middle of the world outwards.

    Found through the store's own index (by email), not by scanning millions of records: a lookup by
    the person's ECID then walks ECID -> email -> CRM id -> loyalty id.
    """
    graph = tenant.profiles.graph
    found: list[dict[str, Any]] = []
    middle = people // 2
    for step in range(people):
        i = middle + (step + 1) // 2 * (1 if step % 2 else -1)
        if not 0 <= i < people or len(found) == count:
            break
        component = graph.component(("email", person(i)["email"]))
        ecids = [value for namespace, value in component if namespace == "ecid"]
        if ecids and any(namespace == "loyaltyid" for namespace, _ in component):
            found.append({"ecid": ecids[0], "index": i})
    return found


def _guard(limit_mib: float, started: float) -> None:
    """Stop the whole process (printing what was measured) when its RSS passes ``limit_mib``.

    The machine is shared: a scale run that cannot fit must end itself rather than push others out.
    """
    while True:
        time.sleep(0.25)
        rss = _rss()
        if rss > limit_mib:
            OUT["error"] = (
                f"stopped by the memory guard: RSS {rss:,.0f} MiB passed {limit_mib:,.0f} MiB during"
                f" step {OUT.get('step')!r}, {time.perf_counter() - started:.0f} s after the start"
            )
            print("BENCH_JSON " + json.dumps(OUT), flush=True)
            sys.stdout.flush()
            os._exit(0)


async def _measure(args: argparse.Namespace) -> dict[str, Any]:
    out = OUT
    out |= {"people": args.people, "rss_start_mib": _rss(), "step": "generate"}
    with Stopwatch() as generate:
        document = generated_document(args.people, seed=7)
    datasets = document["tenants"][0]["datasets"]
    names = {CRM_DATASET: "CRM profiles", LOYALTY_DATASET: "Loyalty members", EVENT_DATASET: "Web events"}
    out["records"] = {names[d["id"]]: sum(len(b["records"]) for b in d["batches"]) for d in datasets}
    out["packed_mib"] = round(
        sum(b["records"].packed_bytes for d in datasets for b in d["batches"]) / 2**20, 1
    )
    out["generate"] = {"s": round(generate.seconds, 2), "rss_mib": _rss()}
    store = Store(seed=7, job_timing={"export": JobTiming("instant")})
    out["step"] = "load_document"
    with Stopwatch() as load:
        load_document(store, document, "generated data", trusted=True)  # as serve --generate loads it
    out["load_document"] = {"s": round(load.seconds, 2), "rss_mib": _rss(), "peak_rss_mib": _peak()}
    del document, datasets
    gc.collect()
    out["after_dropping_document"] = {"rss_mib": _rss()}
    app = create_app(store)
    tenant = store.tenant(DEMO_ORG, DEMO_SANDBOX)
    out["step"] = "identity graph"
    with Stopwatch() as graph:
        _ = tenant.profiles.graph
    out["identity_graph"] = {"s": round(graph.seconds, 2), "rss_mib": _rss(), "peak_rss_mib": _peak()}
    out["load_total_s"] = round(generate.seconds + load.seconds + graph.seconds, 2)
    out["load_peak_rss_mib"] = _peak()
    people = stitched_people(tenant, args.people, args.lookups + 1)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://mock", headers=HEADERS, timeout=None
    ) as c:
        out["step"] = "lookups"
        # The app's first request pays one-time costs whatever the data (routes, validators): it is
        # timed apart, with a person not among those measured.
        start = time.perf_counter()
        warm = await c.get(LOOKUP_PATH, params=lookup_params(people.pop()["ecid"]))
        out["first_lookup_ms"] = round((time.perf_counter() - start) * 1000, 1)
        assert warm.status_code == 200, warm.text
        latencies: list[float] = []
        deadline = time.perf_counter() + args.lookup_seconds
        for person in people:
            start = time.perf_counter()
            response = await c.get(LOOKUP_PATH, params=lookup_params(person["ecid"]))
            latencies.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.text
            if time.perf_counter() > deadline:
                break
        out["lookup"] = {
            "lookups": len(latencies),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "max_ms": round(max(latencies), 1),
        }
        ref = (await c.post(DATASETS_PATH, json={"name": "Bench export", "schemaRef": UNION})).json()[0]
        job = (await c.post(EXPORT_PATH, json=export_body(ref.rsplit("/", 1)[1]))).json()
        out["step"] = "export"
        gc.collect()
        before = proc_status_kib("VmRSS")
        peak_reset = reset_peak_rss()
        with Stopwatch() as export:
            # Export timing is instant: this first read runs the whole export (rows + Parquet).
            polled = (await c.get(f"{EXPORT_PATH}/{job['id']}")).json()
        peak = proc_status_kib("VmHWM")
        assert polled["status"] == "SUCCEEDED", polled
        batch_id = polled["destination"]["batchId"]
        files = (await c.get(f"/data/foundation/export/batches/{batch_id}/files")).json()["data"]
        listing = (await c.get(f"/data/foundation/export/files/{files[0]['dataSetFileId']}")).json()["data"]
        out["export"] = {
            "s": round(export.seconds, 2),
            "rss_before_mib": mib(before),
            "peak_growth_mib": mib(peak - before) if peak_reset else None,
            "rss_after_mib": _rss(),
            "parquet_mib": round(sum(int(f["length"]) for f in listing) / 2**20, 2),
            "profiles": tenant.datasets.get(polled["destination"]["dataSetId"]).batches[-1].size,
        }
    out["peak_rss_mib"] = _peak()
    out["step"] = "done"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=30, help="at most this many lookups")
    parser.add_argument("--lookup-seconds", type=float, default=60.0, help="and for at most this long")
    parser.add_argument("--max-rss-gib", type=float, default=12.0, help="stop past this RSS (shared machine)")
    args = parser.parse_args()
    watchdog = threading.Thread(
        target=_guard, args=(args.max_rss_gib * 1024, time.perf_counter()), daemon=True
    )
    watchdog.start()
    print("BENCH_JSON " + json.dumps(asyncio.run(_measure(args))), flush=True)


if __name__ == "__main__":
    main()
