"""Merge policy store: Platform's default in a new sandbox, kept versions, lookups by class."""

from __future__ import annotations

from typing import Any

import pytest

from profile_harness.errors import BadRequest, NotFound, Unprocessable
from profile_harness.store.clock import Clock, IdSource
from profile_harness.store.merge_policies import KEPT_VERSIONS, PLATFORM_DEFAULT_ID, MergePolicyBackend

PROFILE, ACCOUNT = "_xdm.context.profile", "_xdm.context.account"


def _backend() -> MergePolicyBackend:
    return MergePolicyBackend(
        "ACME0123456789@AdobeOrg", "prod", Clock(frozen_at_ms=1_700_000_000_000), IdSource(1)
    )


def _body(name: str, cls: str = PROFILE, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "schema": {"name": cls},
        "identityGraph": {"type": "none"},
        "attributeMerge": {"type": "timestampOrdered"},
        **extra,
    }


def test_new_backend__holds_platforms_default_until_a_fixture_replaces_it():
    policies = _backend()
    (policy,) = policies.all()
    assert policy.id == PLATFORM_DEFAULT_ID
    assert policy.default
    assert policy.schema_name == PROFILE
    assert policies.default_for(PROFILE) is policy
    assert policies.pristine
    policies.clear_pristine()
    assert policies.all() == []
    assert policies.default_for(PROFILE) is None


def test_clear_pristine__keeps_policies_once_changed():
    policies = _backend()
    policies.patch(PLATFORM_DEFAULT_ID, [{"op": "add", "path": "/name", "value": "Mine"}])
    policies.clear_pristine()
    assert [p.name for p in policies.all()] == ["Mine"]


def test_at_version__earlier_versions_stay_readable():
    policies = _backend()
    policies.patch(PLATFORM_DEFAULT_ID, [{"op": "add", "path": "/identityGraph.type", "value": "pdg"}])
    assert policies.at_version(PLATFORM_DEFAULT_ID, 1).identity_graph == "none"
    assert policies.at_version(PLATFORM_DEFAULT_ID, 2).identity_graph == "pdg"
    with pytest.raises(NotFound, match="has no version 3; versions kept: 1, 2"):
        policies.at_version(PLATFORM_DEFAULT_ID, 3)


def test_at_version__bounded_but_the_first_is_kept():
    policies = _backend()
    for i in range(KEPT_VERSIONS + 10):
        policies.patch(PLATFORM_DEFAULT_ID, [{"op": "add", "path": "/name", "value": f"N{i}"}])
    latest = policies.get(PLATFORM_DEFAULT_ID).version
    assert policies.at_version(PLATFORM_DEFAULT_ID, 1).name == "Profile Default Merge Policy"
    assert (
        policies.at_version(PLATFORM_DEFAULT_ID, latest - KEPT_VERSIONS + 1).version
        == latest - KEPT_VERSIONS + 1
    )
    with pytest.raises(NotFound):
        policies.at_version(PLATFORM_DEFAULT_ID, 2)


def test_losing_default__is_a_new_version_and_leaves_held_versions_alone():
    policies = _backend()
    held = policies.get(PLATFORM_DEFAULT_ID)  # as an export job holds it
    policies.create(_body("New", default=True))
    now = policies.get(PLATFORM_DEFAULT_ID)
    assert not now.default
    assert now.version == 2
    assert held.default
    assert held.version == 1
    assert policies.at_version(PLATFORM_DEFAULT_ID, 1) is held


def test_lookup__refuses_another_class_unknown_ids_and_versions():
    policies = _backend()
    account = policies.create(_body("Accounts", ACCOUNT))
    with pytest.raises(Unprocessable, match=f"is for the class {ACCOUNT} and cannot merge {PROFILE}"):
        policies.lookup(account.id, PROFILE)
    assert policies.lookup(account.id, ACCOUNT) is account
    with pytest.raises(Unprocessable, match="does not exist"):
        policies.lookup("missing", PROFILE)
    with pytest.raises(Unprocessable, match="has no version 4"):
        policies.lookup(PLATFORM_DEFAULT_ID, PROFILE, 4)
    assert policies.lookup(PLATFORM_DEFAULT_ID, PROFILE, 1).version == 1


def test_delete__forgets_the_versions():
    policies = _backend()
    policies.delete(PLATFORM_DEFAULT_ID)
    with pytest.raises(NotFound, match="does not exist"):
        policies.at_version(PLATFORM_DEFAULT_ID, 1)


@pytest.mark.parametrize(
    "data",
    [
        {"o": 0, "f": {"bogus": 1}, "s": "name"},
        {"o": -1, "f": {}, "s": "name"},
        {"o": 0, "f": "x", "s": "name"},
        {"o": 0, "f": {}},
        [1, 2],
    ],
)
def test_page__token_that_could_not_have_been_issued_is_400(data: Any) -> None:
    import base64
    import json

    token = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    with pytest.raises(BadRequest, match="not a page token this service issued"):
        _backend().page(filters={}, start=token)


def test_page__issued_token_reads_the_next_page() -> None:
    policies = _backend()
    for name in ("b", "c"):
        policies.create(_body(name))
    first = policies.page(filters={"schema.name": PROFILE}, limit=2)
    assert [p.name for p in first.policies] == ["b", "c"]
    assert first.next_token is not None
    # The token carries the first call's filters and sort; those of the later call are not read.
    rest = policies.page(filters={"schema.name": ACCOUNT}, limit=2, start=first.next_token)
    assert [p.name for p in rest.policies] == ["Profile Default Merge Policy"]
    assert rest.next_token is None


@pytest.mark.parametrize("value", ["two", True, 1.5, None])
def test_patch__version_takes_an_integer_only(value: Any) -> None:
    policies = _backend()
    with pytest.raises(BadRequest, match="/version"):
        policies.patch(PLATFORM_DEFAULT_ID, [{"op": "add", "path": "/version", "value": value}])
    assert policies.get(PLATFORM_DEFAULT_ID).version == 1


def test_patch__dataset_precedence_without_order_is_422() -> None:
    policies = _backend()
    op = {"op": "add", "path": "/attributeMerge.type", "value": "dataSetPrecedence"}
    with pytest.raises(Unprocessable, match="order"):
        policies.patch(PLATFORM_DEFAULT_ID, [op])
