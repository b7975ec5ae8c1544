"""Per-operation request plans, compiled once: how to read, check and call an operation without
Connexion's per-request machinery (the fast lane in :mod:`profile_harness.server.fast_lane.lane` runs them).

A plan mirrors what Connexion does for the operation, step for step, with its own functions where
they are cheap (``make_type``, the URI parser's duplicate and split rules, the response builder) and
compiled validators where Connexion would build a validator per request. A plan only ever answers
"yes, this call is plain": anything it doubts (a value that fails its schema, a parameter style it
does not model) returns None, and the call goes the whole way through Connexion, which words the
error. So an error reads exactly as it always did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import jsonschema_rs
from connexion import utils
from connexion.decorators.parameter import sanitized, unwrap_decorators
from connexion.operations import OpenAPIOperation
from connexion.utils import inspect_function_arguments, make_type

from profile_harness.openapi.paths import PathTemplate, compile_template

__all__ = ["OperationPlan", "ParameterPlan", "Router", "build_router"]

Handler = Callable[..., Awaitable[Any]]

#: Parameter styles a plan reads itself; anything else goes through Connexion.
_PLAIN_TYPES = frozenset({"string", "integer", "number", "boolean"})
_MISSING = object()


def _compile(schema: dict[str, Any]) -> Any:
    return jsonschema_rs.Draft4Validator(schema, validate_formats=True)


@dataclass(frozen=True)
class ParameterPlan:
    """One declared parameter: where it comes from, its Python type, its compiled schema."""

    name: str
    location: str
    kwarg: str
    type: str
    item_type: str | None
    format: str | None
    required: bool
    fast: Any
    default: Any = _MISSING

    def convert(self, raw: str | list[str]) -> Any:
        """The value Connexion's URI parser and parameter decorator would hand the handler."""
        if self.type == "array":  # an exploded form array: one item a value (RepeatedQueryURIParser)
            assert self.item_type is not None
            values = raw if isinstance(raw, list) else [raw]
            return [make_type(part, self.item_type, None) for part in values]
        value = raw[-1] if isinstance(raw, list) else raw
        return make_type(value, self.type, self.format)

    def convert_default(self) -> Any:
        """The default, typed as Connexion's parameter decorator types it (it is not validated)."""
        if self.type == "array":
            assert self.item_type is not None
            return [make_type(part, self.item_type, None) for part in self.default]
        return make_type(self.default, self.type, self.format)

    def checked(self, raw: str | list[str]) -> Any:
        """The converted value if it is plainly valid, else ``_MISSING``."""
        try:
            value = self.convert(raw)
        except (ValueError, TypeError):
            return _MISSING
        return value if self.is_valid(value) else _MISSING

    def accepts(self, raw: str | list[str]) -> bool:
        """Whether the lane takes ``raw`` as a plainly valid value of this parameter."""
        return self.checked(raw) is not _MISSING

    def is_valid(self, value: Any) -> bool:
        try:
            return bool(self.fast.is_valid(value))
        except ValueError:
            return False


def _parameter_plan(parameter: dict[str, Any]) -> ParameterPlan | None:
    """A plan for ``parameter``, or None when its style is one only Connexion reads."""
    schema = parameter.get("schema") or {}
    kind = schema.get("type")
    location = parameter["in"]
    if location not in ("query", "path", "header") or schema.get("nullable") or parameter.get("nullable"):
        return None
    item_type = None
    if kind == "array":
        items = schema.get("items") or {}
        item_type = items.get("type")
        style = parameter.get("style", "form")
        explode = parameter.get("explode", style == "form")
        if location != "query" or style != "form" or not explode or item_type not in _PLAIN_TYPES:
            return None
    elif kind not in _PLAIN_TYPES:
        return None
    # Connexion's parameter decorator reads the parameter's own default first, then its schema's.
    default = parameter["default"] if "default" in parameter else schema.get("default", _MISSING)
    try:
        fast = _compile(schema)
    except ValueError:  # a schema jsonschema_rs cannot compile: Connexion's validator reads it
        return None
    return ParameterPlan(
        name=parameter["name"],
        location=location,
        kwarg=sanitized(parameter["name"]),
        type=kind,
        item_type=item_type,
        format=schema.get("format"),
        required=bool(parameter.get("required")),
        fast=fast,
        default=default,
    )


def parse_query(query_string: bytes) -> dict[str, list[str]]:
    """``name -> values`` as Starlette's ``QueryParams`` reads them (``parse_qsl`` with blanks kept),
    without its decoding work for the common name or value that has no ``%`` or ``+``.
    """
    query: dict[str, list[str]] = {}
    for part in query_string.decode("latin-1").split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in part or "+" in part:
            name = unquote(name.replace("+", " "))
            value = unquote(value.replace("+", " "))
        query.setdefault(name, []).append(value)
    return query


@dataclass
class OperationPlan:
    """What the fast lane needs to serve one operation."""

    operation_id: str
    method: str
    template: PathTemplate
    api_base_path: str
    operation: OpenAPIOperation
    handler: Handler
    parameters: list[ParameterPlan]
    arguments: list[str]
    has_kwargs: bool
    _query: dict[str, ParameterPlan] = field(init=False)
    _required_query: list[str] = field(init=False)
    _defaults: list[ParameterPlan] = field(init=False)
    _path: list[ParameterPlan] = field(init=False)
    _headers: list[ParameterPlan] = field(init=False)
    _header_keys: list[str] = field(init=False)
    _valid_headers: set[tuple[str | None, ...]] = field(init=False, default_factory=set)
    json_produces: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        wanted = [p for p in self.parameters if self.has_kwargs or p.kwarg in self.arguments]
        self._query = {p.name: p for p in self.parameters if p.location == "query"}
        self._required_query = [p.name for p in self.parameters if p.location == "query" and p.required]
        self._defaults = [p for p in wanted if p.location == "query" and p.default is not _MISSING]
        by_name = {p.name: p for p in self.parameters if p.location == "path"}
        self._path = [by_name[name] for name in self.template.names if name in by_name]
        self._headers = [p for p in self.parameters if p.location == "header"]
        self._header_keys = [p.name.lower() for p in self._headers]
        self._wanted = {p.kwarg for p in wanted}
        self.json_produces = frozenset(
            media
            for media in self.operation.produces
            if utils.is_json_mimetype(utils.split_content_type(media)[0])
        )

    def _headers_valid(self, headers: Mapping[str, str]) -> bool:
        """Header parameters are checked as text, as Connexion checks them; a client sends the same
        headers call after call, so each distinct set is checked once (and at most 1,024 are kept).
        """
        values = tuple(map(headers.get, self._header_keys))
        if values in self._valid_headers:
            return True
        for plan, value in zip(self._headers, values, strict=True):
            if value is None:
                if plan.required:
                    return False
            elif not plan.is_valid(value):
                return False
        if len(self._valid_headers) >= 1024:
            self._valid_headers.clear()
        self._valid_headers.add(values)
        return True

    def arguments_for(
        self, path_values: tuple[str, ...], query_string: bytes, headers: Mapping[str, str]
    ) -> dict[str, Any] | None:
        """The handler's keyword arguments, or None if any parameter is not plainly valid."""
        if self._headers and not self._headers_valid(headers):
            return None
        kwargs: dict[str, Any] = {}
        for plan, raw in zip(self._path, path_values, strict=False):
            value = plan.checked(raw)
            if value is _MISSING:
                return None
            kwargs[plan.kwarg] = value
        query = parse_query(query_string) if query_string else {}
        for name in self._required_query:
            if name not in query:
                return None
        for name, raw_values in query.items():
            declared = self._query.get(name)
            if declared is None:
                return None  # not in the spec: Connexion refuses it, or ignores it when lenient
            value = declared.checked(raw_values)
            if value is _MISSING:
                return None
            kwargs[declared.kwarg] = value
        for plan in self._defaults:
            if plan.name not in query:
                kwargs[plan.kwarg] = plan.convert_default()
        if not self.has_kwargs:
            kwargs = {key: value for key, value in kwargs.items() if key in self._wanted}
        return kwargs


class Router:
    """Finds the plan of a (method, path), the way Starlette's router would pick the operation.

    A path another operation's template (of the same method) also matches is left to Starlette,
    except a literal path of a plan, which Connexion's route order puts before any template.
    """

    def __init__(self, plans: list[OperationPlan], all_templates: list[tuple[str, str]]) -> None:
        #: Every plan, in the order the operations were given.
        self.plans = list(plans)
        planned = {(plan.method, plan.template.template) for plan in plans}
        self._unplanned: dict[str, list[PathTemplate]] = {}
        for method, template in all_templates:
            if (method, template) not in planned:
                self._unplanned.setdefault(method, []).append(compile_template(template))
        self._literal: dict[tuple[str, str], OperationPlan] = {}
        self._templated: dict[str, list[OperationPlan]] = {}
        for plan in plans:
            if not plan.template.is_literal:
                self._templated.setdefault(plan.method, []).append(plan)
            elif not self._others_match(plan.method, plan.template.template):
                self._literal[(plan.method, plan.template.template)] = plan

    def _others_match(self, method: str, path: str) -> bool:
        return any(template.matches(path) for template in self._unplanned.get(method, ()))

    def match(self, method: str, path: str) -> tuple[OperationPlan, tuple[str, ...]] | None:
        plan = self._literal.get((method, path))
        if plan is not None:
            return plan, ()
        found = [
            (plan, values)
            for plan in self._templated.get(method, ())
            if (values := plan.template.values(path)) is not None
        ]
        if len(found) != 1 or self._others_match(method, path):
            return None
        return found[0]


def build_router(
    operations: list[tuple[OpenAPIOperation, str]],
    handlers: Mapping[str, Handler],
) -> Router:
    """Plans for the operations the fast lane can serve: no request body, plain parameters.

    ``operations`` pairs each Connexion operation with the base path of its API.
    """
    plans: list[OperationPlan] = []
    templates: list[tuple[str, str]] = []
    for operation, base_path in operations:
        template = base_path + operation.path
        templates.append((operation.method.upper(), template))
        operation_id = operation.operation_id
        if operation.request_body or operation_id not in handlers:
            continue
        parameters = [_parameter_plan(parameter) for parameter in operation.parameters]
        if any(plan is None for plan in parameters):
            continue
        handler = handlers[operation_id]
        arguments, has_kwargs = inspect_function_arguments(unwrap_decorators(handler))
        plans.append(
            OperationPlan(
                operation_id=operation_id,
                method=operation.method.upper(),
                template=compile_template(template),
                api_base_path=base_path,
                operation=operation,
                handler=handler,
                parameters=[plan for plan in parameters if plan is not None],
                arguments=arguments,
                has_kwargs=has_kwargs,
            )
        )
    return Router(plans, templates)
