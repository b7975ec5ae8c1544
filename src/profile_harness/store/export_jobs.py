"""Profile export jobs of one tenant."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from profile_harness.store.tenant import Tenant

__all__ = ["ExportJobBackend"]


class ExportJobBackend:
    """Not built yet: the operations of this family answer 501 until it is."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
