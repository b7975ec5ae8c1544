"""Faults and the clock through the admin API."""

from __future__ import annotations

BASE = "/data/core/ups/config/mergePolicies"


def test_request_fault__by_operation_id_for_n_calls(client, headers):  # type: ignore[no-untyped-def]
    fault = {
        "match": {"operationId": "getMany"},
        "respond": {"status": 503, "body": {"code": "503", "message": "down"}},
        "times": 2,
    }
    assert client.post("/__admin/faults", json=fault).status_code == 201
    assert [client.get(BASE, headers=headers).status_code for _ in range(3)] == [503, 503, 200]
    assert client.get("/__admin/faults").json()["faults"][0]["used"] == 2


def test_request_fault__by_method_and_path_scoped_to_a_tenant(client, headers):  # type: ignore[no-untyped-def]
    fault = {
        "match": {"method": "GET", "path": "/mergePolicies$"},
        "respond": {"status": 429, "headers": {"Retry-After": "1"}},
        "org": headers["x-gw-ims-org-id"],
        "sandbox": "dev",
    }
    client.post("/__admin/faults", json=fault)
    assert client.get(BASE, headers=headers).status_code == 200  # another sandbox
    limited = client.get(BASE, headers={**headers, "x-sandbox-name": "dev"})
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "1"
    assert client.delete("/__admin/faults").json() == {"cleared": 1}


def test_fault__bad_definitions_are_400(client):  # type: ignore[no-untyped-def]
    assert client.post("/__admin/faults", json={"respond": {"status": 500}}).status_code == 400
    assert (
        client.post("/__admin/faults", json={"match": {"path": "("}, "respond": {"status": 500}}).status_code
        == 400
    )
    assert client.post("/__admin/faults", json={"job": "export", "fail": "nope"}).status_code == 400
    assert client.get("/__admin/faults").json() == {"faults": []}


def test_clock__freeze_advance_release(client):  # type: ignore[no-untyped-def]
    frozen = client.post("/__admin/clock", json={"freeze": True, "at": "2024-06-30T12:00:00Z"}).json()
    assert frozen["frozen"] is True
    assert frozen["nowMs"] == 1719748800000
    moved = client.post("/__admin/clock", json={"advance": "90s"}).json()
    assert moved["nowMs"] == 1719748890000
    assert client.get("/__admin/clock").json()["nowMs"] == 1719748890000
    released = client.post("/__admin/clock", json={"freeze": False}).json()
    assert released["frozen"] is False
    assert released["nowMs"] >= 1719748890000
    assert client.post("/__admin/clock", json={"advance": "soon"}).status_code == 400


def test_job_timing__set_and_refuse(client):  # type: ignore[no-untyped-def]
    assert client.put("/__admin/job-timing", json={"export": "reads:3"}).json()["export"] == "reads:3"
    assert client.put("/__admin/job-timing", json={"export": "later"}).status_code == 400
    assert client.get("/__admin/job-timing").json()["export"] == "reads:3"


def test_reset__everything_restores_clock_timing_and_faults(client):  # type: ignore[no-untyped-def]
    client.post("/__admin/clock", json={"freeze": True, "at": 0})
    client.put("/__admin/job-timing", json={"export": "instant"})
    client.post("/__admin/faults", json={"job": "export"})
    client.post("/__admin/reset")
    assert client.get("/__admin/clock").json()["frozen"] is False
    assert client.get("/__admin/job-timing").json()["export"] == "seconds:1"
    assert client.get("/__admin/faults").json() == {"faults": []}


def test_request_fault__never_applies_to_the_admin_api(client, headers):  # type: ignore[no-untyped-def]
    """A fault matching every path still leaves the control plane up, so it can be removed."""
    client.post("/__admin/faults", json={"match": {"path": ""}, "respond": {"status": 500}})
    assert client.get(BASE, headers=headers).status_code == 500
    assert client.get("/__admin/health").status_code == 200
    assert client.delete("/__admin/faults").json() == {"cleared": 1}
    assert client.get(BASE, headers=headers).status_code == 200


def test_fault__the_schema_states_what_a_request_fault_needs(client):  # type: ignore[no-untyped-def]
    for fault in (
        {},
        {"match": {}, "respond": {"status": 500}},
        {"match": {"operationId": "getMany"}},
        {"match": {"operationId": "getMany"}, "respond": {"status": 100}},
        {"match": {"path": "("}, "respond": {"status": 500}},
    ):
        response = client.post("/__admin/faults", json=fault)
        assert response.status_code == 400, fault
        assert response.headers["content-type"].startswith("application/problem+json")
    assert client.post("/__admin/faults", json={"job": "sample"}).status_code == 201


def test_request_fault__headers_are_sent_as_http_allows(client, headers):  # type: ignore[no-untyped-def]
    """Issue 17, point 7: a final line break (which a JSON Schema `$` lets through) is not sent."""
    fault = {
        "match": {"operationId": "getMany"},
        "respond": {"status": 429, "headers": {"Retry-After": "1\n", "X-Why\n": "slow down"}},
    }
    assert client.post("/__admin/faults", json=fault).status_code == 201
    limited = client.get(BASE, headers=headers)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "1"
    assert limited.headers["x-why"] == "slow down"
