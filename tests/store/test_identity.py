"""The identity graph: stitching never loses or duplicates a fragment, whatever the load order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from profile_harness.store.clock import xid_for
from profile_harness.store.identity import IdentityGraph

identity = st.tuples(st.sampled_from(["email", "crmid", "ecid"]), st.sampled_from(list("abcdefgh")))
records = st.lists(st.lists(identity, min_size=1, max_size=3), min_size=1, max_size=25)


def _graph(recs: list[list[tuple[str, str]]]) -> IdentityGraph:
    graph = IdentityGraph()
    for rec in recs:
        graph.link(rec)
    return graph


def _partition(graph: IdentityGraph) -> set[frozenset[tuple[str, str]]]:
    return set(graph.components())


@settings(max_examples=200, deadline=None)
@given(records, st.randoms())
def test_identity_graph__independent_of_load_order(recs, rnd):  # type: ignore[no-untyped-def]
    shuffled = [list(r) for r in recs]
    rnd.shuffle(shuffled)
    for r in shuffled:
        rnd.shuffle(r)
    assert _partition(_graph(recs)) == _partition(_graph(shuffled))


@settings(max_examples=200, deadline=None)
@given(records)
def test_identity_graph__each_record_in_exactly_one_component(recs):  # type: ignore[no-untyped-def]
    graph = _graph(recs)
    components = graph.components()
    seen = [i for c in components for i in c]
    assert len(seen) == len(set(seen))  # no identity in two components
    for rec in recs:
        owners = {graph.component(i) for i in rec}
        assert len(owners) == 1  # a record's identities are never split
    all_ids = {i for rec in recs for i in rec}
    assert set(seen) == all_ids  # nothing lost


def test_identity_graph__links_transitively():
    graph = _graph([[("email", "a"), ("crmid", "1")], [("crmid", "1"), ("loyaltyid", "L")]])
    assert graph.component(("email", "a")) == {("email", "a"), ("crmid", "1"), ("loyaltyid", "L")}
    assert graph.component(("ecid", "unknown")) == {("ecid", "unknown")}


def test_xid__stable_and_namespace_case_insensitive():
    assert xid_for("Email", "a@b.c") == xid_for("email", "a@b.c")
    assert xid_for("email", "a@b.c") != xid_for("email", "x@b.c")
    graph = _graph([[("email", "a@b.c")]])
    assert graph.by_xid(xid_for("email", "a@b.c")) == ("email", "a@b.c")
