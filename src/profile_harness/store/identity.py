"""The identity graph: identities seen in the same record are linked (union-find), XIDs are stable."""

from __future__ import annotations

from collections.abc import Iterable

from profile_harness.store.clock import xid_for

__all__ = ["Identity", "IdentityGraph"]

Identity = tuple[str, str]  # (namespace code, lower-cased; id)


class IdentityGraph:
    """Connected components of identities; each identity also has its XID."""

    def __init__(self) -> None:
        self._parent: dict[Identity, Identity] = {}
        self._members: dict[Identity, set[Identity]] = {}
        self._by_xid: dict[str, Identity] | None = None  # built on the first XID lookup

    def _find(self, identity: Identity) -> Identity:
        root = identity
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[identity] != root:  # path compression
            self._parent[identity], identity = root, self._parent[identity]
        return root

    def add(self, identity: Identity) -> None:
        if identity not in self._parent:
            self._parent[identity] = identity
            self._members[identity] = {identity}
            if self._by_xid is not None:
                self._by_xid[xid_for(*identity)] = identity

    def link(self, identities: Iterable[Identity]) -> None:
        """Record that these identities were seen together in one record."""
        items = list(identities)
        for identity in items:
            self.add(identity)
        for other in items[1:]:
            a, b = self._find(items[0]), self._find(other)
            if a == b:
                continue
            if len(self._members[a]) < len(self._members[b]):
                a, b = b, a
            self._parent[b] = a
            self._members[a] |= self._members.pop(b)

    def __contains__(self, identity: object) -> bool:
        return identity in self._parent

    def root(self, identity: Identity) -> Identity:
        """The identity that stands for ``identity``'s component (itself when the graph never saw it)."""
        return self._find(identity) if identity in self._parent else identity

    def component(self, identity: Identity) -> frozenset[Identity]:
        """Every identity linked to ``identity`` (itself alone when the graph has never seen it)."""
        if identity not in self._parent:
            return frozenset({identity})
        return frozenset(self._members[self._find(identity)])

    def by_xid(self, xid: str) -> Identity | None:
        # Hashing every identity is most of what the XID map costs; lookups by value never need it.
        if self._by_xid is None:
            self._by_xid = {xid_for(*identity): identity for identity in self._parent}
        return self._by_xid.get(xid)

    def components(self) -> list[frozenset[Identity]]:
        return [frozenset(members) for members in self._members.values()]
