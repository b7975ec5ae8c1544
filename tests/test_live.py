"""The same scenarios pass against a live server over loopback as in-process (uvicorn, real sockets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from profile_harness.app import create_app
from profile_harness.live import live_server
from profile_harness.scenarios import OutcomeKind, load_scenarios, run_scenario
from profile_harness.scenarios.targets import url_target

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def base_url():  # type: ignore[no-untyped-def]
    with live_server(create_app()) as url:
        yield url


def test_live__every_runnable_scenario_passes_over_http(base_url):  # type: ignore[no-untyped-def]
    target = url_target(base_url)
    assert target.admin
    outcomes = [run_scenario(s, target) for s in load_scenarios([SCENARIOS]) if not s.pending]
    assert outcomes, "no runnable scenarios"
    failed = [f"{o.scenario.path}: {o.detail}" for o in outcomes if o.kind is not OutcomeKind.PASSED]
    assert not failed, "\n\n".join(failed)


def test_live__errors_keep_the_endpoint_shape(base_url):  # type: ignore[no-untyped-def]
    import httpx

    headers = {
        "Authorization": "Bearer t",
        "x-api-key": "k",
        "x-gw-ims-org-id": "A1@AdobeOrg",
        "x-sandbox-name": "prod",
    }
    response = httpx.get(f"{base_url}/data/core/ups/config/mergePolicies/nope", headers=headers)
    assert response.status_code == 404
    assert response.json() == {"code": "404", "message": "Merge policy nope does not exist"}
