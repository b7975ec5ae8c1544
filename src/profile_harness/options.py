"""Settings of one harness server, chosen on the command line or by a test."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HarnessOptions"]


@dataclass(frozen=True)
class HarnessOptions:
    """What a harness app is built with.

    ``require_token``: when set, only this bearer token passes the gateway; otherwise any non-empty
    token does. ``ims_client_id`` / ``ims_client_secret``: when set, the fake IMS endpoint hands out
    tokens only for these client credentials (with ``require_token`` and neither set, it hands out none).
    ``validate_responses``: check every response against the spec (on by default; a response that
    breaks the spec is a harness bug and answers 500). ``system_jobs_flavor``: ``azure`` (default) or
    ``aws``, the two shapes of the system-jobs API (DOC-SJ), for tenants whose fixture sets none.
    """

    require_token: str | None = None
    ims_client_id: str | None = None
    ims_client_secret: str | None = None
    #: Every /__admin call but health, its description and its UI needs ``Authorization: Bearer
    #: <admin_token>`` (401 otherwise). None: the admin API is open (fine on loopback only).
    admin_token: str | None = None
    #: Host names (no port) the admin API answers to; another ``Host`` is a 421 (DNS rebinding).
    #: None: not checked (in-process apps); ``serve`` passes its --host, the loopback names and
    #: every --allowed-host.
    admin_allowed_hosts: tuple[str, ...] | None = None
    #: Browser origins the Platform routes answer CORS requests and preflights for; none by default.
    cors_origins: tuple[str, ...] = ()
    validate_responses: bool = True
    swagger_ui: bool = True
    system_jobs_flavor: str = "azure"
    #: Edge services take only their vendor media types and answer application/json with 415 (DOC-EP,
    #: DOC-TS). Lenient: application/json is read as the resource's vendor type (aepp's
    #: createProjection sends it).
    lenient_media_types: bool = False
    #: A query parameter the operation does not describe is refused with the endpoint's 400, naming it
    #: (spec/DECISIONS.md, "Unknown query parameters"). Lenient: ignored, as Platform's services do.
    lenient_query: bool = False
    #: Serve plain calls of bodiless Platform operations without Connexion's per-request stack
    #: (same checks, same answers; see profile_harness.server.fast_lane). Off: every call goes through it.
    fast_lane: bool = True
    #: Merged profiles a preview sample job reads at most; above it the reports come from a stable
    #: sample and carry a ``samplingRatio`` below 1 (store.preview_sampling). None: the store's own
    #: setting (``Store(preview_sample_limit=...)``, 100,000 by default).
    preview_sample_limit: int | None = None
    #: Bytes of every request header (names and values) together, and of one value: past either the
    #: call is refused with 431 before any layer reads it (server.gateway.HeaderLimits).
    max_header_bytes: int = 16 * 1024
    max_header_value_bytes: int = 8 * 1024
    #: Longest org id (before ``@AdobeOrg``), sandbox name and sandbox id a Platform call may name
    #: (400003 past it).
    max_name_length: int = 64
    #: Tenants a write may create (reads never create one); past it a write for a new tenant is a 429.
    #: None: the store's own setting (``Store(max_tenants=...)``, 1,000 by default).
    max_tenants: int | None = None
    #: Finished jobs a tenant keeps per kind (export jobs, delete requests); the oldest go first.
    #: None: the store's own setting (``Store(max_finished_jobs=...)``, 1,000 by default).
    max_finished_jobs: int | None = None
    #: Bytes the request journal keeps at most (besides its 1,000 entries); the oldest go first.
    journal_max_bytes: int = 16 << 20
    #: The state file of ``serve --state``: loaded at start, written on shutdown and on ``POST
    #: /__admin/snapshot`` (a 409 without one). None: state lives in memory only.
    state_file: str | None = None
