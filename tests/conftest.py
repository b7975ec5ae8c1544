"""Shared fixtures: an in-process app and a client carrying the four Platform headers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from profile_harness.app import create_app

HEADERS = {
    "Authorization": "Bearer test-token",
    "x-api-key": "test-client",
    "x-gw-ims-org-id": "ACME0123456789@AdobeOrg",
    "x-sandbox-name": "prod",
}


@pytest.fixture(scope="session")
def app():  # type: ignore[no-untyped-def]
    return create_app()


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def headers() -> dict[str, str]:
    return dict(HEADERS)
