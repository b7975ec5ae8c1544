"""The resolver: each operation's handler by the handlers' rule, a 501 for one without, media types added."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.testclient import TestClient

from profile_harness import handlers
from profile_harness.errors import NotBuilt
from profile_harness.openapi.bundle import iter_operations, platform_spec
from profile_harness.server.resolver import HarnessResolver


def test_resolver__every_operation_of_the_spec_is_built() -> None:
    resolver = HarnessResolver(platform_spec(), handlers.find)
    assert resolver.not_built == set()
    assert set(resolver.handlers) == {op["operationId"] for _, _, op in iter_operations(platform_spec())}


def test_resolver__an_operation_without_a_handler_answers_501_naming_it() -> None:
    def find(operation: Mapping[str, Any]) -> Any:
        return None if operation["operationId"] == "getMany" else handlers.find(operation)

    resolver = HarnessResolver(platform_spec(), find)
    assert resolver.not_built == {"getMany"}
    with pytest.raises(NotBuilt) as raised:
        asyncio.run(resolver.handler_for("getMany")())
    assert raised.value.operation_id == "getMany"
    assert "getMany" in raised.value.message


def test_resolver__the_documented_media_type_is_added_to_an_answer() -> None:
    async def answer(**_: Any) -> tuple[Any, int]:
        return {"_links": {}}, 200

    def find(operation: Mapping[str, Any]) -> Any:
        return answer if operation["operationId"] == "listProjectionDestinations" else None

    resolver = HarnessResolver(platform_spec(), find)
    body, status, headers = asyncio.run(resolver.handler_for("listProjectionDestinations")())
    assert (body, status) == ({"_links": {}}, 200)
    assert headers["Content-Type"] == resolver.media["listProjectionDestinations"][200]
    assert headers["Content-Type"] != "application/json"  # the edge services' vendor type


MP = "/data/core/ups/config/mergePolicies"


def _starlette_parses(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The bodies Starlette's ``Request.json`` parses (what a handler's ``body`` came from before)."""
    import starlette.requests

    seen: list[bytes] = []

    def loads(text: bytes, **kwargs: Any) -> Any:
        seen.append(text)
        return json.loads(text, **kwargs)

    monkeypatch.setattr(starlette.requests, "json", SimpleNamespace(loads=loads))
    return seen


def test_resolver__a_json_body_reaches_the_handler_without_another_parse(
    client: TestClient, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _starlette_parses(monkeypatch)
    policy = {
        "name": "parsed once",
        "schema": {"name": "_xdm.context.profile"},
        "identityGraph": {"type": "none"},
        "attributeMerge": {"type": "timestampOrdered"},
    }
    created = client.post(MP, json=policy, headers=headers)
    assert created.status_code == 200, created.text
    assert created.json()["name"] == "parsed once"
    found = client.post(f"{MP}/bulk-get", json={"ids": [{"id": created.json()["id"]}]}, headers=headers)
    assert [result["name"] for result in found.json()["results"].values()] == ["parsed once"]
    assert seen == []


def test_resolver__other_bodies_are_still_read_by_connexion(client: TestClient) -> None:
    yaml_fixture = "tenants:\n  - org: YAMLBODY0000@AdobeOrg\n    sandbox: prod\n"
    loaded = client.post(
        "/__admin/fixtures", content=yaml_fixture, headers={"content-type": "application/yaml"}
    )
    assert loaded.status_code == 200, loaded.text
    token = client.post(
        "/ims/token/v3", data={"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}
    )
    assert token.status_code == 200, token.text
