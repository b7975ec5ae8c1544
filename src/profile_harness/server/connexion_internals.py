"""Every touch of Connexion's private internals, in one place, each with why it is needed.

The fast lane serves calls without Connexion's per-request stack, so it has to set up what that
stack would have set up; the validators reuse work Connexion would repeat. Both depend on names
Connexion does not document. Connexion is pinned to the minor version these were read from
(``pyproject.toml``); ``tests/server/test_connexion_internals.py`` fails loudly when the installed
Connexion lacks one of them, and says which. On an upgrade, re-read each source named below.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from connexion.context import _context, _operation, _receive, _scope
from connexion.operations import AbstractOperation
from connexion.uri_parsing import OpenAPIURIParser
from connexion.validators import (
    AbstractResponseBodyValidator,
    JSONRequestBodyValidator,
    JSONResponseBodyValidator,
)
from starlette.types import Receive, Scope

__all__ = [
    "PRIVATE_NAMES",
    "RepeatedQueryURIParser",
    "ReusingJSONRequestBodyValidator",
    "ShortcutJSONResponseBodyValidator",
    "check_response_body",
    "current_scope",
    "enter_operation",
]

#: (module, dotted name) of every private name used here, for the test that holds the pin.
PRIVATE_NAMES: tuple[tuple[str, str], ...] = (
    ("connexion.context", "_context"),
    ("connexion.context", "_operation"),
    ("connexion.context", "_receive"),
    ("connexion.context", "_scope"),
    ("connexion.validators", "AbstractResponseBodyValidator._parse"),
    ("connexion.validators", "AbstractResponseBodyValidator._validate"),
    ("connexion.validators", "JSONResponseBodyValidator._validate"),
    ("connexion.validators", "JSONRequestBodyValidator._parse"),
    ("connexion.uri_parsing", "OpenAPIURIParser._resolve_param_duplicates"),
    ("connexion.uri_parsing", "OpenAPIURIParser._split"),
)


def _exploded_form(param_defn: dict[str, Any], location: str) -> bool:
    style = param_defn.get("style", OpenAPIURIParser.style_defaults[location])
    return location == "query" and style == "form" and bool(param_defn.get("explode", True))


class RepeatedQueryURIParser(OpenAPIURIParser):  # type: ignore[misc]
    """Connexion's OpenAPI URI parser, with exploded ``form`` arrays read as OpenAPI says.

    ``?property=a&property=b`` is the array ``[a, b]``, one item a value, whatever the values hold.
    Connexion joins the repeated values with ``,`` and splits the result again
    (``connexion/uri_parsing.py``, ``_resolve_param_duplicates`` and ``_split``), so DOC-CA's
    ``property=status=contains(new,processing,disabled)`` became three items.
    """

    @staticmethod
    def _resolve_param_duplicates(values: Any, param_defn: dict[str, Any], _in: str) -> Any:
        if _exploded_form(param_defn, _in):
            return list(values)
        return OpenAPIURIParser._resolve_param_duplicates(values, param_defn, _in)

    @staticmethod
    def _split(value: Any, param_defn: dict[str, Any], _in: str) -> Any:
        if isinstance(value, list):
            return value
        return OpenAPIURIParser._split(value, param_defn, _in)


def current_scope() -> Scope:
    """The ASGI scope of the call being served.

    Connexion's public ``connexion.context.scope`` is a werkzeug LocalProxy over the ``_scope``
    context variable; reading the variable itself costs one lookup instead of a proxy per access,
    and it is the variable :func:`enter_operation` sets. Breaks if Connexion renames ``_scope``.
    """
    scope: Scope = _scope.get()
    return scope


def enter_operation(scope: Scope, receive: Receive, operation: AbstractOperation) -> None:
    """Set the call's context as Connexion's ``ContextMiddleware`` would (``ContextOperation.__call__``
    in ``connexion/middleware/context.py``), for a call the fast lane serves without that middleware.

    ``connexion.request``, ``connexion.context`` and :func:`current_scope` read these variables in
    the handlers. If Connexion adds a variable, handlers served by the lane would miss it; if it
    renames one, the import above fails.
    """
    _context.set(scope.get("extensions", {}).get("connexion_context", {}))
    _operation.set(operation)
    _receive.set(receive)
    _scope.set(scope)


def check_response_body(
    validator: AbstractResponseBodyValidator, body: bytes | memoryview, *, nullable: bool
) -> None:
    """Judge a whole response body as the validator's ``wrap_send`` would, without an ASGI send channel.

    ``wrap_send`` (``connexion/validators/abstract.py``) only works on the stream of ``send``
    messages; the fast lane holds the built response, so it calls the two steps ``wrap_send``
    calls: ``_parse`` a stream of chunks, then ``_validate`` unless the body is an allowed null.
    Breaks if Connexion renames either step or changes what ``_parse`` takes.
    """
    parsed = validator._parse(iter([body]))
    if not (parsed is None and nullable):
        validator._validate(parsed)


class ShortcutJSONResponseBodyValidator(JSONResponseBodyValidator):  # type: ignore[misc]
    """Connexion's JSON response validator that asks ``conforms`` first and only words the error
    itself when ``conforms`` doubts the body.

    Connexion offers no hook around its check, so this overrides ``_validate`` (which ``wrap_send``
    calls with the parsed body) and reads the schema from ``_schema`` (set by the base ``__init__``).
    Breaks if either is renamed: the override would silently stop being called, which the test of
    this module catches.
    """

    @staticmethod
    def conforms(schema: dict[str, Any], body: Any) -> bool:
        return False

    def _validate(self, body: Any) -> Any:
        if self.conforms(self._schema, body):
            return None
        return super()._validate(body)


class ReusingJSONRequestBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    """Connexion's JSON request body validator that takes the body as already parsed by an earlier
    layer (``parsed(scope, raw)``), parsing it itself only when that layer did not.

    ``wrap_receive`` (``connexion/validators/abstract.py``) reads the body through ``_parse``, then
    replays the messages it read to the handler; the override reads the stream whole (so the replay
    still has every message) and returns the earlier parse of the same bytes. The earlier parse is
    only taken for UTF-8 bodies, the one encoding it decodes. Breaks if ``_parse`` is renamed or its
    ``(stream, scope)`` arguments change; the test of this module checks both.
    """

    @staticmethod
    def parsed(scope: Scope, raw: bytes) -> tuple[bool, Any]:
        return False, None

    async def _parse(self, stream: AsyncIterator[bytes], scope: Scope) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        if self._encoding.lower() in ("utf-8", "utf8"):
            found, value = self.parsed(scope, raw)
            if found:
                return value
        return await super()._parse(_once(raw), scope)


async def _once(raw: bytes) -> AsyncIterator[bytes]:
    yield raw
