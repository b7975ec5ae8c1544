"""Bounded caches of the store: ordered dicts that drop their oldest entry once full."""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import TypeVar

__all__ = ["Kept", "keep"]

K = TypeVar("K")
V = TypeVar("V")

#: A bounded cache: an OrderedDict, so the oldest entry leaves in constant time (a plain dict would
#: scan the holes its deletions leave at its front).
Kept = OrderedDict


def keep(cache: OrderedDict[K, V], key: K, value: V, limit: int) -> V:
    """Put ``value`` in ``cache`` under ``key``, first dropping the oldest entry if ``cache`` is full."""
    if len(cache) >= limit:
        with contextlib.suppress(KeyError):  # another thread emptied it meanwhile
            cache.popitem(last=False)
    cache[key] = value
    return value
