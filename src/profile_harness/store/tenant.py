"""Tenancy: one lazily created Tenant per (org, sandbox); nothing is shared between two of them."""

from __future__ import annotations

import threading

from profile_harness.store.clock import Clock, IdSource
from profile_harness.store.datasets import DatasetBackend
from profile_harness.store.faults import FaultBook
from profile_harness.store.jobs import DEFAULT_TIMING, JOB_KINDS, JobTiming
from profile_harness.store.merge_policies import MergePolicyBackend
from profile_harness.store.profiles import ProfileBackend

__all__ = ["Store", "Tenant"]


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


class Store:
    """Every tenant of one harness server, created on first use, sharing one clock and id source."""

    def __init__(
        self,
        *,
        seed: int | None = None,
        clock: Clock | None = None,
        job_timing: dict[str, JobTiming] | None = None,
    ) -> None:
        self.clock = clock or Clock()
        self.ids = IdSource(seed)
        self.faults = FaultBook(seed)
        #: How each job kind advances (set per server with --job-timing, per test via the admin API).
        self.default_job_timing = dict.fromkeys(JOB_KINDS, DEFAULT_TIMING) | (job_timing or {})
        self.job_timing: dict[str, JobTiming] = dict(self.default_job_timing)
        self._tenants: dict[tuple[str, str], Tenant] = {}
        self._lock = threading.Lock()

    def tenant(self, org: str, sandbox: str) -> Tenant:
        key = (org, sandbox)
        tenant = self._tenants.get(key)
        if tenant is None:
            with self._lock:
                tenant = self._tenants.get(key)
                if tenant is None:
                    tenant = self._tenants[key] = Tenant(org, sandbox, self.clock, self.ids, self)
        return tenant

    def tenants(self) -> list[Tenant]:
        return list(self._tenants.values())

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
