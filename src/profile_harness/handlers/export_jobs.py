"""Profile export jobs (/data/core/ups/export/jobs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: operationId -> handler; operations not listed answer 501.
OPERATIONS: dict[str, Callable[..., Any]] = {}
