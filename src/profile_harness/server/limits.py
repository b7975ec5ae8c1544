"""What the harness takes before any handler runs: bounded, well-formed bodies and readable URLs."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

import jsonschema_rs
from connexion.exceptions import BadRequestProblem
from connexion.utils import is_null, is_nullable
from connexion.validators.parameter import ParameterValidator, draft4_format_checker
from jsonschema import Draft4Validator, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from profile_harness.errors import ApiError, BadRequest, ErrorShape, render
from profile_harness.openapi.index import OperationIndex, OperationInfo, media_essence
from profile_harness.server.gateway import PLATFORM_PREFIX, request_headers, send_json

__all__ = [
    "ADMIN_BODY_LIMIT",
    "BODY_LIMIT",
    "MAX_JSON_DEPTH",
    "MAX_NUMBER_LENGTH",
    "BodyLimitMiddleware",
    "GatewayRefusal",
    "NamedParameterValidator",
    "ParsedBody",
    "PayloadTooLarge",
    "UnreadableRequest",
    "check_json",
    "check_tree",
    "check_url",
    "parsed_body",
    "parsed_json",
    "unknown_query_message",
]

#: Largest body of a Platform (or IMS) call; the gateway answers 413 above it.
BODY_LIMIT = 1 << 20
#: Largest body of a control-plane call: fixture documents may be big.
ADMIN_BODY_LIMIT = 64 << 20
#: Deepest nesting of arrays and objects in a JSON body (XDM records are far shallower); deeper
#: bodies would exhaust Python's recursion while being validated or copied.
MAX_JSON_DEPTH = 64
#: Longest number literal in a JSON body: longer ones cannot be converted (or mean nothing).
MAX_NUMBER_LENGTH = 100

_ADMIN_PREFIX = "/__admin/"
#: Where the body limit layer leaves the JSON body it parsed, for the body validator to reuse.
_PARSED_KEY = "profile_harness.parsed_body"


class GatewayRefusal(ApiError):
    """Refused before any service reads the call: on Platform paths, in the gateway's own body."""

    gateway_code = "400000"


class PayloadTooLarge(GatewayRefusal):
    status = 413
    title = "Payload Too Large"
    gateway_code = "413000"


class UnreadableRequest(GatewayRefusal):
    status = 400
    title = "Bad Request"


class _Refused(Exception):
    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit % (1 << 20) == 0 else f"{limit} bytes"


def _is_json(media_type: str) -> bool:
    essence = media_essence(media_type)
    return essence == "application/json" or essence.endswith("+json")


def _reject_constant(name: str) -> Any:
    raise _Refused(BadRequest(f"the request body is not valid JSON: {name} is not a JSON number"))


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_LENGTH:
        raise _Refused(BadRequest(f"the request body has a number longer than {MAX_NUMBER_LENGTH} digits"))
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_LENGTH:
        raise _Refused(BadRequest(f"the request body has a number longer than {MAX_NUMBER_LENGTH} digits"))
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(BadRequest(f"the request body has a number out of range: {text}"))
    return value


def check_tree(value: Any, budget: int) -> None:
    """Raise BadRequest if ``value`` nests deeper than allowed or has more than ``budget`` containers.

    A parsed document has no more containers than its text has bytes, unless YAML aliases repeat
    (or loop back into) parts of it; walking such a document would never end.
    """
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(f"the request body nests arrays and objects deeper than {MAX_JSON_DEPTH}")
        budget -= 1
        if budget < 0:
            raise BadRequest("the request body repeats parts of itself (YAML aliases) too often")
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


@dataclass(frozen=True)
class ParsedBody:
    """A JSON request body and the value it parses to."""

    raw: bytes
    value: Any


def check_json(body: bytes) -> ParsedBody | None:
    """The parsed ``body``; BadRequest unless it is UTF-8 JSON of bounded depth with finite, sane
    numbers. None for a blank body: that is the validator's to judge ("RequestBody is required").
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the request body is not valid UTF-8: byte {exc.start} ({exc.reason})") from None
    if not text.strip():
        return None
    try:
        value = json.loads(
            text, parse_constant=_reject_constant, parse_int=_parse_int, parse_float=_parse_float
        )
    except _Refused as refused:
        raise refused.error from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None
    except RecursionError:
        # Deeper than the parser can go, so certainly deeper than allowed.
        raise BadRequest(f"the request body nests arrays and objects deeper than {MAX_JSON_DEPTH}") from None
    check_tree(value, len(body))
    return ParsedBody(body, value)


def parsed_body(scope: Scope) -> ParsedBody | None:
    """The JSON body the body limit layer parsed for this call, if it parsed one."""
    parsed: ParsedBody | None = scope.get(_PARSED_KEY)
    return parsed


def parsed_json(scope: Scope, raw: bytes) -> tuple[bool, Any]:
    """``(True, value)`` if the body limit layer parsed the JSON body ``raw`` of this call, else
    ``(False, None)``: the body validator then parses it itself.
    """
    parsed: ParsedBody | None = scope.get(_PARSED_KEY)
    if parsed is None or parsed.raw != raw:  # another layer replaced the body: not what was parsed
        return False, None
    return True, parsed.value


def _check_utf8(encoded: bytes, what: str, error: type[ApiError] = UnreadableRequest) -> None:
    try:
        unquote_to_bytes(encoded).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"the {what} is not valid UTF-8 once percent-decoded: byte {exc.start} ({exc.reason})"
        ) from None


def check_url(scope: Scope) -> None:
    """Raise UnreadableRequest unless the path and query are UTF-8 once percent-decoded."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string", b"")
    if raw_path.isascii() and query.isascii() and b"%" not in raw_path and b"%" not in query:
        return  # nothing to decode
    _check_utf8(raw_path, "path")
    _check_utf8(query.replace(b"+", b" "), "query string")


class BodyLimitMiddleware:
    """After routing: refuse oversized bodies (413), then bodies and URLs that cannot be read (400).

    Bodies of operations that take one are read whole here (at most the limit) and replayed to the
    validator, so a refused call never reaches a handler and changes nothing.
    """

    def __init__(self, app: ASGIApp, *, indexes: Iterable[OperationIndex]) -> None:
        self.app = app
        self.indexes = list(indexes)

    def _operation(self, scope: Scope) -> OperationInfo | None:
        routing = scope.get("extensions", {}).get("connexion_routing", {})
        for index in self.indexes:
            info = index.get(routing.get("operation_id"))
            if info is not None:
                return info
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        info = self._operation(scope)
        shape = info.shape if info is not None else ErrorShape.PROBLEM
        headers = request_headers(scope)
        limit = ADMIN_BODY_LIMIT if scope["path"].startswith(_ADMIN_PREFIX) else BODY_LIMIT
        try:
            check_url(scope)
            declared = _content_length(headers)
            if declared is not None and declared > limit:
                raise PayloadTooLarge(f"the request body has {declared} bytes; the limit is {_size(limit)}")
            if info is None or not info.body_media_types:
                await self.app(scope, receive, send)  # the body, if any, is never read
                return
            body, messages = await _read_body(receive, limit)
            media_type = headers.get("content-type", "")
            if _is_json(media_type):
                # Parsed once, here: the body validator takes the value (json.loads gives the same
                # for any body these checks let through).
                scope[_PARSED_KEY] = check_json(body)
            elif media_essence(media_type) == "application/x-www-form-urlencoded":
                _check_utf8(body.replace(b"+", b" "), "request body", BadRequest)
        except ApiError as error:
            await self._refuse(scope, send, error, shape, headers.get("x-request-id", ""))
            return
        await self.app(scope, _replay(messages, receive), send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, error: ApiError, shape: ErrorShape, request_id: str) -> None:
        if isinstance(error, GatewayRefusal) and scope["path"].startswith(PLATFORM_PREFIX):
            body = json.dumps({"error_code": error.gateway_code, "message": error.message}).encode()
            await send_json(send, error.status, body)
            return
        rendered = render(error, shape, request_id=request_id)
        await send_json(send, rendered.status, rendered.body, rendered.media_type)


def _content_length(headers: dict[str, str]) -> int | None:
    value = headers.get("content-length")
    if value is None:
        return None
    if not value.strip().isdigit():
        raise UnreadableRequest(f"the Content-Length header {value!r} is not a whole number of bytes")
    return int(value)


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, list[Message]]:
    """The whole body (and the messages that carried it); PayloadTooLarge once it passes ``limit``."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"the request body has more than {limit} bytes; the limit is {_size(limit)}"
            )
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = iter(messages)

    async def replay() -> Message:
        for message in pending:
            return message
        return await receive()

    return replay


@dataclass(frozen=True)
class _CompiledParameter:
    """A parameter schema compiled twice: jsonschema_rs answers "valid?" fast (every request pays
    it), jsonschema words the error when it is not (only a refused request pays that).
    """

    schema: dict[str, Any]
    fast: Any
    explain: Draft4Validator


_VALIDATORS: dict[int, _CompiledParameter] = {}


def _validator_for(schema: dict[str, Any]) -> _CompiledParameter:
    """One compiled validator per parameter schema (the spec's schemas live as long as the app)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached.schema is not schema:  # the schema is kept so its id stays its own
        fast = jsonschema_rs.Draft4Validator(schema, validate_formats=True)
        cached = _CompiledParameter(
            schema, fast, Draft4Validator(schema, format_checker=draft4_format_checker)
        )
        _VALIDATORS[id(schema)] = cached
    return cached


def unknown_query_message(unknown: Iterable[str], declared: Iterable[str]) -> str:
    """The 400 detail for query parameters an operation does not describe."""
    names = sorted(unknown)
    known = sorted(set(declared))
    what = "unknown query parameter" + ("s " if len(names) > 1 else " ")
    listed = ", ".join(repr(name[:64]) for name in names[:5]) + (", ..." if len(names) > 5 else "")
    takes = (
        f"this operation takes {', '.join(known)}" if known else "this operation takes no query parameters"
    )
    return f"{what}{listed}: {takes}"


class NamedParameterValidator(ParameterValidator):  # type: ignore[misc]
    """Connexion's parameter checks, with errors that name the parameter and leave out the schema.

    With ``strict_validation`` (the harness default, ``HarnessOptions.lenient_query`` off), a query
    parameter the operation does not describe is a 400 that names it and lists the ones it takes.
    """

    def validate_query_parameter_list(self, request: Any, security_params: Any = None) -> set[str]:
        unknown = super().validate_query_parameter_list(request, security_params)
        if unknown:
            declared = [parameter["name"] for parameter in self.parameters.get("query", [])]
            raise BadRequestProblem(detail=unknown_query_message(unknown, declared))
        return set()

    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        if is_nullable(param) and is_null(value):
            return None
        if value is None:
            return f"Missing {parameter_type} parameter '{param['name']}'" if param.get("required") else None
        schema = param.get("schema", param)
        compiled = _validator_for(schema)
        try:
            if compiled.fast.is_valid(value):
                return None
        except ValueError:  # jsonschema_rs gives up on very deep values; the slow check does not
            pass
        try:
            compiled.explain.validate(value)
        except ValidationError as exc:
            where = "".join(f"[{step}]" for step in exc.absolute_path)
            return f"{parameter_type} parameter '{param['name']}'{where}: {exc.message}"
        return None
