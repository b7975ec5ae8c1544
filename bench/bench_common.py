"""Shared pieces of the benchmark scripts: headers, the generated world, memory readings, percentiles."""

from __future__ import annotations

import os
import time
from typing import Any

from profile_harness.seed.demo import CRM_DATASET, DEMO_ORG, DEMO_SANDBOX, EVENT_DATASET, LOYALTY_DATASET

HEADERS = {
    "Authorization": "Bearer bench-token",
    "x-api-key": "bench-client",
    "x-gw-ims-org-id": DEMO_ORG,
    "x-sandbox-name": DEMO_SANDBOX,
}
SEED = 7
LOOKUP_PATH = "/data/core/ups/access/entities"
POLICIES_PATH = "/data/core/ups/config/mergePolicies"
EXPORT_PATH = "/data/core/ups/export/jobs"
DATASETS_PATH = "/data/foundation/catalog/dataSets"
UNION = {
    "id": "https://ns.adobe.com/xdm/context/profile__union",
    "contentType": "application/vnd.adobe.xed+json;version=1",
}


def _records(document: dict[str, Any], dataset_id: str) -> list[dict[str, Any]]:
    tenant = document["tenants"][0]
    dataset = next(d for d in tenant["datasets"] if d["id"] == dataset_id)
    return [r for batch in dataset["batches"] for r in batch["records"]]


def stitched_people(document: dict[str, Any], count: int = 1) -> list[dict[str, Any]]:
    """People whose profile is stitched from the most records: CRM + loyalty + logged-in events.

    The generator gives each person at most two profile records (CRM, loyalty); the events that carry
    both the ECID and the email are what ties the ECID to them. Looking a person up by ECID therefore
    walks ECID -> email -> CRM id -> loyalty id: 2 profile fragments + k event fragments, 4 identities.
    People are taken from the middle of the world outwards (the store scans everything anyway).
    """
    crm_by_email = {
        r["identityMap"]["email"][0]["id"]: r["identityMap"]["crmid"][0]["id"]
        for r in _records(document, CRM_DATASET)
    }
    loyal_crm = {r["identityMap"]["crmid"][0]["id"] for r in _records(document, LOYALTY_DATASET)}
    linked: dict[str, dict[str, Any]] = {}
    for event in _records(document, EVENT_DATASET):
        ids = event["identityMap"]
        ecid = ids["ecid"][0]["id"]
        entry = linked.setdefault(ecid, {"ecid": ecid, "events": 0, "email": None})
        entry["events"] += 1
        if "email" in ids:
            entry["email"] = ids["email"][0]["id"]
    candidates = [
        e | {"fragments": 2 + e["events"]}
        for e in linked.values()
        if e["email"] and crm_by_email.get(e["email"]) in loyal_crm and e["events"] >= 1
    ]
    if not candidates:
        raise SystemExit("the generated world has no stitched profile")
    middle = len(candidates) // 2
    order = sorted(range(len(candidates)), key=lambda i: (abs(i - middle), -candidates[i]["fragments"]))
    return [candidates[i] for i in order[:count]]


def lookup_params(ecid: str) -> dict[str, str]:
    return {"schema.name": "_xdm.context.profile", "entityId": ecid, "entityIdNS": "ecid"}


def lookup_query(ecid: str) -> str:
    return f"{LOOKUP_PATH}?schema.name=_xdm.context.profile&entityId={ecid}&entityIdNS=ecid"


def export_body(dataset_id: str) -> dict[str, Any]:
    return {
        "schema": {"name": "_xdm.context.profile"},
        "fields": "person.name,loyalty,homeAddress",
        "destination": {"datasetId": dataset_id},
    }


def proc_status_kib(field: str) -> int:
    """A ``VmRSS``/``VmHWM`` reading of this process from /proc (KiB); 0 where there is no /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of this process, so a later reading is a fresh peak."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def mib(kib: int) -> float:
    return round(kib / 1024, 1)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds``."""

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.perf_counter() - self.start


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def cores() -> int:
    return os.cpu_count() or 1


def serve(app: Any, port: int) -> None:
    """Serve ``app`` on 127.0.0.1 with the benchmark's production settings (mock and baseline alike):
    no reload, log level warning, no access log, uvloop and httptools when installed.
    """
    import uvicorn

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        reload=False,
        loop="auto",
        http="auto",
    )
