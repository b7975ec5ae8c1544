"""Check one HTTP exchange against the spec with openapi-core (outside the server)."""

from __future__ import annotations

import functools
import json
import warnings
from dataclasses import dataclass, field
from typing import Any

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from profile_harness.openapi import bundle as specs

__all__ = ["ConformanceChecker", "Violation"]

# Our spec marks orderBy allowEmptyValue (DOC-MP's own links send `orderBy=`); openapi-core warns on it.
warnings.filterwarnings("ignore", "Use of allowEmptyValue property is deprecated", DeprecationWarning)

#: Every exchange is checked as if it went to the first server of the spec, whatever host it used.
SPEC_HOST = "https://platform.adobe.io"


@dataclass(frozen=True)
class Violation:
    """The exchange breaks the spec: which side, and how."""

    side: str  # "request" or "response"
    message: str

    def __str__(self) -> str:
        return f"{self.side} does not conform to the spec: {self.message}"


def _json_loads(value: bytes | str, **_parameters: Any) -> Any:
    """openapi-core passes media type parameters (``version=1``) along; JSON needs none of them."""
    return json.loads(value)


def _media_types(node: Any) -> set[str]:
    """Every media type named under a ``content`` key anywhere in ``node``."""
    found: set[str] = set()
    if isinstance(node, dict):
        content = node.get("content")
        if isinstance(content, dict):
            found.update(content)
        for value in node.values():
            found |= _media_types(value)
    elif isinstance(node, list):
        for item in node:
            found |= _media_types(item)
    return found


@dataclass
class _Request:
    method: str
    path: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters
    host_url: str = SPEC_HOST
    full_url_pattern: str = ""


@dataclass
class _Response:
    status_code: int
    data: bytes
    content_type: str
    headers: Headers = field(default_factory=Headers)


def _message(exc: Exception) -> str:
    parts = [str(exc)]
    cause: BaseException | None = exc.__cause__
    while cause is not None:
        parts.append(str(cause))
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            parts.extend(
                f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}" for e in schema_errors[:3]
            )
        cause = cause.__cause__
    return "; ".join(p for p in parts if p)


class ConformanceChecker:
    """Validate requests and responses against a bundled spec (the project's by default)."""

    def __init__(self, document: dict[str, Any] | None = None) -> None:
        doc = specs.for_connexion(document or specs.platform_spec())
        doc["servers"] = [{"url": SPEC_HOST}]
        # openapi-core reads only application/json as JSON; problem+json and the vendor types
        # (application/vnd.adobe...+json; version=1) are JSON too.
        # openapi-core looks deserializers up by the lower-cased type without parameters.
        json_types = {
            m.split(";")[0].strip().lower() for m in _media_types(doc) if "+json" in m.split(";")[0]
        }
        config = Config(extra_media_type_deserializers=dict.fromkeys(json_types, _json_loads))
        self.openapi = OpenAPI.from_dict(doc, config=config)

    def check(self, request: httpx.Request, response: httpx.Response) -> list[Violation]:
        """The ways this exchange breaks the spec (empty when it conforms)."""
        if request.url.path.startswith("/__admin"):
            return []
        core_request = _Request(
            method=request.method.lower(),
            path=request.url.path.rstrip("/") or "/",
            body=request.content or None,
            content_type=request.headers.get("content-type", ""),
            parameters=RequestParameters(
                query=ImmutableMultiDict(list(request.url.params.multi_items())),
                header=Headers(list(request.headers.items())),
            ),
        )
        core_response = _Response(
            status_code=response.status_code,
            data=response.content,
            content_type=response.headers.get("content-type", ""),
            headers=Headers(list(response.headers.items())),
        )
        violations: list[Violation] = []
        try:
            self.openapi.validate_request(core_request)
        except Exception as exc:  # openapi-core raises many types; each is a finding
            if response.status_code < 400:
                violations.append(Violation("request", _message(exc)))
        try:
            self.openapi.validate_response(core_request, core_response)
        except Exception as exc:
            violations.append(Violation("response", _message(exc)))
        return violations


@functools.cache
def default_checker() -> ConformanceChecker:
    return ConformanceChecker()
