"""All state and all rules of the mock; nothing here knows about HTTP."""

from __future__ import annotations

from profile_harness.store.tenant import Store, Tenant

__all__ = ["Store", "Tenant"]
