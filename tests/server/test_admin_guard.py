"""The admin API refuses other origins, unexpected hosts and calls without the admin token (issue 17, 1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from profile_harness.app import create_app
from profile_harness.options import HarnessOptions
from profile_harness.server.admin_guard import host_name, is_loopback, open_admin_warning
from tests.conftest import HEADERS

TOKEN = "admin-s3cret"
OWN = {"Host": "127.0.0.1:8201"}


@pytest.fixture(scope="module")
def guarded() -> Iterator[TestClient]:
    options = HarnessOptions(admin_token=TOKEN, admin_allowed_hosts=("127.0.0.1", "localhost", "::1"))
    with TestClient(create_app(options=options), raise_server_exceptions=False) as client:
        yield client


def _assert_problem(response, status: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/__admin/state"),
        ("POST", "/__admin/reset"),
        ("GET", "/__admin/requests"),
        ("GET", "/__admin"),
    ],
)
def test_admin_guard__token_is_required(guarded, method, path):  # type: ignore[no-untyped-def]
    response = guarded.request(method, path, headers=OWN)
    _assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    wrong = guarded.request(method, path, headers={**OWN, "Authorization": "Bearer admin-s3creT"})
    _assert_problem(wrong, 401)


def test_admin_guard__token_lets_the_call_through(guarded):  # type: ignore[no-untyped-def]
    response = guarded.get("/__admin/state", headers={**OWN, "Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert "tenants" in response.json()


def test_admin_guard__platform_token_is_not_the_admin_token(guarded):  # type: ignore[no-untyped-def]
    # A tenant's credentials open its own data, not the admin API.
    _assert_problem(guarded.post("/__admin/reset", headers={**HEADERS, **OWN}), 401)


@pytest.mark.parametrize("path", ["/__admin/health", "/__admin/openapi.json", "/__admin/ui/"])
def test_admin_guard__stateless_paths_stay_public(guarded, path):  # type: ignore[no-untyped-def]
    assert guarded.get(path, headers=OWN).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://127.0.0.1:3000"},  # another port is another origin
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_admin_guard__cross_origin_browser_calls_are_refused(client, headers):  # type: ignore[no-untyped-def]
    # The default server (no admin token): a page on another origin still cannot reset it.
    response = client.post("/__admin/reset", headers={**headers, "Content-Type": "text/plain"}, content=b"x")
    _assert_problem(response, 403)
    preflight = client.options("/__admin/reset", headers={**headers, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver"},
        {"Origin": "http://testserver:80"},
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
    ],
)
def test_admin_guard__own_origin_passes(client, headers):  # type: ignore[no-untyped-def]
    assert client.post("/__admin/reset", headers=headers).status_code == 200


@pytest.mark.parametrize("host", ["attacker.example:8201", "attacker.example", "192.168.1.20:8201", ""])
def test_admin_guard__unexpected_host_is_refused(guarded, host):  # type: ignore[no-untyped-def]
    # DNS rebinding: the attacker's name resolves to this server, the Host header still names it.
    headers = {"Host": host, "Authorization": f"Bearer {TOKEN}"}
    _assert_problem(guarded.get("/__admin/state", headers=headers), 421)


@pytest.mark.parametrize("host", ["127.0.0.1:8201", "localhost:8201", "LOCALHOST", "[::1]:8201"])
def test_admin_guard__loopback_hosts_pass(guarded, host):  # type: ignore[no-untyped-def]
    headers = {"Host": host, "Authorization": f"Bearer {TOKEN}"}
    assert guarded.get("/__admin/state", headers=headers).status_code == 200


def test_admin_guard__allowed_host_is_configurable():
    options = HarnessOptions(admin_allowed_hosts=("0.0.0.0", "mock.internal"))
    with TestClient(create_app(options=options)) as client:
        assert client.get("/__admin/state", headers={"Host": "mock.internal:8080"}).status_code == 200
        assert client.get("/__admin/state", headers={"Host": "other.internal:8080"}).status_code == 421


def test_admin_guard__platform_paths_are_not_guarded(guarded):  # type: ignore[no-untyped-def]
    response = guarded.get(
        "/data/core/ups/config/mergePolicies", headers={**HEADERS, "Host": "anything.example"}
    )
    assert response.status_code == 200


def test_admin_guard__no_cors_on_platform_routes_by_default(client, headers):  # type: ignore[no-untyped-def]
    response = client.get(
        "/data/core/ups/config/mergePolicies", headers={**headers, "Origin": "http://localhost:3000"}
    )
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_admin_guard__cors_for_configured_origins():
    origin = "http://localhost:3000"
    with TestClient(create_app(options=HarnessOptions(cors_origins=(origin,)))) as client:
        path = "/data/core/ups/config/mergePolicies"
        preflight = client.options(
            path,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization, x-api-key, x-gw-ims-org-id, x-sandbox-name",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == origin
        assert "x-sandbox-name" in preflight.headers["access-control-allow-headers"].lower()
        response = client.get(path, headers={**HEADERS, "Origin": origin})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == origin
        other = client.get(path, headers={**HEADERS, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        # CORS is for the Platform routes: the admin API still refuses that origin.
        assert client.post("/__admin/reset", headers={"Origin": origin}).status_code == 403


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("mock.example", False),
    ],
)
def test_admin_guard__loopback_binding(host, loopback):  # type: ignore[no-untyped-def]
    assert is_loopback(host) is loopback
    assert (open_admin_warning(host, None) is None) is loopback
    assert open_admin_warning(host, "token") is None


def test_admin_guard__host_name():
    assert host_name("[::1]:8080") == "::1"
    assert host_name("LocalHost:80") == "localhost"
    assert host_name("::1") == "::1"
    assert host_name("example.com") == "example.com"
