"""The demo generator: packed as it goes, and the same world the dict generator made, seed for seed."""

from __future__ import annotations

import json

import pytest

from profile_harness.seed.demo import demo_document, generate_records, generated_document
from profile_harness.store.datasets import identities_of
from profile_harness.store.records import PackedRecords, identity_key
from tests.seed import demo_reference


@pytest.mark.parametrize(("people", "seed"), [(1, 7), (20, 7), (20, 3), (700, 7), (2500, 11)])
def test_demo_document__same_world_as_the_dict_generator(people: int, seed: int) -> None:
    made = demo_document(people, seed=seed)
    reference = demo_reference.demo_document(people, seed=seed)
    # The reference predates audience membership (tested on its own in test_demo_audiences.py): the
    # generator appends it as the CRM records' last key, so without it the records are the reference's.
    for record in made["tenants"][0]["datasets"][0]["batches"][0]["records"]:
        record.pop("segmentMembership", None)
    # Key order matters too (merges keep it): compare the JSON text, not only the dicts.
    assert json.dumps(made) == json.dumps(reference)


def test_generated_document__packed_records_hold_the_demo_world() -> None:
    packed = generated_document(300, seed=5)
    plain = demo_document(300, seed=5)
    for packed_set, plain_set in zip(
        packed["tenants"][0]["datasets"], plain["tenants"][0]["datasets"], strict=True
    ):
        records = packed_set["batches"][0]["records"]
        assert isinstance(records, PackedRecords)
        assert list(records) == plain_set["batches"][0]["records"]
    assert {k: v for k, v in packed["tenants"][0].items() if k != "datasets"} == {
        k: v for k, v in plain["tenants"][0].items() if k != "datasets"
    }


def test_generate_records__identity_keys_are_those_of_the_records() -> None:
    for records in generate_records(150, seed=2):
        rows = records.identity_rows()
        expected = [
            (identity_key(identity), position, slot)
            for position, record in enumerate(records)
            for slot, identity in enumerate(identities_of(record))
        ]
        got = sorted(zip(rows.keys.tolist(), rows.records.tolist(), rows.slots.tolist(), strict=True))
        assert got == sorted(expected)


def test_generate_records__events_ordered_by_time() -> None:
    _, _, events = generate_records(400, seed=9)
    stamps = [event["timestamp"] for event in events]
    assert stamps == sorted(stamps)


# Adobe's create examples (DOC-CA-OLD, DOC-CA) with their placeholders filled in; the current API's
# cut-short expression is completed from its own response (spec/DECISIONS.md).
LEGACY_CREATES = [
    {
        "name": "birthdayCurrentMonth",
        "path": "_{TENANT_ID}",
        "description": "Computed attribute to capture if the customer birthday is in the current month.",
        "expression": {
            "type": "PQL",
            "format": "pql/text",
            "value": "person.birthDate.getMonth() = currentMonth()",
        },
        "schema": {"name": "_xdm.context.profile"},
    },
    {
        "name": "averageSpend",
        "path": "_{TENANT_ID}.purchaseSummary",
        "description": (
            "Computed attribute to capture the average dollar amount that a customer spends on each purchase."
        ),
        "expression": {
            "type": "PQL",
            "format": "pql/text",
            "value": "_{TENANT_ID}.purchaseSummary.totalSpend/_{TENANT_ID}.purchaseSummary.countPurchases",
        },
        "schema": {"name": "_xdm.context.profile"},
    },
]
CURRENT_CREATE = {
    "name": "testing",
    "displayName": "Sample Display Name",
    "description": "Sample Description",
    "expression": {
        "type": "PQL",
        "format": "pql/text",
        "value": "xEvent[(commerce.checkouts.value > 0.0 or commerce.purchases.value > 1.0 or "
        "commerce.order.priceTotal >= 10.0) and (timestamp occurs <= 7 days before now)]"
        ".sum(commerce.order.priceTotal)",
    },
    "keepCurrent": False,
    "duration": {"count": 4, "unit": "DAYS"},
    "status": "DRAFT",
}


def test_demo_world__holds_what_the_computed_attribute_examples_need() -> None:
    from starlette.testclient import TestClient

    from profile_harness.app import create_app
    from profile_harness.seed.demo import DEMO_ORG, demo_world
    from profile_harness.seed.fixtures import load_document
    from profile_harness.store import Store
    from profile_harness.store.computed.attributes import tenant_namespace

    store = Store()
    load_document(store, demo_world())
    headers = {
        "Authorization": "Bearer t",
        "x-api-key": "k",
        "x-gw-ims-org-id": DEMO_ORG,
        "x-sandbox-name": "prod",
    }
    tenant_id = tenant_namespace(DEMO_ORG)
    with TestClient(create_app(store)) as client:
        for example in LEGACY_CREATES:
            body = json.loads(json.dumps(example).replace("{TENANT_ID}", tenant_id))
            response = client.post("/data/core/ups/config/computedAttributes", json=body, headers=headers)
            assert response.status_code == 200, (example["name"], response.text)
        listed = client.get("/data/core/ups/config/computedAttributes", headers=headers).json()
        created_here = {example["name"] for example in LEGACY_CREATES}
        assert [a["returnSchema"] for a in listed["children"] if a["name"] in created_here] == [
            {"meta:xdmType": "boolean"},
            {"meta:xdmType": "number"},
        ]
        # The demo's own legacy attributes fill fields no documented example creates.
        assert {a["name"] for a in listed["children"]} - created_here == {"countPurchases", "hasPurchased"}
        created = client.post("/data/core/ca/attributes", json=CURRENT_CREATE, headers=headers)
        assert created.status_code == 200, created.text


def test_demo_world__the_demo_people_with_birth_dates_and_purchase_summaries() -> None:
    from profile_harness.seed.demo import demo_world
    from profile_harness.store.computed.attributes import tenant_namespace

    world = demo_world()
    plain = demo_document(20)
    crm, plain_crm = (w["tenants"][0]["datasets"][0]["batches"][0]["records"] for w in (world, plain))
    assert len(crm) == len(plain_crm) == 20
    jane = crm[0]
    assert jane["person"]["birthDate"] == "1988-06-14"
    summary = jane[f"_{tenant_namespace(world['tenants'][0]['org'])}"]
    assert summary["birthdayCurrentMonth"] is True  # June, the month of the demo's clock
    assert summary["purchaseSummary"]["countPurchases"] >= 1
    assert summary["purchaseSummary"]["averageSpend"] == pytest.approx(
        summary["purchaseSummary"]["totalSpend"] / summary["purchaseSummary"]["countPurchases"], abs=0.01
    )
    # Everything else is the generated demo world, unchanged.
    for record, original in zip(crm, plain_crm, strict=True):
        trimmed = {k: v for k, v in record.items() if not k.startswith("_")}
        trimmed["person"] = {k: v for k, v in record["person"].items() if k != "birthDate"}
        assert trimmed == original
    assert world["tenants"][0]["datasets"][1:3] == plain["tenants"][0]["datasets"][1:]
