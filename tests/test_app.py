"""The app: unbuilt operations answer 501, responses are validated, paths are tolerant."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from profile_harness import handlers
from profile_harness.app import create_app


def test_app__unbuilt_operation_answers_501_naming_it(monkeypatch, headers):  # type: ignore[no-untyped-def]
    """An operation without a handler answers the 501 problem (the resolver never crashes on it)."""
    monkeypatch.delattr(handlers.merge_policies, "getMany")
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        response = client.get("/data/core/ups/config/mergePolicies", headers=headers)
    assert response.status_code == 501
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 501
    assert body["operationId"] == "getMany"
    assert "getMany" in body["detail"]
    assert "not built" in body["detail"]


def test_app__trailing_slash_is_tolerated(client):  # type: ignore[no-untyped-def]
    assert client.get("/__admin/health/").json()["status"] == "ok"


def test_app__vendor_accept_header_is_tolerated(client):  # type: ignore[no-untyped-def]
    response = client.get("/__admin/health", headers={"Accept": "application/vnd.adobe.xdm+json"})
    assert response.status_code == 200


def test_app__unknown_path_is_404(client, headers):  # type: ignore[no-untyped-def]
    assert client.get("/data/core/ups/no/such/thing", headers=headers).status_code == 404


def test_app__response_that_breaks_the_spec_is_a_500(monkeypatch):  # type: ignore[no-untyped-def]
    async def broken() -> tuple[dict[str, Any], int]:
        return {"status": "not-an-allowed-value"}, 200

    monkeypatch.setattr(handlers.admin, "adminHealth", broken)
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        response = client.get("/__admin/health")
    assert response.status_code == 500
    assert "does not conform" in response.json()["detail"]


def test_app__response_validation_can_be_switched_off(monkeypatch):  # type: ignore[no-untyped-def]
    from profile_harness.options import HarnessOptions

    async def broken() -> tuple[dict[str, Any], int]:
        return {"status": "not-an-allowed-value"}, 200

    monkeypatch.setattr(handlers.admin, "adminHealth", broken)
    app = create_app(options=HarnessOptions(validate_responses=False))
    with TestClient(app) as client:
        assert client.get("/__admin/health").status_code == 200


def test_app__two_apps_are_independent(headers):  # type: ignore[no-untyped-def]
    """Two apps in one process share no state (no module-global store)."""
    body = {
        "schema": {"name": "_xdm.context.profile"},
        "identityGraph": {"type": "pdg"},
        "attributeMerge": {"type": "timestampOrdered"},
    }
    with TestClient(create_app()) as first, TestClient(create_app()) as second:
        assert (
            first.post("/data/core/ups/config/mergePolicies", headers=headers, json=body).status_code == 200
        )
        assert (
            first.get("/data/core/ups/config/mergePolicies", headers=headers).json()["_page"]["totalCount"]
            == 2  # Platform's default and the new one
        )
        assert (
            second.get("/data/core/ups/config/mergePolicies", headers=headers).json()["_page"]["totalCount"]
            == 1  # Platform's default only
        )


def test_app__swagger_ui_is_served(client):  # type: ignore[no-untyped-def]
    response = client.get("/ui/", follow_redirects=False)
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
