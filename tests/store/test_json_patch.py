"""JSON Patch through jsonpatch: RFC 6902 operations on a copy, a failing one refused by name."""

from __future__ import annotations

from typing import Any

import pytest

from profile_harness.errors import BadRequest
from profile_harness.store import json_patch


def test_apply__rfc6902_operations_on_a_copy() -> None:
    doc = {"a": {"b": 1}, "list": [1, 2]}
    out = json_patch.apply(
        doc,
        [
            {"op": "add", "path": "/list/-", "value": 3},
            {"op": "copy", "from": "/a/b", "path": "/c"},
            {"op": "move", "from": "/c", "path": "/d"},
            {"op": "replace", "path": "/list/0", "value": 9},
            {"op": "test", "path": "/d", "value": 1},
        ],
    )
    assert out == {"a": {"b": 1}, "list": [9, 2, 3], "d": 1}
    assert doc == {"a": {"b": 1}, "list": [1, 2]}


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ({"op": "remove", "path": "/nope"}, "remove at /nope: the path does not exist"),
        ({"op": "replace", "path": "/nope", "value": 1}, "replace at /nope: the path does not exist"),
        ({"op": "add", "path": "/x/y", "value": 1}, "add at /x/y: the path does not exist"),
        (
            {"op": "add", "path": "x", "value": 1},
            "add at x: a path is not a JSON Pointer (one starts with /)",
        ),
        ({"op": "add", "path": "/list/9", "value": 1}, "add at /list/9: can't insert outside of list"),
        ({"op": "add", "path": "/a"}, "add at /a: The operation does not contain a 'value' member"),
        ({"op": "move", "from": "/q", "path": "/a"}, "move from /q to /a: the path does not exist"),
        ({"op": "test", "path": "/a/b", "value": 2}, "test failed: /a/b is not 2"),
        ({"op": "frob", "path": "/a"}, "frob at /a: Unknown operation 'frob'"),
    ],
)
def test_apply__a_failing_operation_is_a_400_naming_it(operation: dict[str, Any], message: str) -> None:
    doc = {"a": {"b": 1}, "list": [1, 2]}
    with pytest.raises(BadRequest) as refused:
        json_patch.apply(doc, [{"op": "add", "path": "/new", "value": 0}, operation])
    assert refused.value.message == message
    assert doc == {"a": {"b": 1}, "list": [1, 2]}  # all or nothing
