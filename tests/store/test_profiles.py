"""Profiles: merges kept between lookups (never outliving the data or the rule), `fields` selection, and
the events a merge policy reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from profile_harness.seed.fixtures import load_document
from profile_harness.store import Store
from profile_harness.store.datasets import EVENT_CLASS, PROFILE_CLASS, Batch
from profile_harness.store.profiles import EventQuery, event_id, project
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


# -- fields: the selector rules (DOC-EP "Selectors"; DOC-ENT `fields`) --------------------------

PERSON = {
    "identities": [
        {"id": "jane@example.com", "namespace": {"code": "email"}, "primary": True},
        {"id": "111", "namespace": {"code": "ecid"}},
    ],
    "identityMap": {"email": [{"id": "jane@example.com", "primary": True}], "ecid": [{"id": "111"}]},
    "person": {
        "name": {"firstName": "Jane", "lastName": "Doe"},
        "phones": [{"number": "+33 1", "type": "home"}, {"type": "work"}, {"number": "+33 2"}],
    },
    "addresses": [
        {"type": "home", "street1": "1 rue", "city": {"name": "Paris", "country": "France"}},
        {"type": "work", "street1": "2 rue", "city": {"name": "Lyon", "country": "France"}},
    ],
}


def test_project__a_path_into_an_array_selects_that_part_of_every_element() -> None:
    assert project(PERSON, ["identities.id"]) == {"identities": [{"id": "jane@example.com"}, {"id": "111"}]}
    # An element without the field has nothing selected and is left out.
    assert project(PERSON, ["person.phones.number"]) == {
        "person": {"phones": [{"number": "+33 1"}, {"number": "+33 2"}]}
    }


def test_project__the_documented_selector_examples() -> None:
    assert project(PERSON, ["addresses.city"]) == {
        "addresses": [{"city": a["city"]} for a in PERSON["addresses"]]
    }
    assert project(PERSON, ["addresses.type", "addresses.city.country"]) == {
        "addresses": [
            {"type": "home", "city": {"country": "France"}},
            {"type": "work", "city": {"country": "France"}},
        ]
    }
    assert project(PERSON, ["person.name.lastName", "addresses"]) == {
        "person": {"name": {"lastName": "Doe"}},
        "addresses": PERSON["addresses"],
    }


def test_project__plain_paths_and_maps_keep_working() -> None:
    assert project(PERSON, ["person.name", "identityMap.ecid"]) == {
        "person": {"name": PERSON["person"]["name"]},
        "identityMap": {"ecid": [{"id": "111"}]},
    }
    assert project(PERSON, ["identityMap.email.id"]) == {
        "identityMap": {"email": [{"id": "jane@example.com"}]}
    }
    assert project(PERSON, ["person.name.firstName", "person"]) == {"person": PERSON["person"]}
    assert project(PERSON, ["nothing.here", "person.name.firstName.deeper"]) == {}
    assert project(PERSON, None) is PERSON
    assert project(PERSON, []) is PERSON


_KEYS = st.sampled_from(["a", "b", "c"])
_DOCS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=20,
)
_PATHS = st.lists(_KEYS, min_size=1, max_size=4).map(".".join)


def _values_at(node: Any, parts: list[str]) -> list[Any]:
    """Every value a dotted path reaches, through arrays, in document order."""
    if not parts:
        return [node]
    if isinstance(node, list):
        return [v for element in node for v in _values_at(element, parts)]
    if isinstance(node, dict) and parts[0] in node:
        return _values_at(node[parts[0]], parts[1:])
    return []


def _key_paths(node: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The object-key paths of a document, array positions left out."""
    if isinstance(node, list):
        for element in node:
            yield from _key_paths(element, prefix)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _key_paths(value, (*prefix, key))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _DOCS, max_size=3), st.lists(_PATHS, min_size=1, max_size=3))
def test_project__keeps_exactly_what_the_paths_reach(record: dict[str, Any], fields: list[str]) -> None:
    projected = project(record, fields)
    for path in fields:
        # Everything a selected path reaches is kept, in order ...
        assert _values_at(projected, path.split(".")) == _values_at(record, path.split("."))
    selected = [tuple(path.split(".")) for path in fields]
    for keys in _key_paths(projected):
        # ... and nothing that is neither on the way to a selected field nor inside one.
        assert any(keys[: len(s)] == s or s[: len(keys)] == keys for s in selected)
    assert project(projected, fields) == projected


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
