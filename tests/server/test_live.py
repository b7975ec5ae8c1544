"""The same scenarios pass against a live server over loopback as in-process (uvicorn, real sockets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from profile_harness.app import create_app
from profile_harness.scenarios import OutcomeKind, load_scenarios, run_scenario
from profile_harness.scenarios.targets import url_target
from profile_harness.server.live import live_server

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def base_url():  # type: ignore[no-untyped-def]
    with live_server(create_app()) as url:
        yield url


def test_live__every_runnable_scenario_passes_over_http(base_url):  # type: ignore[no-untyped-def]
    target = url_target(base_url)
    try:
        assert target.admin
        outcomes = [run_scenario(s, target) for s in load_scenarios([SCENARIOS]) if not s.pending]
    finally:
        target.client.close()  # else its socket is left to the GC, a ResourceWarning
    assert outcomes, "no runnable scenarios"
    failed = [f"{o.scenario.path}: {o.detail}" for o in outcomes if o.kind is not OutcomeKind.PASSED]
    assert not failed, "\n\n".join(failed)


def test_live__errors_keep_the_endpoint_shape(base_url):  # type: ignore[no-untyped-def]
    import httpx

    headers = {
        "Authorization": "Bearer t",
        "x-api-key": "k",
        "x-gw-ims-org-id": "A1@AdobeOrg",
        "x-sandbox-name": "prod",
    }
    response = httpx.get(f"{base_url}/data/core/ups/config/mergePolicies/nope", headers=headers)
    assert response.status_code == 404
    assert response.json() == {"code": "404", "message": "Merge policy nope does not exist"}


def test_live__export_journey_of_the_readme(base_url):  # type: ignore[no-untyped-def]
    """Dataset, export, poll, batch files, Parquet: the merged profiles with only the requested fields."""
    import httpx

    from profile_harness.seed.demo import DEMO_ORG, demo_document
    from profile_harness.store.parquet import read_parquet

    headers = {
        "Authorization": "Bearer t",
        "x-api-key": "k",
        "x-gw-ims-org-id": DEMO_ORG,
        "x-sandbox-name": "journey",
    }
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        client.post("/__admin/reset", params={"org": DEMO_ORG, "sandbox": "journey"})
        client.post("/__admin/fixtures", json=demo_document(20, sandbox="journey"))
        union = {
            "id": "https://ns.adobe.com/xdm/context/profile__union",
            "contentType": "application/vnd.adobe.xed+json;version=1",
        }
        ref = client.post(
            "/data/foundation/catalog/dataSets", json={"name": "Export", "schemaRef": union}
        ).json()[0]
        body = {
            "schema": {"name": "_xdm.context.profile"},
            "fields": "person.name,loyalty",
            "additionalFields": {"eventList": {"fields": "eventType"}},
            "destination": {"datasetId": ref.rsplit("/", 1)[1]},
        }
        job = client.post("/data/core/ups/export/jobs", json=body).json()
        for _ in range(100):
            job = client.get(f"/data/core/ups/export/jobs/{job['id']}").json()
            if job["status"] in ("SUCCEEDED", "FAILED"):
                break
            client.post("/__admin/clock", json={"advance": "200ms"})
        assert job["status"] == "SUCCEEDED"
        batch_id = job["destination"]["batchId"]
        file_id = client.get(f"/data/foundation/export/batches/{batch_id}/files").json()["data"][0][
            "dataSetFileId"
        ]
        name = client.get(f"/data/foundation/export/files/{file_id}").json()["data"][0]["name"]
        rows = read_parquet(
            client.get(f"/data/foundation/export/files/{file_id}", params={"path": name}).content
        )
    assert len(rows) == 20
    jane = next(r for r in rows if r["person"]["name"] == {"firstName": "Jane", "lastName": "Doe"})
    assert jane["loyalty"]["points"] >= 0
    assert set(jane) == {"person", "loyalty", "eventList"}
    assert jane["eventList"]
    assert all(set(e) == {"eventType"} for e in jane["eventList"])
