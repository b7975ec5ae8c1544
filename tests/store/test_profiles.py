"""Merged profiles are kept between lookups, and never outlive the data or the rule they were merged by."""

from __future__ import annotations

from typing import Any

from profile_harness.fixtures import load_document
from profile_harness.store import Store
from profile_harness.store.datasets import PROFILE_CLASS, Batch
from profile_harness.store.tenant import Tenant
from tests.conftest import ORG, SANDBOX, policy, profile_dataset, tenant_doc

JANE = ("email", "jane@example.com")


def _tenant() -> Tenant:
    crm = {"identityMap": {"email": [{"id": JANE[1]}]}, "home": {"city": "Paris"}}
    loyalty = {"identityMap": {"email": [{"id": JANE[1]}]}, "home": {"city": "Lyon"}, "points": 5}
    store = Store()
    load_document(
        store,
        tenant_doc(
            datasets=[
                profile_dataset("crm", "2026-11-01T00:00:00Z", crm),
                profile_dataset("loyal", "2026-11-02T00:00:00Z", loyalty),
            ],
            mergePolicies=[policy("pdg", "pdg", "timestampOrdered", default=True)],
        ),
    )
    return store.tenant(ORG, SANDBOX)


def _entity(tenant: Tenant, policy_id: str = "pdg") -> dict[str, Any] | None:
    profiles = tenant.profiles
    view = profiles.view(PROFILE_CLASS, JANE, profiles.policy(PROFILE_CLASS, policy_id), "xid")
    return None if view.merged is None else view.merged.entity


def test_a_lookup_repeated_reads_the_kept_merge() -> None:
    tenant = _tenant()
    first = _entity(tenant)
    assert first is not None and first["home"]["city"] == "Lyon"
    assert _entity(tenant) is first


def test_new_data_is_merged_afresh() -> None:
    tenant = _tenant()
    assert _entity(tenant) is not None
    later = {"identityMap": {"email": [{"id": JANE[1]}]}, "home": {"city": "Nice"}}
    tenant.datasets.add_batch("crm", Batch("late", 1_900_000_000_000, [later]))
    entity = _entity(tenant)
    assert entity is not None and entity["home"]["city"] == "Nice"


def test_a_changed_rule_is_merged_afresh() -> None:
    tenant = _tenant()
    assert _entity(tenant)["home"]["city"] == "Lyon"  # type: ignore[index]
    tenant.merge_policies.create(
        {
            "name": "crm first",
            "schema": {"name": PROFILE_CLASS},
            "identityGraph": {"type": "pdg"},
            "attributeMerge": {"type": "dataSetPrecedence", "order": ["crm", "loyal"]},
        },
        policy_id="crm-first",
    )
    assert _entity(tenant, "crm-first")["home"]["city"] == "Paris"  # type: ignore[index]
    assert _entity(tenant)["home"]["city"] == "Lyon"  # type: ignore[index]


def test_a_deleted_profile_is_gone() -> None:
    tenant = _tenant()
    assert _entity(tenant) is not None
    profiles = tenant.profiles
    assert profiles.delete(JANE, profiles.policy(PROFILE_CLASS, None)) == 2
    assert _entity(tenant) is None
