"""Many clients at once against a live server: no 5xx, and the store's invariants hold afterwards."""

from __future__ import annotations

import asyncio
import random
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from profile_harness.app import create_app
from profile_harness.server.journal import RequestJournal
from profile_harness.server.live import live_server
from profile_harness.store import Store
from tests.conftest import policy, profile_dataset

CLIENTS = 32
STEPS = 25  # per client: about 1000 calls in all, a few seconds
TENANTS = [
    ("CONCA0000000000@AdobeOrg", "prod"),
    ("CONCB0000000000@AdobeOrg", "prod"),
    ("CONCA0000000000@AdobeOrg", "dev"),
]
PROFILE = "_xdm.context.profile"
MP = "/data/core/ups/config/mergePolicies"
EXPORTS = "/data/core/ups/export/jobs"
SYSTEM = "/data/core/ups/system/jobs"
CA = "/data/core/ca/attributes"
SUM = 'xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal)'
UNION = {
    "id": "https://ns.adobe.com/xdm/context/profile__union",
    "contentType": "application/vnd.adobe.xed+json",
}
#: Each lifecycle in order; a job may skip a state but never go back.
ORDER = {
    "export": ["NEW", "PROCESSING", "SUCCEEDED", "FAILED"],
    "system": ["NEW", "PROCESSING", "COMPLETED", "ERROR"],
}
FINAL = {"export": {"SUCCEEDED", "FAILED"}, "system": {"COMPLETED", "ERROR"}}


def _tenant_doc(org: str, sandbox: str) -> dict[str, Any]:
    people = [
        {"identityMap": {"email": [{"id": f"p{i}@example.com"}]}, "person": {"name": {"firstName": f"P{i}"}}}
        for i in range(10)
    ]
    return {
        "org": org,
        "sandbox": sandbox,
        "datasets": [
            profile_dataset("crm", "2024-04-01T00:00:00Z", *people),
            profile_dataset(
                "scratch", "2024-04-02T00:00:00Z", {"identityMap": {"email": [{"id": "s@x.com"}]}}
            ),
        ],
        "mergePolicies": [
            policy("base", "pdg", "timestampOrdered", default=True),
            policy("shared", "none", "timestampOrdered"),
        ],
    }


def _headers(tenant: tuple[str, str]) -> dict[str, str]:
    return {
        "Authorization": "Bearer load",
        "x-api-key": "load-test",
        "x-gw-ims-org-id": tenant[0],
        "x-sandbox-name": tenant[1],
    }


@dataclass
class Observed:
    """What every client saw; checked once all of them are done."""

    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    #: (tenant, kind) -> ids created with a 2xx, in order
    created: dict[tuple[tuple[str, str], str], list[str]] = field(default_factory=lambda: defaultdict(list))
    deleted: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    #: (tenant, policy id) -> versions answered by successful writes, any client
    write_versions: dict[tuple[tuple[str, str], str], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: job states as one client saw them, in order: (tenant, kind, id) -> states
    job_states: list[tuple[str, str, list[str]]] = field(default_factory=list)
    defaults_seen: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class Client:
    def __init__(self, number: int, base_url: str, observed: Observed) -> None:
        self.number = number
        self.tenant = TENANTS[number % len(TENANTS)]
        self.random = random.Random(number)
        self.http = httpx.AsyncClient(base_url=base_url, headers=_headers(self.tenant), timeout=30)
        self.observed = observed
        self.mine: list[str] = []  # merge policies this client created and has not deleted
        self.last_version: dict[str, int] = {}

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.request(method, path, **kwargs)
        self.observed.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.observed.server_errors.append(
                f"{method} {path}: {response.status_code} {response.text[:300]}"
            )
        return response

    def saw_version(self, policy_id: str, version: int, *, wrote: bool) -> None:
        last = self.last_version.get(policy_id)
        if last is not None and (version <= last if wrote else version < last):
            self.observed.problems.append(
                f"client {self.number}: {policy_id} went from version {last} to {version}"
            )
        self.last_version[policy_id] = version
        if wrote:
            self.observed.write_versions[(self.tenant, policy_id)].append(version)

    # -- the steps ----------------------------------------------------------------------------

    async def create_policy(self) -> None:
        body = {
            "name": f"c{self.number}-{self.random.randrange(10**6)}",
            "schema": {"name": PROFILE},
            "identityGraph": {"type": self.random.choice(["none", "pdg"])},
            "attributeMerge": {"type": "timestampOrdered"},
            "default": self.random.random() < 0.5,
        }
        response = await self.call("POST", MP, json=body)
        if response.status_code == 200:
            created = response.json()
            self.mine.append(created["id"])
            self.observed.created[(self.tenant, "policy")].append(created["id"])
            self.saw_version(created["id"], created["version"], wrote=True)

    async def update_policy(self) -> None:
        target = self.random.choice([*self.mine, "shared", "base"])
        if self.random.random() < 0.5:
            body: Any = [{"op": "add", "path": "/name", "value": f"n{self.random.randrange(10**6)}"}]
            if target != "base" and self.random.random() < 0.3:
                body.append({"op": "add", "path": "/default", "value": True})
            response = await self.call("PATCH", f"{MP}/{target}", json=body)
        else:
            body = {
                "name": f"p{self.random.randrange(10**6)}",
                "schema": {"name": PROFILE},
                "identityGraph": {"type": "pdg"},
                "attributeMerge": {"type": "timestampOrdered"},
                "default": target == "base",
            }
            response = await self.call("PUT", f"{MP}/{target}", json=body)
        if response.status_code == 200:
            self.saw_version(target, response.json()["version"], wrote=True)

    async def read_policy(self) -> None:
        target = self.random.choice([*self.mine, "shared", "base"])
        response = await self.call("GET", f"{MP}/{target}")
        if response.status_code == 200:
            self.saw_version(target, response.json()["version"], wrote=False)
        elif response.status_code != 404 or target in self.mine:
            self.observed.problems.append(f"client {self.number}: GET {target} -> {response.status_code}")

    async def delete_policy(self) -> None:
        if not self.mine:
            return
        target = self.mine.pop(self.random.randrange(len(self.mine)))
        response = await self.call("DELETE", f"{MP}/{target}")
        if response.status_code == 200:
            self.observed.deleted[self.tenant].add(target)
        else:
            self.observed.problems.append(
                f"client {self.number}: DELETE own {target} -> {response.status_code}"
            )

    async def list_policies(self) -> None:
        response = await self.call("GET", MP, params={"limit": 100})
        if response.status_code == 200:
            defaults = [p for p in response.json()["children"] if p.get("default")]
            self.observed.defaults_seen.append(len(defaults))

    async def lookup(self) -> None:
        params = {
            "schema.name": PROFILE,
            "entityId": f"p{self.random.randrange(10)}@example.com",
            "entityIdNS": "email",
            "mergePolicyId": "base",
        }
        response = await self.call("GET", "/data/core/ups/access/entities", params=params)
        if response.status_code != 200:
            self.observed.problems.append(f"client {self.number}: lookup -> {response.status_code}")

    async def _follow(self, kind: str, path: str, created: dict[str, Any]) -> None:
        job_id = str(created["id"])
        states = [created["status"]]
        for _ in range(6):  # reads:2 timing: the second read ends the job
            response = await self.call("GET", f"{path}/{job_id}")
            if response.status_code != 200:
                self.observed.problems.append(
                    f"client {self.number}: GET {kind} {job_id} -> {response.status_code}"
                )
                return
            states.append(response.json()["status"])
            if states[-1] in FINAL[kind]:
                break
        self.observed.job_states.append((kind, job_id, states))

    async def export(self) -> None:
        body = {
            "schema": {"name": PROFILE},
            "mergePolicy": {"id": "base"},
            "destination": {"datasetId": EXPORT_TARGETS[self.tenant]},
        }
        response = await self.call("POST", EXPORTS, json=body)
        if response.status_code == 200:
            self.observed.created[(self.tenant, "export")].append(str(response.json()["id"]))
            await self._follow("export", EXPORTS, response.json())

    async def system_job(self) -> None:
        response = await self.call("POST", SYSTEM, json={"dataSetId": "scratch"})
        if response.status_code == 200:  # 422 while another one on the same dataset runs
            self.observed.created[(self.tenant, "system")].append(response.json()["id"])
            await self._follow("system", SYSTEM, response.json())

    async def computed_attribute(self) -> None:
        body = {
            "name": f"ca{self.number}x{self.random.randrange(10**6)}",
            "displayName": "load",
            "description": "load",
            "expression": {"type": "PQL", "format": "pql/text", "value": SUM},
            "keepCurrent": False,
            "duration": {"count": 7, "unit": "DAYS"},
            "status": "DRAFT",
        }
        response = await self.call("POST", CA, json=body)
        if response.status_code == 200:
            self.observed.created[(self.tenant, "ca")].append(response.json()["id"])
        else:
            self.observed.problems.append(
                f"client {self.number}: CA create -> {response.status_code} {response.text}"
            )

    async def run(self) -> None:
        steps = [
            (self.create_policy, 3),
            (self.update_policy, 4),
            (self.read_policy, 2),
            (self.delete_policy, 2),
            (self.list_policies, 1),
            (self.lookup, 2),
            (self.export, 1),
            (self.system_job, 1),
            (self.computed_attribute, 1),
        ]
        actions, weights = zip(*steps, strict=True)
        async with self.http:
            for _ in range(STEPS):
                await self.random.choices(actions, weights)[0]()


#: tenant -> the Catalog dataset its exports write to (made during setup)
EXPORT_TARGETS: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with live_server(create_app()) as base_url:
        yield base_url


async def _list_all(http: httpx.AsyncClient, kind: str) -> list[str]:
    if kind == "policy":
        return [p["id"] for p in (await http.get(MP, params={"limit": 100})).json()["children"]]
    if kind == "export":
        return [str(j["id"]) for j in (await http.get(EXPORTS, params={"limit": 1000})).json()["records"]]
    if kind == "system":
        return [j["id"] for j in (await http.get(SYSTEM, params={"limit": 1000})).json()["children"]]
    ids: list[str] = []
    while True:
        page = (await http.get(CA, params={"limit": 40, "offset": len(ids)})).json()
        ids += [a["id"] for a in page["computedAttributes"]]
        if len(ids) >= page["_page"]["totalCount"] or not page["computedAttributes"]:
            return ids


def test_concurrent_clients__no_5xx_and_invariants_hold(server: str) -> None:
    setup = httpx.Client(base_url=server, timeout=30)
    setup.post("/__admin/reset")
    doc = {"tenants": [_tenant_doc(org, sandbox) for org, sandbox in TENANTS]}
    assert setup.post("/__admin/fixtures", json=doc).status_code == 200
    # Jobs end on their second read: the polls, not the wall clock, decide (no timing in the test).
    assert (
        setup.put("/__admin/job-timing", json={"export": "reads:2", "systemJob": "reads:2"}).status_code
        == 200
    )
    for tenant in TENANTS:
        made = setup.post(
            "/data/foundation/catalog/dataSets",
            headers=_headers(tenant),
            json={"name": "exports", "schemaRef": UNION},
        )
        assert made.status_code == 201, made.text
        EXPORT_TARGETS[tenant] = made.json()[0].rsplit("/", 1)[1]

    observed = Observed()

    async def everyone() -> None:
        clients = [Client(n, server, observed) for n in range(CLIENTS)]
        await asyncio.gather(*(client.run() for client in clients))

    asyncio.run(everyone())

    assert observed.server_errors == []
    assert sum(observed.statuses.values()) > CLIENTS * STEPS
    assert observed.problems == []
    # At most one default per class, in every list any client read.
    assert observed.defaults_seen
    assert max(observed.defaults_seen) <= 1
    # Every successful write of a policy got its own version: none was lost to another.
    for key, versions in observed.write_versions.items():
        assert len(versions) == len(set(versions)), (key, sorted(versions))
    # Job states only move forward.
    assert observed.job_states
    for kind, job_id, states in observed.job_states:
        ranks = [ORDER[kind].index(state) for state in states]
        assert ranks == sorted(ranks), (kind, job_id, states)
        assert states[-1] in FINAL[kind], (kind, job_id, states)

    async def final_checks() -> None:
        for tenant in TENANTS:
            async with httpx.AsyncClient(base_url=server, headers=_headers(tenant), timeout=30) as http:
                policies = (await http.get(MP, params={"limit": 100})).json()["children"]
                defaults = Counter(p["schema"]["name"] for p in policies if p["default"])
                assert all(count == 1 for count in defaults.values()), (tenant, defaults)
                assert len(policies) <= 5, tenant
                for kind, fixtures in (
                    ("policy", {"base", "shared"}),
                    ("export", set()),
                    ("system", set()),
                    ("ca", set()),
                ):
                    listed = await _list_all(http, kind)
                    created = observed.created[(tenant, kind)]
                    assert len(listed) == len(set(listed)), (tenant, kind, "listed twice")
                    assert len(created) == len(set(created)), (tenant, kind, "one id handed out twice")
                    expected = (set(created) | fixtures) - observed.deleted[tenant]
                    assert set(listed) == expected, (tenant, kind)
                # Nothing of another tenant is visible here.
                for other in TENANTS:
                    if other == tenant:
                        continue
                    for policy_id in set(observed.created[(other, "policy")]) - observed.deleted[other]:
                        assert (await http.get(f"{MP}/{policy_id}")).status_code == 404
                    # (export job ids are numbered per tenant, so only the lists above can tell)
                    for job_id in observed.created[(other, "system")][:5]:
                        assert (await http.get(f"{SYSTEM}/{job_id}")).status_code == 404
                    for attribute_id in observed.created[(other, "ca")][:5]:
                        assert (await http.get(f"{CA}/{attribute_id}")).status_code == 404

    asyncio.run(final_checks())
    journal = setup.get("/__admin/requests").json()["requests"]
    assert [entry for entry in journal if entry["status"] >= 500] == []
    setup.close()


def test_shared_parts_of_the_store_hold_up_under_threads() -> None:
    """The server thread and a test's own thread share the clock, ids, faults, journal and tenants."""
    threads, rounds = 8, 400
    store, journal = Store(seed=3), RequestJournal(capacity=threads * rounds)
    store.clock.freeze(0)
    start = threading.Barrier(threads)
    results: list[dict[str, Any]] = [{} for _ in range(threads)]
    errors: list[BaseException] = []

    def work(number: int) -> None:
        mine: dict[str, Any] = {"uuids": [], "sequences": [], "faults": [], "fired": 0, "tenants": []}
        try:
            start.wait()
            for i in range(rounds):
                mine["uuids"].append(store.ids.uuid())
                mine["sequences"].append(store.ids.sequence())
                if i % 4 == 0:
                    fault = store.faults.add(
                        {"match": {"operationId": "x"}, "respond": {"status": 503}, "times": 1}
                    )
                    mine["faults"].append(fault.id)
                mine["fired"] += store.faults.request_fault("x", "GET", "/x", None, None) is not None
                journal.record(
                    time=0.0,
                    method="GET",
                    path="/x",
                    query="",
                    status=200,
                    operationId="x",
                    org=None,
                    sandbox=None,
                    durationMs=0.0,
                )
                store.clock.advance(1)
                mine["tenants"].append(store.tenant(f"T{i % 4}@AdobeOrg", "prod"))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        results[number] = mine

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        sys.setswitchinterval(interval)

    assert errors == []
    every = [item for mine in results for item in mine["uuids"]]
    assert len(set(every)) == threads * rounds
    sequences = sorted(item for mine in results for item in mine["sequences"])
    assert sequences == list(range(1, threads * rounds + 1))
    fault_ids = sorted(item for mine in results for item in mine["faults"])
    assert fault_ids == list(range(1, len(fault_ids) + 1))
    faults = store.faults.all()
    assert all(f.used <= 1 for f in faults)
    assert sum(f.used for f in faults) == sum(mine["fired"] for mine in results)
    assert [e.sequence for e in journal.entries()] == list(range(1, threads * rounds + 1))
    assert store.clock.now_ms() == threads * rounds
    tenants = {t for mine in results for t in mine["tenants"]}
    assert len({id(t) for t in tenants}) == 4
    assert len(store.tenants()) == 4
