"""Bounded caches drop their oldest entry once full."""

from __future__ import annotations

from profile_harness.store.bounded import Kept, keep


def test_keep_drops_the_oldest_once_full() -> None:
    cache: Kept[int, str] = Kept()
    for n in range(5):
        assert keep(cache, n, str(n), 3) == str(n)
    assert list(cache.items()) == [(2, "2"), (3, "3"), (4, "4")]


def test_keep_replaces_a_key_without_growing() -> None:
    cache: Kept[int, str] = Kept({1: "a"})
    keep(cache, 1, "b", 5)
    assert cache == {1: "b"}
