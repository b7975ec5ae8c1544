"""Build the mock: a Connexion app serving the bundled spec, the admin API and the gateway in front."""

from __future__ import annotations

import logging

import connexion
from connexion.exceptions import ProblemException
from connexion.middleware import MiddlewarePosition
from connexion.operations import OpenAPIOperation
from starlette.middleware.cors import CORSMiddleware

from profile_harness import handlers
from profile_harness.errors import ApiError
from profile_harness.openapi import bundle as specs
from profile_harness.openapi.index import OperationIndex
from profile_harness.options import HarnessOptions
from profile_harness.server import json_codec
from profile_harness.server.admin_guard import AdminGuardMiddleware
from profile_harness.server.connexion_internals import RepeatedQueryURIParser
from profile_harness.server.context import Harness
from profile_harness.server.fast_lane.lane import FastLane
from profile_harness.server.fast_lane.plans import Router, build_router
from profile_harness.server.faults import FaultMiddleware
from profile_harness.server.gateway import (
    Credentials,
    GatewayMiddleware,
    HeaderLimitMiddleware,
    HeaderLimits,
    MediaTypeMiddleware,
)
from profile_harness.server.journal import JournalMiddleware
from profile_harness.server.limits import BodyLimitMiddleware, NamedParameterValidator
from profile_harness.server.resolver import HarnessResolver
from profile_harness.server.responder import ErrorResponder
from profile_harness.server.validation import REQUEST_BODY_VALIDATORS, RESPONSE_VALIDATORS
from profile_harness.store import Store

__all__ = ["create_app", "harness_of"]

log = logging.getLogger(__name__)

_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def create_app(store: Store | None = None, *, options: HarnessOptions | None = None) -> connexion.AsyncApp:
    """A new, independent mock server app; ``store`` holds its state (a fresh one when omitted)."""
    options = options or HarnessOptions()
    platform = specs.platform_spec()
    index = OperationIndex(platform)
    admin = specs.admin_spec()
    admin_index = OperationIndex(admin)
    harness = Harness(options=options, store=store if store is not None else Store())
    if options.preview_sample_limit is not None:
        harness.store.preview_sample_limit = options.preview_sample_limit

    jsonifier = json_codec.jsonifier()
    app = connexion.AsyncApp(
        __name__,
        jsonifier=jsonifier,
        swagger_ui_options=connexion.options.SwaggerUIOptions(swagger_ui=options.swagger_ui),
        validator_map={
            "parameter": NamedParameterValidator,
            "body": REQUEST_BODY_VALIDATORS,
            "response": RESPONSE_VALIDATORS,
        },
    )
    platform_resolver = HarnessResolver(platform, handlers.find)
    app.add_api(
        specs.for_connexion(platform, not_built=platform_resolver.not_built),
        name="platform",
        resolver=platform_resolver,
        validate_responses=options.validate_responses,
        strict_validation=not options.lenient_query,
        uri_parser_class=RepeatedQueryURIParser,
        pythonic_params=False,
    )
    app.add_api(
        specs.for_connexion(admin),
        base_path="/__admin",
        name="admin",
        resolver=HarnessResolver(admin, handlers.find),
        validate_responses=options.validate_responses,
        strict_validation=not options.lenient_query,
        uri_parser_class=RepeatedQueryURIParser,
        pythonic_params=False,
    )

    errors = ErrorResponder(harness, index, admin_index)
    app.add_error_handler(ApiError, errors.api_error)
    app.add_error_handler(404, errors.unrouted)
    app.add_error_handler(405, errors.unrouted)
    app.add_error_handler(ProblemException, errors.problem)
    app.add_error_handler(Exception, errors.unexpected)
    app.add_middleware(
        MediaTypeMiddleware,
        position=MiddlewarePosition.BEFORE_SECURITY,
        index=index,
        lenient=options.lenient_media_types,
    )
    app.add_middleware(
        FaultMiddleware, position=MiddlewarePosition.BEFORE_SECURITY, faults=harness.store.faults
    )
    app.add_middleware(
        BodyLimitMiddleware, position=MiddlewarePosition.BEFORE_SECURITY, indexes=(index, admin_index)
    )
    # The very outermost: headers too big to read are refused before any other layer reads them.
    header_limits = HeaderLimits(
        options.max_header_bytes, options.max_header_value_bytes, options.max_name_length
    )
    app.add_middleware(
        HeaderLimitMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION, limits=header_limits
    )
    # Outermost of ours: the admin API's guard, then CORS for the Platform routes (only if asked for).
    app.add_middleware(
        AdminGuardMiddleware,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        admin_token=options.admin_token,
        allowed_hosts=options.admin_allowed_hosts,
    )
    if options.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            position=MiddlewarePosition.BEFORE_EXCEPTION,
            allow_origins=list(options.cors_origins),
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["*"],
        )
    credentials = Credentials(options.require_token)
    if options.fast_lane:  # outermost: a plain call never reaches the layers below

        def router() -> Router:
            return platform_router(app, "platform", platform_resolver)

        app.add_middleware(
            FastLane,
            position=MiddlewarePosition.BEFORE_EXCEPTION,
            router=router,
            harness=harness,
            credentials=credentials,
            errors=errors,
            jsonifier=jsonifier,
            validate_responses=options.validate_responses,
        )
    app.add_middleware(
        JournalMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION, journal=harness.journal
    )
    app.add_middleware(
        GatewayMiddleware,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        credentials=credentials,
        context=harness,
    )
    app.profile_harness = harness  # read back with harness_of(app)
    return app


def platform_router(app: connexion.AsyncApp, name: str, resolver: HarnessResolver) -> Router:
    """Fast-lane plans for the operations of the API ``name`` added to ``app`` (read once it runs)."""
    api = next(api for api in app.middleware.apis if api.kwargs.get("name") == name)
    specification = api.specification
    base_path = api.base_path if api.base_path is not None else specification.base_path
    operations = [
        OpenAPIOperation.from_spec(specification, path=path, method=method, resolver=resolver)
        for path, methods in specification["paths"].items()
        for method in methods
        if method in _METHODS
    ]
    handlers = {
        operation.operation_id: resolver.handler_for(operation.operation_id) for operation in operations
    }
    return build_router([(operation, base_path or "") for operation in operations], handlers)


def harness_of(app: connexion.AsyncApp) -> Harness:
    """The store, options, journal and recorded server errors behind an app made by create_app."""
    harness: Harness = app.profile_harness
    return harness
