"""Live servers for the validate and proxy tests: the mock, and a mock that drifts on purpose."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from profile_harness.app import create_app
from profile_harness.seed.demo import DEMO_ORG, demo_document
from profile_harness.server.live import live_server
from tests.contract.drifting import DEFAULT_SANDBOX, drifting_app

SANDBOX = DEFAULT_SANDBOX
ORG = DEMO_ORG


def seed(base_url: str) -> None:
    """The test sandbox with the demo world in it (people, datasets, a default merge policy)."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.post("/__admin/reset", params={"org": ORG, "sandbox": SANDBOX}).raise_for_status()
        client.post("/__admin/fixtures", json=demo_document(20, sandbox=SANDBOX)).raise_for_status()


def state(base_url: str) -> dict[str, object]:
    response = httpx.get(f"{base_url}/__admin/state", timeout=10)
    response.raise_for_status()
    data: dict[str, object] = response.json()
    return data


@pytest.fixture
def mock_url() -> Iterator[str]:
    with live_server(create_app()) as url:
        seed(url)
        yield url


@pytest.fixture
def drifting() -> Iterator[tuple[str, object]]:
    app = drifting_app()
    with live_server(app) as url:
        seed(url)
        yield url, app
