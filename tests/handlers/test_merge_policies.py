"""Merge policies over HTTP: every documented rule and error (DOC-MP, DOC-MPO, spec/DECISIONS.md)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import policy, profile_dataset, tenant_doc

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
    """Policies made one by one in a sandbox without any (Platform's default left out by the fixture)."""
    client.post("/__admin/reset")
    assert client.post("/__admin/fixtures", json=tenant_doc(mergePolicies=[])).status_code == 200

    def make(name: str, **extra: Any) -> dict[str, Any]:
        response = client.post(BASE, headers=headers, json=_body(name, **extra))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    return make


def test_createMergePolicy__returns_the_policy(create, headers):  # type: ignore[no-untyped-def]
    policy = create("A", default=True)
    assert policy["version"] == 1
    assert policy["default"] is True
    assert policy["imsOrgId"] == headers["x-gw-ims-org-id"]
    assert policy["sandbox"]["sandboxName"] == "prod"
    assert isinstance(policy["updateEpoch"], int)


def test_createMergePolicy__new_default_undefaults_the_old(client, headers, create):  # type: ignore[no-untyped-def]
    first = create("A", default=True)
    second = create("B", default=True)
    old = client.get(f"{BASE}/{first['id']}", headers=headers).json()
    assert old["default"] is False
    assert old["version"] == 2
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


@pytest.mark.parametrize("merge", [{"type": "dataSetPrecedence"}, {"type": "dataSetPrecedence", "order": []}])
def test_createMergePolicy__dataset_precedence_needs_order(client, headers, create, merge):  # type: ignore[no-untyped-def]
    # The schema states the rule (issue 16): the validator's 400, in the merge-policy error shape.
    response = client.post(BASE, headers=headers, json=_body("A", attributeMerge=merge))
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message"}
    assert "attributeMerge" in response.json()["message"]


def test_createMergePolicy__timestamp_ordered_takes_and_drops_an_order(client, headers, create):  # type: ignore[no-untyped-def]
    policy = create("A", attributeMerge={"type": "timestampOrdered", "order": ["ds1"]})
    assert policy["attributeMerge"] == {"type": "timestampOrdered"}


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
    assert response.status_code == 200
    assert response.content == b""
    assert client.get(f"{BASE}/{policy['id']}", headers=headers).status_code == 404


def test_patchMergePolicy__single_object_and_array_forms(client, headers, create):  # type: ignore[no-untyped-def]
    policy = create("A")
    one = client.patch(
        f"{BASE}/{policy['id']}", headers=headers, json={"op": "add", "path": "/name", "value": "B"}
    )
    assert one.json()["name"] == "B"
    assert one.json()["version"] == 2
    ops = [
        {"op": "add", "path": "/default", "value": "true"},
        {"op": "replace", "path": "/identityGraph.type", "value": "none"},
    ]
    many = client.patch(f"{BASE}/{policy['id']}", headers=headers, json=ops).json()
    assert many["default"] is True
    assert many["identityGraph"]["type"] == "none"
    assert many["version"] == 3


def test_patchMergePolicy__bad_operation_changes_nothing(client, headers, create):  # type: ignore[no-untyped-def]
    policy = create("A")
    ops = [{"op": "add", "path": "/name", "value": "B"}, {"op": "add", "path": "/default", "value": "maybe"}]
    response = client.patch(f"{BASE}/{policy['id']}", headers=headers, json=ops)
    assert response.status_code == 400
    after = client.get(f"{BASE}/{policy['id']}", headers=headers).json()
    assert after["name"] == "A"
    assert after["version"] == 1


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("/name", ""),
        ("/name", 3),
        ("/schema.name", ""),
        ("/identityGraph.type", "private"),
        ("/attributeMerge.type", "newest"),
        ("/default", "yes"),
        ("/isActiveOnEdge", 1),
        ("/version", "two"),
        ("/version", True),
    ],
)
def test_patchMergePolicy__value_not_suiting_its_path_is_400(client, headers, create, path, value):  # type: ignore[no-untyped-def]
    policy = create("A")
    op = {"op": "add", "path": path, "value": value}
    response = client.patch(f"{BASE}/{policy['id']}", headers=headers, json=op)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"code", "message"}
    assert client.get(f"{BASE}/{policy['id']}", headers=headers).json()["version"] == 1


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("/default", "TRUE"),
        ("/default", False),
        ("/isActiveOnEdge", "False"),
        ("/version", 7),
        ("/version", "7"),
        ("/schema.name", "_xdm.context.account"),
        ("/attributeMerge.type", "timestampOrdered"),
    ],
)
def test_patchMergePolicy__values_each_path_takes(client, headers, create, path, value):  # type: ignore[no-untyped-def]
    policy = create("A")
    op = {"op": "replace", "path": path, "value": value}
    response = client.patch(f"{BASE}/{policy['id']}", headers=headers, json=[op])
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2


def test_patchMergePolicy__dataset_precedence_without_order_is_422(client, headers, create):  # type: ignore[no-untyped-def]
    policy = create("A")
    op = {"op": "add", "path": "/attributeMerge.type", "value": "dataSetPrecedence"}
    response = client.patch(f"{BASE}/{policy['id']}", headers=headers, json=op)
    assert response.status_code == 422
    assert "order" in response.json()["message"]


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
    assert updated["name"] == "Renamed"
    assert updated["version"] == 2


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


@pytest.mark.parametrize("start", ["no token!", "K1JJRDpFaWc5QUpZWHY1c2JBQUFBQUFBQUFBPT0=", "\u00e9"])
def test_getMany__start_not_issued_is_400(client, headers, create, start):  # type: ignore[no-untyped-def]
    # Outside the base64 alphabet the schema refuses it, inside it the service: both the same shape.
    response = client.get(BASE, headers=headers, params={"start": start})
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message"}
    assert "start" in response.json()["message"]


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
    listing = client.get(BASE, headers=other).json()
    assert [p["id"] for p in listing["children"]] == [PLATFORM_DEFAULT]  # its own, nothing else
    other_org = {**headers, "x-gw-ims-org-id": "OTHER1@AdobeOrg"}
    assert client.get(f"{BASE}/{policy['id']}", headers=other_org).status_code == 404


# -- issue 13: Platform's default policy, server-owned fields sent back, versions, class checks ----

PLATFORM_DEFAULT = "0bf16e61-90e9-4204-b8fa-ad250360957b"
ENTITIES = "/data/core/ups/access/entities"
JOBS = "/data/core/ups/export/jobs"
UNION = {
    "id": "https://ns.adobe.com/xdm/context/profile__union",
    "contentType": "application/vnd.adobe.xed+json;version=1",
}
JANE = [
    profile_dataset(
        "crm",
        "2024-05-01T10:00:00Z",
        {"identityMap": {"email": [{"id": "jane@x.com"}], "crmid": [{"id": "C1"}]}, "person": {"age": 1}},
    ),
    profile_dataset(
        "loyalty", "2024-06-01T10:00:00Z", {"identityMap": {"crmid": [{"id": "C1"}]}, "points": 9}
    ),
]


def _export_dataset(client: Any, headers: dict[str, str]) -> str:
    created = client.post(
        "/data/foundation/catalog/dataSets", headers=headers, json={"name": "Export", "schemaRef": UNION}
    )
    assert created.status_code == 201, created.text
    return created.json()[0].rsplit("/", 1)[1]  # type: ignore[no-any-return]


def _exported_rows(client: Any, headers: dict[str, str], dataset_id: str, merge_policy: Any) -> Any:
    body = {
        "schema": {"name": "_xdm.context.profile"},
        "destination": {"datasetId": dataset_id},
        "mergePolicy": merge_policy,
    }
    response = client.post(JOBS, headers=headers, json=body)
    if response.status_code >= 300:
        return response
    job = client.get(f"{JOBS}/{response.json()['id']}", headers=headers).json()
    assert job["status"] == "SUCCEEDED", job
    batch_id = job["destination"]["batchId"]
    batch = client.get(f"/data/foundation/catalog/batches/{batch_id}", headers=headers).json()[batch_id]
    return job["mergePolicy"], batch["metrics"]["recordsWritten"]


def test_getMany__a_new_sandbox_has_platforms_default_policy(client, headers):  # type: ignore[no-untyped-def]
    listing = client.get(BASE, headers=headers).json()
    assert listing["_page"]["totalCount"] == 1
    (policy,) = listing["children"]
    assert policy["id"] == PLATFORM_DEFAULT
    assert policy["name"] == "Profile Default Merge Policy"
    assert policy["schema"] == {"name": "_xdm.context.profile"}
    assert policy["default"] is True
    assert policy["identityGraph"] == {"type": "none"}
    assert policy["attributeMerge"] == {"type": "timestampOrdered"}
    assert policy["isActiveOnEdge"] is False
    assert policy["version"] == 1
    assert policy["imsOrgId"] == headers["x-gw-ims-org-id"]


def test_createMergePolicy__platform_default_counts_towards_five(client, headers):  # type: ignore[no-untyped-def]
    for i in range(4):
        assert client.post(BASE, headers=headers, json=_body(f"P{i}")).status_code == 200
    assert client.post(BASE, headers=headers, json=_body("P5")).status_code == 422
    assert client.delete(f"{BASE}/{PLATFORM_DEFAULT}", headers=headers).status_code == 200
    assert client.post(BASE, headers=headers, json=_body("P5")).status_code == 200


def test_platform_default__serves_lookups_without_mergePolicyId(client, headers):  # type: ignore[no-untyped-def]
    assert client.post("/__admin/fixtures", json=tenant_doc(datasets=JANE)).status_code == 200
    query = {"schema.name": "_xdm.context.profile", "entityId": "jane@x.com", "entityIdNS": "email"}
    response = client.get(ENTITIES, headers=headers, params=query)
    assert response.status_code == 200, response.text
    (entity,) = response.json().values()
    assert "points" not in entity["entity"]  # the Platform default does not stitch (identityGraph none)


def test_createMergePolicy__takes_back_a_policy_it_read(client, headers):  # type: ignore[no-untyped-def]
    read = client.get(f"{BASE}/{PLATFORM_DEFAULT}", headers=headers).json()
    sent = {**read, "name": "Copy", "imsOrgId": "SOMEONE0ELSE@AdobeOrg", "version": 7, "updateEpoch": 1}
    response = client.post(BASE, headers=headers, json=sent)
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["id"] != PLATFORM_DEFAULT  # the service names a new policy
    assert created["imsOrgId"] == headers["x-gw-ims-org-id"]
    assert created["version"] == 1
    assert created["updateEpoch"] != 1
    assert created["sandbox"] == read["sandbox"]
    assert created["default"] is True  # it was sent as default: the Platform policy steps down
    assert client.get(f"{BASE}/{PLATFORM_DEFAULT}", headers=headers).json()["default"] is False


def test_createMergePolicy__aepp_docstring_body(client, headers):  # type: ignore[no-untyped-def]
    body = {  # aepp 0.6.0 Profile.createMergePolicy's own example
        "name": "real-time-customer-profile-default",
        "imsOrgId": "1BD6382559DF0C130A49422D@AdobeOrg",
        "schema": {"name": "_xdm.context.profile"},
        "default": False,
        "identityGraph": {"type": "pdg"},
        "attributeMerge": {"type": "timestampOrdered", "order": ["string"]},
        "updateEpoch": 1234567890,
    }
    response = client.post(BASE, headers=headers, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["attributeMerge"] == {"type": "timestampOrdered"}
    assert response.json()["imsOrgId"] == headers["x-gw-ims-org-id"]


def test_updateMergePolicy__get_modify_put(client, headers):  # type: ignore[no-untyped-def]
    read = client.get(f"{BASE}/{PLATFORM_DEFAULT}", headers=headers).json()
    response = client.put(
        f"{BASE}/{PLATFORM_DEFAULT}", headers=headers, json={**read, "identityGraph": {"type": "pdg"}}
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["identityGraph"] == {"type": "pdg"}
    assert updated["version"] == 2
    assert {k: v for k, v in updated.items() if k not in ("identityGraph", "version", "updateEpoch")} == {
        k: v for k, v in read.items() if k not in ("identityGraph", "version", "updateEpoch")
    }


def test_updateMergePolicy__body_id_is_ignored_like_the_other_server_fields(client, headers, create):  # type: ignore[no-untyped-def]
    policy = create("A")
    body = {**policy, "id": "another-policy", "name": "B"}
    response = client.put(f"{BASE}/{policy['id']}", headers=headers, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == policy["id"]
    assert response.json()["name"] == "B"
    assert client.get(f"{BASE}/another-policy", headers=headers).status_code == 404


def test_createExportJob__uses_the_policy_version_asked(client, headers):  # type: ignore[no-untyped-def]
    assert client.post("/__admin/fixtures", json=tenant_doc(datasets=JANE)).status_code == 200
    client.put("/__admin/job-timing", json={"export": "instant"})
    dataset_id = _export_dataset(client, headers)
    stitch = {"op": "add", "path": "/identityGraph.type", "value": "pdg"}
    assert client.patch(f"{BASE}/{PLATFORM_DEFAULT}", headers=headers, json=stitch).status_code == 200
    # version 1 (as aepp's createExportJob always sends it) did not stitch: Jane is two rows
    assert _exported_rows(client, headers, dataset_id, {"id": PLATFORM_DEFAULT, "version": 1}) == (
        {"id": PLATFORM_DEFAULT, "version": 1},
        2,
    )
    assert _exported_rows(client, headers, dataset_id, {"id": PLATFORM_DEFAULT, "version": 2})[1] == 1
    assert _exported_rows(client, headers, dataset_id, {"id": PLATFORM_DEFAULT})[0]["version"] == 2
    unknown = _exported_rows(client, headers, dataset_id, {"id": PLATFORM_DEFAULT, "version": 9})
    assert unknown.status_code == 422
    assert "version 9" in unknown.json()["message"]


def test_policy_of_another_class_is_refused_for_profiles(client, headers):  # type: ignore[no-untyped-def]
    account = {**policy("acct", "none", "timestampOrdered"), "schema": {"name": "_xdm.context.account"}}
    world = tenant_doc(
        datasets=JANE, mergePolicies=[policy("p", "none", "timestampOrdered", default=True), account]
    )
    assert client.post("/__admin/fixtures", json=world).status_code == 200
    query = {
        "schema.name": "_xdm.context.profile",
        "entityId": "jane@x.com",
        "entityIdNS": "email",
        "mergePolicyId": "acct",
    }
    one = client.get(ENTITIES, headers=headers, params=query)
    assert one.status_code == 422, one.text
    assert "_xdm.context.account" in one.json()["message"]
    assert "_xdm.context.profile" in one.json()["message"]
    body = {
        "schema": {"name": "_xdm.context.profile"},
        "identities": [{"entityId": "jane@x.com", "entityIdNS": {"code": "email"}}],
        "mergePolicyId": "acct",
    }
    many = client.post(ENTITIES, headers=headers, json=body)
    assert many.status_code == 422
    assert "_xdm.context.account" in many.json()["message"]
    exported = _exported_rows(client, headers, _export_dataset(client, headers), {"id": "acct"})
    assert exported.status_code == 422
    assert "_xdm.context.account" in exported.json()["message"]


def test_demo_world__spare_policy_for_the_delete_example():  # type: ignore[no-untyped-def]
    # The spec's DELETE example names it; the GET, PUT and PATCH examples name the other two.
    from starlette.testclient import TestClient

    from profile_harness.app import create_app
    from profile_harness.seed.demo import DEMO_ORG, SPARE_POLICY, demo_world
    from profile_harness.seed.fixtures import load_document
    from profile_harness.store import Store

    store = Store()
    load_document(store, demo_world())
    headers = {
        "Authorization": "Bearer t",
        "x-api-key": "k",
        "x-gw-ims-org-id": DEMO_ORG,
        "x-sandbox-name": "prod",
    }
    with TestClient(create_app(store)) as client:
        listed = client.get(BASE, headers=headers).json()["children"]
        assert len(listed) == 3
        spare = next(p for p in listed if p["id"] == SPARE_POLICY)
        assert (spare["default"], spare["isActiveOnEdge"]) == (False, False)
        assert client.delete(f"{BASE}/{SPARE_POLICY}", headers=headers).status_code == 200
        assert client.get(BASE, headers=headers).json()["_page"]["totalCount"] == 2
