"""The fast lane: plain calls to bodiless Platform operations, served without Connexion's
per-request stack, with request and response validation kept on.

Connexion builds a request object, a URI parser, a validator and a deep copy of the parameter
defaults per call, across a dozen middleware layers; for an entity lookup that is most of the time
the mock spends. This layer sits outermost and serves a call itself when the gateway's credential
check passes and its plan (:mod:`profile_harness.server.fast_lane.plans`) says every parameter is plainly
valid; it records the call in the journal as the journal layer would. Everything else (bad
credentials, a trailing slash, a bad parameter, a body, an active request fault, the admin API, an
unknown path) goes down the full stack unchanged, so refusals are worded exactly as before. The
handler, the response builder, the response checks and the error handlers are Connexion's or the
app's own, called directly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jsonschema_rs
from connexion import utils
from connexion.decorators.response import AsyncResponseDecorator
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.jsonifier import Jsonifier
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware.response_validation import ResponseValidationOperation
from connexion.operations import AbstractOperation
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from profile_harness.errors import ApiError
from profile_harness.server import json_codec
from profile_harness.server.connexion_internals import check_response_body, enter_operation
from profile_harness.server.context import Harness
from profile_harness.server.fast_lane.plans import OperationPlan, Router
from profile_harness.server.gateway import PLATFORM_PREFIX, Credentials, request_headers
from profile_harness.server.limits import check_url
from profile_harness.server.responder import ErrorResponder
from profile_harness.server.validation import RESPONSE_VALIDATORS

__all__ = ["FastLane"]

_SLOW_CHECK = object()  # no compiled validator for this body: Connexion's own judges it


class _ResponseCheck:
    """Connexion's response validation for one operation, with the body check compiled once."""

    def __init__(self, operation: AbstractOperation, validator_map: dict[str, Any]) -> None:
        self.operation = operation
        self.validator_map = validator_map
        self.connexion = ResponseValidationOperation(None, operation=operation, validator_map=validator_map)
        self._compiled: dict[tuple[str, str], Any] = {}
        self._heads: dict[tuple[int, tuple[tuple[bytes, bytes], ...]], tuple[Any, ...]] = {}

    def _fast(self, status: str, mime_type: str) -> Any:
        key = (status, mime_type)
        compiled = self._compiled.get(key)
        if compiled is None:
            schema = self.operation.response_schema(status, mime_type)
            try:
                compiled = (
                    jsonschema_rs.Draft4Validator(schema, validate_formats=True) if schema else _SLOW_CHECK
                )
            except ValueError:  # jsonschema_rs cannot take every schema (recursive ones): the slow check can
                compiled = _SLOW_CHECK
            self._compiled[key] = compiled
        return compiled

    def _head(self, response: Response) -> tuple[Any, ...]:
        """Media type, encoding, status, definition and body validator class of a response whose
        head passes Connexion's checks (documented media type, required headers); the verdict
        depends on the head alone, so it is kept per head.
        """
        headers = response.raw_headers
        key = (response.status_code, tuple(headers))
        known = self._heads.get(key)
        if known is None:
            mime_type, encoding = self.connexion.extract_content_type(headers)
            if response.status_code < 400:
                self.connexion.validate_mime_type(mime_type)
            status = str(response.status_code)
            definition = self.operation.response_definition(status, mime_type)
            self.connexion.validate_required_headers(headers, definition)
            try:
                validator_class = self.validator_map["response"][mime_type]
            except KeyError:
                validator_class = None  # Connexion skips bodies of media types it has no validator for
            known = (mime_type, encoding, status, definition, validator_class)
            if len(self._heads) < 256:
                self._heads[key] = known
        return known

    def check(self, scope: Scope, response: Response, body: Any) -> None:
        """Raise what Connexion's ResponseValidationMiddleware would raise for this response."""
        mime_type, encoding, status, definition, validator_class = self._head(response)
        if validator_class is None:
            return
        if isinstance(body, dict | list) and response.body:
            compiled = self._fast(status, mime_type)
            try:
                if compiled is not _SLOW_CHECK and compiled.is_valid(body):
                    return
            except ValueError:
                pass
        validator = validator_class(
            scope,
            schema=self.operation.response_schema(status, mime_type),
            nullable=utils.is_nullable(definition),
            encoding=encoding,
        )
        check_response_body(validator, response.body, nullable=utils.is_nullable(definition))


class FastLane:
    """Serve plain calls of the operations ``router`` has plans for; pass everything else on."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        router: Callable[[], Router],
        harness: Harness,
        credentials: Credentials,
        errors: ErrorResponder,
        jsonifier: Jsonifier,
        validate_responses: bool,
    ) -> None:
        self.app = app
        self._make_router = router
        self._router: Router | None = None
        self.harness = harness
        self.journal = harness.journal
        self.credentials = credentials
        self.errors = errors
        self.faults = harness.store.faults
        self.builder = AsyncResponseDecorator(framework=StarletteFramework, jsonifier=jsonifier)
        self.validator_map = {"response": RESPONSE_VALIDATORS}
        self.validate_responses = validate_responses
        self._checks: dict[str, _ResponseCheck] = {}
        #: Calls this lane served itself (the rest went down to Connexion).
        self.served = 0

    @property
    def router(self) -> Router:
        """The plans of the operations this lane serves (made on first use: the app must be built)."""
        if self._router is None:
            self._router = self._make_router()
        return self._router

    def _plan(self, scope: Scope) -> tuple[OperationPlan, dict[str, Any]] | None:
        """The plan and handler arguments of a plain call, or None: the full stack serves it."""
        if scope["type"] != "http":
            return None
        path: str = scope["path"]
        if not path.startswith(PLATFORM_PREFIX) or self.faults.all():
            return None
        if path.endswith("/"):
            return None  # the gateway layer drops the slash
        found = self.router.match(scope["method"], path)
        if found is None:
            return None
        plan, path_values = found
        headers = request_headers(scope)
        if self.credentials.verdict(headers) is not None:
            return None  # the gateway layer answers in its own error body
        if headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers:
            return None  # a body on a bodiless operation: the body limit middleware judges it
        try:
            check_url(scope)
        except ApiError:
            return None  # the body limit layer refuses it
        kwargs = plan.arguments_for(path_values, scope.get("query_string", b""), headers)
        return None if kwargs is None else (plan, kwargs)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()  # as the journal layer times a call: planning included
        planned = self._plan(scope)
        if planned is None:
            await self.app(scope, receive, send)
            return
        plan, kwargs = planned
        self.served += 1
        scope["profile_harness"] = self.harness
        extensions = scope.setdefault("extensions", {})
        extensions["connexion_routing"] = {
            "api_base_path": plan.api_base_path,
            "operation_id": plan.operation_id,
        }
        enter_operation(scope, receive, plan.operation)
        try:
            result = await plan.handler(**kwargs)
            response = self._response(plan, result)
            if self.validate_responses:
                body = result[0] if isinstance(result, tuple) else result
                self._check_for(plan).check(scope, response, body)
        except Exception as exc:  # the same answers as Connexion's exception middleware gives
            answer = self.errors.answer(ConnexionRequest(scope, receive), exc)
            response = StarletteFramework.connexion_to_framework_response(answer)
        try:
            await response(scope, receive, send)
        finally:
            self.journal.record_call(scope, response.status_code, started)

    def _response(self, plan: OperationPlan, result: Any) -> Response:
        """The response Connexion's response decorator would build; the usual ``(JSON body, status,
        {"Content-Type": documented JSON type})`` of a handler is built here directly, with the
        app's codec (:mod:`profile_harness.server.json_codec`, which the app's Jsonifier also uses).
        """
        if (
            type(result) is tuple
            and len(result) == 3
            and isinstance(result[0], dict | list)
            and type(result[1]) is int
            and type(result[2]) is dict
            and len(result[2]) == 1
            and result[2].get("Content-Type") in plan.json_produces
        ):
            body, status, headers = result
            return Response(json_codec.encode(body), status_code=status, headers=headers)
        if StarletteFramework.is_framework_response(result):
            return result  # type: ignore[no-any-return]
        if isinstance(result, ConnexionResponse):
            return StarletteFramework.connexion_to_framework_response(result)  # type: ignore[no-any-return]
        return self.builder.build_framework_response(result)  # type: ignore[no-any-return]

    def _check_for(self, plan: OperationPlan) -> _ResponseCheck:
        check = self._checks.get(plan.operation_id)
        if check is None:
            check = self._checks[plan.operation_id] = _ResponseCheck(plan.operation, self.validator_map)
        return check
