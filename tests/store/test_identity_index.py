"""The identity index: the graph is a plain union-find's, whatever the load order or the record form."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from profile_harness.store.clock import xid_for
from profile_harness.store.datasets import PROFILE_CLASS, Batch, Dataset
from profile_harness.store.identity import Identity
from profile_harness.store.identity_index import IdentityIndex, connected_components
from profile_harness.store.records import pack

identity = st.tuples(st.sampled_from(["email", "crmid", "ecid"]), st.sampled_from(list("abcdefgh")))
records = st.lists(st.lists(identity, min_size=1, max_size=3), min_size=1, max_size=25)


class UnionFind:
    """The reference model: identities seen in one record are linked."""

    def __init__(self) -> None:
        self.parent: dict[Identity, Identity] = {}

    def find(self, x: Identity) -> Identity:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            x = self.parent[x]
        return x

    def link(self, items: list[Identity]) -> None:
        for other in items[1:]:
            self.parent[self.find(other)] = self.find(items[0])
        self.find(items[0])

    def components(self) -> set[frozenset[Identity]]:
        groups: dict[Identity, set[Identity]] = {}
        for x in list(self.parent):
            groups.setdefault(self.find(x), set()).add(x)
        return {frozenset(g) for g in groups.values()}


def _record(identities: list[Identity]) -> dict[str, Any]:
    identity_map: dict[str, list[dict[str, str]]] = {}
    for namespace, value in identities:
        identity_map.setdefault(namespace, []).append({"id": value})
    return {"identityMap": identity_map}


def _index(recs: list[list[Identity]], *, packed: bool = False, split: int = 0) -> IdentityIndex:
    plain = [_record(r) for r in recs]
    parts = [plain[:split], plain[split:]] if split else [plain]
    batches = [Batch(f"b{i}", 0, pack(part) if packed else part) for i, part in enumerate(parts)]
    dataset = Dataset("d", "d", PROFILE_CLASS, 0, batches)
    return IdentityIndex([(dataset, b) for b in batches])


@settings(max_examples=200, deadline=None)
@given(records, st.randoms(), st.booleans())
def test_identity_index__partition_is_the_union_finds_whatever_the_order(recs, rnd, packed):  # type: ignore[no-untyped-def]
    model = UnionFind()
    for rec in recs:
        model.link(rec)
    shuffled = [list(r) for r in recs]
    rnd.shuffle(shuffled)
    for r in shuffled:
        rnd.shuffle(r)
    split = rnd.randrange(len(shuffled))
    index = _index(shuffled, packed=packed, split=split)
    components = model.components()
    assert set(index.components()) == components
    for rec in recs:  # a record's identities are never split, and the component is the model's
        assert {index.component(i) for i in rec} == {next(c for c in components if rec[0] in c)}


@settings(max_examples=100, deadline=None)
@given(records, st.booleans())
def test_identity_index__records_by_identity(recs, packed):  # type: ignore[no-untyped-def]
    index = _index(recs, packed=packed, split=len(recs) // 2)
    for probe in {i for rec in recs for i in rec}:
        carrying = [n for n, rec in enumerate(recs) if probe in rec]
        assert index.positions([probe]) == carrying
        dense = index.dense(probe)
        assert dense is not None
        assert index.identity(dense) == probe


def test_identity_index__links_transitively_and_knows_strangers() -> None:
    index = _index([[("email", "a"), ("crmid", "1")], [("crmid", "1"), ("loyaltyid", "L")]])
    assert index.component(("email", "a")) == {("email", "a"), ("crmid", "1"), ("loyaltyid", "L")}
    assert index.component_size(("email", "a")) == 3
    assert index.component(("ecid", "unknown")) == {("ecid", "unknown")}
    assert ("ecid", "unknown") not in index
    assert ("crmid", "1") in index
    assert index.positions([("ecid", "unknown")]) == []


def test_identity_index__by_xid() -> None:
    index = _index([[("email", "a@b.c")]], packed=True)
    assert index.by_xid(xid_for("email", "a@b.c")) == ("email", "a@b.c")
    assert index.by_xid(xid_for("email", "x@b.c")) is None


def test_identity_index__groups_in_order_of_first_record() -> None:
    recs = [
        [("email", "b")],
        [("email", "a"), ("crmid", "1")],
        [("crmid", "1"), ("email", "b")],  # stitches b into a's component
        [("email", "c")],
        [("email", "a")],
    ]
    index = _index(recs, split=2)
    stitched = [g.tolist() for g in index.groups(PROFILE_CLASS, stitched=True)]
    assert stitched == [[0, 1, 2, 4], [3]]
    by_first = [g.tolist() for g in index.groups(PROFILE_CLASS, stitched=False)]
    assert by_first == [[0], [1, 4], [2], [3]]
    assert list(index.groups("_xdm.context.experienceevent", stitched=True)) == []


def test_connected_components__a_long_chain_is_one_component() -> None:
    n = 1000
    a = np.arange(n - 1, dtype=np.int64)[::-1].copy()
    roots = connected_components(n, a, a + 1)
    assert len(set(roots.tolist())) == 1


@settings(max_examples=100, deadline=None)
@given(records, st.integers(min_value=0, max_value=25), st.data())
def test_located_walks_batches_as_locate_does(
    recs: list[list[Identity]], split: int, data: st.DataObject
) -> None:
    index = _index(recs, split=min(split, len(recs)))
    positions = sorted(data.draw(st.sets(st.integers(min_value=0, max_value=index.size - 1))))
    assert list(index.located(positions)) == [index.locate(p) for p in positions]


def test_kept_answers_are_the_computed_ones() -> None:
    index = _index([[("email", "a"), ("crmid", "b")], [("crmid", "b"), ("ecid", "c")], [("email", "z")]])
    component = frozenset({("email", "a"), ("crmid", "b"), ("ecid", "c")})
    for _ in range(2):  # the second round is answered from what the index kept
        assert index.component(("ecid", "c")) == component
        assert index.dense(("ecid", "nobody")) is None
        assert index.positions(component) == [0, 1]
        assert index.positions([("email", "z")]) == [2]
