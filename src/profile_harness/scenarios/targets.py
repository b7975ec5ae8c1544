"""Make targets: the in-process app (no sockets) or a base URL."""

from __future__ import annotations

import httpx
from starlette.testclient import TestClient

from profile_harness.scenarios.runner import Target

__all__ = ["in_process_target", "url_target"]


def in_process_target() -> Target:
    """A fresh harness app, driven through Starlette's test client (no sockets)."""
    from profile_harness.app import create_app

    client = TestClient(create_app(), raise_server_exceptions=False)
    return Target(client=client, admin=True)


def url_target(
    base_url: str,
    *,
    token: str | None = None,
    api_key: str | None = None,
    org: str | None = None,
    sandbox: str | None = None,
    admin: bool | None = None,
    timeout: float = 30.0,
) -> Target:
    """A target at ``base_url``; ``admin`` defaults to asking whether it is a profile-harness server."""
    client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
    if admin is None:
        try:
            admin = client.get("/__admin/health").status_code == 200
        except httpx.HTTPError:
            admin = False
    target = Target(client=client, admin=admin)
    target.token = token or target.token
    target.api_key = api_key or target.api_key
    target.org = org or target.org
    target.sandbox = sandbox or target.sandbox
    return target
