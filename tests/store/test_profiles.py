"""Profiles: merges kept between lookups (never outliving the data or the rule), and the events a merge
policy reads.
"""

from __future__ import annotations

from typing import Any

import pytest

from profile_harness.errors import NotFound
from profile_harness.seed.fixtures import load_document
from profile_harness.store import Store
from profile_harness.store.clock import xid_for
from profile_harness.store.datasets import EVENT_CLASS, PROFILE_CLASS, Batch
from profile_harness.store.profiles import EventQuery, event_id
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


def test_identity__an_xid_of_nothing_is_404_and_known_identities_are_known() -> None:
    profiles = _tenant().profiles
    with pytest.raises(NotFound, match="entityIdNS"):
        profiles.identity("NoSuchXid", None)
    assert profiles.identity(xid_for(*JANE), None) == JANE
    assert profiles.identity("x@example.com", "Email") == ("email", "x@example.com")
    assert profiles.knows(JANE)
    assert not profiles.knows(("email", "x@example.com"))


def test_a_lookup_repeated_reads_the_kept_merge() -> None:
    tenant = _tenant()
    first = _entity(tenant)
    assert first is not None
    assert first["home"]["city"] == "Lyon"
    assert _entity(tenant) is first


def test_new_data_is_merged_afresh() -> None:
    tenant = _tenant()
    assert _entity(tenant) is not None
    later = {"identityMap": {"email": [{"id": JANE[1]}]}, "home": {"city": "Nice"}}
    tenant.datasets.add_batch("crm", Batch("late", 1_900_000_000_000, [later]))
    entity = _entity(tenant)
    assert entity is not None
    assert entity["home"]["city"] == "Nice"


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


# -- events a merge policy reads (DOC-MP: datasets left out of `order` are not merged) ------------


def _events_tenant(*policies: dict[str, Any]) -> Tenant:
    def event(dataset: str, day: int) -> dict[str, Any]:
        return {
            "_id": f"{dataset}-{day}",
            "timestamp": f"2026-11-0{day}T10:00:00Z",
            "identityMap": {"email": [{"id": JANE[1]}]},
        }

    store = Store()
    load_document(
        store,
        tenant_doc(
            datasets=[
                profile_dataset("crm", "2026-11-01T00:00:00Z", {"identityMap": {"email": [{"id": JANE[1]}]}}),
                profile_dataset(
                    "web", "2026-11-05T00:00:00Z", event("web", 1), event("web", 2), cls=EVENT_CLASS
                ),
                profile_dataset("app", "2026-11-05T00:00:00Z", event("app", 3), cls=EVENT_CLASS),
            ],
            mergePolicies=[policy("ts", "pdg", "timestampOrdered", default=True), *policies],
        ),
    )
    return store.tenant(ORG, SANDBOX)


def _event_ids(tenant: Tenant, policy_id: str) -> list[str]:
    profiles = tenant.profiles
    chosen = profiles.policy(PROFILE_CLASS, policy_id)
    related = profiles.related(JANE, chosen)
    page = profiles.events(related, "xid", EventQuery(), policy=chosen)
    fragments = profiles.event_fragments(related, chosen)
    assert sorted(event_id(f) for f in fragments) == sorted(e[0] for e in page.events)
    return [e[0] for e in page.events]


def test_events__dataset_precedence_reads_only_the_event_datasets_it_lists() -> None:
    tenant = _events_tenant(policy("dp", "pdg", "dataSetPrecedence", order=["crm", "app"]))
    assert _event_ids(tenant, "dp") == ["app-3"]
    assert _event_ids(tenant, "ts") == ["web-1", "web-2", "app-3"]  # timestampOrdered reads every dataset


def test_events__an_order_that_names_no_event_dataset_reads_them_all() -> None:
    tenant = _events_tenant(policy("dp", "pdg", "dataSetPrecedence", order=["crm", "gone"]))
    assert _event_ids(tenant, "dp") == ["web-1", "web-2", "app-3"]
