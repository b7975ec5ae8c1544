"""The gateway answers bad credentials and tenant headers with its documented errors (DOC-PTS)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from profile_harness.app import create_app
from profile_harness.options import HarnessOptions
from profile_harness.server.gateway import Credentials, check_credentials
from profile_harness.store.merge_policies import sandbox_info
from tests.conftest import HEADERS, profile_dataset, tenant_doc

PATH = "/data/core/ups/config/mergePolicies"


def _without(name: str) -> dict[str, str]:
    return {key: value for key, value in HEADERS.items() if key.lower() != name}


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        (_without("authorization"), 403, "403010"),
        ({**HEADERS, "Authorization": "Basic dXNlcjpwYXNz"}, 401, "401013"),
        ({**HEADERS, "Authorization": "Bearer"}, 401, "401013"),
        (_without("x-api-key"), 403, "403000"),
        ({**HEADERS, "x-api-key": "has spaces in it"}, 403, "403003"),
        (_without("x-gw-ims-org-id"), 400, "400003"),
        ({**HEADERS, "x-gw-ims-org-id": "not-an-org"}, 403, "403027"),
        (_without("x-sandbox-name"), 400, "400003"),
        ({**HEADERS, "x-sandbox-name": "Prod Sandbox"}, 400, "400003"),
    ],
)
def test_gateway__bad_headers(client, headers, status, code):  # type: ignore[no-untyped-def]
    response = client.get(PATH, headers=headers)
    assert response.status_code == status
    assert response.json()["error_code"] == code
    assert response.json()["message"]


def test_gateway__missing_header_is_named(client):  # type: ignore[no-untyped-def]
    response = client.get(PATH, headers=_without("x-sandbox-name"))
    assert "x-sandbox-name" in response.json()["message"]


def test_gateway__require_token_refuses_others():
    assert check_credentials({k.lower(): v for k, v in HEADERS.items()}, "other") == (
        401,
        "401013",
        "Oauth token is not valid",
    )
    assert check_credentials({k.lower(): v for k, v in HEADERS.items()}, "test-token") is None


def test_gateway__admin_and_ims_need_no_credentials(client):  # type: ignore[no-untyped-def]
    assert client.get("/__admin/health").status_code == 200


def test_gateway__body_without_content_type(client, headers):  # type: ignore[no-untyped-def]
    response = client.post(PATH, headers=headers, content=b'{"name": "x"}')
    assert response.status_code == 400
    assert response.json() == {
        "type": "/placeholder/type/uri",
        "status": 400,
        "title": "BadRequestError",
        "detail": "A valid content-type must be specified",
    }


def test_gateway__body_with_wrong_content_type(client, headers):  # type: ignore[no-untyped-def]
    response = client.post(PATH, headers={**headers, "Content-Type": "text/plain"}, content=b"x")
    assert response.status_code == 400
    assert response.json()["title"] == "BadRequestError"


def test_gateway__edge_body_with_wrong_content_type_is_415(client, headers):  # type: ignore[no-untyped-def]
    response = client.post(
        "/data/core/ups/config/destinations",
        headers={**headers, "Content-Type": "text/plain"},
        content=b"{}",
    )
    assert response.status_code == 415
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == "http://ns.adobe.com/adobecloud/problem/unsupported-media-type"
    assert body["title"] == "HTTP 415 Unsupported Media Type"


def test_gateway__remembered_credentials_never_let_others_through():
    credentials = Credentials("test-token")
    good = {k.lower(): v for k, v in HEADERS.items()}
    assert credentials.verdict(good) is None
    assert credentials.verdict(good) is None  # remembered
    assert credentials.verdict({**good, "authorization": "Bearer other"})[0] == 401  # type: ignore[index]
    assert credentials.verdict({**good, "x-sandbox-name": ""})[0] == 400  # type: ignore[index]
    with TestClient(create_app(options=HarnessOptions(require_token="test-token"))) as client:
        path = "/data/core/ups/config/mergePolicies"
        assert client.get(path, headers=HEADERS).status_code == 200
        assert client.get(path, headers={**HEADERS, "Authorization": "Bearer other"}).status_code == 401


SYSTEM_JOBS = "/data/core/ups/system/jobs"


def _by_sandbox_id(sandbox: str) -> dict[str, str]:
    return {**_without("x-sandbox-name"), "x-sandbox-id": sandbox_info(sandbox)["sandboxId"]}


def test_gateway__system_jobs_take_the_sandbox_by_id(client, headers):  # type: ignore[no-untyped-def]
    """DOC-SJ's AWS tab sends x-sandbox-id instead of x-sandbox-name: the call acts in that sandbox."""
    world = tenant_doc(datasets=[profile_dataset("crm", "2024-06-01T00:00:00Z")])
    world["tenants"][0]["sandbox"] = "dev-1"
    assert client.post("/__admin/fixtures", json=world).status_code == 200
    dev = {**headers, "x-sandbox-name": "dev-1"}
    created = client.post(SYSTEM_JOBS, headers=dev, json={"dataSetId": "crm"})
    assert created.status_code == 200, created.text
    by_name = client.get(SYSTEM_JOBS, headers=dev)
    by_id = client.get(SYSTEM_JOBS, headers=_by_sandbox_id("dev-1"))
    assert by_id.status_code == 200, by_id.text
    assert [job["id"] for job in by_id.json()["children"]] == [created.json()["id"]]
    assert by_id.json() == by_name.json()
    in_prod = client.get(SYSTEM_JOBS, headers=_by_sandbox_id("prod"))
    assert in_prod.status_code == 200, in_prod.text
    assert in_prod.json()["children"] == []


def test_gateway__unknown_sandbox_id_is_refused(client):  # type: ignore[no-untyped-def]
    response = client.get(SYSTEM_JOBS, headers={**_without("x-sandbox-name"), "x-sandbox-id": "no-such-id"})
    assert response.status_code == 400
    assert response.json()["error_code"] == "400003"
    assert "x-sandbox-id" in response.json()["message"]


def test_gateway__sandbox_id_names_no_sandbox_outside_system_jobs(client):  # type: ignore[no-untyped-def]
    response = client.get(PATH, headers=_by_sandbox_id("prod"))
    assert response.status_code == 400
    assert "x-sandbox-name" in response.json()["message"]


def test_gateway__token_compared_in_constant_time(monkeypatch):  # type: ignore[no-untyped-def]
    from profile_harness.server import gateway

    compared = []

    def spy(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return given == expected

    monkeypatch.setattr(gateway.hmac, "compare_digest", spy)
    headers = {k.lower(): v for k, v in HEADERS.items()}
    assert Credentials("other").verdict(headers) == (401, "401013", "Oauth token is not valid")
    assert compared == [(b"test-token", b"other")]
    # Any header text compares (a non-ASCII token is refused, not a TypeError).
    assert check_credentials({**headers, "authorization": "Bearer t\xe9st"}, "test-token") is not None


def test_gateway__admin_swagger_ui_keeps_its_slash(client):  # type: ignore[no-untyped-def]
    # /__admin/ui redirects to /__admin/ui/; stripping that slash again made the UI a redirect loop.
    assert client.get("/__admin/ui", follow_redirects=False).headers["location"] == "/__admin/ui/"
    assert client.get("/__admin/ui/").status_code == 200


# -- header size and tenant names (issue 17, point 2) --------------------------------------------


def _bounded_app(**options: int) -> TestClient:
    from profile_harness.store import Store

    app = create_app(Store(), options=HarnessOptions(**options))  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


def test_gateway__a_header_value_past_its_limit_is_a_431_before_anything_reads_it(client: TestClient) -> None:
    from profile_harness.app import harness_of

    journal = harness_of(client.app).journal
    journal.clear()
    big = "a" * (8 * 1024 + 1)
    for name, value in (("x-sandbox-name", big), ("x-anything", big), ("authorization", "Bearer " + big)):
        response = client.get(PATH, headers={**HEADERS, name: value})
        assert response.status_code == 431, name
        assert response.json()["error_code"] == "431000"
        assert "8192" in response.json()["message"]
    # Refused before the journal or the store read the headers: nothing of them is kept.
    assert journal.entries() == []
    assert harness_of(client.app).store.tenants() == []


def test_gateway__headers_past_their_total_are_a_431_in_each_shape(client: TestClient) -> None:
    many = {f"x-extra-{i}": "v" * 4000 for i in range(5)}  # 20 kB, each value under 8 KiB
    platform = client.get(PATH, headers={**HEADERS, **many})
    assert platform.status_code == 431
    assert platform.json()["error_code"] == "431000"
    assert "16384" in platform.json()["message"]
    elsewhere = client.get("/__admin/health", headers=many)
    assert elsewhere.status_code == 431
    assert elsewhere.headers["content-type"] == "application/problem+json"
    assert elsewhere.json()["status"] == 431


def test_gateway__header_limits_are_options() -> None:
    with _bounded_app(max_header_bytes=64 * 1024, max_header_value_bytes=32 * 1024) as test_client:
        response = test_client.get(PATH, headers={**HEADERS, "x-extra": "v" * 20_000})
        assert response.status_code == 200
    with _bounded_app(max_header_bytes=1024) as test_client:
        assert test_client.get(PATH, headers={**HEADERS, "x-extra": "v" * 1000}).status_code == 431


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("x-gw-ims-org-id", "A" * 65 + "@AdobeOrg"),
        ("x-sandbox-name", "s" * 65),
        ("x-sandbox-id", "1" * 65),
        ("x-sandbox-id", "not a sandbox id"),
        ("x-sandbox-id", "caf\u00e9".encode("latin-1")),  # not UTF-8
    ],
)
def test_gateway__tenant_names_past_their_length_are_a_400_naming_the_header(
    client: TestClient, name: str, value: str | bytes
) -> None:
    response = client.get(PATH, headers={**HEADERS, name: value})
    assert response.status_code == 400
    assert response.json()["error_code"] == "400003"
    assert name in response.json()["message"]


def test_gateway__names_at_their_length_pass(client: TestClient) -> None:
    headers = {**HEADERS, "x-gw-ims-org-id": "A" * 64 + "@AdobeOrg", "x-sandbox-name": "s" * 64}
    assert client.get(PATH, headers=headers).status_code == 200
    with _bounded_app(max_name_length=8) as test_client:
        assert test_client.get(PATH, headers={**HEADERS, "x-sandbox-name": "s" * 9}).status_code == 400


def test_gateway__many_long_sandbox_names_are_refused_and_nothing_is_kept(client: TestClient) -> None:
    from profile_harness.app import harness_of

    harness = harness_of(client.app)
    for i in range(50):
        name = f"s{i}-" + "x" * 10_000
        assert client.get(PATH, headers={**HEADERS, "x-sandbox-name": name}).status_code == 431
        assert (
            client.post(PATH, headers={**HEADERS, "x-sandbox-name": name[:100]}, json={}).status_code == 400
        )
    assert harness.store.tenants() == []
    kept = [entry.sandbox for entry in harness.journal.entries()]
    assert all(sandbox is None or len(sandbox) <= 100 for sandbox in kept)
