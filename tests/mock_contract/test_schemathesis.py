"""Schemathesis over the whole Platform spec in process: every operation, check and data mode, then links.

The configuration is the project's ``schemathesis.toml``, the one a CLI user's run loads; nothing is
filtered here that a CLI user would see fail.

``PROFILE_HARNESS_CONTRACT_EXAMPLES`` sets the examples per operation (and the stateful scenarios);
``make contract-deep`` runs the same tests with many more.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from starlette.testclient import TestClient

from profile_harness.app import create_app
from profile_harness.seed.demo import demo_world
from profile_harness.seed.fixtures import load_document
from profile_harness.store import Store

EXAMPLES = int(os.environ.get("PROFILE_HARNESS_CONTRACT_EXAMPLES", "25"))

# The four Platform headers, fixed: the gateway's answers to bad credentials are documented and
# tested in tests/server/test_gateway.py; here every call reaches the service behind it.
HEADERS = {
    "Authorization": "Bearer contract-token",
    "x-api-key": "contract-client",
    "x-gw-ims-org-id": "CONTRACT0123@AdobeOrg",
    "x-sandbox-name": "prod",
}

#: The project's schemathesis configuration: the file `schemathesis run` loads from the project root
#: (its per-operation rules a schema cannot state apply here exactly as they do for a CLI user).
PROJECT_CONFIG = Path(__file__).resolve().parents[2] / "schemathesis.toml"
SETTINGS = tomllib.loads(PROJECT_CONFIG.read_text(encoding="utf-8"))

CONFIG = schemathesis.Config.from_dict(
    {
        **SETTINGS,
        "headers": HEADERS,
        # Positive and negative data (the default); every built-in check is on (the default).
        "generation": {**SETTINGS.get("generation", {}), "mode": "all", "max-examples": EXAMPLES},
        # The in-process app answers in milliseconds; large generated bodies are what we want.
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    }
)
# The demo world `serve --demo` loads, in the contract tenant: the spec's examples name its resources,
# so the examples phase and the generated calls that reuse them reach real resources, not only 404s.
STORE = Store(seed=7)
ORG, SANDBOX = HEADERS["x-gw-ims-org-id"], HEADERS["x-sandbox-name"]
load_document(STORE, demo_world(org=ORG, sandbox=SANDBOX))
APP = create_app(STORE)
#: 2024-07-01T00:00:00Z, where the stateful scenarios stop the clock.
FROZEN_AT_MS = 1_719_792_000_000


def _published(app: Any, path: str) -> dict[str, Any]:
    """The description ``app`` publishes at ``path``: what a CLI user's run loads."""
    with TestClient(app) as client:
        document: dict[str, Any] = client.get(path).json()
    return document


schema = schemathesis.openapi.from_dict(_published(APP, "/openapi.json"), config=CONFIG)
schema.app = APP
# The control-plane description, against a mock of its own (its calls reset and reload the world).
ADMIN_APP = create_app(Store(seed=7))
admin_schema = schemathesis.openapi.from_dict(_published(ADMIN_APP, "/__admin/openapi.json"), config=CONFIG)
admin_schema.app = ADMIN_APP

#: Calls made, read back by the summary in conftest.py.
CALLS = {"count": 0}


@schema.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    CALLS["count"] += 1


@admin_schema.hook("after_call")
def after_admin_call(context: Any, case: Any, response: Any) -> None:
    CALLS["count"] += 1


@schema.parametrize()
def test_operation_keeps_its_contract(case: Any) -> None:
    case.call_and_validate()


@admin_schema.parametrize()
def test_admin_operation_keeps_its_contract(case: Any) -> None:
    case.call_and_validate()


class LinkedCalls(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        # Every scenario starts from the same world at the same instant: Hypothesis replays
        # scenarios to shrink a failure, and a replay must meet the answers the first run met.
        STORE.reset(ORG, SANDBOX)
        load_document(STORE, demo_world(org=ORG, sandbox=SANDBOX))
        STORE.clock.freeze(FROZEN_AT_MS)


def test_links_keep_their_contract() -> None:
    """create -> get -> update -> delete along the spec's OpenAPI links, with every check."""
    try:
        LinkedCalls.run(
            settings=settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                stateful_step_count=6,
            )
        )
    finally:
        STORE.clock.reset()
