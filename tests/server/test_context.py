"""Reads never create a tenant; writes create tenants up to the server's limit (issue 17, point 3)."""

from __future__ import annotations

import random

from starlette.testclient import TestClient

from profile_harness.app import create_app, harness_of
from profile_harness.options import HarnessOptions
from profile_harness.store import Store
from tests.conftest import HEADERS

POLICIES = "/data/core/ups/config/mergePolicies"
READS = (
    POLICIES,
    "/data/core/ups/export/jobs",
    "/data/core/ups/system/jobs",
    "/data/core/ca/attributes",
    "/data/core/ups/previewsamplestatus",
    "/data/core/ups/export/jobs/12345",
)
NEW_POLICY = {
    "name": "mine",
    "identityGraph": {"type": "none"},
    "attributeMerge": {"type": "timestampOrdered"},
    "schema": {"name": "_xdm.context.profile"},
}


def _client(store: Store, **options: int) -> TestClient:
    app = create_app(store, options=HarnessOptions(**options))  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


def _random_tenant(rng: random.Random) -> dict[str, str]:
    org = "".join(rng.choices("ABCDEF0123456789", k=24)) + "@AdobeOrg"
    sandbox = "".join(rng.choices("abcdefghij-0123456789", k=12)).strip("-") or "s"
    return {**HEADERS, "x-gw-ims-org-id": org, "x-sandbox-name": sandbox}


def test_reads_with_random_tenants_create_none() -> None:
    store = Store()
    rng = random.Random(17)
    with _client(store) as client:
        for i in range(200):
            response = client.get(READS[i % len(READS)], headers=_random_tenant(rng))
            assert response.status_code in (200, 404), response.text
        assert store.tenants() == []
        assert client.get("/__admin/state").json()["tenants"] == []


def test_a_read_of_an_unknown_tenant_answers_as_an_empty_tenant_would() -> None:
    store = Store()
    with _client(store, fast_lane=False) as client:
        unknown = client.get(POLICIES, headers={**HEADERS, "x-sandbox-name": "never-written"})
        written = {**HEADERS, "x-sandbox-name": "written"}
        assert client.post(POLICIES, headers=written, json=NEW_POLICY).status_code == 200
        assert [t.sandbox for t in store.tenants()] == ["written"]
    assert unknown.status_code == 200
    assert [p["id"] for p in unknown.json()["children"]] == [
        p.id for p in Store().tenant("o@AdobeOrg", "s").merge_policies.all()
    ]


def test_writes_create_tenants_up_to_the_limit_then_429_in_the_endpoints_shape() -> None:
    store = Store()
    with _client(store, max_tenants=3) as client:
        for sandbox in ("one", "two", "three"):
            headers = {**HEADERS, "x-sandbox-name": sandbox}
            assert client.post(POLICIES, headers=headers, json=NEW_POLICY).status_code == 200
        refused = client.post(POLICIES, headers={**HEADERS, "x-sandbox-name": "four"}, json=NEW_POLICY)
        assert refused.status_code == 429
        assert refused.json()["code"] == "429"  # merge policies' {code, message}
        assert "--max-tenants" in refused.json()["message"]
        # A known tenant still takes writes; reads of the unknown one still answer.
        again = client.post(POLICIES, headers={**HEADERS, "x-sandbox-name": "one"}, json=NEW_POLICY)
        assert again.status_code == 200
        assert client.get(POLICIES, headers={**HEADERS, "x-sandbox-name": "four"}).status_code == 200
        assert len(store.tenants()) == 3
        # A reset frees room.
        client.post("/__admin/reset", params={"sandbox": "two"})
        assert (
            client.post(POLICIES, headers={**HEADERS, "x-sandbox-name": "four"}, json=NEW_POLICY).status_code
            == 200
        )


def test_the_options_set_the_store_and_journal_bounds() -> None:
    store = Store()
    app = create_app(
        store, options=HarnessOptions(max_tenants=5, max_finished_jobs=7, journal_max_bytes=4096)
    )
    harness = harness_of(app)
    assert (store.max_tenants, store.max_finished_jobs, harness.journal.max_bytes) == (5, 7, 4096)
    # Unset, the store keeps its own settings.
    own = Store(max_tenants=9, max_finished_jobs=11)
    create_app(own)
    assert (own.max_tenants, own.max_finished_jobs) == (9, 11)
