"""Regression tests for what the schemathesis run found in the mock, one plain call each."""

from __future__ import annotations

from typing import Any

from tests.conftest import profile_dataset, tenant_doc


def test_a_method_a_path_lacks_answers_405_listing_the_documented_ones(client: Any, headers: Any) -> None:
    response = client.options("/data/core/ups/config/mergePolicies/some-id", headers=headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, PATCH, PUT"
    assert response.json()["code"] == "405"  # merge policies' {code, message} shape


def test_a_literal_path_beats_a_parameter_in_the_allow_header(client: Any, headers: Any) -> None:
    response = client.options("/data/core/ups/config/mergePolicies/bulk-get", headers=headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_an_id_the_router_cannot_take_is_a_404_in_the_services_shape(client: Any, headers: Any) -> None:
    response = client.delete("/data/core/ups/config/mergePolicies/ab%0Acd", headers=headers)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"code", "message"}


def test_a_projection_create_without_a_body_is_a_400_naming_the_field(client: Any, headers: Any) -> None:
    response = client.post(
        "/data/core/ups/config/projections", params={"schemaName": "_xdm.context.profile"}, headers=headers
    )
    assert response.status_code == 400
    assert "selector" in response.json()["detail"]


def test_an_edge_id_outside_its_pattern_is_a_documented_400(client: Any, headers: Any) -> None:
    response = client.delete("/data/core/ups/config/destinations/%C2%84", headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_deleting_an_entity_under_an_unknown_merge_policy_is_the_documented_422(
    client: Any, headers: Any
) -> None:
    record = {"identityMap": {"email": [{"id": "a@b.c", "primary": True}]}}
    loaded = client.post(
        "/__admin/fixtures",
        json=tenant_doc(datasets=[profile_dataset("crm", "2024-01-01T00:00:00Z", record)]),
    )
    assert loaded.status_code == 200, loaded.text
    params = {"schema.name": "_xdm.context.profile", "entityIdNS": "email", "mergePolicyId": "no-such-policy"}
    response = client.delete(
        "/data/core/ups/access/entities", params={**params, "entityId": "a@b.c"}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["statusCode"] == "422"
    # An identity no record carries is not there to delete, whatever the policy says.
    unknown = client.delete(
        "/data/core/ups/access/entities", params={**params, "entityId": "x@y.z"}, headers=headers
    )
    assert unknown.status_code == 404
