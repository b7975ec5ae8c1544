"""ErrorResponder: errors answered in the shape of the operations on the path."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/__admin/health", "GET"),
        ("/__admin/requests", "DELETE, GET"),
        ("/__admin/clock", "GET, POST"),
        ("/__admin/job-timing", "GET, PUT"),
        ("/__admin/faults", "DELETE, GET, POST"),
        ("/__admin/fixtures", "POST"),
        ("/__admin/reset", "POST"),
        ("/__admin/state", "GET"),
    ],
)
def test_unrouted__admin_405_lists_the_documented_methods(client: Any, path: str, allow: str) -> None:
    """RFC 9110: a 405 carries Allow, on the admin API as on the Platform paths."""
    response = client.request("TRACE", path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 405
    assert allow in response.json()["detail"]


def test_unrouted__unknown_admin_path_is_a_404_problem(client: Any) -> None:
    response = client.get("/__admin/no-such-thing")
    assert response.status_code == 404
    assert "allow" not in response.headers


def test_unrouted__platform_405_is_unchanged(client: Any, headers: Any) -> None:
    response = client.request("TRACE", "/data/core/ups/config/mergePolicies/bulk-get", headers=headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
