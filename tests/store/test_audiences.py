"""Audience membership (``segmentMembership``) under the merge policies: per audience, whole entries."""

from __future__ import annotations

import copy

from profile_harness.store.datasets import Fragment
from profile_harness.store.merge import merge_fragments

A = "52c26d0d-45f2-47a2-ab30-ed06abc981ff"
B = "7a93d2ff-a220-4bae-9a4e-5f3c35032be3"


def _f(dataset: str, updated: int, memberships: dict[str, object]) -> Fragment:
    record = {"identityMap": {"email": [{"id": "j@x"}]}, "segmentMembership": memberships}
    return Fragment(dataset, f"b-{dataset}", 0, record, updated)


EARLY = _f(
    "crm",
    100,
    {
        "ups": {
            A: {
                "status": "realized",
                "lastQualificationTime": "2024-03-01T10:00:00Z",
                "validUntil": "2024-04-01T10:00:00Z",
                "payload": {"payloadType": "number", "payloadNumberValue": 3},
            }
        }
    },
)
LATE = _f(
    "loy",
    200,
    {
        "ups": {
            A: {"status": "exited", "lastQualificationTime": "2024-05-01T10:00:00Z"},
            B: {"status": "existing", "lastQualificationTime": "2024-02-11T08:30:00Z"},
        },
        "AAM": {"12345": {"status": "realized", "lastQualificationTime": "2024-05-02T00:00:00Z"}},
    },
)


def test_timestamp_ordered__memberships_of_two_datasets_combine_and_the_later_entry_wins_whole():
    before = copy.deepcopy([EARLY.record, LATE.record])
    merged = merge_fragments([LATE, EARLY], "timestampOrdered")
    assert merged is not None
    memberships = merged.entity["segmentMembership"]
    assert set(memberships) == {"ups", "AAM"}
    assert set(memberships["ups"]) == {A, B}
    # the later fragment's membership of A, with nothing of the earlier one (no validUntil, no payload)
    assert memberships["ups"][A] == {"status": "exited", "lastQualificationTime": "2024-05-01T10:00:00Z"}
    assert [EARLY.record, LATE.record] == before  # the stored records are untouched


def test_timestamp_ordered__an_earlier_fragment_does_not_override_a_later_membership():
    later_early = _f("crm", 300, EARLY.record["segmentMembership"])
    merged = merge_fragments([LATE, later_early], "timestampOrdered")
    assert merged is not None
    assert merged.entity["segmentMembership"]["ups"][A]["status"] == "realized"
    assert merged.entity["segmentMembership"]["ups"][B]["status"] == "existing"


def test_dataset_precedence__the_first_listed_dataset_gives_the_membership():
    merged = merge_fragments([EARLY, LATE], "dataSetPrecedence", ["crm", "loy"])
    assert merged is not None
    assert merged.entity["segmentMembership"]["ups"][A]["status"] == "realized"
    assert merged.entity["segmentMembership"]["ups"][A]["validUntil"] == "2024-04-01T10:00:00Z"
    assert merged.entity["segmentMembership"]["ups"][B]["status"] == "existing"  # only loy has B
    only_crm = merge_fragments([EARLY, LATE], "dataSetPrecedence", ["crm"])
    assert only_crm is not None
    assert set(only_crm.entity["segmentMembership"]) == {"ups"}
