"""Handles that test suites drive the harness through: in-process, live on a port, or a real deployment.

The pytest plugin hands these out as fixtures (``profile_api``, ``profile_api_live``); they work
without pytest too::

    from profile_harness.testing import MockProfileAPI
    api = MockProfileAPI.create()
    api.client.get("/data/core/ups/config/mergePolicies")
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from profile_harness.app import create_app, harness_of
from profile_harness.options import HarnessOptions
from profile_harness.seed.fixtures import load_document, read_fixture_file
from profile_harness.server.context import Harness
from profile_harness.store import Store, Tenant
from profile_harness.store.jobs import parse_timing

__all__ = [
    "DEFAULT_ORG",
    "DEFAULT_SANDBOX",
    "MockProfileAPI",
    "NeedsTheMock",
    "RemoteProfileAPI",
    "ServerError",
]

DEFAULT_ORG = "PYTEST0000000000000000@AdobeOrg"
DEFAULT_SANDBOX = "prod"


class ServerError(AssertionError):
    """The harness itself failed while serving the test (a crash or a response that broke the spec)."""


class NeedsTheMock(RuntimeError):
    """A control-plane action (fixtures, clock, faults, store) asked of a real deployment."""


def platform_headers(token: str, api_key: str, org: str, sandbox: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "x-api-key": api_key,
        "x-gw-ims-org-id": org,
        "x-sandbox-name": sandbox,
    }


class MockProfileAPI:
    """The mock, in process: an httpx client (no sockets) carrying the four Platform headers, plus the
    control plane (fixtures, clock, job timing, faults, request journal) and the store itself.
    """

    is_mock = True

    def __init__(self, app: Any, *, org: str = DEFAULT_ORG, sandbox: str = DEFAULT_SANDBOX) -> None:
        self.app = app
        self.harness: Harness = harness_of(app)
        self.org, self.sandbox = org, sandbox
        self.headers = platform_headers("pytest-token", "pytest", org, sandbox)
        self.client: httpx.Client = TestClient(app, headers=self.headers, raise_server_exceptions=True)

    @classmethod
    def create(
        cls, store: Store | None = None, options: HarnessOptions | None = None, **kwargs: Any
    ) -> MockProfileAPI:
        return cls(create_app(store, options=options), **kwargs)

    # -- state -------------------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        return self.harness.store

    def tenant(self, org: str | None = None, sandbox: str | None = None) -> Tenant:
        """The store's tenant (the test's own by default), for direct inspection."""
        return self.store.tenant(org or self.org, sandbox or self.sandbox)

    def reset(self) -> None:
        """Forget everything: tenants, faults, clock, job timing, journal and recorded server errors."""
        self.store.reset()
        self.harness.journal.clear()
        self.harness.server_errors.clear()

    def load_fixtures(self, document: Mapping[str, Any] | str | Path) -> None:
        """Load a fixture document (a dict, or a YAML/JSON file). A document without ``tenants`` is taken
        as the sections of the test's own tenant (``datasets``, ``mergePolicies``).
        """
        if isinstance(document, str | Path):
            doc: Any = read_fixture_file(Path(document))
            source = str(document)
        else:
            doc, source = dict(document), "fixtures"
        if "tenants" not in doc:
            doc = {"tenants": [{"org": self.org, "sandbox": self.sandbox, **doc}]}
        load_document(self.store, doc, source)

    # -- time and jobs ------------------------------------------------------------------------------

    def freeze_clock(self, at: str | int | None = None) -> None:
        from profile_harness.store.datasets import parse_time_ms

        self.store.clock.freeze(parse_time_ms(at) if at is not None else None)

    def advance_clock(self, *, ms: int = 0, seconds: float = 0) -> None:
        self.store.clock.advance(ms + int(seconds * 1000))

    def set_job_timing(self, **rules: str) -> None:
        """Timing rules by job kind: ``set_job_timing(export="instant", systemJob="reads:2")``."""
        self.store.job_timing.update({kind: parse_timing(rule) for kind, rule in rules.items()})

    def add_fault(self, **spec: Any) -> None:
        """``add_fault(job="export", fail="spark")`` or ``add_fault(match={...}, respond={...})``."""
        self.store.faults.add(spec)

    def requests(self) -> list[dict[str, Any]]:
        """The request journal, oldest first."""
        return [entry.to_dict() for entry in self.harness.journal.entries()]

    def check(self) -> None:
        """Raise the first server error recorded since the last reset (as pytest-httpserver's ``check``)."""
        if self.harness.server_errors:
            first = self.harness.server_errors[0]
            raise ServerError(
                f"the profile-harness server failed: {type(first).__name__}: {first}"
            ) from first


class RemoteProfileAPI:
    """A real deployment (or any URL), behind the same interface; control-plane actions are refused."""

    is_mock = False

    def __init__(self, base_url: str, *, token: str, api_key: str, org: str, sandbox: str) -> None:
        self.base_url, self.org, self.sandbox = base_url.rstrip("/"), org, sandbox
        self.headers = platform_headers(token, api_key, org, sandbox)
        self.client = httpx.Client(base_url=self.base_url, headers=self.headers, timeout=60)

    def _refuse(self, *_: Any, **__: Any) -> Any:
        raise NeedsTheMock("this test drives the mock's control plane, which a real deployment does not have")

    reset = load_fixtures = freeze_clock = advance_clock = set_job_timing = add_fault = requests = _refuse

    @property
    def store(self) -> Store:
        return self._refuse()  # type: ignore[no-any-return]

    def tenant(self, org: str | None = None, sandbox: str | None = None) -> Tenant:
        return self._refuse()  # type: ignore[no-any-return]

    def check(self) -> None:
        """Nothing to check: a deployment's errors are its own."""


@contextmanager
def live(api: MockProfileAPI) -> Iterator[str]:
    """Serve the mock behind ``api`` on a free loopback port for the duration of the block."""
    from profile_harness.server.live import live_server

    with live_server(api.app) as url:
        yield url
