"""API errors: one class per condition, rendered in one place in the shape each Adobe service uses.

Exception tree::

    ApiError                      status + message; the store raises these, never HTTP types
    ├── BadRequest                400  the request is malformed or breaks a documented rule
    ├── NotFound                  404  the addressed resource does not exist in this tenant
    ├── Conflict                  409  a resource with that identity exists already
    ├── UnsupportedMediaType      415  the body's Content-Type is not one the operation takes
    ├── Unprocessable             422  well-formed but refused by a business rule
    └── NotBuilt                  501  described in the spec, behaviour not built yet

Gateway errors (missing or bad credentials) are answered earlier, by :mod:`profile_harness.server.gateway`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "ErrorShape",
    "NotBuilt",
    "NotFound",
    "Rendered",
    "Unprocessable",
    "UnsupportedMediaType",
    "render",
    "shape_for_tag",
]


class ApiError(Exception):
    """An error the API answers with; ``status`` is the HTTP status, ``message`` says what is wrong."""

    status = 400
    title = "Bad Request"
    #: RFC 7807 ``type`` of this condition, where its service documents one (else chosen by status).
    problem_type: str | None = None

    def __init__(self, message: str, *, code: str | None = None, cause: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else str(self.status)
        self.cause = cause


class BadRequest(ApiError):
    status = 400
    title = "Bad Request"


class NotFound(ApiError):
    status = 404
    title = "Not Found"


class Conflict(ApiError):
    status = 409
    title = "Conflict"


class UnsupportedMediaType(ApiError):
    status = 415
    title = "HTTP 415 Unsupported Media Type"


class Unprocessable(ApiError):
    status = 422
    title = "Unprocessable Entity"


class NotBuilt(ApiError):
    """A documented operation whose behaviour the harness does not have yet."""

    status = 501
    title = "Not Implemented"

    def __init__(self, operation_id: str) -> None:
        super().__init__(
            f"{operation_id} is described in the spec but not built in profile-harness yet; "
            "see the coverage table in the README."
        )
        self.operation_id = operation_id


class ErrorShape(Enum):
    """The error body shapes Adobe documents, by service (API inventory section 3)."""

    RESPONSE_ERROR_CONTEXT = "entities"  # {"message", "cause", "statusCode"}
    CODE_MESSAGE = "code-message"  # {"code", "message"}
    SYSTEM_JOB = "system-jobs"  # {"requestId", "errors": {"<status>": [{"code", "message"}]}}
    PROBLEM = "problem"  # RFC 7807, application/problem+json
    PROBLEM_JSON = "problem-json"  # the same fields, sent as application/json (Catalog, Data Access)
    IMS = "ims"  # {"error", "error_description"}


_SHAPE_BY_TAG = {
    "Entities": ErrorShape.RESPONSE_ERROR_CONTEXT,
    "System jobs": ErrorShape.SYSTEM_JOB,
    "Edge destinations": ErrorShape.PROBLEM,
    "Edge projections": ErrorShape.PROBLEM,
    "Catalog": ErrorShape.PROBLEM_JSON,
    "Data access": ErrorShape.PROBLEM_JSON,
    "IMS": ErrorShape.IMS,
    "Admin": ErrorShape.PROBLEM,
}


def shape_for_tag(tag: str | None) -> ErrorShape:
    """The error shape of the service an operation (by its first tag) belongs to."""
    return _SHAPE_BY_TAG.get(tag or "", ErrorShape.CODE_MESSAGE)


_PROBLEM_TYPES = {
    404: "http://ns.adobe.com/adobecloud/problem/missing-entity",
    409: "http://ns.adobe.com/adobecloud/problem/conflict",
    415: "http://ns.adobe.com/adobecloud/problem/unsupported-media-type",
}


@dataclass(frozen=True)
class Rendered:
    """An error turned into an HTTP answer."""

    status: int
    body: bytes
    media_type: str


def render(error: ApiError, shape: ErrorShape, *, request_id: str = "") -> Rendered:
    """Render ``error`` in ``shape``; the 501 of an unbuilt operation is always a problem body."""
    status = error.status
    body: Any
    media_type = "application/json"
    if isinstance(error, NotBuilt):
        shape = ErrorShape.PROBLEM
    if shape is ErrorShape.RESPONSE_ERROR_CONTEXT:
        body = {"message": error.message, "statusCode": str(status)}
        if error.cause:
            body["cause"] = error.cause
    elif shape is ErrorShape.SYSTEM_JOB:
        body = {
            "requestId": request_id,
            "errors": {str(status): [{"code": error.code, "message": error.message}]},
        }
    elif shape in (ErrorShape.PROBLEM, ErrorShape.PROBLEM_JSON):
        media_type = "application/problem+json" if shape is ErrorShape.PROBLEM else "application/json"
        body = {
            "type": error.problem_type or _PROBLEM_TYPES.get(status, "about:blank"),
            "title": error.title,
            "status": status,
            "detail": error.message,
        }
        if isinstance(error, NotBuilt):
            body["type"] = "urn:profile-harness:not-built"
            body["operationId"] = error.operation_id
    elif shape is ErrorShape.IMS:
        code = error.code if not error.code.isdigit() else "invalid_request"
        body = {"error": code, "error_description": error.message}
    else:
        body = {"code": error.code, "message": error.message}
    return Rendered(status, json.dumps(body).encode(), media_type)
