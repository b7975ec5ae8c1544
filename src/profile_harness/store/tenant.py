"""Tenancy: one lazily created Tenant per (org, sandbox); nothing is shared between two of them."""

from __future__ import annotations

import threading

from profile_harness.errors import ApiError
from profile_harness.store.audiences import AudienceBackend
from profile_harness.store.catalog import CatalogBackend
from profile_harness.store.clock import Clock, IdSource
from profile_harness.store.computed.attributes import ComputedAttributeBackend
from profile_harness.store.computed.legacy import LegacyComputedAttributeBackend
from profile_harness.store.datasets import DatasetBackend
from profile_harness.store.edge import EdgeBackend
from profile_harness.store.export_jobs import ExportJobBackend
from profile_harness.store.faults import FaultBook
from profile_harness.store.jobs import (
    DEFAULT_FINISHED_LIMIT,
    DEFAULT_TIMING,
    JOB_KINDS,
    Job,
    JobTiming,
    Lifecycle,
)
from profile_harness.store.merge_policies import MergePolicyBackend, sandbox_info
from profile_harness.store.preview import PreviewBackend
from profile_harness.store.preview_sampling import DEFAULT_SAMPLE_LIMIT
from profile_harness.store.profiles import ProfileBackend
from profile_harness.store.system_jobs import SystemJobBackend

__all__ = ["DEFAULT_MAX_TENANTS", "Store", "Tenant", "TooManyTenants"]

#: Tenants a server holds at most unless told otherwise (serve --max-tenants).
DEFAULT_MAX_TENANTS = 1000


class TooManyTenants(ApiError):
    """A write for a new (org, sandbox) when the server already holds its most."""

    status = 429
    title = "Too Many Requests"


class Tenant:
    """The state of one (org, sandbox) pair: one backend per resource family."""

    def __init__(
        self, org: str, sandbox: str, clock: Clock, ids: IdSource, store: Store | None = None
    ) -> None:
        self.org, self.sandbox = org, sandbox
        self.clock, self.ids = clock, ids
        self.store = store
        self.merge_policies = MergePolicyBackend(org, sandbox, clock, ids)
        self.datasets = DatasetBackend()
        self.profiles = ProfileBackend(self.datasets, self.merge_policies)
        datasets, profiles, new_job = self.datasets, self.profiles, self.new_job
        finished_limit = self.finished_limit
        self.catalog = CatalogBackend(org, datasets, clock, ids)
        self.preview = PreviewBackend(
            datasets=datasets,
            profiles=profiles,
            merge_policies=self.merge_policies,
            clock=clock,
            new_job=new_job,
            sample_limit=lambda: store.preview_sample_limit if store else DEFAULT_SAMPLE_LIMIT,
        )
        self.system_jobs = SystemJobBackend(
            org=org,
            sandbox=sandbox,
            datasets=datasets,
            preview=self.preview,
            clock=clock,
            ids=ids,
            new_job=new_job,
            finished_limit=finished_limit,
        )
        self.computed_attributes = ComputedAttributeBackend(
            org=org, sandbox=sandbox, profiles=profiles, clock=clock, ids=ids, new_job=new_job
        )
        self.export_jobs = ExportJobBackend(
            datasets=datasets,
            merge_policies=self.merge_policies,
            profiles=profiles,
            computed_attributes=self.computed_attributes,
            catalog=self.catalog,
            clock=clock,
            ids=ids,
            new_job=new_job,
            finished_limit=finished_limit,
        )
        self.legacy_computed_attributes = LegacyComputedAttributeBackend(
            org=org, sandbox=sandbox, datasets=datasets, clock=clock, ids=ids, profiles=profiles
        )
        self.edge = EdgeBackend(ids)
        self.audiences = AudienceBackend(datasets, profiles, self.merge_policies, clock, ids.batch_id)

    def finished_limit(self) -> int:
        """Finished jobs of one kind this tenant keeps (the server's setting, read when it prunes)."""
        return self.store.max_finished_jobs if self.store else DEFAULT_FINISHED_LIMIT

    def new_job(self, kind: str, lifecycle: Lifecycle) -> Job:
        """A job of ``kind`` created now, timed by the server's rule, failing if a job fault is pending."""
        timing = self.store.job_timing[kind] if self.store else DEFAULT_TIMING
        fail = self.store.faults.job_failure(kind, self.org, self.sandbox) if self.store else None
        return Job(lifecycle, timing, self.clock.now_ms(), fail_with=fail)


class Store:
    """Every tenant of one harness server, created by the first write, sharing one clock and id source."""

    def __init__(
        self,
        *,
        seed: int | None = None,
        clock: Clock | None = None,
        job_timing: dict[str, JobTiming] | None = None,
        preview_sample_limit: int = DEFAULT_SAMPLE_LIMIT,
        max_tenants: int = DEFAULT_MAX_TENANTS,
        max_finished_jobs: int = DEFAULT_FINISHED_LIMIT,
    ) -> None:
        self.clock = clock or Clock()
        self.ids = IdSource(seed)
        self.faults = FaultBook(seed)
        #: How each job kind advances (set per server with --job-timing, per test via the admin API).
        self.default_job_timing = dict.fromkeys(JOB_KINDS, DEFAULT_TIMING) | (job_timing or {})
        self.job_timing: dict[str, JobTiming] = dict(self.default_job_timing)
        #: Merged profiles a preview sample job reads at most (serve --preview-sample-limit).
        self.preview_sample_limit = preview_sample_limit
        #: Tenants :meth:`tenant` creates at most (serve --max-tenants); fixtures may add more.
        self.max_tenants = max_tenants
        #: Finished jobs a tenant keeps per kind (serve --max-finished-jobs).
        self.max_finished_jobs = max_finished_jobs
        self._tenants: dict[tuple[str, str], Tenant] = {}
        self._lock = threading.Lock()

    def tenant(self, org: str, sandbox: str) -> Tenant:
        """The tenant (org, sandbox), created on first use; TooManyTenants when the store is full."""
        key = (org, sandbox)
        tenant = self._tenants.get(key)
        if tenant is None:
            with self._lock:
                tenant = self._tenants.get(key)
                if tenant is None:
                    if len(self._tenants) >= self.max_tenants:
                        raise TooManyTenants(
                            f"The harness holds {len(self._tenants)} tenants, its most (serve "
                            "--max-tenants); reset some (POST /__admin/reset) before writing to a new "
                            "organization or sandbox"
                        )
                    tenant = self._tenants[key] = Tenant(org, sandbox, self.clock, self.ids, self)
        return tenant

    def tenant_or_blank(self, org: str, sandbox: str) -> Tenant:
        """The tenant (org, sandbox) if the store holds it, else an empty one that it does not keep:
        what a read sees, so that reads never create tenants.
        """
        tenant = self._tenants.get((org, sandbox))
        return tenant if tenant is not None else Tenant(org, sandbox, self.clock, self.ids, self)

    def tenants(self) -> list[Tenant]:
        return list(self._tenants.values())

    def sandbox_named(self, org: str, sandbox_id: str) -> str | None:
        """The name of ``org``'s sandbox whose id is ``sandbox_id`` (the ``sandboxId`` answers carry),
        among the sandboxes the server knows and ``prod``; None when no sandbox has that id.
        """
        names = {"prod", *(tenant.sandbox for tenant in self.tenants() if tenant.org == org)}
        return next((name for name in sorted(names) if sandbox_info(name)["sandboxId"] == sandbox_id), None)

    def replace_tenant(self, tenant: Tenant) -> None:
        """Install a fully built tenant (fixture loading builds aside, then swaps in)."""
        with self._lock:
            self._tenants[(tenant.org, tenant.sandbox)] = tenant

    def reset(self, org: str | None = None, sandbox: str | None = None) -> int:
        """Forget every tenant, or those matching ``org`` / ``sandbox``; returns how many were dropped.

        A reset of everything also drops every fault, puts the clock back on real time and the job
        timing back to the server's settings; a tenant reset drops that tenant's faults only.
        """
        with self._lock:
            doomed = [
                key
                for key in self._tenants
                if (org is None or key[0] == org) and (sandbox is None or key[1] == sandbox)
            ]
            for key in doomed:
                del self._tenants[key]
        if org is None and sandbox is None:
            self.faults.clear()
            self.clock.reset()
            self.job_timing = dict(self.default_job_timing)
        else:
            self.faults.clear(org, sandbox)
        return len(doomed)
