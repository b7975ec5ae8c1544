"""The door every validate request goes through: 429 and Retry-After, the rate cap, the write guard."""

from __future__ import annotations

import json

import httpx
import pytest

from profile_harness.contract.spec import load_contract
from profile_harness.contract.transport import GuardedTransport, WriteRefused, retry_after_seconds

CONTRACT = load_contract()


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _guarded(handler, *, allow_writes=False, rate=0.0, time=None):  # type: ignore[no-untyped-def]
    time = time or FakeTime()
    transport = GuardedTransport(
        inner=httpx.MockTransport(handler),
        contract=CONTRACT,
        allow_writes=allow_writes,
        rate=rate,
        sleep=time.sleep,
        clock=lambda: time.now,
        wall=lambda: time.now,
    )
    return httpx.Client(base_url="https://deployment.test", transport=transport), transport, time


def test_transport__waits_out_429_as_retry_after_says():
    answers = iter([httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, json={})])
    client, transport, time = _guarded(lambda request: next(answers))
    assert client.get("/data/core/ups/config/mergePolicies").status_code == 200
    assert time.slept == [3.0]
    assert transport.rate_limited == 1
    assert transport.requests_sent == 2


def test_transport__gives_up_on_a_wait_longer_than_a_minute():
    client, transport, time = _guarded(lambda request: httpx.Response(429, headers={"Retry-After": "3600"}))
    assert client.get("/data/core/ups/config/mergePolicies").status_code == 429
    assert time.slept == []
    assert transport.requests_sent == 1


def test_transport__retry_after_as_an_http_date():
    assert retry_after_seconds("Thu, 01 Jan 1970 00:01:40 GMT", now=90.0) == 10.0
    assert retry_after_seconds("soon", now=0.0) is None


def test_transport__caps_its_own_rate():
    client, _transport, time = _guarded(lambda request: httpx.Response(200, json={}), rate=4)
    for _ in range(3):
        client.get("/data/core/ups/config/mergePolicies")
    assert time.slept == [0.25, 0.25]


def test_transport__read_only_sends_nothing_but_reads():
    sent: list[str] = []
    client, _t, _time = _guarded(lambda request: sent.append(request.method) or httpx.Response(200, json={}))
    with pytest.raises(WriteRefused, match="read-only"):
        client.post("/data/core/ups/config/mergePolicies", json={"name": "x"})
    with pytest.raises(WriteRefused):
        client.post("/data/core/ups/access/entities", json={})
    assert sent == []


def test_transport__writes_only_what_can_be_undone():
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json={"id": "mp1", **json.loads(request.content)})
        return httpx.Response(200, json={})

    client, transport, _time = _guarded(answer, allow_writes=True)
    policies = "/data/core/ups/config/mergePolicies"
    with pytest.raises(WriteRefused, match="default"):
        client.post(policies, json={"name": "x", "default": True})
    with pytest.raises(WriteRefused, match="did not create"):
        client.patch(f"{policies}/someone-elses", json=[])
    with pytest.raises(WriteRefused, match="never"):
        client.post("/data/core/ups/system/jobs", json={"dataSetId": "d"})
    with pytest.raises(WriteRefused, match="cannot delete"):
        client.post("/data/foundation/catalog/dataSets", json={"name": "d"})
    with pytest.raises(WriteRefused, match="DRAFT"):
        client.post("/data/core/ca/attributes", json={"name": "a", "status": "NEW"})
    client.post(policies, json={"name": "x", "default": False})
    assert [c.path for c in transport.created] == [f"{policies}/mp1"]
    client.patch(f"{policies}/mp1", json=[])
    client.delete(f"{policies}/mp1")
    assert transport.created[0].deleted
