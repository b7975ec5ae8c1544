"""Fixture documents: errors name the place, nothing is half-loaded, a dump loads back unchanged."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from profile_harness.seed.demo import demo_document
from profile_harness.seed.fixtures import FixtureError, dump_state, load_document, load_files
from profile_harness.store import Store
from profile_harness.store.merge_policies import PLATFORM_DEFAULT_ID
from tests.conftest import ORG, SANDBOX, policy, profile_dataset, tenant_doc

GOOD = tenant_doc(
    datasets=[profile_dataset("crm", "2024-05-01T10:00:00Z", {"identityMap": {"email": [{"id": "a@b.c"}]}})],
    mergePolicies=[policy("p1", "pdg", "timestampOrdered", default=True)],
)


def test_load__dump_loads_back_unchanged():
    store = Store()
    load_document(store, demo_document(20))
    dumped = dump_state(store)
    again = Store()
    load_document(again, copy.deepcopy(dumped))
    assert dump_state(again) == dumped


def test_load__system_jobs_flavour_is_the_tenants_and_dumps_back():
    store = Store()
    doc = copy.deepcopy(GOOD)
    doc["tenants"][0]["systemJobsFlavor"] = "aws"
    load_document(store, doc)
    assert store.tenant(ORG, SANDBOX).system_jobs.flavor == "aws"
    dumped = dump_state(store)
    assert dumped["tenants"][0]["systemJobsFlavor"] == "aws"
    again = Store()
    load_document(again, copy.deepcopy(dumped))
    assert dump_state(again) == dumped
    # a later document that does not say keeps the tenant's flavour; one that says changes it
    load_document(store, tenant_doc(mergePolicies=[]))
    assert store.tenant(ORG, SANDBOX).system_jobs.flavor == "aws"
    load_document(store, tenant_doc(systemJobsFlavor="azure"))
    assert store.tenant(ORG, SANDBOX).system_jobs.flavor == "azure"
    # without a server default, a tenant that never said dumps no flavour
    assert "systemJobsFlavor" not in dump_state(_loaded(GOOD))["tenants"][0]


def _loaded(document: dict[str, object]) -> Store:
    store = Store()
    load_document(store, copy.deepcopy(document))
    return store


def test_load__schema_error_names_the_place():
    bad = copy.deepcopy(GOOD)
    bad["tenants"][0]["datasets"][0]["batches"][0]["ingestedAt"] = "yesterday"
    with pytest.raises(
        FixtureError, match=r"seed\.yaml: tenants\[0\]\.datasets\[0\]\.batches\[0\]\.ingestedAt"
    ):
        load_document(Store(), bad, "seed.yaml")


def test_load__rule_error_names_the_place_and_loads_nothing():
    store = Store()
    bad = copy.deepcopy(GOOD)
    bad["tenants"][0]["mergePolicies"].append(policy("p2", "none", "timestampOrdered", default=True))
    bad["tenants"].append(
        {
            "org": "OTHER1@AdobeOrg",
            "sandbox": "prod",
            "mergePolicies": [policy("x", "pdg", "timestampOrdered")],
        }
    )
    with pytest.raises(FixtureError, match=r"tenants\[0\]\.mergePolicies\[1\]\.default"):
        load_document(store, bad)
    assert dump_state(store) == {"tenants": []}


def test_load__into_existing_tenant_refuses_duplicates_atomically():
    store = Store()
    load_document(store, GOOD)
    before = dump_state(store)
    with pytest.raises(FixtureError, match="dataset crm exists already"):
        load_document(store, GOOD)
    assert dump_state(store) == before


def test_load_files__yaml_and_json(tmp_path: Path):
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(GOOD))
    store = Store()
    load_files(store, [path])
    assert store.tenant(ORG, SANDBOX).datasets.find("crm") is not None
    broken = tmp_path / "broken.yaml"
    broken.write_text("tenants: [")
    with pytest.raises(FixtureError, match=r"broken\.yaml: is not valid YAML"):
        load_files(store, [broken])


def test_admin_fixtures__yaml_body_and_error_shape(client):  # type: ignore[no-untyped-def]
    response = client.post(
        "/__admin/fixtures", content=yaml.safe_dump(GOOD), headers={"content-type": "application/yaml"}
    )
    assert response.status_code == 200
    assert response.json() == {"loaded": [{"org": ORG, "sandbox": SANDBOX}]}
    bad = client.post("/__admin/fixtures", json={"tenants": [{"org": "nope", "sandbox": "prod"}]})
    assert bad.status_code == 400
    assert "tenants.0.org" in bad.json()["detail"]  # the admin API's schema states the tenant level
    state = client.get("/__admin/state", params={"org": ORG}).json()
    assert [t["sandbox"] for t in state["tenants"]] == [SANDBOX]


def test_admin_reset__one_tenant(client, headers):  # type: ignore[no-untyped-def]
    client.post("/__admin/fixtures", json=GOOD)
    other = {
        "tenants": [
            {
                "org": "OTHER1@AdobeOrg",
                "sandbox": "prod",
                "mergePolicies": [policy("x", "pdg", "timestampOrdered")],
            }
        ]
    }
    client.post("/__admin/fixtures", json=other)
    assert client.post("/__admin/reset", params={"org": ORG}).json() == {"tenantsReset": 1}
    assert [t["org"] for t in client.get("/__admin/state").json()["tenants"]] == ["OTHER1@AdobeOrg"]


def test_admin_requests__journal_records_and_clears(client, headers):  # type: ignore[no-untyped-def]
    client.delete("/__admin/requests")
    client.get("/data/core/ups/config/mergePolicies", headers=headers)
    client.get("/data/core/ups/config/mergePolicies")
    entries = client.get("/__admin/requests").json()["requests"]
    assert [(e["status"], e["operationId"]) for e in entries] == [(200, "getMany"), (403, None)]
    assert entries[0]["org"] == headers["x-gw-ims-org-id"]
    assert client.delete("/__admin/requests").json() == {"cleared": 2}
    assert client.get("/__admin/requests").json()["requests"] == []


def test_demo_document__stitching_matters():
    store = Store()
    load_document(store, demo_document(20))
    tenant = next(iter(store.tenants()))
    profiles = tenant.profiles
    jane = ("email", "jane.doe@example.com")
    stitched = profiles.view("_xdm.context.profile", jane, profiles.policy("_xdm.context.profile", None), "x")
    assert stitched.merged is not None
    assert len(stitched.merged.sources) == 2
    assert stitched.merged.entity["homeAddress"]["city"] == "Lyon"
    assert len(list(tenant.datasets.fragments("_xdm.context.experienceevent"))) > 40


def test_load__merge_policies_key_decides_platforms_default():
    store = Store()
    datasets_only = tenant_doc(datasets=GOOD["tenants"][0]["datasets"])
    load_document(store, datasets_only)
    assert [p.id for p in store.tenant(ORG, SANDBOX).merge_policies.all()] == [PLATFORM_DEFAULT_ID]
    load_document(store, tenant_doc(mergePolicies=[policy("p1", "pdg", "timestampOrdered", default=True)]))
    assert [p.id for p in store.tenant(ORG, SANDBOX).merge_policies.all()] == ["p1"]  # listed: exactly these
    empty = Store()
    load_document(empty, tenant_doc(mergePolicies=[]))
    assert empty.tenant(ORG, SANDBOX).merge_policies.all() == []
    dumped = dump_state(empty)
    again = Store()
    load_document(again, copy.deepcopy(dumped))
    assert dump_state(again) == dumped  # an empty list loads back as no policies
    fresh = Store()
    fresh.tenant(ORG, SANDBOX)  # first touched by a request: Platform's default
    dumped = dump_state(fresh)
    again = Store()
    load_document(again, copy.deepcopy(dumped))
    assert dump_state(again) == dumped


def _attribute_doc(**attribute: object) -> dict[str, object]:
    body = {
        "name": "weeklySpend",
        "displayName": "Weekly spend",
        "description": "Spend in the last week",
        "expression": {"type": "PQL", "format": "pql/text", "value": "xEvent.sum(commerce.order.priceTotal)"},
        "duration": {"count": 7, "unit": "DAYS"},
        "status": "DRAFT",
        **attribute,
    }
    return tenant_doc(computedAttributes=[body])


def test_load__computed_attributes_with_their_ids():
    store = Store()
    load_document(store, _attribute_doc(id="11111111-2222-4333-8444-555555555555"))
    attribute = store.tenant(ORG, SANDBOX).computed_attributes.get("11111111-2222-4333-8444-555555555555")
    assert (attribute.name, attribute.status) == ("weeklySpend", "DRAFT")


def test_load__a_computed_attribute_the_api_refuses_names_the_place_and_loads_nothing():
    store = Store()
    with pytest.raises(FixtureError) as caught:
        load_document(
            store, _attribute_doc(expression={"type": "PQL", "format": "pql/text", "value": "1 + 1"})
        )
    assert "tenants[0].computedAttributes[0]" in str(caught.value)
    assert store.tenants() == []


def test_load__a_legacy_attribute_needs_its_field_in_the_records():
    store = Store()
    doc = tenant_doc(
        legacyComputedAttributes=[
            {
                "name": "nowhere",
                "path": "_acme",
                "expression": {"type": "PQL", "format": "pql/text", "value": "xEvent.count()"},
                "schema": {"name": "_xdm.context.profile"},
            }
        ]
    )
    with pytest.raises(FixtureError) as caught:
        load_document(store, doc)
    assert "tenants[0].legacyComputedAttributes[0]" in str(caught.value)
    assert "_acme.nowhere" in str(caught.value)


# -- issue 17, point 5: everything a tenant holds is in the dump and loads back to an equal dump ----

UNION_REF = {
    "id": "https://ns.adobe.com/xdm/context/profile__union",
    "contentType": "application/vnd.adobe.xed+json;version=1",
}
ROUND_TRIP_WORLD = tenant_doc(
    datasets=[
        profile_dataset(
            "crm",
            "2024-05-01T10:00:00Z",
            {"identityMap": {"email": [{"id": "jane@x.com"}]}, "_acme": {"summary": {"total": 1.5}}},
        ),
        profile_dataset(
            "web",
            "2024-06-02T10:00:00Z",
            {
                "_id": "e1",
                "timestamp": "2024-06-02T09:00:00Z",
                "identityMap": {"email": [{"id": "jane@x.com"}]},
                "eventType": "commerce.purchases",
                "commerce": {"order": {"priceTotal": 5}},
            },
            cls="_xdm.context.experienceevent",
        ),
    ],
)


def _world_of_everything(client, headers):  # type: ignore[no-untyped-def]
    """A tenant built through the API with one of everything (each call checked)."""
    assert client.post("/__admin/fixtures", json=ROUND_TRIP_WORLD).status_code == 200
    assert (
        client.post("/__admin/clock", json={"freeze": True, "at": "2024-07-01T00:00:00Z"}).status_code == 200
    )
    assert client.put("/__admin/job-timing", json={"export": "reads:2"}).status_code == 200
    created = client.post(
        "/data/foundation/catalog/dataSets", headers=headers, json={"name": "Export", "schemaRef": UNION_REF}
    )
    dataset_id = created.json()[0].rsplit("/", 1)[1]
    export = {"schema": {"name": "_xdm.context.profile"}, "destination": {"datasetId": dataset_id}}
    jobs = "/data/core/ups/export/jobs"
    finished = client.post(jobs, headers=headers, json={**export, "fields": "identityMap"}).json()["id"]
    cancelled = client.post(jobs, headers=headers, json=export).json()["id"]
    running = client.post(jobs, headers=headers, json=export).json()["id"]
    for _ in range(2):
        client.get(f"{jobs}/{finished}", headers=headers)
    assert client.get(f"{jobs}/{finished}", headers=headers).json()["status"] == "SUCCEEDED"
    assert client.get(f"{jobs}/{running}", headers=headers).json()["status"] == "PROCESSING"
    assert client.delete(f"{jobs}/{cancelled}", headers=headers).status_code in (200, 204)
    deleted = client.post("/data/core/ups/system/jobs", headers=headers, json={"dataSetId": "web"})
    assert deleted.status_code in (200, 201), deleted.text
    ca = {
        "name": "spent",
        "displayName": "Spent",
        "description": "7 days",
        "expression": {
            "type": "PQL",
            "format": "pql/text",
            "value": 'xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal)',
        },
        "duration": {"count": 7, "unit": "DAYS"},
        "status": "NEW",
    }
    assert client.post("/data/core/ca/attributes", headers=headers, json=ca).status_code in (200, 201)
    client.post("/__admin/clock", json={"advance": "2s"})
    assert client.get("/data/core/ca/attributes", headers=headers).status_code == 200
    legacy = {
        "name": "total",
        "path": "_acme.summary",
        "description": "total",
        "expression": {"type": "PQL", "format": "pql/text", "value": 'xEvent[eventType = "a"].sum(x)'},
        "schema": {"name": "_xdm.context.profile"},
    }
    assert (
        client.post("/data/core/ups/config/computedAttributes", headers=headers, json=legacy).status_code
        == 200
    )
    vendor = "application/vnd.adobe.platform.projection{}+json; version=1"
    destination = client.post(
        "/data/core/ups/config/destinations",
        headers={**headers, "Content-Type": vendor.format("Destination")},
        json={"type": "EDGE", "dataCenters": ["OR1"]},
    ).json()["id"]
    projection = client.post(
        "/data/core/ups/config/projections",
        headers={**headers, "Content-Type": vendor.format("Config")},
        params={"schemaName": "_xdm.context.profile"},
        json={"selector": "person.name", "destinationId": destination, "name": "names"},
    )
    assert projection.status_code in (200, 201), projection.text


def test_dump__a_tenant_with_everything_loads_back_to_an_equal_dump(client, headers):  # type: ignore[no-untyped-def]
    _world_of_everything(client, headers)
    dumped = client.get("/__admin/state").json()
    (tenant,) = dumped["tenants"]
    for key in ("computedAttributes", "legacyComputedAttributes", "edgeDestinations", "edgeProjections"):
        assert len(tenant[key]) == 1, key
    assert [j["job"]["state"] for j in tenant["exportJobs"]] == ["SUCCEEDED", "PROCESSING"]
    assert tenant["nextExportJobId"] == tenant["exportJobs"][-1]["id"] + 1
    statuses = {b["status"] for d in tenant["datasets"] for b in d["batches"]}
    assert "aborted" in statuses
    assert any(b.get("files") for d in tenant["datasets"] for b in d["batches"])
    assert len(tenant["systemJobs"]) == 1
    assert dumped["clock"] == {"frozen": True, "atMs": 1719792002000}

    fresh = Store()
    load_document(fresh, copy.deepcopy(dumped))
    assert dump_state(fresh, system_jobs_flavor="azure") == dumped
    client.post("/__admin/reset")
    assert client.post("/__admin/fixtures", json=dumped).status_code == 200
    assert client.get("/__admin/state").json() == dumped


def test_dump__restored_jobs_go_on_where_they_were(client, headers):  # type: ignore[no-untyped-def]
    _world_of_everything(client, headers)
    before = client.get("/data/core/ups/export/jobs", headers=headers).json()
    dumped = client.get("/__admin/state").json()
    client.post("/__admin/reset")
    client.post("/__admin/fixtures", json=dumped)
    client.put("/__admin/job-timing", json={"export": "reads:2"})
    after = client.get("/data/core/ups/export/jobs", headers=headers).json()
    assert [j["status"] for j in after["records"]] == ["SUCCEEDED", "SUCCEEDED"]
    assert [j["id"] for j in after["records"]] == [j["id"] for j in before["records"]]
