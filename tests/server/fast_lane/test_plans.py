"""Request plans read query strings and route paths as Starlette and Connexion do."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import QueryParams
from starlette.testclient import TestClient

from profile_harness.app import create_app
from profile_harness.server.fast_lane.lane import FastLane
from profile_harness.server.fast_lane.plans import parse_query
from tests.conftest import HEADERS

_piece = st.text(alphabet="ab=&+%2Fé0 ;", max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(_piece, max_size=5).map("&".join))
def test_parse_query_groups_what_starlette_reads(text: str) -> None:
    raw = text.encode("utf-8")  # as it comes over the wire
    expected: dict[str, list[str]] = {}
    for name, value in QueryParams(raw).multi_items():
        expected.setdefault(name, []).append(value)
    assert parse_query(raw) == expected


def test_router_finds_literal_and_templated_operations_and_leaves_doubts_to_starlette() -> None:
    app = create_app()
    with TestClient(app) as client:
        client.get("/data/core/ups/config/mergePolicies", headers=HEADERS)
        stack = app.middleware.middleware_stack
        lane = next(layer for layer in stack if isinstance(layer, FastLane))
        router = lane.router
        found = router.match("GET", "/data/core/ups/config/mergePolicies/abc")
        assert found is not None
        assert found[0].operation_id == "retrieveMergePolicy"
        assert found[1] == ("abc",)
        found = router.match("GET", "/data/core/ups/config/mergePolicies")
        assert found is not None
        assert found[0].operation_id == "getMany"
        assert router.match("POST", "/data/core/ups/config/mergePolicies") is None  # bodies: Connexion
        assert router.match("GET", "/data/core/ups/nothing") is None
