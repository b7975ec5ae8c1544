"""How the app answers an exception: in the error shape of the operation that raised it.

Connexion calls these for the calls it serves; the fast lane (:mod:`profile_harness.server.fast_lane.lane`)
calls the same ones, so an error reads the same whichever path served the call.
"""

from __future__ import annotations

import logging

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from profile_harness.errors import ApiError, ErrorShape, NotFound, render
from profile_harness.openapi.index import OperationIndex, OperationInfo
from profile_harness.server.context import Harness

__all__ = ["ErrorResponder", "ProblemAsApiError"]

log = logging.getLogger("profile_harness.app")

#: Where the admin API is mounted; its index holds its paths without this prefix.
ADMIN_BASE = "/__admin"


class ProblemAsApiError(ApiError):
    """A Connexion validation problem, carried over into the endpoint's own error shape."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.code = status, title, str(status)


class ErrorResponder:
    """The app's error handlers; server errors (always harness bugs) are kept on the harness."""

    def __init__(self, harness: Harness, index: OperationIndex, admin_index: OperationIndex) -> None:
        self.harness = harness
        self.index = index
        self.admin_index = admin_index

    def shape_of(self, request: ConnexionRequest) -> ErrorShape:
        routing = request.scope.get("extensions", {}).get("connexion_routing", {})
        operation_id = routing.get("operation_id")
        info = self.index.get(operation_id) or self.admin_index.get(operation_id)
        return info.shape if info else ErrorShape.PROBLEM

    def api_error(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, ApiError)
        rendered = render(exc, self.shape_of(request), request_id=request.headers.get("x-request-id", ""))
        return ConnexionResponse(
            status_code=rendered.status, body=rendered.body, content_type=rendered.media_type
        )

    def problem(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, ProblemException)
        if exc.status >= 500:
            log.error("harness bug: %s %s: %s", request.method, request.url.path, exc.detail)
            self.harness.server_errors.append(exc)
        detail = str(exc.detail or exc.title or "")
        return self.api_error(request, ProblemAsApiError(exc.status, str(exc.title or ""), detail))

    def unexpected(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        """A crash in a handler: a harness bug. It answers 500 and is kept for the test that caused it."""
        log.exception("harness bug: %s %s", request.method, request.url.path, exc_info=exc)
        self.harness.server_errors.append(exc)
        error = ProblemAsApiError(500, "Internal Server Error", f"{type(exc).__name__}: {exc}")
        rendered = render(error, ErrorShape.PROBLEM)
        return ConnexionResponse(status_code=500, body=rendered.body, content_type=rendered.media_type)

    def on_path(self, path: str) -> list[OperationInfo]:
        """The operations (Platform or admin) of the path template that routes ``path``."""
        if path == ADMIN_BASE or path.startswith(ADMIN_BASE + "/"):
            return self.admin_index.on_path(path[len(ADMIN_BASE) :])
        return self.index.on_path(path)

    def unrouted(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        """No operation took the call: answer in the error shape of the operations on that path."""
        assert isinstance(exc, HTTPException)
        on_path = self.on_path(request.url.path)
        shape = on_path[0].shape if on_path else ErrorShape.PROBLEM
        headers: dict[str, str] = {}
        error: ApiError
        if exc.status_code == 405 and on_path:
            # RFC 9110: a 405 lists the methods the resource has.
            headers["Allow"] = ", ".join(sorted(info.method for info in on_path))
            error = ProblemAsApiError(
                405, "Method Not Allowed", f"{request.method} is not allowed here; use {headers['Allow']}"
            )
        elif exc.status_code == 404:
            error = NotFound(f"No resource at {request.url.path!r}")
        else:
            error = ProblemAsApiError(exc.status_code, str(exc.detail), str(exc.detail))
        rendered = render(error, shape, request_id=request.headers.get("x-request-id", ""))
        return ConnexionResponse(
            status_code=rendered.status, body=rendered.body, content_type=rendered.media_type, headers=headers
        )

    def answer(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        """The answer Connexion's exception middleware would give to ``exc`` raised by a handler."""
        if isinstance(exc, ApiError):
            return self.api_error(request, exc)
        if isinstance(exc, ProblemException):
            return self.problem(request, exc)
        return self.unexpected(request, exc)
