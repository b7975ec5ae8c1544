"""One clock and one seedable id source per server, so replays and snapshots are reproducible."""

from __future__ import annotations

import base64
import functools
import hashlib
import random
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

__all__ = ["LATEST_MS", "Clock", "IdSource", "xid_for"]

#: 9999-12-31T23:59:59.999Z, the last instant a datetime can show: the clock never goes past it.
LATEST_MS = 253_402_300_799_999


class Clock:
    """Follows real time, shifted by ``offset``, unless frozen at a fixed instant."""

    def __init__(self, *, frozen_at_ms: int | None = None) -> None:
        self._offset_ms = 0
        self._frozen_ms = frozen_at_ms
        # The server thread and a test's own thread (pytest plugin) may both move the clock.
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        """Milliseconds since the epoch, held at :data:`LATEST_MS` (a clock set near the end of year
        9999 and left running stops there, rather than reach a year no date can show).
        """
        frozen = self._frozen_ms  # read once: another thread may unfreeze in between
        if frozen is not None:
            return min(frozen, LATEST_MS)
        return min(int(time.time() * 1000) + self._offset_ms, LATEST_MS)

    def now_s(self) -> int:
        return self.now_ms() // 1000

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_ms() / 1000, UTC)

    @property
    def frozen(self) -> bool:
        return self._frozen_ms is not None

    def freeze(self, at_ms: int | None = None) -> None:
        with self._lock:
            self._frozen_ms = self.now_ms() if at_ms is None else at_ms

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen_ms is not None:
                self._offset_ms = self._frozen_ms - int(time.time() * 1000)
                self._frozen_ms = None

    def reset(self) -> None:
        """Follow real time again, with no offset."""
        with self._lock:
            self._offset_ms = 0
            self._frozen_ms = None

    def advance(self, ms: int) -> None:
        with self._lock:
            if self._frozen_ms is not None:
                self._frozen_ms += ms
            else:
                self._offset_ms += ms

    def to_fixture(self) -> dict[str, Any] | None:
        """The clock as a fixture document states it; None while it follows real time unshifted."""
        if self._frozen_ms is not None:
            return {"frozen": True, "atMs": self._frozen_ms}
        if self._offset_ms:
            return {"frozen": False, "offsetMs": self._offset_ms}
        return None

    def load_fixture(self, raw: dict[str, Any]) -> None:
        """Set the clock as :meth:`to_fixture` stated it."""
        with self._lock:
            if raw.get("frozen"):
                self._frozen_ms, self._offset_ms = int(raw["atMs"]), 0
            else:
                self._frozen_ms, self._offset_ms = None, int(raw.get("offsetMs", 0))


@functools.lru_cache(maxsize=1 << 16)
def xid_for(namespace: str, identity: str) -> str:
    """The stable XID of an identity: the same (namespace, id) always gives the same XID.

    Namespace codes match case-insensitively, so the code is lower-cased first. The shape imitates the
    documented opaque base64url XIDs (``BVrqzwVv7o2p3naHvnsWpqZXv3KJgA``).
    """
    digest = hashlib.sha256(f"{namespace.lower()}\x00{identity}".encode()).digest()
    return "B" + base64.urlsafe_b64encode(digest[:22]).decode().rstrip("=")[:29]


class IdSource:
    """Ids in the documented formats, from one seedable generator (thread-safe)."""

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._counter = 0

    def _bits(self, n: int) -> int:
        with self._lock:
            return self._random.getrandbits(n)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._bits(128), version=4))

    def hex(self, length: int) -> str:
        return f"{self._bits(length * 4):0{length}x}"

    def dataset_id(self) -> str:
        return self.hex(24)

    def batch_id(self) -> str:
        return self.hex(32)

    def token(self, length: int = 32) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        value = self._bits(length * 6)
        return "".join(alphabet[(value >> (6 * i)) % len(alphabet)] for i in range(length))

    def sequence(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter
