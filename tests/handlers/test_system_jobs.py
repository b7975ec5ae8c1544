"""System jobs over HTTP: both flavours, the error envelope, and the data really going away."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from profile_harness.app import create_app
from profile_harness.options import HarnessOptions
from profile_harness.scenarios.loader import load_scenario
from profile_harness.scenarios.runner import OutcomeKind, Target, run_scenario
from tests.conftest import HEADERS, profile_dataset, tenant_doc

J = "/data/core/ups/system/jobs"
E = "/data/core/ups/access/entities"
ROOT = Path(__file__).resolve().parents[2]
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

WORLD = tenant_doc(
    datasets=[
        profile_dataset(
            "crm",
            "2024-05-01T10:00:00Z",
            {
                "identityMap": {"email": [{"id": "john@example.com", "primary": True}]},
                "person": {"name": {"firstName": "John"}},
            },
        ),
        profile_dataset(
            "web",
            "2024-05-02T10:00:00Z",
            {
                "_id": "e1",
                "timestamp": "2024-05-02T09:00:00Z",
                "identityMap": {"ecid": [{"id": "111"}]},
                "eventType": "web.webpagedetails.pageViews",
            },
            cls="_xdm.context.experienceevent",
        ),
    ],
    mergePolicies=[
        {
            "id": "ts",
            "name": "ts",
            "schema": {"name": "_xdm.context.profile"},
            "identityGraph": {"type": "pdg"},
            "attributeMerge": {"type": "timestampOrdered"},
            "default": True,
        }
    ],
)


@pytest.fixture
def world(client: TestClient) -> TestClient:
    assert client.post("/__admin/fixtures", json=WORLD).status_code == 200
    assert (
        client.post("/__admin/clock", json={"freeze": True, "at": "2024-06-01T00:00:00Z"}).status_code == 200
    )
    return client


def _advance(client: TestClient, how: str = "2s") -> None:
    assert client.post("/__admin/clock", json={"advance": how}).status_code == 200


def _envelope(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"requestId", "errors"}
    assert list(body["errors"]) == [str(status)]
    [error] = body["errors"][str(status)]
    return error  # type: ignore[no-any-return]


def _john(client: TestClient, headers: dict[str, str]) -> int:
    params = {"schema.name": "_xdm.context.profile", "entityId": "john@example.com", "entityIdNS": "email"}
    return client.get(E, headers=headers, params=params).status_code


def test_createDeleteRequest__dataset_job_runs_and_the_profile_goes(world, headers):  # type: ignore[no-untyped-def]
    assert _john(world, headers) == 200
    created = world.post(J, headers=headers, json={"dataSetId": "crm"})
    assert created.status_code == 200, created.text
    job = created.json()
    assert job["status"] == "NEW"
    assert job["dataSetId"] == "crm"
    assert job["imsOrgId"] == HEADERS["x-gw-ims-org-id"]
    assert "metrics" not in job
    _advance(world)
    done = world.get(f"{J}/{job['id']}", headers=headers).json()
    assert done["status"] == "COMPLETED"
    assert done["metrics"] == '{"recordsProcessed":1,"timeTakenInSec":2}'
    assert _john(world, headers) == 404


def test_createDeleteRequest__batch_job_removes_the_events(world, headers):  # type: ignore[no-untyped-def]
    params = {
        "schema.name": "_xdm.context.experienceevent",
        "relatedSchema.name": "_xdm.context.profile",
        "relatedEntityId": "111",
        "relatedEntityIdNS": "ecid",
    }
    assert [e["entityId"] for e in world.get(E, headers=headers, params=params).json()["children"]] == ["e1"]
    body = {"datasetId": "web", "batchId": "batchweb"}
    job = world.post(J, headers=headers, json=body).json()
    assert (job["datasetId"], job["batchId"], job["status"]) == ("web", "batchweb", "NEW")
    _advance(world)
    assert world.get(f"{J}/{job['id']}", headers=headers).json()["status"] == "COMPLETED"
    assert world.get(E, headers=headers, params=params).status_code == 404
    assert _john(world, headers) == 200


@pytest.mark.parametrize("body", [{}, {"dataSetID": "crm"}])
def test_createDeleteRequest__invalid_payload_is_the_documented_400(world, headers, body):  # type: ignore[no-untyped-def]
    error = _envelope(world.post(J, headers=headers, json=body), 400)
    assert error == {"code": "400", "message": "Invalid delete request (Profile System Job)"}


def test_createDeleteRequest__wrong_type_is_a_400_in_the_envelope(world, headers):  # type: ignore[no-untyped-def]
    error = _envelope(world.post(J, headers=headers, json={"dataSetId": 5}), 400)
    assert error["code"] == "400"
    assert error["message"]


def test_createDeleteRequest__record_batch_is_400_with_inner_500(world, headers):  # type: ignore[no-untyped-def]
    error = _envelope(world.post(J, headers=headers, json={"batchId": "batchcrm"}), 400)
    assert error == {"code": "500", "message": "Batch can only be specified for EE type 'batchcrm'"}
    assert world.get(J, headers=headers).json() == {"_page": {"count": 0}, "children": []}


def test_createDeleteRequest__duplicate_is_422(world, headers):  # type: ignore[no-untyped-def]
    assert world.post(J, headers=headers, json={"dataSetId": "crm"}).status_code == 200
    error = _envelope(world.post(J, headers=headers, json={"dataSetId": "crm"}), 422)
    assert error == {
        "code": "422",
        "message": "Delete request (Profile System Job) Definition already exists.",
    }


def test_createDeleteRequest__request_id_header_is_echoed_in_errors(world, headers):  # type: ignore[no-untyped-def]
    response = world.post(J, headers={**headers, "x-request-id": "req-1"}, json={})
    assert response.json()["requestId"] == "req-1"


def test_listDeleteRequests__page_shape_and_paging(world, headers):  # type: ignore[no-untyped-def]
    ids = []
    for body in ({"dataSetId": "crm"}, {"batchId": "batchweb"}):
        ids.append(world.post(J, headers=headers, json=body).json()["id"])
    first = world.get(J, headers=headers, params={"limit": 1}).json()
    assert first["_page"]["count"] == 2
    assert first["_page"]["next"]
    assert [job["id"] for job in first["children"]] == ids[:1]
    second = world.get(J, headers=headers, params={"limit": 1, "page": 1}).json()
    assert [job["id"] for job in second["children"]] == ids[1:]
    assert "next" not in second["_page"]
    by_batch = world.get(J, headers=headers, params={"sort": "batchId:asc"}).json()
    assert [job["id"] for job in by_batch["children"]] == [ids[1], ids[0]]


@pytest.mark.parametrize("params", [{"limit": 0}, {"start": -1}, {"sort": "batchId"}, {"sort": "nope:asc"}])
def test_listDeleteRequests__bad_parameters_are_400(world, headers, params):  # type: ignore[no-untyped-def]
    assert _envelope(world.get(J, headers=headers, params=params), 400)["code"] == "400"


def test_deleteDeleteRequest__200_empty_then_404(world, headers):  # type: ignore[no-untyped-def]
    job_id = world.post(J, headers=headers, json={"dataSetId": "crm"}).json()["id"]
    removed = world.delete(f"{J}/{job_id}", headers=headers)
    assert removed.status_code == 200
    assert removed.content == b""
    error = _envelope(world.get(f"{J}/{job_id}", headers=headers), 404)
    assert error == {"code": "404", "message": "Delete request (Profile System Job) not found"}
    assert _envelope(world.delete(f"{J}/{job_id}", headers=headers), 404)["code"] == "404"


def test_retrieveDeleteRequest__other_sandbox_sees_nothing(world, headers):  # type: ignore[no-untyped-def]
    job_id = world.post(J, headers=headers, json={"dataSetId": "crm"}).json()["id"]
    dev = {**headers, "x-sandbox-name": "dev"}
    assert world.get(f"{J}/{job_id}", headers=dev).status_code == 404
    assert world.get(J, headers=dev).json()["_page"]["count"] == 0


# -- the AWS flavour ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def aws_app():  # type: ignore[no-untyped-def]
    return create_app(options=HarnessOptions(system_jobs_flavor="aws"))


@pytest.fixture
def aws(aws_app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(aws_app, raise_server_exceptions=False) as client:
        client.post("/__admin/reset")
        assert client.post("/__admin/fixtures", json=WORLD).status_code == 200
        client.post("/__admin/clock", json={"freeze": True, "at": "2024-06-01T00:00:00Z"})
        yield client


def test_aws__create_get_and_list(aws, headers):  # type: ignore[no-untyped-def]
    sandbox_headers = {**headers, "x-sandbox-id": "8129954b-fa83-43ba-a995-4bfa8373ba2b"}
    truncate = aws.post(J, headers=sandbox_headers, json={"dataSetId": "crm"}).json()
    assert truncate["requestType"] == "TRUNCATE_DATASET"
    assert truncate["status"] == "NEW"
    assert truncate["sandbox"] == {"sandboxName": "prod", "sandboxId": "8129954b-fa83-43ba-a995-4bfa8373ba2b"}
    assert truncate["properties"] == {"datasetId": "crm"}
    assert truncate["createdAt"] == truncate["updatedAt"] == "2024-06-01T00:00:00.000000Z"
    _advance(aws, "500ms")
    batch = aws.post(J, headers=headers, json={"batchId": "batchweb"}).json()
    assert batch["requestType"] == "DELETE_EE_BATCH"
    assert batch["properties"] == {"batchId": "batchweb", "datasetId": "web"}
    assert aws.get(f"{J}/{truncate['requestId']}", headers=headers).json()["status"] == "IN-PROGRESS"
    _advance(aws)
    listed = aws.get(J, headers=headers, params={"limit": 1}).json()  # query parameters are ignored
    assert [job["requestId"] for job in listed] == [batch["requestId"], truncate["requestId"]]
    assert {job["status"] for job in listed} == {"SUCCESS"}
    assert _john(aws, headers) == 404


def test_aws__errors_use_the_same_envelope(aws, headers):  # type: ignore[no-untyped-def]
    assert _envelope(aws.post(J, headers=headers, json={}), 400)["code"] == "400"
    assert _envelope(aws.get(f"{J}/nope", headers=headers), 404)["code"] == "404"


@pytest.mark.parametrize("flavor", ["azure", "aws"])
def test_aws__the_documented_aws_scenario_passes_whatever_the_servers_flavour(flavor: str):
    scenario = load_scenario(ROOT / "scenarios/system-jobs/aws-delete-requests.yaml")
    assert scenario.pending is None  # its tenant is AWS-hosted: one served mock replays it
    app = create_app(options=HarnessOptions(system_jobs_flavor=flavor))
    with TestClient(app, raise_server_exceptions=False) as client:
        client.post("/__admin/reset")
        client.put("/__admin/job-timing", json={"systemJob": "instant"})
        outcome = run_scenario(scenario, Target(client=client, sleep=lambda _s: None))
    assert outcome.kind is OutcomeKind.PASSED, outcome.detail


# -- the flavour belongs to the tenant ------------------------------------------------------------


def test_flavour__a_tenant_says_aws_on_a_default_azure_server(client, headers):  # type: ignore[no-untyped-def]
    aws_world = {"tenants": [{**WORLD["tenants"][0], "systemJobsFlavor": "aws"}]}
    assert client.post("/__admin/fixtures", json=aws_world).status_code == 200
    job = client.post(J, headers=headers, json={"dataSetId": "crm"}).json()
    assert job["requestType"] == "TRUNCATE_DATASET"
    assert job["status"] == "NEW"
    assert isinstance(client.get(J, headers=headers).json(), list)
    dev = {**headers, "x-sandbox-name": "dev"}  # a tenant that does not say: the server's flavour
    assert client.get(J, headers=dev).json() == {"_page": {"count": 0}, "children": []}


def test_flavour__a_tenant_says_azure_on_an_aws_server(aws, headers):  # type: ignore[no-untyped-def]
    azure_world = tenant_doc(systemJobsFlavor="azure")
    azure_world["tenants"][0]["sandbox"] = "dev"
    assert aws.post("/__admin/fixtures", json=azure_world).status_code == 200
    dev = {**headers, "x-sandbox-name": "dev"}
    assert aws.get(J, headers=dev).json() == {"_page": {"count": 0}, "children": []}
    assert aws.get(J, headers=headers).json() == []


def test_flavour__the_state_dump_carries_it_and_loads_back(client, aws):  # type: ignore[no-untyped-def]
    aws_world = {"tenants": [{**WORLD["tenants"][0], "systemJobsFlavor": "aws"}]}
    client.post("/__admin/fixtures", json=aws_world)
    dumped = client.get("/__admin/state").json()
    assert [t["systemJobsFlavor"] for t in dumped["tenants"]] == ["aws"]
    client.post("/__admin/reset")
    assert client.post("/__admin/fixtures", json=dumped).status_code == 200
    assert client.get("/__admin/state").json() == dumped
    # on an AWS server a tenant that does not say dumps the server's flavour, so it loads back alike
    assert [t["systemJobsFlavor"] for t in aws.get("/__admin/state").json()["tenants"]] == ["aws"]


def test_flavour__an_unknown_one_is_refused_naming_the_place(client):  # type: ignore[no-untyped-def]
    bad = tenant_doc(systemJobsFlavor="gcp")
    response = client.post("/__admin/fixtures", json=bad)
    assert response.status_code == 400
    assert "tenants.0.systemJobsFlavor" in response.json()["detail"]
