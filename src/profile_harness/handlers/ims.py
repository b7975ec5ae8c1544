"""The fake IMS token endpoint: client credentials in, a bearer token the harness accepts out."""

from __future__ import annotations

import secrets
from typing import Any

from profile_harness.errors import ApiError, BadRequest
from profile_harness.handlers.answers import Answer
from profile_harness.options import HarnessOptions
from profile_harness.server import context
from profile_harness.server.gateway import same_secret

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
    options = context.current().options
    check_client(options, str(body["client_id"]), str(body["client_secret"]))
    token = options.require_token or f"harness-{secrets.token_urlsafe(24)}"
    return {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME_SECONDS}, 200


def check_client(options: HarnessOptions, client_id: str, client_secret: str) -> None:
    """Refuse credentials the server was not configured with (IMS's 401 ``invalid_client``).

    A configured client id or secret must match (compared in constant time). With ``require_token``
    and no configured credentials the endpoint hands out no token at all: the required token is the
    key to every tenant, so any login getting it would make ``--require-token`` pointless.
    """
    expected_id, expected_secret = options.ims_client_id, options.ims_client_secret
    if expected_id is None and expected_secret is None:
        if options.require_token is not None:
            raise InvalidClient(
                "this server hands out its required token only to the client credentials it was "
                "started with (serve --client-id / --client-secret), and it was started with none",
                code="invalid_client",
            )
        return
    # Both are compared whatever the first answer, so the time taken says nothing about which failed.
    id_ok = expected_id is None or same_secret(client_id, expected_id)
    secret_ok = expected_secret is None or same_secret(client_secret, expected_secret)
    if not id_ok:
        raise InvalidClient("invalid client_id parameter", code="invalid_client")
    if not secret_ok:
        raise InvalidClient("invalid client_secret parameter", code="invalid_client")
