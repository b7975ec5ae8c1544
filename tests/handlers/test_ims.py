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


def test_imsToken__required_token_needs_configured_credentials():
    # Issue 17: with --require-token and no client credentials, any login used to get the token.
    with TestClient(create_app(options=HarnessOptions(require_token="fixed"))) as client:
        refused = client.post("/ims/token/v3", data=FORM)
        assert refused.status_code == 401
        body = refused.json()
        assert body["error"] == "invalid_client"
        assert "--client-id" in body["error_description"]
        assert "fixed" not in refused.text


@pytest.mark.parametrize(
    ("form", "status", "named"),
    [
        (FORM, 200, None),
        ({**FORM, "client_id": "abd"}, 401, "client_id"),
        ({**FORM, "client_secret": "s3creT"}, 401, "client_secret"),
        ({**FORM, "client_id": "x", "client_secret": "y"}, 401, "client_id"),
    ],
)
def test_imsToken__required_token_only_for_the_configured_client(form, status, named):  # type: ignore[no-untyped-def]
    options = HarnessOptions(require_token="fixed", ims_client_id="abc", ims_client_secret="s3cret")
    with TestClient(create_app(options=options)) as client:
        response = client.post("/ims/token/v3", data=form)
        assert response.status_code == status
        if named is None:
            assert response.json()["access_token"] == "fixed"
        else:
            assert response.json() == {
                "error": "invalid_client",
                "error_description": f"invalid {named} parameter",
            }


def test_imsToken__without_required_token_any_client_logs_in(client):  # type: ignore[no-untyped-def]
    # aepp's compat test logs in with made-up credentials against a default server.
    response = client.post("/ims/token/v3", data={**FORM, "client_id": "anything", "client_secret": "x"})
    assert response.status_code == 200
    assert response.json()["access_token"].startswith("harness-")


def test_imsToken__compares_in_constant_time(monkeypatch):  # type: ignore[no-untyped-def]
    from profile_harness.server import gateway

    compared = []

    def spy(given: bytes, expected: bytes) -> bool:
        compared.append(expected)
        return given == expected

    monkeypatch.setattr(gateway.hmac, "compare_digest", spy)
    options = HarnessOptions(require_token="fixed", ims_client_id="abc", ims_client_secret="s3cret")
    with TestClient(create_app(options=options)) as client:
        assert client.post("/ims/token/v3", data=FORM).status_code == 200
    assert compared == [b"abc", b"s3cret"]
