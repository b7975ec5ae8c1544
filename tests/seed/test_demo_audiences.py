"""Audience membership in the generated worlds: what segmentation would write from the same data."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from profile_harness.app import create_app
from profile_harness.seed.demo import (
    ANCHOR,
    AUDIENCES,
    DEFAULT_POLICY,
    DEMO_ORG,
    GOLD_AUDIENCE,
    PRECEDENCE_POLICY,
    PURCHASERS_AUDIENCE,
    VISITORS_AUDIENCE,
    demo_document,
    demo_world,
    generated_document,
)
from profile_harness.seed.fixtures import load_document
from profile_harness.store import Store


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _recency(latest: datetime | None, window: int) -> dict[str, str] | None:
    if latest is None:
        return None
    age = ANCHOR - latest
    if age <= timedelta(days=window):
        status = "realized" if age <= timedelta(days=7) else "existing"
        return {"status": status, "lastQualificationTime": _iso(latest)}
    left = latest + timedelta(days=window)
    if ANCHOR - left <= timedelta(days=30):
        return {"status": "exited", "lastQualificationTime": _iso(left)}
    return None


def _expected(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each email's membership, worked out again from the loyalty records and the events."""
    crm, loyalty, events = (d["batches"][0]["records"] for d in document["tenants"][0]["datasets"])
    by_crm = {r["identityMap"]["crmid"][0]["id"]: r for r in loyalty}
    ecid_email = {
        e["identityMap"]["ecid"][0]["id"]: e["identityMap"]["email"][0]["id"]
        for e in events
        if "email" in e["identityMap"]
    }
    seen: dict[str, datetime] = {}
    bought: dict[str, datetime] = {}
    for event in events:
        email = ecid_email.get(event["identityMap"]["ecid"][0]["id"])
        if email is None:
            continue
        moment = _at(event["timestamp"])
        seen[email] = max(seen.get(email, moment), moment)
        if event["eventType"] == "commerce.purchases":
            bought[email] = max(bought.get(email, moment), moment)
    expected = {}
    for record in crm:
        email, crm_id = record["personalEmail"]["address"], record["identityMap"]["crmid"][0]["id"]
        ups: dict[str, Any] = {}
        member = by_crm.get(crm_id)
        if member is not None:
            updated = member["extSourceSystemAudit"]["lastUpdatedDate"]
            recent = ANCHOR - _at(updated) <= timedelta(days=7)
            if member["loyalty"]["tier"] in ("gold", "platinum"):
                status = "realized" if recent else "existing"
                ups[GOLD_AUDIENCE] = {"status": status, "lastQualificationTime": updated}
            elif member["loyalty"]["tier"] == "silver" and (int(crm_id[4:]) - 100000) % 3 == 1:
                ups[GOLD_AUDIENCE] = {"status": "exited", "lastQualificationTime": updated}
        for audience, latest, window in (
            (VISITORS_AUDIENCE, seen.get(email), 14),
            (PURCHASERS_AUDIENCE, bought.get(email), 30),
        ):
            membership = _recency(latest, window)
            if membership is not None:
                ups[audience] = membership
        expected[email] = ups
    return expected


@pytest.mark.parametrize(("people", "seed"), [(20, 7), (400, 5)])
def test_demo_document__membership_follows_from_the_data(people: int, seed: int) -> None:
    document = demo_document(people, seed=seed)
    crm = document["tenants"][0]["datasets"][0]["batches"][0]["records"]
    got = {r["personalEmail"]["address"]: r.get("segmentMembership", {}).get("ups", {}) for r in crm}
    assert got == _expected(document)
    for record in crm:  # the map, when present, is the record's last key (test_demo.py relies on it)
        assert "segmentMembership" not in record or list(record)[-1] == "segmentMembership"


def test_demo_document__every_audience_has_realized_existing_and_exited_members_over_weeks() -> None:
    crm = demo_document(400, seed=7)["tenants"][0]["datasets"][0]["batches"][0]["records"]
    memberships = [
        (audience, m) for r in crm for audience, m in r.get("segmentMembership", {}).get("ups", {}).items()
    ]
    statuses = Counter((audience, m["status"]) for audience, m in memberships)
    assert {(a, s) for a in AUDIENCES for s in ("realized", "existing", "exited")} == set(statuses)
    assert statuses[(GOLD_AUDIENCE, "exited")] < statuses[(GOLD_AUDIENCE, "existing")]  # a few exits
    times = sorted(_at(m["lastQualificationTime"]) for _, m in memberships)
    assert times[-1] <= ANCHOR
    assert times[-1] - times[0] >= timedelta(days=28)
    assert sum(1 for r in crm if "segmentMembership" not in r) < len(crm)  # most people are in one


def test_generated_document__packed_records_carry_the_same_membership() -> None:
    packed = generated_document(50, seed=3)["tenants"][0]["datasets"][0]["batches"][0]["records"]
    plain = demo_document(50, seed=3)["tenants"][0]["datasets"][0]["batches"][0]["records"]
    assert [r.get("segmentMembership") for r in packed] == [r.get("segmentMembership") for r in plain]
    assert any("segmentMembership" in r for r in packed)


@pytest.mark.parametrize("policy", [DEFAULT_POLICY, PRECEDENCE_POLICY])
def test_demo_world__a_lookup_shows_janes_membership(policy: str) -> None:
    world = demo_world()
    jane = world["tenants"][0]["datasets"][0]["batches"][0]["records"][0]
    store = Store()
    load_document(store, world)
    headers = {
        "Authorization": "Bearer t",
        "x-api-key": "k",
        "x-gw-ims-org-id": DEMO_ORG,
        "x-sandbox-name": "prod",
    }
    params = {
        "schema.name": "_xdm.context.profile",
        "entityId": "jane.doe@example.com",
        "entityIdNS": "email",
        "mergePolicyId": policy,
        "fields": "segmentMembership",
    }
    with TestClient(create_app(store)) as client:
        response = client.get("/data/core/ups/access/entities", params=params, headers=headers)
    assert response.status_code == 200, response.text
    entity = next(iter(response.json().values()))["entity"]
    assert entity == {"segmentMembership": jane["segmentMembership"]}
    assert set(entity["segmentMembership"]["ups"]) <= set(AUDIENCES)
