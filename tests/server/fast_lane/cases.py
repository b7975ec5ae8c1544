"""Calls for the lane-on / lane-off comparison, derived from a request plan's parameter schemas.

For each operation the lane serves: one plain call (every required parameter valid), then one call
per variation of one parameter: valid values (enum members, bounds, defaults), invalid ones (wrong
type, enum miss, out of bounds, empty, odd characters), a repeated parameter, a missing required
one; plus unknown parameters and the header variants. Nothing here judges the answers: the
comparison does (the same status, media type and body with and without the lane).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator

from profile_harness.server.fast_lane.plans import OperationPlan, ParameterPlan
from tests.conftest import HEADERS

#: Values of the test world that address something, tried first so plain calls find data.
KNOWN: dict[str, list[str]] = {
    "schema.name": ["_xdm.context.profile", "_xdm.context.experienceevent"],
    "relatedSchema.name": ["_xdm.context.profile"],
    "entityId": ["crm1"],
    "entityIdNS": ["crmid"],
    "relatedEntityId": ["ecid1"],
    "relatedEntityIdNS": ["ecid"],
    "mergePolicyId": ["pdg", "prec"],
    "datasetId": ["crm"],
}
#: Header changes every operation gets (credentials, tenant, tracing, content negotiation, a body).
HEADER_VARIANTS: list[dict[str, str]] = [
    {"Authorization": ""},
    {"x-api-key": ""},
    {"x-sandbox-name": "Bad Sandbox"},
    {"x-sandbox-name": "other"},
    {"x-gw-ims-org-id": "OTHER0000@AdobeOrg"},
    {"x-gw-ims-org-id": "not-an-org"},
    {"x-request-id": "req-1"},
    {"Accept": "application/xml"},
    {"Content-Length": "5"},
]
#: Odd text any string parameter gets (sent percent-encoded unless marked raw).
ODD_TEXT = ["", " ", "é", "\u0663", "a,b", "<x>"]
#: Sent as written: encodings a client may get wrong.
RAW_TEXT = ["%FF", "a+b", "%"]
#: Well-formed and ill-formed text of the string formats the spec uses.
FORMAT_TEXT = {
    "date": ["2026-11-03", "2026-02-30", "20261103"],
    "date-time": ["2026-11-03T10:00:00Z", "2026-11-03 10:00"],
    "int64": ["1"],
}
#: The first text found, the same every run (no shrinking: that alone would take seconds).
_QUIET = settings(
    database=None,
    derandomize=True,
    phases=[Phase.generate],
    max_examples=200,
    suppress_health_check=list(HealthCheck),
)


@dataclass(frozen=True)
class Call:
    """One request: what varies, for the failure message."""

    why: str
    method: str
    path: str
    headers: dict[str, str]


def _declared(plan: OperationPlan) -> dict[tuple[str, str], dict[str, Any]]:
    """The operation's parameter definitions by (location, name) (Connexion lists some twice)."""
    return {(p["in"], p["name"]): p for p in plan.operation.parameters}


def _schema(definition: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = definition.get("schema") or {}
    return schema


def _valid_text(schema: dict[str, Any]) -> str:
    """The simplest text that passes ``schema`` as a string (Hypothesis finds it, deterministically)."""
    key = json.dumps(schema, sort_keys=True)
    if key not in _FOUND:
        _FOUND[key] = _find_text(schema)
    return _FOUND[key]


_FOUND: dict[str, str] = {}


def _find_text(schema: dict[str, Any]) -> str:
    check = Draft4Validator(schema)
    if "pattern" in schema:
        strategy = st.from_regex(schema["pattern"], fullmatch=True)
    else:
        strategy = st.text(alphabet="ab1", min_size=max(1, schema.get("minLength", 1)))
    return str(find(strategy, lambda text: bool(text) and check.is_valid(text), settings=_QUIET))


def variations(plan: ParameterPlan, schema: dict[str, Any]) -> list[tuple[str, bool]]:
    """(value, sent raw?) to try for one parameter: valid, invalid and edge-case values."""
    values: list[str] = list(KNOWN.get(plan.name, []))
    if "default" in schema:
        values.append(str(schema["default"]).lower() if plan.type == "boolean" else str(schema["default"]))
    values += [str(member) for member in schema.get("enum", [])[:4]]
    if "example" in schema:
        values.append(str(schema["example"]))
    values += FORMAT_TEXT.get(schema.get("format", ""), [])
    if plan.type in ("integer", "number"):
        for bound in ("minimum", "maximum"):
            if bound in schema:
                values += [str(schema[bound] - 1), str(schema[bound]), str(schema[bound] + 1)]
        values += ["0", "1", "abc", "1.5", "1e3", " 3", "9223372036854775808"]
        if plan.type == "number":
            values += ["nan", "inf", "-0.0"]
    elif plan.type == "boolean":
        values += ["true", "false", "True", "yes", "1", "maybe"]
    else:
        item_schema = schema.get("items", {}) if plan.type == "array" else schema
        if "enum" in item_schema:
            values += [str(member) for member in item_schema["enum"][:4]] + ["zzz"]
        else:
            values.append(_valid_text(item_schema))
        if plan.type == "array" and "maxItems" in schema:
            values.append(",".join(["a"] * (schema["maxItems"] + 1)))
    values += ODD_TEXT
    unique = list(dict.fromkeys(values))
    return [(value, False) for value in unique] + [(value, True) for value in RAW_TEXT]


def plain_value(plan: ParameterPlan, schema: dict[str, Any]) -> str:
    """A non-empty value the lane takes as plainly valid (known world values first)."""
    for value, raw in variations(plan, schema):
        if not raw and value and plan.accepts(value):
            return value
    raise AssertionError(f"no plainly valid value found for parameter {plan.name!r}")


def _query(pairs: list[tuple[str, str, bool]]) -> str:
    return "&".join(f"{quote(name)}={value if raw else quote(value, safe='')}" for name, value, raw in pairs)


def calls(plan: OperationPlan) -> Iterator[Call]:
    """Every call the comparison sends for ``plan``."""
    declared = _declared(plan)
    schemas = {(p.location, p.name): _schema(declared[(p.location, p.name)]) for p in plan.parameters}
    unique = list({(p.location, p.name): p for p in plan.parameters}.values())
    path_params = {p.name: p for p in unique if p.location == "path"}
    query_params = [p for p in unique if p.location == "query"]
    header_params = [p for p in unique if p.location == "header" and p.name.lower() not in _GATEWAY_HEADERS]
    path_values = {name: plain_value(p, schemas[("path", name)]) for name, p in path_params.items()}
    required = [
        (p.name, plain_value(p, schemas[("query", p.name)]), False) for p in query_params if p.required
    ]

    def url(values: dict[str, str], pairs: list[tuple[str, str, bool]]) -> str:
        path = plan.template.template
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        query = _query(pairs)
        return f"{path}?{query}" if query else path

    method = plan.method
    yield Call("plain", method, url(path_values, required), dict(HEADERS))
    for name, p in path_params.items():
        for value, raw in variations(p, schemas[("path", name)]):
            sent = value if raw else quote(value, safe="")
            yield Call(f"path {name}={value!r}", method, url({**path_values, name: sent}, required), HEADERS)
    for p in query_params:
        others = [pair for pair in required if pair[0] != p.name]
        if p.required:
            yield Call(f"without {p.name}", method, url(path_values, others), HEADERS)
        for value, raw in variations(p, schemas[("query", p.name)]):
            yield Call(
                f"{p.name}={value!r}", method, url(path_values, [*others, (p.name, value, raw)]), HEADERS
            )
        good = plain_value(p, schemas[("query", p.name)])
        for second in (good, "zzz"):
            twice = [*others, (p.name, good, False), (p.name, second, False)]
            yield Call(f"{p.name} twice", method, url(path_values, twice), HEADERS)
    for extra in (("unknown", "1", False), ("schema.name[x]", "1", False), ("", "x", False)):
        yield Call(f"unknown {extra[0]!r}", method, url(path_values, [*required, extra]), HEADERS)
    for p in header_params:
        for value, raw in variations(p, schemas[("header", p.name)]):
            if raw or not value.isascii():
                continue  # header values travel as latin-1 text, unencoded
            yield Call(
                f"header {p.name}={value!r}", method, url(path_values, required), {**HEADERS, p.name: value}
            )
    for change in HEADER_VARIANTS:
        yield Call(f"headers {change}", method, url(path_values, required), {**HEADERS, **change})
    path, _, query = url(path_values, required).partition("?")
    yield Call("trailing slash", method, f"{path}/?{query}", HEADERS)


#: Headers the gateway checks for every call (the variants above change them).
_GATEWAY_HEADERS = frozenset({"x-gw-ims-org-id", "x-sandbox-name", "authorization", "x-api-key"})
