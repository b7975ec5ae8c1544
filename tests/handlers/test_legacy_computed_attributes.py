"""Legacy computed attributes over HTTP: the old shape, JSON Patch (204), delete (200) and 422."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import profile_dataset, tenant_doc

OLD = "/data/core/ups/config/computedAttributes"
E = "/data/core/ups/access/entities"

WORLD = tenant_doc(
    datasets=[
        profile_dataset(
            "crm",
            "2024-04-01T00:00:00Z",
            {
                "identityMap": {"email": [{"id": "a@example.com"}]},
                "_acme": {"summary": {"total": 1.5, "count": 2, "average": 0.75}},
            },
        )
    ]
)


def new(name: str, value: str) -> dict[str, Any]:
    return {
        "name": name,
        "path": "_acme.summary",
        "description": name,
        "expression": {"type": "PQL", "format": "pql/text", "value": value},
        "schema": {"name": "_xdm.context.profile"},
    }


def test_legacy_crud__documented_statuses(client: TestClient, headers: dict[str, str]) -> None:
    client.post("/__admin/fixtures", json=WORLD)
    created = client.post(OLD, json=new("total", 'xEvent[eventType = "a"].sum(x)'), headers=headers)
    assert created.status_code == 200
    attribute_id = created.json()["id"]
    listed = client.get(OLD, headers=headers).json()
    assert listed["_page"] == {"totalCount": 1, "pageSize": 1}
    assert listed["_links"] == {"next": {}}
    patch = [{"op": "replace", "path": "/active", "value": False}]
    patched = client.patch(f"{OLD}/{attribute_id}", json=patch, headers=headers)
    assert patched.status_code == 204
    assert patched.content == b""
    json_patch = {**headers, "Content-Type": "application/json-patch+json"}
    again = client.patch(
        f"{OLD}/{attribute_id}",
        content=b'[{"op": "test", "path": "/active", "value": false}]',
        headers=json_patch,
    )
    assert again.status_code == 204
    assert client.get(f"{OLD}/{attribute_id}", headers=headers).json()["active"] is False
    refused = client.patch(f"{OLD}/{attribute_id}", json=[{"op": "remove", "path": "/id"}], headers=headers)
    assert refused.status_code == 400
    assert refused.json()["code"] == "400"
    deleted = client.delete(f"{OLD}/{attribute_id}", headers=headers)
    assert deleted.status_code == 200
    assert deleted.content == b""
    assert client.get(f"{OLD}/{attribute_id}", headers=headers).status_code == 404


def test_legacy_create__400_when_the_field_is_unknown(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post(OLD, json=new("nothing", 'xEvent[eventType = "a"].sum(x)'), headers=headers)
    assert response.status_code == 400
    assert response.json() == {
        "code": "400",
        "message": "Could not lookup schema of the computed attribute for the provided path: no record of a "
        "dataset of class _xdm.context.profile holds the field _acme.summary.nothing (the harness knows a "
        "class's fields from its datasets' records)",
    }


def test_legacy_delete__422_while_others_depend(client: TestClient, headers: dict[str, str]) -> None:
    client.post("/__admin/fixtures", json=WORLD)
    total = client.post(OLD, json=new("total", 'xEvent[eventType = "a"].sum(x)'), headers=headers).json()
    average = client.post(OLD, json=new("average", "_acme.summary.total/2"), headers=headers).json()
    assert average["dependencies"] == [total["id"]]
    response = client.delete(f"{OLD}/{total['id']}", headers=headers)
    assert response.status_code == 422
    assert response.json() == {
        "code": "422",
        "message": "Cannot perform delete as some other functions are dependent on this function.",
    }


def test_legacy_patch__expression_value_object_without_type_and_format(
    client: TestClient, headers: dict[str, str]
) -> None:
    client.post("/__admin/fixtures", json=WORLD)
    attribute_id = client.post(
        OLD, json=new("total", 'xEvent[eventType = "a"].sum(x)'), headers=headers
    ).json()["id"]
    count = 'xEvent[eventType = "b"].count()'
    patch = [{"op": "add", "path": "/expression", "value": {"value": count}}]
    response = client.patch(f"{OLD}/{attribute_id}", json=patch, headers=headers)
    assert response.status_code == 204, response.text
    expression = client.get(f"{OLD}/{attribute_id}", headers=headers).json()["expression"]
    assert expression == {"type": "PQL", "format": "pql/text", "value": count}
    refused = client.patch(
        f"{OLD}/{attribute_id}",
        json=[{"op": "add", "path": "/expression", "value": {"type": "SQL", "value": count}}],
        headers=headers,
    )
    assert refused.status_code == 400
    # The schema states the value each writable member takes, so the validator refuses it.
    assert refused.json()["code"] == "400"
    assert "SQL" in refused.json()["message"]


def test_legacy_values__computed_on_the_profile_in_lookups_with_withCA(
    client: TestClient, headers: dict[str, str]
) -> None:
    purchases = [
        {
            "_id": f"p{n}",
            "timestamp": f"2024-05-0{n}T10:00:00Z",
            "identityMap": {"email": [{"id": "a@example.com"}]},
            "eventType": "purchase",
            "price": n * 10,
        }
        for n in (1, 2, 3)
    ]
    events = profile_dataset("web", "2024-05-03T00:00:00Z", *purchases, cls="_xdm.context.experienceevent")
    client.post("/__admin/fixtures", json=WORLD)
    client.post("/__admin/fixtures", json=tenant_doc(datasets=[events]))
    client.post(OLD, json=new("total", 'xEvent[eventType = "purchase"].sum(price)'), headers=headers)
    client.post(OLD, json=new("count", 'xEvent[eventType = "purchase"].count()'), headers=headers)
    # It reads the other two, so it is evaluated after them.
    average = client.post(
        OLD, json=new("average", "_acme.summary.total/_acme.summary.count"), headers=headers
    )
    assert average.json()["dependencies"]
    query = {"schema.name": "_xdm.context.profile", "entityId": "a@example.com", "entityIdNS": "email"}

    def summary(**extra: str) -> Any:
        (record,) = client.get(E, params={**query, **extra}, headers=headers).json().values()
        return record["entity"]["_acme"]["summary"]

    assert summary() == {"total": 1.5, "count": 2, "average": 0.75}  # the record as ingested
    assert summary(withCA="true") == {"total": 60, "count": 3, "average": 20}
    client.patch(
        f"{OLD}/{average.json()['id']}",
        json=[{"op": "replace", "path": "/active", "value": False}],
        headers=headers,
    )
    assert summary(withCA="true") == {"total": 60, "count": 3, "average": 0.75}  # inactive: not evaluated


def test_legacy_patch__writable_members_and_value_types_in_the_schema(
    client: TestClient, headers: dict[str, str]
) -> None:
    client.post("/__admin/fixtures", json=WORLD)
    attribute_id = client.post(
        OLD, json=new("total", 'xEvent[eventType = "a"].sum(x)'), headers=headers
    ).json()["id"]
    for patch in (
        [{"op": "replace", "path": "/id", "value": "x"}],
        [{"op": "add", "path": "/description", "value": 5}],
        [{"op": "replace", "path": "/active", "value": "yes"}],
        [{"op": "remove", "path": "/active"}],
        [{"op": "move", "path": "/description"}],
    ):
        refused = client.patch(f"{OLD}/{attribute_id}", json=patch, headers=headers)
        assert refused.status_code == 400, patch
        assert set(refused.json()) == {"code", "message"}
    taken = [
        {"op": "test", "path": "/name", "value": "total"},
        {"op": "replace", "path": "/active", "value": False},
    ]
    assert client.patch(f"{OLD}/{attribute_id}", json=taken, headers=headers).status_code == 204
