"""Thin handlers, one module per spec tag; ``HANDLERS`` maps operationId -> handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from profile_harness.handlers import admin, ims

__all__ = ["ADMIN_HANDLERS", "HANDLERS"]

HANDLERS: dict[str, Callable[..., Any]] = {
    "imsToken": ims.imsToken,
}

ADMIN_HANDLERS: dict[str, Callable[..., Any]] = {
    "adminHealth": admin.adminHealth,
    "adminReset": admin.adminReset,
}
