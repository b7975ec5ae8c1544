"""Shared fixtures: an in-process app and a client carrying the four Platform headers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from profile_harness.app import create_app

HEADERS = {
    "Authorization": "Bearer test-token",
    "x-api-key": "test-client",
    "x-gw-ims-org-id": "ACME0123456789@AdobeOrg",
    "x-sandbox-name": "prod",
}
ORG, SANDBOX = HEADERS["x-gw-ims-org-id"], HEADERS["x-sandbox-name"]


@pytest.fixture(scope="session")
def app():  # type: ignore[no-untyped-def]
    return create_app()


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as test_client:
        test_client.post("/__admin/reset")
        yield test_client


@pytest.fixture
def headers() -> dict[str, str]:
    return dict(HEADERS)


def tenant_doc(**sections: Any) -> dict[str, Any]:
    """A fixture document for the test tenant."""
    return {"tenants": [{"org": ORG, "sandbox": SANDBOX, **sections}]}


def profile_dataset(
    dataset_id: str, ingested: str, *records: dict[str, Any], cls: str = "_xdm.context.profile"
) -> dict[str, Any]:
    return {
        "id": dataset_id,
        "name": dataset_id,
        "class": cls,
        "batches": [{"id": f"batch{dataset_id}", "ingestedAt": ingested, "records": list(records)}],
    }


def policy(
    policy_id: str, graph: str, merge: str, *, default: bool = False, order: list[str] | None = None
) -> dict[str, Any]:
    attribute_merge: dict[str, Any] = {"type": merge}
    if order:
        attribute_merge["order"] = order
    return {
        "id": policy_id,
        "name": policy_id,
        "schema": {"name": "_xdm.context.profile"},
        "identityGraph": {"type": graph},
        "attributeMerge": attribute_merge,
        "default": default,
    }
