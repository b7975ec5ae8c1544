"""What a handler may know about the call it serves: the harness it runs in and the tenant."""

from __future__ import annotations

from dataclasses import dataclass, field

from profile_harness.options import HarnessOptions
from profile_harness.server.connexion_internals import current_scope
from profile_harness.server.gateway import request_headers
from profile_harness.server.journal import RequestJournal
from profile_harness.store import Store, Tenant

__all__ = ["Harness", "current", "tenant", "tenant_key"]


@dataclass
class Harness:
    """Everything one app serves from; the gateway attaches it to every request's scope."""

    options: HarnessOptions
    store: Store
    journal: RequestJournal = field(default_factory=RequestJournal)
    #: Crashes and spec-breaking responses of the server (always harness bugs), oldest first.
    server_errors: list[BaseException] = field(default_factory=list)


def current() -> Harness:
    """The harness serving the current request."""
    harness: Harness = current_scope()["profile_harness"]
    return harness


def tenant_key() -> tuple[str, str]:
    """(org, sandbox) of the current request; the gateway has already checked both headers."""
    headers = request_headers(current_scope())
    return headers["x-gw-ims-org-id"].strip(), headers["x-sandbox-name"].strip()


def tenant() -> Tenant:
    """The tenant (org, sandbox) the current request acts in, created on first use."""
    return current().store.tenant(*tenant_key())
