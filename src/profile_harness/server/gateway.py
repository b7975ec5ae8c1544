"""The Platform gateway in front of every service: credentials, the tenant headers, body media types.

It answers before any service sees the call, in the gateway's own error bodies (DOC-PTS), so a
client learns about a missing header exactly as it would from ``platform.adobe.io``.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from profile_harness.errors import ApiError, BadRequest, ErrorShape, UnsupportedMediaType, render
from profile_harness.openapi.index import OperationIndex, media_essence

__all__ = [
    "Credentials",
    "GatewayMiddleware",
    "HeaderLimitMiddleware",
    "HeaderLimits",
    "MediaTypeMiddleware",
    "check_credentials",
    "request_headers",
    "same_secret",
    "send_json",
    "tolerant_path",
]

PLATFORM_PREFIX = "/data/"
#: Where a trailing slash is ignored; Swagger UI (/ui/) needs its own slash.
_TOLERANT_PREFIXES = ("/data/", "/ims/", "/__admin/")
#: The admin API's Swagger UI, which redirects /__admin/ui to /__admin/ui/ (stripping that slash looped).
_ADMIN_UI = "/__admin/ui/"
#: Where AWS-hosted Platform names the sandbox by ``x-sandbox-id`` instead of ``x-sandbox-name`` (DOC-SJ).
SANDBOX_ID_PREFIX = "/data/core/ups/system/jobs"
_BEARER = re.compile(r"^bearer\s+(\S+)$", re.IGNORECASE)
_API_KEY = re.compile(r"^[A-Za-z0-9._-]+$")
_ORG = re.compile(r"^[A-Za-z0-9]+@AdobeOrg$")
_SANDBOX = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: What a sandbox id may hold (Platform's are UUIDs).
_SANDBOX_ID = re.compile(r"^[A-Za-z0-9._-]+$")
#: The headers check_credentials reads.
_CREDENTIAL_HEADERS = ("authorization", "x-api-key", "x-gw-ims-org-id", "x-sandbox-name")


def check_credentials(
    headers: dict[str, str], require_token: str | None = None
) -> tuple[int, str, str] | None:
    """The gateway's verdict on a call's headers: ``(status, error_code, message)``, or None if it passes."""
    authorization = headers.get("authorization", "").strip()
    if not authorization:
        return 403, "403010", "Oauth token is missing."
    match = _BEARER.match(authorization)
    if match is None or (require_token is not None and not same_secret(match.group(1), require_token)):
        return 401, "401013", "Oauth token is not valid"
    api_key = headers.get("x-api-key", "").strip()
    if not api_key:
        return 403, "403000", "Api Key is required"
    if not _API_KEY.match(api_key):
        return 403, "403003", "Api Key is invalid"
    org = headers.get("x-gw-ims-org-id", "").strip()
    if not org:
        return 400, "400003", "Missing header: x-gw-ims-org-id"
    if not _ORG.match(org):
        return 403, "403027", "User region is missing"
    sandbox = headers.get("x-sandbox-name", "").strip()
    if not sandbox:
        return 400, "400003", "Missing header: x-sandbox-name"
    if not _SANDBOX.match(sandbox):
        return 400, "400003", "Invalid header: x-sandbox-name must be lower-case letters, digits and hyphens"
    return None


def same_secret(given: str, expected: str) -> bool:
    """``given == expected`` in time that does not depend on where they differ (a token, a secret)."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )


_HEADERS_KEY = "profile_harness.headers"


def request_headers(scope: Scope) -> dict[str, str]:
    """The request's headers, lower-cased names, parsed once per request and kept in the scope."""
    headers: dict[str, str] | None = scope.get(_HEADERS_KEY)
    if headers is None:
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        scope[_HEADERS_KEY] = headers
    return headers


async def send_json(
    send: Send,
    status: int,
    body: bytes,
    media_type: str = "application/json",
    extra: Iterable[tuple[bytes, bytes]] = (),
) -> None:
    """Answer with a finished JSON body."""
    headers = [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Credentials:
    """The gateway's credential check of one server, remembering the credentials that passed (a
    client sends the same ones call after call); the gateway and the fast lane share it.
    """

    def __init__(self, require_token: str | None = None) -> None:
        self.require_token = require_token
        self._passed: set[tuple[str | None, ...]] = set()

    def verdict(self, headers: dict[str, str]) -> tuple[int, str, str] | None:
        """:func:`check_credentials` of ``headers`` under this server's token rule."""
        key = tuple(map(headers.get, _CREDENTIAL_HEADERS))
        if key in self._passed:
            return None
        verdict = check_credentials(headers, self.require_token)
        if verdict is None:
            if len(self._passed) >= 1024:
                self._passed.clear()
            self._passed.add(key)
        return verdict


def tolerant_path(path: str) -> str:
    """``path`` as the gateway routes it: a trailing slash is ignored on Platform and admin paths."""
    if path.endswith("/") and path.startswith(_TOLERANT_PREFIXES) and not path.startswith(_ADMIN_UI):
        # The real gateway routes /export/jobs/ like /export/jobs (DOC-EXP's next links use it).
        return path.rstrip("/") or "/"
    return path


class GatewayMiddleware:
    """Tolerate trailing slashes, then check credentials on Platform paths.

    The innermost of our layers before Connexion's exception handling: the fast lane and the journal
    sit outside it (``app.py``), so the fast lane runs its own credential check and the journal records
    the gateway's refusals.
    """

    def __init__(self, app: ASGIApp, *, credentials: Credentials, context: Any = None) -> None:
        self.app = app
        self.credentials = credentials
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = tolerant_path(scope["path"])
        if path != scope["path"]:
            scope = {**scope, "path": path, "raw_path": path.encode()}
        scope["profile_harness"] = self.context
        # Connexion copies the scope and records the matched operation in scope["extensions"]; a
        # dict created here is shared by every copy, so error handlers and the journal see it
        # (the test client provides one, uvicorn does not).
        scope.setdefault("extensions", {})
        if path.startswith(SANDBOX_ID_PREFIX):
            scope, refusal = self._sandbox_by_id(scope)
            if refusal is not None:
                await send_json(send, 400, refusal)
                return
        if path.startswith(PLATFORM_PREFIX):
            verdict = self.credentials.verdict(request_headers(scope))
            if verdict is not None:
                status, code, message = verdict
                body = json.dumps({"error_code": code, "message": message}).encode()
                await send_json(send, status, body)
                return
        await self.app(scope, receive, send)

    def _sandbox_by_id(self, scope: Scope) -> tuple[Scope, bytes | None]:
        """A system-jobs call that names its sandbox only by ``x-sandbox-id`` (DOC-SJ's AWS form) goes on
        as if it had sent that sandbox's ``x-sandbox-name``; an id no sandbox of the org has is refused.
        """
        headers = request_headers(scope)
        sandbox_id = headers.get("x-sandbox-id", "").strip()
        if not sandbox_id:  # the usual call: nothing more to look at
            return scope, None
        org = headers.get("x-gw-ims-org-id", "").strip()
        if headers.get("x-sandbox-name", "").strip() or not org or self.context is None:
            return scope, None
        name = self.context.store.sandbox_named(org, sandbox_id)
        if name is None:
            message = (
                f"Invalid header: x-sandbox-id {sandbox_id[:64]!r} names no sandbox of this organization"
            )
            return scope, json.dumps({"error_code": "400003", "message": message}).encode()
        return _with_header(scope, b"x-sandbox-name", name), None


class HeaderFieldsTooLarge(ApiError):
    status = 431
    title = "Request Header Fields Too Large"


_ORG_SUFFIX = "@AdobeOrg"


@dataclass(frozen=True)
class HeaderLimits:
    """How much of a request's headers the server reads (``serve --max-header-bytes``,
    ``--max-header-value-bytes``) and how long the names of a tenant may be (``--max-name-length``).
    """

    #: Names and values of every header together.
    total_bytes: int = 16 * 1024
    #: One header's value.
    value_bytes: int = 8 * 1024
    #: The org id before ``@AdobeOrg``, the sandbox name, the sandbox id.
    name_length: int = 64

    def too_large(self, raw: Iterable[tuple[bytes, bytes]]) -> str | None:
        """Why the headers ``raw`` (as the server got them) are too big to read, or None."""
        total = 0
        for name, value in raw:
            if len(value) > self.value_bytes:
                shown = name[:64].decode("latin-1")
                return f"The {shown} header has {len(value)} bytes; a value may have {self.value_bytes}"
            total += len(name) + len(value)
        if total > self.total_bytes:
            return f"The request headers have {total} bytes; the limit is {self.total_bytes}"
        return None

    def bad_name(self, headers: dict[str, str]) -> str | None:
        """Why the tenant headers of a Platform call name no tenant the server keeps, or None."""
        limit = self.name_length
        org = headers.get("x-gw-ims-org-id", "").strip()
        if len(org) > limit + len(_ORG_SUFFIX):
            return f"Invalid header: x-gw-ims-org-id may have at most {limit} characters before {_ORG_SUFFIX}"
        if len(headers.get("x-sandbox-name", "").strip()) > limit:
            return f"Invalid header: x-sandbox-name may have at most {limit} characters"
        sandbox_id = headers.get("x-sandbox-id", "").strip()
        if sandbox_id and (len(sandbox_id) > limit or not _SANDBOX_ID.match(sandbox_id)):
            return f"Invalid header: x-sandbox-id must be at most {limit} letters, digits, '.', '_' or '-'"
        return None


class HeaderLimitMiddleware:
    """The outermost layer: headers past :class:`HeaderLimits` are refused (431) before any other
    layer reads them, and so are the tenant names of a Platform call past their length (400003).

    Platform paths answer in the gateway's body, the rest with a problem. Nothing is recorded: the
    journal would keep what was too big to keep.
    """

    def __init__(self, app: ASGIApp, *, limits: HeaderLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = self.limits.too_large(scope["headers"])
        if message is not None:
            await _refuse(scope, send, HeaderFieldsTooLarge(message, code="431000"))
            return
        if scope["path"].startswith(PLATFORM_PREFIX):
            message = self.limits.bad_name(request_headers(scope))
            if message is not None:
                await _refuse(scope, send, BadRequest(message, code="400003"))
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, send: Send, error: ApiError) -> None:
    """``error`` in the gateway's body on Platform paths, as a problem elsewhere."""
    if scope["path"].startswith(PLATFORM_PREFIX):
        body = json.dumps({"error_code": error.code, "message": error.message}).encode()
        await send_json(send, error.status, body)
        return
    rendered = render(error, ErrorShape.PROBLEM)
    await send_json(send, rendered.status, rendered.body, rendered.media_type)


class MediaTypeMiddleware:
    """After routing: a body needs a ``Content-Type`` the operation takes (DOC-PTS 400, edge 415).

    ``lenient`` (``serve --lenient-media-types``): an edge body sent as ``application/json`` is read
    as the operation's vendor type instead of getting the documented 415.
    """

    def __init__(self, app: ASGIApp, *, index: OperationIndex, lenient: bool = False) -> None:
        self.app = app
        self.index = index
        self.lenient = lenient

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        routing = scope.get("extensions", {}).get("connexion_routing", {})
        info = self.index.get(routing.get("operation_id"))
        if info is None or not info.body_media_types:
            await self.app(scope, receive, send)
            return
        headers = request_headers(scope)
        has_body = headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers
        content_type = headers.get("content-type", "")
        if not content_type and not has_body:
            await self.app(scope, receive, send)
            return
        if media_essence(content_type) in info.body_media_types:
            await self.app(scope, receive, send)
            return
        if self.lenient and info.strict_media_type and media_essence(content_type) == "application/json":
            vendor = info.body_media_labels[0]  # each edge operation takes one vendor type
            await self.app(_with_header(scope, b"content-type", vendor), receive, send)
            return
        await self._refuse(send, info.strict_media_type, content_type, list(info.body_media_labels))

    @staticmethod
    async def _refuse(send: Send, strict: bool, content_type: str, accepted: list[str]) -> None:
        if strict:
            error = UnsupportedMediaType(
                f"Content-Type {content_type or '(none)'} is not accepted; use {' or '.join(accepted)}"
            )
            rendered = render(error, ErrorShape.PROBLEM)
            await send_json(send, 415, rendered.body, rendered.media_type)
            return
        body = {
            "type": "/placeholder/type/uri",
            "status": 400,
            "title": "BadRequestError",
            "detail": "A valid content-type must be specified",
        }
        await send_json(send, 400, json.dumps(body).encode())


def _with_header(scope: Scope, name: bytes, value: str) -> Scope:
    """A copy of ``scope`` whose ``name`` header (lower-case) is ``value``; the parsed headers are
    dropped, so :func:`request_headers` reads the copy's own.
    """
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != name]
    rewritten = {**scope, "headers": [*headers, (name, value.encode())]}
    rewritten.pop(_HEADERS_KEY, None)
    return rewritten
