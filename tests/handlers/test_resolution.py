"""Every operation of the spec has one handler, found by its operationId in the module of its tag."""

from __future__ import annotations

import inspect
from types import FunctionType, ModuleType

import pytest

from profile_harness import handlers
from profile_harness.openapi.bundle import admin_spec, iter_operations, platform_spec

OPERATIONS = [
    operation for doc in (platform_spec(), admin_spec()) for _, _, operation in iter_operations(doc)
]


def _handler_names(module: ModuleType) -> set[str]:
    """The public coroutine functions a handler module defines (helpers are private)."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        # type(), not isinstance(): a module may hold Connexion's request proxy, which answers
        # attribute reads only inside a request.
        and type(value) is FunctionType
        and inspect.iscoroutinefunction(value)
        and value.__module__ == module.__name__
    }


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation["operationId"])
def test_find__each_operation_resolves_to_exactly_one_function(operation):  # type: ignore[no-untyped-def]
    assert len(operation["tags"]) == 1, "the tag names the module: one tag per operation"
    handler = handlers.find(operation)
    assert handler is not None, (
        f"{operation['operationId']} has no handler in {operation['tags'][0]}'s module"
    )
    assert handler.__name__ == operation["operationId"]
    defining = [m for m in set(handlers.MODULES.values()) if operation["operationId"] in _handler_names(m)]
    assert defining == [handlers.MODULES[operation["tags"][0]]]


def test_find__no_handler_function_is_orphaned():  # type: ignore[no-untyped-def]
    served = {(operation["tags"][0], operation["operationId"]) for operation in OPERATIONS}
    for tag, module in handlers.MODULES.items():
        tags = [t for t, m in handlers.MODULES.items() if m is module]
        orphans = {name for name in _handler_names(module) if not any((t, name) in served for t in tags)}
        assert not orphans, f"{module.__name__} ({tag}) defines handlers no operation names: {orphans}"


def test_find__every_module_serves_a_tag_of_the_spec():  # type: ignore[no-untyped-def]
    tags = {operation["tags"][0] for operation in OPERATIONS}
    assert set(handlers.MODULES) == tags


def test_find__an_operation_without_a_function_has_no_handler():  # type: ignore[no-untyped-def]
    assert handlers.find({"operationId": "noSuchOperation", "tags": ["Entities"]}) is None
    assert handlers.find({"operationId": "getMany", "tags": ["No such tag"]}) is None
    assert handlers.find({"operationId": "getMany"}) is None
