"""Identities: (namespace code, lower-cased; id). The graph linking them lives in the identity index."""

from __future__ import annotations

__all__ = ["Identity"]

Identity = tuple[str, str]  # (namespace code, lower-cased; id)
