"""The resolver: each operation's handler by the handlers' rule, a 501 for one without, media types added."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

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
