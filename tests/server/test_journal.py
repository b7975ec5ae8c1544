"""The request journal is bounded in entries and in bytes; long fields are kept cut (issue 17)."""

from __future__ import annotations

from profile_harness.server.journal import FIELD_LIMIT, RequestJournal


def _record(journal: RequestJournal, path: str, query: str = "", sandbox: str | None = "prod") -> None:
    journal.record(0.0, "GET", path, query, 200, "getMany", "ACME@AdobeOrg", sandbox, 1.0)


def test_journal__keeps_at_most_max_bytes_dropping_the_oldest() -> None:
    journal = RequestJournal(capacity=1000, max_bytes=10_000)
    for i in range(100):
        _record(journal, f"/data/{i}/" + "p" * 1000)
    kept = journal.entries()
    assert 0 < len(kept) < 10
    assert kept[-1].path.startswith("/data/99/")
    assert journal.size_bytes <= 10_000


def test_journal__keeps_at_most_capacity_entries() -> None:
    journal = RequestJournal(capacity=3)
    for i in range(5):
        _record(journal, f"/p{i}")
    assert [entry.path for entry in journal.entries()] == ["/p2", "/p3", "/p4"]
    assert [entry.sequence for entry in journal.entries()] == [3, 4, 5]
    assert journal.clear() == 3
    assert journal.size_bytes == 0


def test_journal__a_long_field_is_cut_with_its_size_stated() -> None:
    journal = RequestJournal()
    _record(journal, "/" + "p" * 100_000, query="q=" + "x" * 50_000, sandbox="s" * 10_000)
    entry = journal.entries()[0]
    assert entry.path.endswith("... (100001 characters)")
    assert len(entry.path) < FIELD_LIMIT + 40
    assert entry.query.endswith("(50002 characters)")
    assert entry.sandbox is not None
    assert entry.sandbox.endswith("(10000 characters)")
    assert journal.size_bytes < 4 * (FIELD_LIMIT + 40) + 400
