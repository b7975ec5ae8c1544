"""The fake IMS token endpoint: client credentials in, a bearer token the harness accepts out."""

from __future__ import annotations

import secrets
from typing import Any

from profile_harness.errors import ApiError, BadRequest
from profile_harness.handlers.answers import Answer
from profile_harness.server import context

TOKEN_LIFETIME_SECONDS = 86399


class InvalidClient(ApiError):
    status = 401
    title = "Unauthorized"


async def imsToken(body: dict[str, Any]) -> Answer:
    """POST /ims/token/v3"""
    if body.get("grant_type") != "client_credentials":
        raise BadRequest("grant_type must be client_credentials")
    for name in ("client_id", "client_secret"):
        if not str(body.get(name, "")).strip():
            raise BadRequest(f"{name} is required")
    expected = context.current().options.ims_client_secret
    if expected is not None and body["client_secret"] != expected:
        raise InvalidClient("invalid client_secret parameter", code="invalid_client")
    harness = context.current()
    token = harness.options.require_token or f"harness-{secrets.token_urlsafe(24)}"
    return {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME_SECONDS}, 200
