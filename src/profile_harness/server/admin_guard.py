"""Who may call the admin API (``/__admin``): the right Host, the server's own origin, the admin token.

The admin API resets, loads and dumps every tenant, so a browser page must not reach it: a request
that a browser sent from another origin (an ``Origin`` that is not the server's own, or
``Sec-Fetch-Site`` other than ``same-origin`` / ``none``) is a 403, and a ``Host`` the server was not
told about is a 421 (a DNS-rebinding page names its own host). With an admin token, every call but
health, the description and its UI needs ``Authorization: Bearer <token>`` (401). Each refusal is an
``application/problem+json`` body, the admin API's error shape. Platform paths pass untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from profile_harness.errors import ApiError, ErrorShape, render
from profile_harness.server.gateway import request_headers, same_secret, send_json

__all__ = ["ADMIN_PREFIX", "LOOPBACK_NAMES", "AdminGuardMiddleware", "is_loopback", "open_admin_warning"]

ADMIN_PREFIX = "/__admin"
#: Names a client on this machine reaches a loopback-bound server by.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
#: Admin paths that hold no state and need no admin token: a liveness probe, the description, its UI.
_PUBLIC = re.compile(r"^/__admin/(health|openapi\.json|ui(/.*)?)/?$")
_BEARER = re.compile(r"^bearer\s+(\S+)$", re.IGNORECASE)
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}
#: Sec-Fetch-Site values of a request the browser did not send on another site's behalf.
_OWN_FETCH_SITES = frozenset({"same-origin", "none"})


class AdminUnauthorized(ApiError):
    status = 401
    title = "Unauthorized"


class CrossOriginRefused(ApiError):
    status = 403
    title = "Forbidden"


class MisdirectedRequest(ApiError):
    status = 421
    title = "Misdirected Request"


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps the server reachable from this machine only."""
    name = host.strip("[]").lower()
    return name in LOOPBACK_NAMES or name.startswith("127.")


def host_name(authority: str) -> str:
    """The host of a ``Host`` header or an origin's authority, without its port, lower-case."""
    authority = authority.strip().lower()
    if authority.startswith("["):  # [::1]:8080
        return authority[1 : authority.find("]")] if "]" in authority else authority
    if authority.count(":") == 1:
        return authority.partition(":")[0]
    return authority


def _origin(scheme: str, authority: str) -> str:
    """``scheme://authority`` lower-case, without the scheme's default port."""
    scheme, authority = scheme.lower(), authority.strip().lower()
    default = _DEFAULT_PORTS.get(scheme)
    if default and authority.endswith(f":{default}") and not authority.endswith("]"):
        authority = authority[: -len(default) - 1]
    return f"{scheme}://{authority}"


class AdminGuardMiddleware:
    """Refuse admin calls from other origins, to unexpected hosts, and without the admin token.

    ``allowed_hosts`` None: the ``Host`` is not checked (an in-process app has no network).
    ``admin_token`` None: no token is needed.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        admin_token: str | None = None,
        allowed_hosts: Iterable[str] | None = None,
    ) -> None:
        self.app = app
        self.admin_token = admin_token
        self.allowed_hosts = (
            None if allowed_hosts is None else frozenset(host_name(host) for host in allowed_hosts)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not (path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope, path)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        rendered = render(refusal, ErrorShape.PROBLEM)
        extra = (
            [(b"www-authenticate", b'Bearer realm="profile-harness admin"')] if refusal.status == 401 else []
        )
        await send_json(send, rendered.status, rendered.body, rendered.media_type, extra)

    def refusal(self, scope: Scope, path: str) -> ApiError | None:
        """Why this admin call is refused, or None."""
        headers = request_headers(scope)
        host = headers.get("host", "")
        if self.allowed_hosts is not None and host_name(host) not in self.allowed_hosts:
            return MisdirectedRequest(
                f"this server does not answer admin calls for host {host[:100]!r}; "
                "start it with --allowed-host NAME to add a name"
            )
        fetch_site = headers.get("sec-fetch-site", "").strip().lower()
        if fetch_site and fetch_site not in _OWN_FETCH_SITES:
            return CrossOriginRefused(f"the admin API refuses {fetch_site} browser requests")
        origin = headers.get("origin")
        if origin is not None and _origin(*origin.strip().partition("://")[::2]) != _origin(
            scope.get("scheme", "http"), host
        ):
            return CrossOriginRefused(f"the admin API refuses calls from origin {origin[:100]!r}")
        if self.admin_token is not None and not _PUBLIC.match(path):
            match = _BEARER.match(headers.get("authorization", "").strip())
            if match is None or not same_secret(match.group(1), self.admin_token):
                return AdminUnauthorized(
                    "the admin API needs Authorization: Bearer <the token serve --admin-token was given>"
                )
        return None


def open_admin_warning(host: str, admin_token: str | None) -> str | None:
    """What to say when ``serve --host host`` would open the admin API beyond this machine, or None."""
    if admin_token is not None or is_loopback(host):
        return None
    return (
        f"--host {host} serves the admin API (/__admin: reset, fixtures, every tenant's state) to "
        "anyone who can reach this port, without a token."
    )
