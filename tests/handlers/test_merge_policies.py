"""Merge policies over HTTP: every documented rule and error (DOC-MP, DOC-MPO, spec/DECISIONS.md)."""

from __future__ import annotations

from typing import Any

import pytest

BASE = "/data/core/ups/config/mergePolicies"


def _body(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "schema": {"name": "_xdm.context.profile"},
        "identityGraph": {"type": "pdg"},
        "attributeMerge": {"type": "timestampOrdered"},
        **extra,
    }


@pytest.fixture
def create(client, headers):  # type: ignore[no-untyped-def]
    client.post("/__admin/reset")

    def make(name: str, **extra: Any) -> dict[str, Any]:
        response = client.post(BASE, headers=headers, json=_body(name, **extra))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    return make


def test_createMergePolicy__returns_the_policy(create, headers):  # type: ignore[no-untyped-def]
    policy = create("A", default=True)
    assert policy["version"] == 1 and policy["default"] is True
    assert policy["imsOrgId"] == headers["x-gw-ims-org-id"]
    assert policy["sandbox"]["sandboxName"] == "prod"
    assert isinstance(policy["updateEpoch"], int)


def test_createMergePolicy__new_default_undefaults_the_old(client, headers, create):  # type: ignore[no-untyped-def]
    first = create("A", default=True)
    second = create("B", default=True)
    old = client.get(f"{BASE}/{first['id']}", headers=headers).json()
    assert old["default"] is False and old["version"] == 2
    assert second["default"] is True


def test_createMergePolicy__second_edge_policy_is_422(client, headers, create):  # type: ignore[no-untyped-def]
    create("A", isActiveOnEdge=True)
    response = client.post(BASE, headers=headers, json=_body("B", isActiveOnEdge=True))
    assert response.status_code == 422
    assert "active on edge" in response.json()["message"]


def test_createMergePolicy__at_most_five(client, headers, create):  # type: ignore[no-untyped-def]
    for i in range(5):
        create(f"P{i}")
    response = client.post(BASE, headers=headers, json=_body("P6"))
    assert response.status_code == 422
    assert response.json() == {
        "code": "422",
        "message": "Maximum of 5 merge policies allowed per organization",
    }


def test_createMergePolicy__dataset_precedence_needs_order(client, headers, create):  # type: ignore[no-untyped-def]
    body = _body("A", attributeMerge={"type": "dataSetPrecedence"})
    response = client.post(BASE, headers=headers, json=body)
    assert response.status_code == 400
    assert "order" in response.json()["message"]


def test_createMergePolicy__unknown_field_is_400_and_changes_nothing(client, headers, create):  # type: ignore[no-untyped-def]
    response = client.post(BASE, headers=headers, json=_body("A", bogus=1))
    assert response.status_code == 400
    assert "bogus" in response.json()["message"]
    assert client.get(BASE, headers=headers).json()["_page"]["totalCount"] == 0


def test_deleteMergePolicy__refused_while_active_on_edge(client, headers, create):  # type: ignore[no-untyped-def]
    policy = create("A", isActiveOnEdge=True)
    assert client.delete(f"{BASE}/{policy['id']}", headers=headers).status_code == 422
    patch = {"op": "add", "path": "/isActiveOnEdge", "value": "false"}
    assert client.patch(f"{BASE}/{policy['id']}", headers=headers, json=patch).status_code == 200
    response = client.delete(f"{BASE}/{policy['id']}", headers=headers)
    assert response.status_code == 200 and response.content == b""
    assert client.get(f"{BASE}/{policy['id']}", headers=headers).status_code == 404


def test_patchMergePolicy__single_object_and_array_forms(client, headers, create):  # type: ignore[no-untyped-def]
    policy = create("A")
    one = client.patch(
        f"{BASE}/{policy['id']}", headers=headers, json={"op": "add", "path": "/name", "value": "B"}
    )
    assert one.json()["name"] == "B" and one.json()["version"] == 2
    ops = [
        {"op": "add", "path": "/default", "value": "true"},
        {"op": "replace", "path": "/identityGraph.type", "value": "none"},
    ]
    many = client.patch(f"{BASE}/{policy['id']}", headers=headers, json=ops).json()
    assert many["default"] is True and many["identityGraph"]["type"] == "none" and many["version"] == 3


def test_patchMergePolicy__bad_operation_changes_nothing(client, headers, create):  # type: ignore[no-untyped-def]
    policy = create("A")
    ops = [{"op": "add", "path": "/name", "value": "B"}, {"op": "add", "path": "/default", "value": "maybe"}]
    response = client.patch(f"{BASE}/{policy['id']}", headers=headers, json=ops)
    assert response.status_code == 400
    after = client.get(f"{BASE}/{policy['id']}", headers=headers).json()
    assert after["name"] == "A" and after["version"] == 1


@pytest.mark.parametrize("path", ["/idActiveOnEdge", "/attributeMerge.order"])
def test_patchMergePolicy__unknown_path_is_400(client, headers, create, path):  # type: ignore[no-untyped-def]
    policy = create("A")
    response = client.patch(
        f"{BASE}/{policy['id']}", headers=headers, json={"op": "add", "path": path, "value": "x"}
    )
    assert response.status_code == 400


def test_updateMergePolicy__replaces_and_increments(client, headers, create):  # type: ignore[no-untyped-def]
    policy = create("A")
    body = {
        **_body("Renamed"),
        "id": policy["id"],
        "version": 1,
        "imsOrgId": policy["imsOrgId"],
        "updateEpoch": 1,
    }
    updated = client.put(f"{BASE}/{policy['id']}", headers=headers, json=body).json()
    assert updated["name"] == "Renamed" and updated["version"] == 2
    wrong = client.put(f"{BASE}/{policy['id']}", headers=headers, json={**body, "id": "other"})
    assert wrong.status_code == 400


def test_getMany__filters_order_and_paging_to_the_end(client, headers, create):  # type: ignore[no-untyped-def]
    for name in ("delta", "alpha", "charlie", "bravo"):
        create(name, default=name == "alpha")
    first = client.get(BASE, headers=headers, params={"limit": 3, "orderBy": "-name"}).json()
    assert [p["name"] for p in first["children"]] == ["delta", "charlie", "bravo"]
    assert first["_page"]["totalCount"] == 4
    href = first["_links"]["next"]["href"]
    assert href.startswith("@/mergePolicies?start=")
    rest = client.get(href.replace("@/", "/data/core/ups/config/"), headers=headers).json()
    assert [p["name"] for p in rest["children"]] == ["alpha"]
    assert rest["_links"]["next"]["href"] == ""
    defaults = client.get(BASE, headers=headers, params={"default": "true"}).json()
    assert [p["name"] for p in defaults["children"]] == ["alpha"]
    pdg = client.get(BASE, headers=headers, params={"identityGraph.type": "none"}).json()
    assert pdg["children"] == []
    bad = client.get(BASE, headers=headers, params={"start": "not-a-token"})
    assert bad.status_code == 400


def test_bulkGetMergePolicies__207_with_found_ones(client, headers, create):  # type: ignore[no-untyped-def]
    a, b = create("A"), create("B")
    body = {"ids": [{"id": a["id"]}, {"id": b["id"]}, {"id": "missing"}]}
    response = client.post(f"{BASE}/bulk-get", headers=headers, json=body)
    assert response.status_code == 207
    assert set(response.json()["results"]) == {a["id"], b["id"]}


def test_merge_policies__tenants_are_isolated(client, headers, create):  # type: ignore[no-untyped-def]
    policy = create("A")
    other = {**headers, "x-sandbox-name": "dev"}
    assert client.get(f"{BASE}/{policy['id']}", headers=other).status_code == 404
    assert client.get(BASE, headers=other).json()["_page"]["totalCount"] == 0
    other_org = {**headers, "x-gw-ims-org-id": "OTHER1@AdobeOrg"}
    assert client.get(f"{BASE}/{policy['id']}", headers=other_org).status_code == 404
