"""Checks over the built-in demo world: values computed by the harness match a hand computation."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.testclient import TestClient

from profile_harness.app import create_app
from profile_harness.seed.demo import DEMO_ORG, demo_document, person
from profile_harness.seed.fixtures import load_document
from profile_harness.store import Store

HEADERS = {
    "Authorization": "Bearer t",
    "x-api-key": "k",
    "x-gw-ims-org-id": DEMO_ORG,
    "x-sandbox-name": "prod",
}
NOW = "2024-07-01T00:00:00Z"
MONTH_START = datetime(2024, 6, 1, tzinfo=UTC)  # one calendar month before NOW


def _demo_client() -> TestClient:
    store = Store()
    load_document(store, demo_document())
    client = TestClient(create_app(store))
    client.post("/__admin/clock", json={"freeze": True, "at": NOW})
    client.put("/__admin/job-timing", json={"computedAttribute": "instant", "sample": "instant"})
    return client


def _jane_purchases_by_hand() -> float:
    """Jane's purchases in June 2024, from the demo document itself (her ECID and email)."""
    tenant = demo_document()["tenants"][0]
    events = next(d for d in tenant["datasets"] if d["class"] == "_xdm.context.experienceevent")["batches"][
        0
    ]["records"]
    jane_ecids = {
        e["identityMap"]["ecid"][0]["id"]
        for e in events
        if any(i["id"] == "jane.doe@example.com" for i in e["identityMap"].get("email", []))
    }
    total = 0.0
    for event in events:
        when = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
        if event["eventType"] != "commerce.purchases" or not MONTH_START <= when <= datetime(
            2024, 7, 1, tzinfo=UTC
        ):
            continue
        if event["identityMap"]["ecid"][0]["id"] in jane_ecids:
            total += event["commerce"]["order"]["priceTotal"]
    return total


def test_demo__computed_attribute_matches_a_hand_computation():
    expected = _jane_purchases_by_hand()
    assert expected > 0, "the demo world should give Jane purchases in June"
    attribute = {
        "name": "juneSpend",
        "displayName": "Spend in the last month",
        "description": "Sum of purchase totals",
        "expression": {
            "type": "PQL",
            "format": "pql/text",
            "value": 'xEvent[eventType.equals("commerce.purchases", false)].sum(commerce.order.priceTotal)',
        },
        "duration": {"count": 1, "unit": "MONTHS"},
        "status": "NEW",
    }
    with _demo_client() as client:
        created = client.post("/data/core/ca/attributes", headers=HEADERS, json=attribute).json()
        assert (
            client.get(f"/data/core/ca/attributes/{created['id']}", headers=HEADERS).json()["status"]
            == "PROCESSED"
        )
        query = {
            "schema.name": "_xdm.context.profile",
            "entityId": "jane.doe@example.com",
            "entityIdNS": "email",
            "withCA": "true",
        }
        (record,) = (
            client.get("/data/core/ups/access/entities", headers=HEADERS, params=query).json().values()
        )
    value = record["entity"]["_acme0123456789abcdef"]["ComputedAttributes"]["juneSpend"]
    assert abs(value - expected) < 1e-6


def test_demo__preview_report_changes_after_a_delete():
    def delete(email: str) -> None:
        params = {"schema.name": "_xdm.context.profile", "entityId": email, "entityIdNS": "email"}
        assert (
            client.delete("/data/core/ups/access/entities", headers=HEADERS, params=params).status_code == 202
        )

    with _demo_client() as client:
        before = client.get("/data/core/ups/previewsamplestatus", headers=HEADERS).json()
        assert before["totalRows"] == "20"
        delete("jane.doe@example.com")
        client.post("/__admin/clock", json={"advance": "15m"})
        # checked 15 minutes after the delete: 20 -> 19 is 5%, not more, so no new sample (DOC-PSS)
        assert client.get("/data/core/ups/previewsamplestatus", headers=HEADERS).json()["totalRows"] == "20"
        delete(person(1)["email"])
        client.post("/__admin/clock", json={"advance": "15m"})
        after = client.get("/data/core/ups/previewsamplestatus", headers=HEADERS).json()
        assert after["totalRows"] == "18"
        report = client.get("/data/core/ups/previewsamplestatus/report/dataset", headers=HEADERS).json()
    crm = next(row for row in report["data"] if row["name"] == "CRM profiles")
    assert crm["fullIDsCount"] == 18
