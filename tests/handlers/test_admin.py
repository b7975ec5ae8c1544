"""The /__admin control plane: what its description states, the handlers accept."""

from __future__ import annotations

import re
from typing import Any

import pytest

from profile_harness.openapi.bundle import admin_spec

LATEST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


def _schema(name: str) -> dict[str, Any]:
    return admin_spec()["components"]["schemas"][name]


def test_every_admin_operation__documents_its_400(client: Any) -> None:
    """An unknown query parameter is refused on every operation, so every one documents the 400."""
    for path, methods in admin_spec()["paths"].items():
        for method, operation in methods.items():
            assert "400" in operation["responses"], (method, path)
    response = client.get("/__admin/requests", params={"limit": -99999999})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("at", "now_ms"),
    [
        ("1970-01-01", 0),
        ("2024-02-29T12:00", 1709208000000),
        ("2024-07-01T12:00:00.5Z", 1719835200500),
        ("2024-07-01T14:00:00+02:00", 1719835200000),
        ("9999-12-31T23:59:59.999999Z", LATEST_MS),  # exact: a float timestamp rounds it to year 10000
        ("2024-07-01T12:00:00Z\n", 1719835200000),  # a JSON Schema `$` lets a final newline through
        (LATEST_MS, LATEST_MS),
    ],
)
def test_adminSetClock__freezes_at_every_form_the_schema_allows(client: Any, at: Any, now_ms: int) -> None:
    if isinstance(at, str):
        assert re.search(_schema("ClockTime")["pattern"], at)
    response = client.post("/__admin/clock", json={"freeze": True, "at": at})
    assert response.status_code == 200, response.text
    assert response.json()["nowMs"] == now_ms


@pytest.mark.parametrize(
    "at",
    ["1969-12-31T23:59:59Z", "10000-01-01", "2023-02-29", "1900-02-29", "1970-01-01T00:30+01:00", "soon", -1],
)
def test_adminSetClock__the_schema_refuses_times_outside_the_clock(client: Any, at: Any) -> None:
    response = client.post("/__admin/clock", json={"freeze": True, "at": at})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/__admin/clock").json()["frozen"] is False


def test_adminSetClock__advance_past_9999_is_refused_and_changes_nothing(client: Any) -> None:
    response = client.post("/__admin/clock", json={"freeze": True, "at": LATEST_MS, "advance": "1s"})
    assert response.status_code == 400
    assert "9999-12-31" in response.json()["detail"]
    assert client.get("/__admin/clock").json()["frozen"] is False


def test_adminSetClock__advance_with_a_final_newline(client: Any) -> None:
    client.post("/__admin/clock", json={"freeze": True, "at": 0})
    assert client.post("/__admin/clock", json={"advance": "5s\n"}).json()["nowMs"] == 5000


@pytest.mark.parametrize(
    ("rule", "accepted"),
    [
        ("reads:1", True),
        ("reads:0001", True),
        ("reads:1000000000", True),
        ("seconds:0", True),
        ("seconds:1000000000.0", True),
        ("reads:0", False),
        ("reads:1000000001", False),
        ("seconds:1000000000.5", False),
        ("seconds:60018249096.37", False),
    ],
)
def test_adminSetJobTiming__the_pattern_is_the_rule(client: Any, rule: str, accepted: bool) -> None:
    assert bool(re.search(_schema("TimingRule")["pattern"], rule)) is accepted
    response = client.put("/__admin/job-timing", json={"export": rule})
    assert response.status_code == (200 if accepted else 400), response.text


def test_adminLoadFixtures__tenants_is_required(client: Any) -> None:
    assert _schema("FixtureDocument")["required"] == ["tenants"]
    response = client.post("/__admin/fixtures", json={})
    assert response.status_code == 400
    assert "'tenants' is a required property" in response.json()["detail"]
    loaded = client.post(
        "/__admin/fixtures", json={"tenants": [{"org": "ADMIN1@AdobeOrg", "sandbox": "dev"}]}
    )
    assert loaded.json() == {"loaded": [{"org": "ADMIN1@AdobeOrg", "sandbox": "dev"}]}


def test_adminLoadFixtures__the_tenant_level_matches_the_fixture_schema() -> None:
    """admin.yaml states the tenant level of spec/fixtures.schema.json; the two must not drift."""
    import json
    from pathlib import Path

    fixture = json.loads((Path(__file__).parents[2] / "spec" / "fixtures.schema.json").read_text())
    ours = _schema("FixtureTenant")
    theirs = fixture["$defs"]["tenant"]
    assert ours["required"] == theirs["required"]
    assert set(ours["properties"]) == set(theirs["properties"])
    for key in ("org", "sandbox"):
        assert ours["properties"][key]["pattern"] == theirs["properties"][key]["pattern"]
    assert ours["properties"]["systemJobsFlavor"]["enum"] == theirs["properties"]["systemJobsFlavor"]["enum"]


def test_adminSetClock__a_running_clock_stops_at_the_end_of_9999(client: Any) -> None:
    """Issue 17, point 7: set to the last instant and left running, it never reaches year 10000."""
    headers = {
        "Authorization": "Bearer t",
        "x-api-key": "c",
        "x-gw-ims-org-id": "ADMIN1@AdobeOrg",
        "x-sandbox-name": "prod",
    }
    assert (
        client.post("/__admin/clock", json={"freeze": True, "at": "9999-12-31T23:59:59Z"}).status_code == 200
    )
    assert client.post("/__admin/clock", json={"advance": "999ms"}).status_code == 200
    assert client.post("/__admin/clock", json={"freeze": False}).status_code == 200
    import time

    time.sleep(0.005)  # real time moves on past the clock's last instant
    clock = client.get("/__admin/clock")
    assert clock.status_code == 200
    assert clock.json()["nowMs"] == LATEST_MS
    assert client.post("/__admin/clock", json={"advance": "1s"}).status_code == 400
    assert client.get("/__admin/state").status_code == 200
    preview = client.get("/data/core/ups/previewsamplestatus", headers=headers)
    assert preview.status_code < 500, preview.text


@pytest.mark.parametrize(
    "headers",
    [
        {"X-A": "a\r\nb"},
        {"X-A": "é"},
        {"X-A": " padded"},
        {"X-\r\nA": "1"},
        {"é": "1"},
        {"": "1"},
        {"a b": "1"},
    ],
)
def test_adminAddFault__headers_http_cannot_carry_are_400(client: Any, headers: dict[str, str]) -> None:
    """Issue 17, point 7: refused when added, with the problem shape; nothing is stored."""
    fault = {"match": {"operationId": "getMany"}, "respond": {"status": 503, "headers": headers}}
    response = client.post("/__admin/faults", json=fault)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/__admin/faults").json() == {"faults": []}


def test_adminSnapshot__writes_the_state_file_that_loads_back(tmp_path: Any) -> None:
    """Issue 17, point 5: POST /__admin/snapshot writes the dump atomically; it loads back equal."""
    from starlette.testclient import TestClient

    from profile_harness.app import create_app
    from profile_harness.options import HarnessOptions
    from profile_harness.seed.fixtures import dump_state, load_state_file
    from profile_harness.store import Store

    path = tmp_path / "state" / "world.json"
    store = Store()
    with TestClient(create_app(store, options=HarnessOptions(state_file=str(path)))) as client:
        client.post("/__admin/fixtures", json={"tenants": [{"org": "ADMIN1@AdobeOrg", "sandbox": "dev"}]})
        client.post("/__admin/clock", json={"freeze": True, "at": "2024-07-01T00:00:00Z"})
        response = client.post("/__admin/snapshot")
        assert response.status_code == 200, response.text
        assert response.json() == {"path": str(path), "tenants": 1}
        dumped = client.get("/__admin/state").json()
    assert [p.name for p in path.parent.iterdir()] == ["world.json"]  # no temporary file left
    again = Store()
    assert load_state_file(again, path) is True
    assert dump_state(again, system_jobs_flavor="azure") == dumped
    assert load_state_file(Store(), tmp_path / "missing.json") is False


def test_adminSnapshot__without_a_state_file_is_409(client: Any) -> None:
    response = client.post("/__admin/snapshot")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
