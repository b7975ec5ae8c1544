"""Body matching, variables and captures."""

from __future__ import annotations

import pytest

from profile_harness.scenarios.matching import interpolate, match, pick


def test_match__subset_allows_extra_keys():
    assert match({"a": 1}, {"a": 1, "b": 2}) == []


def test_match__exact_reports_extra_keys():
    diffs = match({"a": 1}, {"a": 1, "b": 2}, exact=True)
    assert [d.where for d in diffs] == ["b"]


def test_match__missing_field_is_named():
    (diff,) = match({"a": {"b": 1}}, {"a": {}})
    assert diff.where == "a.b"
    assert "(absent)" in str(diff)


def test_match__types_are_strict():
    assert match({"a": 1}, {"a": "1"})
    assert match({"a": True}, {"a": 1})
    assert match({"a": 1}, {"a": 1.0}) == []


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        ({"$any": True}, 5, True),
        ({"$type": "string"}, "x", True),
        ({"$type": "integer"}, True, False),
        ({"$regex": "^a+$"}, "aaa", True),
        ({"$in": ["NEW", "SUCCEEDED"]}, "FAILED", False),
        ({"$len": 2}, [1, 2], True),
        ({"$contains": [{"id": 2}]}, [{"id": 1}, {"id": 2, "x": 0}], True),
        ({"$contains": [{"id": 3}]}, [{"id": 1}], False),
    ],
)
def test_match__matchers(expected, actual, ok):  # type: ignore[no-untyped-def]
    assert (match(expected, actual) == []) is ok


def test_match__absent_matcher():
    assert match({"gone": {"$absent": True}}, {}) == []
    assert match({"gone": {"$absent": True}}, {"gone": 1})


def test_interpolate__keeps_type_of_whole_variable():
    assert interpolate("{{n}}", {"n": 5}) == 5
    assert interpolate("/jobs/{{n}}", {"n": 5}) == "/jobs/5"
    with pytest.raises(KeyError, match="job_id"):
        interpolate("/jobs/{{job_id}}", {})


def test_pick__paths():
    source = {"body": {"a": [{"b": "x"}]}, "headers": {"x-id": "1"}, "status": 200}
    assert pick(source, "body.a[0].b") == "x"
    assert pick(source, "headers.x-id") == "1"
    assert pick(source, "status") == 200
    with pytest.raises(KeyError):
        pick(source, "body.nope")


def test_match__keys_and_values():
    body = {"XID1": {"entityId": "XID1", "sources": ["crm"]}}
    assert match({"$values": [{"sources": ["crm"]}]}, body) == []
    assert match({"$keys": {"$len": 1}}, body) == []
    assert match({"$values": [{"sources": ["loy"]}]}, body)


def test_pick__keys_and_regex():
    source = {"body": ["@/dataSets/5c8c3c555033b814b69f947f"], "status": 201}
    assert pick(source, {"from": "body[0]", "regex": "([^/]+)$"}) == "5c8c3c555033b814b69f947f"
    assert pick({"body": {"X": 1}}, "body.$keys[0]") == "X"
    with pytest.raises(KeyError):
        pick(source, {"from": "body[0]", "regex": "^nothing$"})
