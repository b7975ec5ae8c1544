"""Build the mock: a Connexion app serving the bundled spec, the admin API and the gateway in front."""

from __future__ import annotations

import logging

import connexion
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import MiddlewarePosition
from starlette.exceptions import HTTPException

from profile_harness import specs
from profile_harness.context import Harness
from profile_harness.errors import ApiError, ErrorShape, NotFound, render
from profile_harness.fault_injection import FaultMiddleware
from profile_harness.gateway import GatewayMiddleware, MediaTypeMiddleware
from profile_harness.handlers import ADMIN_HANDLERS, HANDLERS
from profile_harness.journal import JournalMiddleware
from profile_harness.limits import BodyLimitMiddleware, NamedParameterValidator
from profile_harness.operations import OperationIndex
from profile_harness.options import HarnessOptions
from profile_harness.resolver import HarnessResolver, media_by_status
from profile_harness.store import Store
from profile_harness.validation import RESPONSE_VALIDATORS

__all__ = ["create_app", "harness_of"]

log = logging.getLogger(__name__)


class _ProblemAsApiError(ApiError):
    """A Connexion validation problem, carried over into the endpoint's own error shape."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.code = status, title, str(status)


def create_app(store: Store | None = None, *, options: HarnessOptions | None = None) -> connexion.AsyncApp:
    """A new, independent mock server app; ``store`` holds its state (a fresh one when omitted)."""
    options = options or HarnessOptions()
    platform = specs.platform_spec()
    index = OperationIndex(platform)
    admin = specs.admin_spec()
    admin_index = OperationIndex(admin)
    harness = Harness(options=options, store=store if store is not None else Store())

    app = connexion.AsyncApp(
        __name__,
        swagger_ui_options=connexion.options.SwaggerUIOptions(swagger_ui=options.swagger_ui),
        validator_map={"parameter": NamedParameterValidator, "response": RESPONSE_VALIDATORS},
    )
    not_built = {info.operation_id for info in index if info.operation_id not in HANDLERS}
    app.add_api(
        specs.for_connexion(platform, not_built=not_built),
        name="platform",
        resolver=HarnessResolver(HANDLERS, media_by_status(platform)),
        validate_responses=options.validate_responses,
        pythonic_params=False,
    )
    app.add_api(
        specs.for_connexion(admin),
        base_path="/__admin",
        name="admin",
        resolver=HarnessResolver(ADMIN_HANDLERS, media_by_status(admin)),
        validate_responses=options.validate_responses,
        pythonic_params=False,
    )

    def shape_of(request: ConnexionRequest) -> ErrorShape:
        routing = request.scope.get("extensions", {}).get("connexion_routing", {})
        info = index.get(routing.get("operation_id")) or admin_index.get(routing.get("operation_id"))
        return info.shape if info else ErrorShape.PROBLEM

    def api_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, ApiError)
        rendered = render(exc, shape_of(request), request_id=request.headers.get("x-request-id", ""))
        return ConnexionResponse(
            status_code=rendered.status, body=rendered.body, content_type=rendered.media_type
        )

    def problem(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, ProblemException)
        if exc.status >= 500:
            log.error("harness bug: %s %s: %s", request.method, request.url.path, exc.detail)
            harness.server_errors.append(exc)
        detail = str(exc.detail or exc.title or "")
        error = _ProblemAsApiError(exc.status, str(exc.title or ""), detail)
        return api_error(request, error)

    def unexpected(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        """A crash in a handler: a harness bug. It answers 500 and is kept for the test that caused it."""
        log.exception("harness bug: %s %s", request.method, request.url.path, exc_info=exc)
        harness.server_errors.append(exc)
        problem_body = _ProblemAsApiError(500, "Internal Server Error", f"{type(exc).__name__}: {exc}")
        rendered = render(problem_body, ErrorShape.PROBLEM)
        return ConnexionResponse(status_code=500, body=rendered.body, content_type=rendered.media_type)

    def unrouted(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        """No operation took the call: answer in the error shape of the operations on that path."""
        assert isinstance(exc, HTTPException)
        on_path = index.on_path(request.url.path)
        shape = on_path[0].shape if on_path else ErrorShape.PROBLEM
        headers: dict[str, str] = {}
        error: ApiError
        if exc.status_code == 405 and on_path:
            # RFC 9110: a 405 lists the methods the resource has.
            headers["Allow"] = ", ".join(sorted(info.method for info in on_path))
            error = _ProblemAsApiError(
                405, "Method Not Allowed", f"{request.method} is not allowed here; use {headers['Allow']}"
            )
        elif exc.status_code == 404:
            error = NotFound(f"No resource at {request.url.path!r}")
        else:
            error = _ProblemAsApiError(exc.status_code, str(exc.detail), str(exc.detail))
        rendered = render(error, shape, request_id=request.headers.get("x-request-id", ""))
        return ConnexionResponse(
            status_code=rendered.status, body=rendered.body, content_type=rendered.media_type, headers=headers
        )

    app.add_error_handler(ApiError, api_error)
    app.add_error_handler(404, unrouted)
    app.add_error_handler(405, unrouted)
    app.add_error_handler(ProblemException, problem)
    app.add_error_handler(Exception, unexpected)
    app.add_middleware(MediaTypeMiddleware, position=MiddlewarePosition.BEFORE_SECURITY, index=index)
    app.add_middleware(
        FaultMiddleware, position=MiddlewarePosition.BEFORE_SECURITY, faults=harness.store.faults
    )
    app.add_middleware(
        BodyLimitMiddleware, position=MiddlewarePosition.BEFORE_SECURITY, indexes=(index, admin_index)
    )
    app.add_middleware(
        JournalMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION, journal=harness.journal
    )
    app.add_middleware(
        GatewayMiddleware,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        require_token=options.require_token,
        context=harness,
    )
    app.profile_harness = harness  # read back with harness_of(app)
    return app


def harness_of(app: connexion.AsyncApp) -> Harness:
    """The store, options, journal and recorded server errors behind an app made by create_app."""
    harness: Harness = app.profile_harness
    return harness
