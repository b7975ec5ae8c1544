"""What a handler returns: ``(body, status)``; the resolver adds the documented media type."""

from __future__ import annotations

from typing import Any

__all__ = ["Answer"]

#: ``(body, status)``; a body of None is an empty response.
Answer = tuple[Any, int]
