"""Audience membership in fixtures: the schema checks its shape, lookups show it merged."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from starlette.testclient import TestClient

from profile_harness.app import create_app
from profile_harness.seed.fixtures import FixtureError, dump_state, load_document
from profile_harness.store import Store
from tests.conftest import HEADERS, policy, profile_dataset, tenant_doc

GOLD = "52c26d0d-45f2-47a2-ab30-ed06abc981ff"
LAPSED = "7a93d2ff-a220-4bae-9a4e-5f3c35032be3"
JANE = {"email": [{"id": "jane@example.com", "primary": True}], "crmid": [{"id": "C1"}]}


def _world() -> dict[str, Any]:
    crm = {
        "identityMap": JANE,
        "person": {"name": {"firstName": "Jane"}},
        "segmentMembership": {
            "ups": {
                GOLD: {"status": "realized", "lastQualificationTime": "2024-03-01T10:00:00Z"},
                LAPSED: {"status": "realized", "lastQualificationTime": "2024-01-05T10:00:00Z"},
            }
        },
    }
    loyalty = {
        "identityMap": {"loyaltyid": [{"id": "L1", "primary": True}], "crmid": [{"id": "C1"}]},
        "segmentMembership": {
            "ups": {LAPSED: {"status": "exited", "lastQualificationTime": "2024-02-11T08:30:00.250Z"}},
            "AAM": {
                "98765": {
                    "status": "existing",
                    "lastQualificationTime": "2024-02-01T00:00:00+01:00",
                    "validUntil": "2024-03-01T00:00:00Z",
                    "version": "15",
                    "payload": {"payloadType": "propensity", "payloadPropensityValue": 0.8},
                }
            },
        },
    }
    return tenant_doc(
        datasets=[
            profile_dataset("crm", "2024-03-02T00:00:00Z", crm),
            profile_dataset("loyalty", "2024-03-03T00:00:00Z", loyalty),
        ],
        mergePolicies=[policy("p1", "pdg", "timestampOrdered", default=True)],
    )


def _membership(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["tenants"][0]["datasets"][1]["batches"][0]["records"][0]["segmentMembership"]  # type: ignore[no-any-return]


def test_fixtures__membership_map_loads_and_dumps_back():
    store = Store()
    load_document(store, _world())
    dumped = dump_state(store)
    assert _membership(dumped) == _membership(_world())
    again = Store()
    load_document(again, copy.deepcopy(dumped))
    assert dump_state(again) == dumped


@pytest.mark.parametrize(
    ("change", "place"),
    [
        (lambda m: m["ups"][LAPSED].update(status="qualified"), "status"),
        (lambda m: m["ups"][LAPSED].update(lastQualificationTime="last week"), "lastQualificationTime"),
        (lambda m: m["ups"][LAPSED].pop("lastQualificationTime"), "lastQualificationTime"),
        (lambda m: m["AAM"]["98765"].update(validUntil="2024-03-01"), "validUntil"),
        (lambda m: m["AAM"]["98765"]["payload"].update(payloadType="vector"), "payloadType"),
        (lambda m: m["ups"][LAPSED].update(stauts="exited"), "stauts"),
        (lambda m: m.update(ups=[LAPSED]), "ups"),
    ],
)
def test_fixtures__a_malformed_membership_is_refused_naming_the_place(change: Any, place: str) -> None:
    doc = _world()
    change(_membership(doc))
    store = Store()
    with pytest.raises(FixtureError) as raised:
        load_document(store, doc, "world.yaml")
    message = str(raised.value)
    assert message.startswith("world.yaml: "), message
    assert "segmentMembership" in message, message
    assert place in message, message
    assert dump_state(store) == {"tenants": []}  # nothing loaded


def test_lookup__fields_segment_membership_shows_the_merged_map():
    store = Store()
    load_document(store, _world())
    params = {
        "schema.name": "_xdm.context.profile",
        "entityId": "jane@example.com",
        "entityIdNS": "email",
        "fields": "segmentMembership",
    }
    with TestClient(create_app(store)) as client:
        response = client.get("/data/core/ups/access/entities", params=params, headers=HEADERS)
        assert response.status_code == 200, response.text
        entity = next(iter(response.json().values()))["entity"]
        one = client.get(
            "/data/core/ups/access/entities",
            params=params | {"fields": f"segmentMembership.ups.{GOLD}"},
            headers=HEADERS,
        ).json()
    assert set(entity) == {"segmentMembership"}  # only the selected field
    assert entity["segmentMembership"] == {
        "ups": {
            GOLD: {"status": "realized", "lastQualificationTime": "2024-03-01T10:00:00Z"},
            # the loyalty fragment is later (ingested a day after the CRM one): its exit wins
            LAPSED: {"status": "exited", "lastQualificationTime": "2024-02-11T08:30:00.250Z"},
        },
        "AAM": _membership(_world())["AAM"],
    }
    assert next(iter(one.values()))["entity"] == {
        "segmentMembership": {"ups": {GOLD: entity["segmentMembership"]["ups"][GOLD]}}
    }


# -- audiences defined by a condition ---------------------------------------------------------------

LOYAL = "0d5e7a1c-6b2f-4c3d-9e8f-1a2b3c4d5e6f"


def _loyalty_world(*audiences: dict[str, Any]) -> dict[str, Any]:
    people = [
        ("ann@example.com", "C1", 250, "FR"),
        ("bob@example.com", "C2", 100, "FR"),
        ("cat@example.com", "C3", 101, "US"),
        ("dan@example.com", "C4", None, "FR"),
    ]
    crm = [
        {
            "identityMap": {"email": [{"id": email, "primary": True}], "crmid": [{"id": crm_id}]},
            "homeAddress": {"countryCode": country},
        }
        for email, crm_id, _, country in people
    ]
    loyalty = [
        {"identityMap": {"crmid": [{"id": crm_id, "primary": True}]}, "loyalty": {"points": points}}
        for _, crm_id, points, _ in people
        if points is not None
    ]
    return tenant_doc(
        datasets=[
            profile_dataset("crm", "2024-03-02T00:00:00Z", *crm),
            profile_dataset("loyalty", "2024-03-03T00:00:00Z", *loyalty),
        ],
        mergePolicies=[
            policy("p1", "pdg", "timestampOrdered", default=True),
            policy("p2", "none", "timestampOrdered"),
        ],
        audiences=list(audiences),
    )


def _members(client: TestClient, email: str) -> dict[str, Any]:
    response = client.get(
        "/data/core/ups/access/entities",
        params={
            "schema.name": "_xdm.context.profile",
            "entityId": email,
            "entityIdNS": "email",
            "fields": "segmentMembership",
        },
        headers=HEADERS,
    )
    assert response.status_code == 200, response.text
    return next(iter(response.json().values()))["entity"].get("segmentMembership", {})  # type: ignore[no-any-return]


def test_fixtures__an_audience_condition_gives_realized_members_at_load_time():
    store = Store()
    store.clock.freeze(1_717_243_200_000)  # 2024-06-01T12:00:00Z
    load_document(
        store,
        _loyalty_world(
            {"id": LOYAL, "name": "More than 100 points", "condition": "loyalty.points > 100"},
            {
                "id": "french-loyal",
                "namespace": "crm",
                "condition": 'loyalty.points >= 100 and homeAddress.countryCode = "FR"',
            },
        ),
    )
    realized = {"status": "realized", "lastQualificationTime": "2024-06-01T12:00:00Z"}
    with TestClient(create_app(store)) as client:
        assert _members(client, "ann@example.com") == {
            "ups": {LOYAL: realized},
            "crm": {"french-loyal": realized},
        }
        assert _members(client, "bob@example.com") == {"crm": {"french-loyal": realized}}
        assert _members(client, "cat@example.com") == {"ups": {LOYAL: realized}}
        assert _members(client, "dan@example.com") == {}


def test_fixtures__an_audience_under_a_policy_without_stitching_sees_less():
    store = Store()
    # Under p2 (no identity graph) the CRM record alone has no points: nobody qualifies by email.
    load_document(
        store, _loyalty_world({"id": LOYAL, "condition": "loyalty.points > 100", "mergePolicyId": "p2"})
    )
    with TestClient(create_app(store)) as client:
        assert (
            _members(client, "ann@example.com")["ups"][LOYAL]["status"] == "realized"
        )  # via her loyalty record
        assert _members(client, "dan@example.com") == {}
    members = [
        r
        for d in dump_state(store)["tenants"][0]["datasets"]
        for b in d["batches"]
        for r in b["records"]
        if "segmentMembership" in r
    ]
    assert members == []  # the memberships dataset is not dumped: its definitions are


def test_fixtures__audiences_dump_as_definitions_and_load_back_alike():
    store = Store()
    store.clock.freeze(1_717_243_200_000)
    load_document(store, _loyalty_world({"id": LOYAL, "condition": "loyalty.points > 100"}))
    dumped = dump_state(store)
    assert dumped["tenants"][0]["audiences"] == [
        {"id": LOYAL, "namespace": "ups", "condition": "loyalty.points > 100"}
    ]
    assert [d["id"] for d in dumped["tenants"][0]["datasets"]] == ["crm", "loyalty"]
    again = Store()
    again.clock.freeze(1_717_243_200_000)
    load_document(again, copy.deepcopy(dumped))
    assert dump_state(again) == dumped
    with TestClient(create_app(again)) as client:
        assert LOYAL in _members(client, "cat@example.com")["ups"]


@pytest.mark.parametrize(
    ("audience", "place"),
    [
        ({"id": LOYAL, "condition": "loyalty.points >"}, "tenants[0].audiences[0].condition"),
        (
            {"id": LOYAL, "condition": 'xEvent[eventType = "a"].count() > 1'},
            "tenants[0].audiences[0].condition",
        ),
        (
            {"id": LOYAL, "condition": "loyalty.points > 1", "mergePolicyId": "nope"},
            "tenants[0].audiences[0].mergePolicyId",
        ),
        ({"id": LOYAL, "condition": ""}, "condition"),
        ({"id": LOYAL, "condition": "a = 1", "members": []}, "members"),
    ],
)
def test_fixtures__an_audience_that_cannot_be_evaluated_is_refused_naming_it(
    audience: dict[str, Any], place: str
) -> None:
    store = Store()
    with pytest.raises(FixtureError) as raised:
        load_document(store, _loyalty_world(audience), "world.yaml")
    assert str(raised.value).startswith("world.yaml: "), str(raised.value)
    assert place in str(raised.value), str(raised.value)
    assert dump_state(store) == {"tenants": []}  # nothing loaded


def test_fixtures__an_audience_defined_twice_is_refused():
    store = Store()
    doc = _loyalty_world(
        {"id": LOYAL, "condition": "loyalty.points > 1"}, {"id": LOYAL, "condition": "loyalty.points > 2"}
    )
    with pytest.raises(FixtureError, match=r"audiences\[1\]\.id: audience .* is defined twice"):
        load_document(store, doc)
