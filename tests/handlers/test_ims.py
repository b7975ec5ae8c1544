"""The fake IMS token endpoint runs a client-credentials login."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from profile_harness.app import create_app
from profile_harness.options import HarnessOptions

FORM = {"grant_type": "client_credentials", "client_id": "abc", "client_secret": "s3cret"}


def test_imsToken__issues_a_token_the_gateway_accepts(client, headers):  # type: ignore[no-untyped-def]
    response = client.post("/ims/token/v3", data=FORM)
    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] > 0
    headers["Authorization"] = f"Bearer {token['access_token']}"
    assert client.get("/__admin/health", headers=headers).status_code == 200


def test_imsToken__wrong_grant(client):  # type: ignore[no-untyped-def]
    response = client.post("/ims/token/v3", data={**FORM, "grant_type": "password"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "grant_type" in response.json()["error_description"]


@pytest.mark.parametrize(
    ("form", "named"),
    [
        ({**FORM, "client_id": " "}, "client_id"),
        ({**FORM, "client_secret": ""}, "client_secret"),
        ({**FORM, "grant_type": ""}, "grant_type"),
        ({**FORM, "username": "u"}, "username"),
    ],
)
def test_imsToken__form_the_schema_refuses(client, form, named):  # type: ignore[no-untyped-def]
    # Refused by the schema (issue 16), still in IMS's error shape.
    response = client.post("/ims/token/v3", data=form)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert named in body["error_description"]


def test_imsToken__missing_secret(client):  # type: ignore[no-untyped-def]
    response = client.post("/ims/token/v3", data={"grant_type": "client_credentials", "client_id": "a"})
    assert response.status_code == 400
    assert "client_secret" in response.json()["error_description"]


def test_imsToken__with_required_token_and_secret():
    app = create_app(options=HarnessOptions(require_token="fixed", ims_client_secret="s3cret"))
    with TestClient(app) as client:
        refused = client.post("/ims/token/v3", data={**FORM, "client_secret": "nope"})
        assert refused.status_code == 401
        assert refused.json()["error"] == "invalid_client"
        token = client.post("/ims/token/v3", data=FORM).json()["access_token"]
        assert token == "fixed"
