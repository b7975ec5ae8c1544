"""Tenancy: one lazily created Tenant per (org, sandbox); nothing is shared between two of them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Store", "Tenant"]


@dataclass
class Tenant:
    """The state of one (org, sandbox) pair; each resource family adds its backend here."""

    org: str
    sandbox: str
    backends: dict[str, Any] = field(default_factory=dict)


class Store:
    """Every tenant of one harness server, created on first use."""

    def __init__(self) -> None:
        self._tenants: dict[tuple[str, str], Tenant] = {}
        self._lock = threading.Lock()

    def tenant(self, org: str, sandbox: str) -> Tenant:
        key = (org, sandbox)
        tenant = self._tenants.get(key)
        if tenant is None:
            with self._lock:
                tenant = self._tenants.setdefault(key, Tenant(org, sandbox))
        return tenant

    def tenants(self) -> list[Tenant]:
        return list(self._tenants.values())

    def reset(self, org: str | None = None, sandbox: str | None = None) -> int:
        """Forget every tenant, or those matching ``org`` / ``sandbox``; returns how many were dropped."""
        with self._lock:
            doomed = [
                key
                for key in self._tenants
                if (org is None or key[0] == org) and (sandbox is None or key[1] == sandbox)
            ]
            for key in doomed:
                del self._tenants[key]
        return len(doomed)
