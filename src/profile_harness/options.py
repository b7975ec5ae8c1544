"""Settings of one harness server, chosen on the command line or by a test."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HarnessOptions"]


@dataclass(frozen=True)
class HarnessOptions:
    """What a harness app is built with.

    ``require_token``: when set, only this bearer token passes the gateway; otherwise any non-empty
    token does. ``ims_client_secret``: when set, the fake IMS endpoint refuses other secrets.
    ``validate_responses``: check every response against the spec (on by default; a response that
    breaks the spec is a harness bug and answers 500). ``system_jobs_flavor``: ``azure`` (default) or
    ``aws``, the two shapes of the system-jobs API (DOC-SJ), for tenants whose fixture sets none.
    """

    require_token: str | None = None
    ims_client_secret: str | None = None
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
