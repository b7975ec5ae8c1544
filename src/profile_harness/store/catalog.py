"""Catalog views of one tenant's datasets and batches, and the files of exported batches."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from profile_harness.store.tenant import Tenant

__all__ = ["CatalogBackend"]


class CatalogBackend:
    """Not built yet: the operations of this family answer 501 until it is."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
