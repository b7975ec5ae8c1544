"""Entity views: `fields` selection, and the bodies of a record and of an event page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from profile_harness.store.entity_views import UNKNOWN_LAST_MODIFIED, ProfileView, project
from profile_harness.store.merge import MergedEntity
from profile_harness.store.merge_policies import MergePolicy

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


# -- bodies --------------------------------------------------------------------------------------


def _view(schema: str, merged: MergedEntity | None) -> ProfileView:
    policy = MergePolicy(
        "policy-1",
        org="org",
        sandbox="prod",
        schema_name=schema,
        identity_graph="none",
        attribute_merge="timestampOrdered",
    )
    identity = ("email", "jane@example.com")
    return ProfileView(schema, "XID1", identity, merged, policy, frozenset({identity}))


def test_profile_view__an_unknown_identity_is_the_documented_empty_record() -> None:
    body = _view("_xdm.context.profile", None).to_dict(["person"])
    assert body == {
        "entityId": "XID1",
        "sources": [""],
        "entity": {},
        "lastModifiedAt": UNKNOWN_LAST_MODIFIED,
    }


def test_profile_view__a_b2b_record_names_its_policy_and_echoes_the_identity_asked_for() -> None:
    merged = MergedEntity({"accountName": "Acme", "other": 1}, ["ds1"], 0, 1)
    body = _view("_xdm.context.account", merged).to_dict(["accountName"], {"entityId": "a1"})
    assert body == {
        "entityId": "XID1",
        "sources": ["er_m_attr"],
        "entity": {"accountName": "Acme"},
        "lastModifiedAt": "1970-01-01T00:00:00Z",
        "mergePolicy": {"id": "policy-1"},
        "requestedIdentity": {"entityId": "a1"},
    }
