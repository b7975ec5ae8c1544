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

    def __post_init__(self) -> None:
        """The bounds the options set on the store and the journal (None: the store's own)."""
        options, store = self.options, self.store
        if options.max_tenants is not None:
            store.max_tenants = options.max_tenants
        if options.max_finished_jobs is not None:
            store.max_finished_jobs = options.max_finished_jobs
        self.journal.max_bytes = options.journal_max_bytes


def current() -> Harness:
    """The harness serving the current request."""
    harness: Harness = current_scope()["profile_harness"]
    return harness


def tenant_key() -> tuple[str, str]:
    """(org, sandbox) of the current request; the gateway has already checked both headers."""
    headers = request_headers(current_scope())
    return headers["x-gw-ims-org-id"].strip(), headers["x-sandbox-name"].strip()


#: Methods that only read: they never create a tenant.
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def tenant() -> Tenant:
    """The tenant (org, sandbox) the current request acts in.

    A write creates it on first use (429 once the server holds ``--max-tenants``); a read of a tenant
    the server does not hold sees an empty one that is not kept, so reads change no state.
    """
    store = current().store
    if current_scope()["method"] in _READS:
        return store.tenant_or_blank(*tenant_key())
    return store.tenant(*tenant_key())
