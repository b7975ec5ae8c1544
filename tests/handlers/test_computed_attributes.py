"""Current computed attributes over HTTP: create, read, update, delete, list, evaluation and withCA."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import ORG, policy, profile_dataset, tenant_doc

CA = "/data/core/ca/attributes"
E = "/data/core/ups/access/entities"
SUM = (
    'xEvent[eventType = "commerce.purchases" and timestamp occurs <= 7 days before now]'
    ".sum(commerce.order.priceTotal)"
)

WORLD = tenant_doc(
    datasets=[
        profile_dataset(
            "crm",
            "2024-04-01T00:00:00Z",
            {
                "identityMap": {"email": [{"id": "jane@example.com"}]},
                "person": {"name": {"firstName": "Jane"}},
            },
        ),
        profile_dataset(
            "web",
            "2024-05-10T00:00:00Z",
            *[
                {
                    "_id": f"e{day}",
                    "timestamp": f"2024-05-0{day}T10:00:00Z",
                    "identityMap": {"email": [{"id": "jane@example.com"}]},
                    "eventType": "commerce.purchases",
                    "commerce": {"order": {"priceTotal": day * 10}},
                }
                for day in (1, 5, 9)
            ],
            cls="_xdm.context.experienceevent",
        ),
    ],
    mergePolicies=[policy("ts", "pdg", "timestampOrdered", default=True)],
)


def new(name: str = "weeklySpend", **changes: Any) -> dict[str, Any]:
    return {
        "name": name,
        "displayName": "Weekly spend",
        "description": "Spend over seven days",
        "expression": {"type": "PQL", "format": "pql/text", "value": SUM},
        "keepCurrent": False,
        "duration": {"count": 7, "unit": "DAYS"},
        "status": "DRAFT",
        **changes,
    }


def test_createComputedAttribute__200_with_the_stored_attribute(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = client.post(CA, json=new(), headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["imsOrgId"] == ORG
    assert body["path"] == "acme0123456789/ComputedAttributes"
    assert body["mergeFunction"] == {"value": "SUM"}
    assert body["status"] == "DRAFT"
    assert client.get(f"{CA}/{body['id']}", headers=headers).json() == body


def test_createComputedAttribute__400_in_the_code_message_shape(
    client: TestClient, headers: dict[str, str]
) -> None:
    for bad in (new("weekly_spend"), new(duration={"count": 8, "unit": "DAYS"}), new(status="PROCESSED")):
        response = client.post(CA, json=bad, headers=headers)
        assert response.status_code == 400, bad
        assert set(response.json()) == {"code", "message"}
        assert response.json()["code"] == "400"
    assert client.get(CA, headers=headers).json()["_page"]["totalCount"] == 0


def test_retrieveComputedAttribute__404(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get(f"{CA}/nope", headers=headers)
    assert response.status_code == 404
    assert response.json() == {"code": "404", "message": "Computed attribute nope not found"}


def test_updateComputedAttribute__publish_then_disable(client: TestClient, headers: dict[str, str]) -> None:
    attribute_id = client.post(CA, json=new(), headers=headers).json()["id"]
    published = client.patch(f"{CA}/{attribute_id}", json={"status": "NEW"}, headers=headers)
    assert published.status_code == 200
    assert published.json()["status"] == "NEW"
    refused = client.patch(f"{CA}/{attribute_id}", json={"description": "late"}, headers=headers)
    assert refused.status_code == 400
    disabled = client.patch(f"{CA}/{attribute_id}", json={"status": "DISABLED"}, headers=headers)
    assert disabled.json()["status"] == "DISABLED"


def test_deleteComputedAttribute__202_with_the_body_then_404(
    client: TestClient, headers: dict[str, str]
) -> None:
    created = client.post(CA, json=new(), headers=headers).json()
    deleted = client.delete(f"{CA}/{created['id']}", headers=headers)
    assert deleted.status_code == 202
    assert deleted.json() == created
    assert client.delete(f"{CA}/{created['id']}", headers=headers).status_code == 404


def test_listComputedAttributes__envelope_and_repeated_filters(
    client: TestClient, headers: dict[str, str]
) -> None:
    for name in ("alpha", "bravo", "charlie"):
        client.post(CA, json=new(name), headers=headers)
    response = client.get(
        f"{CA}?limit=1&sortBy=name&property=name%3D!contains(alpha,charlie)&property=status%3Ddraft",
        headers=headers,
    )
    body = response.json()
    assert response.status_code == 200
    assert [a["name"] for a in body["computedAttributes"]] == ["bravo"]
    assert body["_page"] == {"offset": 0, "limit": 1, "count": 1, "totalCount": 1}
    assert body["_links"]["self"]["href"].startswith("/attributes?offset=0&limit=1&sortBy=name&property=")
    assert client.get(f"{CA}?property=displayName%3Dx", headers=headers).status_code == 400
    assert client.get(f"{CA}?limit=41", headers=headers).status_code == 400


def test_evaluation__values_in_entity_lookups_with_withCA(
    client: TestClient, headers: dict[str, str]
) -> None:
    client.post("/__admin/fixtures", json=WORLD)
    client.post("/__admin/clock", json={"freeze": True, "at": "2024-05-10T12:00:00Z"})
    attribute_id = client.post(CA, json=new(status="NEW"), headers=headers).json()["id"]
    assert client.get(f"{CA}/{attribute_id}", headers=headers).json()["status"] == "INITIALIZING"
    client.post("/__admin/clock", json={"advance": "600ms"})
    assert client.get(f"{CA}/{attribute_id}", headers=headers).json()["status"] == "PROCESSING"
    client.post("/__admin/clock", json={"advance": "1s"})
    processed = client.get(f"{CA}/{attribute_id}", headers=headers).json()
    assert processed["status"] == "PROCESSED"
    assert processed["lastEvaluationTs"] == "2024-05-10T12:00:01.600"

    query = {"schema.name": "_xdm.context.profile", "entityId": "jane@example.com", "entityIdNS": "email"}
    plain = client.get(E, params=query, headers=headers).json()
    (record,) = plain.values()
    assert "_acme0123456789" not in record["entity"]
    with_ca = client.get(E, params={**query, "withCA": "true"}, headers=headers).json()
    (record,) = with_ca.values()
    assert record["entity"]["_acme0123456789"] == {"ComputedAttributes": {"weeklySpend": 140}}

    many = client.post(
        E,
        json={
            "schema": {"name": "_xdm.context.profile"},
            "identities": [{"entityId": "jane@example.com", "entityIdNS": {"code": "email"}}],
            "withCA": True,
        },
        headers=headers,
    ).json()
    (record,) = many.values()
    assert record["entity"]["_acme0123456789"]["ComputedAttributes"]["weeklySpend"] == 140


def test_tenants__attributes_stay_in_their_sandbox(client: TestClient, headers: dict[str, str]) -> None:
    client.post(CA, json=new(), headers=headers)
    other = {**headers, "x-sandbox-name": "dev"}
    assert client.get(CA, headers=other).json()["_page"]["totalCount"] == 0
    assert client.post(CA, json=new(), headers=other).status_code == 200


def test_updateComputedAttribute__expression_without_type_and_format(
    client: TestClient, headers: dict[str, str]
) -> None:
    # A body with `expression.value` and `status` only: type and format default to PQL and pql/text,
    # the only ones DOC-CA and SPEC document.
    attribute = client.post(CA, json=new(), headers=headers).json()
    count = 'xEvent[eventType = "commerce.purchases"].count()'
    patch = {"expression": {"value": count}, "status": "NEW"}
    response = client.patch(f"{CA}/{attribute['id']}", json=patch, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expression"] == {"type": "PQL", "format": "pql/text", "value": count}
    assert body["mergeFunction"] == {"value": "COUNT"}
    assert body["status"] in ("NEW", "INITIALIZING")
    # The same expression sent again without type/format is no change, so a published attribute takes it.
    again = client.patch(
        f"{CA}/{attribute['id']}",
        json={"expression": {"value": count}, "status": "DISABLED"},
        headers=headers,
    )
    assert again.status_code == 200
    assert again.json()["status"] == "DISABLED"


def test_createComputedAttribute__other_type_or_format_is_400(
    client: TestClient, headers: dict[str, str]
) -> None:
    for expression in ({"type": "SQL", "value": SUM}, {"format": "pql/json", "value": SUM}):
        response = client.post(CA, json=new(expression=expression), headers=headers)
        assert response.status_code == 400, expression
    created = client.post(CA, json=new(expression={"value": SUM}), headers=headers)
    assert created.status_code == 200
    assert created.json()["expression"] == {"type": "PQL", "format": "pql/text", "value": SUM}


def test_evaluation__withCA_reads_the_stored_value_until_the_next_run(
    client: TestClient, headers: dict[str, str]
) -> None:
    client.post("/__admin/fixtures", json=WORLD)
    client.post("/__admin/clock", json={"freeze": True, "at": "2024-05-10T12:00:00Z"})
    client.post(CA, json=new(status="NEW"), headers=headers)
    client.post("/__admin/clock", json={"advance": "2s"})
    query = {
        "schema.name": "_xdm.context.profile",
        "entityId": "jane@example.com",
        "entityIdNS": "email",
        "withCA": "true",
    }

    def spend() -> Any:
        (record,) = client.get(E, params=query, headers=headers).json().values()
        return record["entity"]["_acme0123456789"]["ComputedAttributes"]["weeklySpend"]

    assert spend() == 140
    late = {
        "_id": "late",
        "timestamp": "2024-05-10T11:00:00Z",
        "identityMap": {"email": [{"id": "jane@example.com"}]},
        "eventType": "commerce.purchases",
        "commerce": {"order": {"priceTotal": 7}},
    }
    more = tenant_doc(
        datasets=[profile_dataset("web2", "2024-05-10T12:00:05Z", late, cls="_xdm.context.experienceevent")]
    )
    assert client.post("/__admin/fixtures", json=more).status_code < 300
    assert spend() == 140  # ingested between runs: the stored value is stale
    client.post("/__admin/clock", json={"advance": "23h"})
    assert spend() == 140
    client.post("/__admin/clock", json={"advance": "1h"})  # the daily run has started and ended
    assert spend() == 147


def test_listComputedAttributes__filter_pattern_is_the_spec_s(
    client: TestClient, headers: dict[str, str]
) -> None:
    from profile_harness.openapi.bundle import platform_spec
    from profile_harness.store.computed.attributes import PROPERTY_FILTER

    parameters = platform_spec()["paths"]["/data/core/ca/attributes"]["get"]["parameters"]
    prop = next(p for p in parameters if p.get("name") == "property")
    assert prop["schema"]["items"]["pattern"] == PROPERTY_FILTER
    client.post(CA, json=new("alpha"), headers=headers)
    # Commas inside contains() are part of one filter, not separators of the repeated parameter.
    listed = client.get(f"{CA}?property=status%3Dcontains(new,draft)&property=name!%3Dx", headers=headers)
    assert listed.status_code == 200, listed.text
    assert listed.json()["_page"]["totalCount"] == 1
    # A value may hold `|` and `,`: one repeated parameter is one filter (RepeatedQueryURIParser).
    piped = client.get(f"{CA}?property=name%3Da|b,c", headers=headers)
    assert piped.status_code == 200, piped.text
    assert piped.json()["_page"]["totalCount"] == 0
    for bad in (",", "name%3D", "createEpoch%3E%3D" + "9" * 20):
        refused = client.get(f"{CA}?property={bad}", headers=headers)
        assert refused.status_code == 400, bad
        assert set(refused.json()) == {"code", "message"}


def test_createComputedAttribute__duration_range_per_unit_and_no_other_member(
    client: TestClient, headers: dict[str, str]
) -> None:
    for duration in (
        {"count": 24, "unit": "HOURS"},
        {"count": 4, "unit": "WEEKS"},
        {"count": 6, "unit": "MONTHS"},
    ):
        assert (
            client.post(CA, json=new(f"ok{duration['unit']}", duration=duration), headers=headers).status_code
            == 200
        )
    for duration in (
        {"count": 5, "unit": "WEEKS"},
        {"count": 7, "unit": "MONTHS"},
        {"count": 7, "unit": "DAYS", "extra": 1},
    ):
        assert client.post(CA, json=new("bad", duration=duration), headers=headers).status_code == 400, (
            duration
        )


def test_updateComputedAttribute__whole_body_sent_back_is_taken(
    client: TestClient, headers: dict[str, str]
) -> None:
    created = client.post(CA, json=new(), headers=headers).json()
    back = {**created, "description": "changed"}
    updated = client.patch(f"{CA}/{created['id']}", json=back, headers=headers)
    assert updated.status_code == 200, updated.text
    assert updated.json()["description"] == "changed"
    refused = client.patch(f"{CA}/{created['id']}", json={"errors": []}, headers=headers)
    assert refused.status_code == 400
    assert refused.json()["message"] == "errors is set by the system and cannot be changed"
