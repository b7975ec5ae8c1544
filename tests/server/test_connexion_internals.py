"""The installed Connexion still has every private name the harness uses, with the same shape.

Fails loudly, naming the missing piece, when Connexion is moved past the version
``src/profile_harness/server/connexion_internals.py`` was read from.
"""

from __future__ import annotations

import importlib
import inspect
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from connexion.middleware.context import ContextOperation
from connexion.validators import (
    AbstractRequestBodyValidator,
    AbstractResponseBodyValidator,
    JSONRequestBodyValidator,
    JSONResponseBodyValidator,
)
from starlette.testclient import TestClient

from profile_harness.server.connexion_internals import PRIVATE_NAMES, RepeatedQueryURIParser

ROOT = Path(__file__).resolve().parents[2]


def test_installed_connexion_is_the_pinned_minor_version() -> None:
    pin = re.search(r'"connexion\[[^\]]*\]>=(\d+\.\d+),<', (ROOT / "pyproject.toml").read_text())
    assert pin is not None, "the Connexion pin is gone from pyproject.toml"
    assert version("connexion").startswith(pin.group(1) + "."), (
        f"Connexion {version('connexion')} is installed, the pin is {pin.group(1)}.x: "
        "re-read src/profile_harness/server/connexion_internals.py before moving the pin"
    )


@pytest.mark.parametrize(("module", "name"), PRIVATE_NAMES, ids=[f"{m}.{n}" for m, n in PRIVATE_NAMES])
def test_private_name_exists(module: str, name: str) -> None:
    found: object = importlib.import_module(module)
    for part in name.split("."):
        assert hasattr(found, part), f"the installed Connexion has no {module}.{name}"
        found = getattr(found, part)


def _parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_body_validator_steps_keep_their_arguments() -> None:
    assert _parameters(JSONRequestBodyValidator._parse) == ["self", "stream", "scope"]
    assert inspect.iscoroutinefunction(JSONRequestBodyValidator._parse)
    assert _parameters(AbstractResponseBodyValidator._parse) == ["self", "stream"]
    assert _parameters(JSONResponseBodyValidator._validate) == ["self", "body"]


def test_validators_keep_schema_and_encoding_where_the_overrides_read_them() -> None:
    response = JSONResponseBodyValidator({}, schema={"type": "object"}, encoding="utf-8")
    assert (response._schema, response._encoding) == ({"type": "object"}, "utf-8")
    request = JSONRequestBodyValidator(schema={}, encoding="latin-1", strict_validation=False)
    assert request._encoding == "latin-1"


def test_validators_still_go_through_the_overridden_steps() -> None:
    """The overrides only take effect while Connexion's own flow calls ``_parse`` and ``_validate``."""
    receive = inspect.getsource(AbstractRequestBodyValidator.wrap_receive)
    assert "await self._parse(" in receive
    assert "self._validate(" in receive
    send = inspect.getsource(AbstractResponseBodyValidator.wrap_send)
    assert "self._parse(" in send
    assert "self._validate(" in send


def test_context_middleware_sets_the_four_variables_the_lane_sets() -> None:
    """A variable Connexion adds to the call context would be missing on calls the lane serves."""
    source = inspect.getsource(ContextOperation.__call__)
    assert sorted(re.findall(r"(\w+)\.set\(", source)) == ["_context", "_operation", "_receive", "_scope"]


def _query_parser(parameter: dict[str, object]) -> RepeatedQueryURIParser:
    return RepeatedQueryURIParser([parameter], {})


def test_repeated_query_parser__one_item_per_repeated_value_commas_kept() -> None:
    parser = _query_parser(
        {"name": "property", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}
    )
    resolved = parser.resolve_query({"property": ["status=contains(new,draft)", "name!=x"]})
    assert resolved == {"property": ["status=contains(new,draft)", "name!=x"]}


def test_repeated_query_parser__other_styles_as_connexion_reads_them() -> None:
    piped = {
        "name": "p",
        "in": "query",
        "style": "pipeDelimited",
        "schema": {"type": "array", "items": {"type": "string"}},
    }
    unexploded = {
        "name": "p",
        "in": "query",
        "explode": False,
        "schema": {"type": "array", "items": {"type": "string"}},
    }
    assert _query_parser(piped).resolve_query({"p": ["a|b"]}) == {"p": ["a", "b"]}
    assert _query_parser(unexploded).resolve_query({"p": ["a,b"]}) == {"p": ["a", "b"]}


def test_repeated_query_parser__entities_property_over_http(
    client: TestClient, headers: dict[str, str]
) -> None:
    lookup = {"schema.name": "_xdm.context.experienceevent", "relatedSchema.name": "_xdm.context.profile"}
    query = {**lookup, "relatedEntityId": "nobody", "relatedEntityIdNS": "email", "property": "a=1,2"}
    # One filter with a comma, not two (the second, "2", would break the item pattern: a 400).
    assert client.get("/data/core/ups/access/entities", params=query, headers=headers).status_code != 400
