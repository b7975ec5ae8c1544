"""The PQL subset: merge functions, evaluation plans, reasons for what is not supported, legacy helpers."""

from __future__ import annotations

import re
from typing import Any

import pytest

from profile_harness.store.computed.pql import (
    analyse,
    expression_object,
    lookback_start_ms,
    referenced_paths,
    result_type,
)
from profile_harness.store.datasets import parse_time_ms

NOW = parse_time_ms("2024-05-10T12:00:00Z") or 0
DOC_SUM = (
    "xEvent[(commerce.checkouts.value > 0.0 or commerce.purchases.value > 1.0 or "
    "commerce.order.priceTotal >= 10.0) and (timestamp occurs <= 7 days before now)]"
    ".sum(commerce.order.priceTotal)"
)
DOC_RECENT = (
    'xEvent[eventType.equals("commerce.backofficeOrderPlaced", false)].topN(timestamp, 1)'
    '.map({"timestamp": timestamp, "value": producedBy}).head()'
)


def event(at: str, event_type: str, **fields: Any) -> tuple[int, dict[str, Any]]:
    return parse_time_ms(at) or 0, {"timestamp": at, "eventType": event_type, **fields}


EVENTS = [
    event("2024-05-09T10:00:00Z", "commerce.purchases", commerce={"order": {"priceTotal": 20.5}}),
    event("2024-05-08T10:00:00Z", "commerce.purchases", commerce={"order": {"priceTotal": 5}}),
    event("2024-04-01T10:00:00Z", "commerce.purchases", commerce={"order": {"priceTotal": 100}}),
    event("2024-05-07T10:00:00Z", "commerce.productViews"),
    event("2024-05-06T10:00:00Z", "Commerce.BackofficeOrderPlaced", producedBy="store"),
    event("2024-05-05T10:00:00Z", "commerce.backofficeOrderPlaced", producedBy="web"),
]


@pytest.mark.parametrize(
    ("text", "merge"),
    [
        (DOC_SUM, "SUM"),
        (DOC_RECENT, "MOST_RECENT"),
        ('xEvent[eventType = "a"].min(x)', "MIN"),
        ('xEvent[eventType = "a"].max(x)', "MAX"),
        ('xEvent[eventType = "a"].count()', "COUNT"),
        ('xEvent[eventType = "a"].groupBy(c).sum(x)', "SUM"),
        ("xEvent.count()", "COUNT"),
    ],
)
def test_analyse__derives_the_merge_function(text: str, merge: str) -> None:
    assert analyse(text).merge_function == merge


@pytest.mark.parametrize(
    "text",
    [
        "person.birthDate.getMonth() = currentMonth()",
        "xEvent[(commerce.checkouts.value > 0.0",  # DOC-CA's cut-short example
        'xEvent[eventType = "a"]',
    ],
)
def test_analyse__no_merge_function_without_an_aggregation(text: str) -> None:
    assert analyse(text).merge_function is None


def test_evaluate__sum_over_matching_events_in_the_window() -> None:
    plan = analyse(
        'xEvent[eventType = "commerce.purchases" and timestamp occurs <= 7 days before now]'
        ".sum(commerce.order.priceTotal)"
    ).plan
    assert plan is not None
    assert plan.evaluate(EVENTS, NOW) == 25.5


def test_evaluate__the_documented_multi_clause_sum() -> None:
    plan = analyse(DOC_SUM).plan
    assert plan is not None
    assert plan.aggregation == "SUM"
    assert plan.evaluate(EVENTS, NOW) == 20.5  # the 5.00 order fails priceTotal >= 10.0


def test_evaluate__count_min_max() -> None:
    for text, expected in [
        ('xEvent[eventType.equals("commerce.purchases", true)].count()', 3),
        ('xEvent[eventType = "commerce.purchases"].min(commerce.order.priceTotal)', 5),
        ('xEvent[eventType = "commerce.purchases"].max(commerce.order.priceTotal)', 100),
        ('xEvent[eventType = "nothing"].count()', 0),
    ]:
        plan = analyse(text).plan
        assert plan is not None, text
        assert plan.evaluate(EVENTS, NOW) == expected, text


def test_evaluate__most_recent_with_case_insensitive_equals() -> None:
    plan = analyse(DOC_RECENT).plan
    assert plan is not None
    assert plan.aggregation == "MOST_RECENT"
    assert plan.value_path == "producedBy"
    assert plan.evaluate(EVENTS, NOW) == "store"


def test_evaluate__no_value_when_nothing_matches() -> None:
    plan = analyse('xEvent[eventType = "nothing"].sum(commerce.order.priceTotal)').plan
    assert plan is not None
    assert plan.evaluate(EVENTS, NOW) is None


def test_evaluate__not_and_inequality() -> None:
    plan = analyse('xEvent[not (eventType = "commerce.purchases") and eventType != "x"].count()').plan
    assert plan is not None
    assert plan.evaluate(EVENTS, NOW) == 3


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('xEvent[eventType = "a"].groupBy(c).sum(x)', "groupBy() is not supported"),
        ('xEvent[eventType = "a"].count() > 0', "'>' after the aggregation is not supported"),
        ('xEvent[eventType.contains("a")].count()', "the event filter is not supported"),
        ("xEvent[timestamp occurs today].count()", "the event filter is not supported"),
        ("xEvent.topN(timestamp, 2).head()", "only topN(timestamp, 1) is supported"),
        ("person.birthDate.getMonth() = currentMonth()", "only expressions over experience events"),
    ],
)
def test_analyse__says_what_is_not_supported(text: str, reason: str) -> None:
    analysis = analyse(text)
    assert analysis.plan is None
    assert analysis.unsupported is not None
    assert reason in analysis.unsupported


def test_lookback__calendar_months_and_fixed_units() -> None:
    march_31 = parse_time_ms("2024-03-31T00:00:00Z") or 0
    assert lookback_start_ms(march_31, 1, "MONTHS") == parse_time_ms("2024-02-29T00:00:00Z")
    assert lookback_start_ms(NOW, 2, "WEEKS") == parse_time_ms("2024-04-26T12:00:00Z")
    assert lookback_start_ms(NOW, 24, "HOURS") == parse_time_ms("2024-05-09T12:00:00Z")


def test_result_type__boolean_number_or_unknown() -> None:
    assert result_type("person.birthDate.getMonth() = currentMonth()") == "boolean"
    assert result_type('xEvent[eventType = "a"].count() > 0') == "boolean"
    assert result_type("a.b/a.c") == "number"
    assert result_type('xEvent[eventType = "a"].sum(x)') == "number"
    assert result_type('xEvent[eventType = "a"].topN(timestamp, 1).head().x') is None


def test_referenced_paths__fields_not_functions_or_keywords() -> None:
    assert referenced_paths("_acme.summary.total/_acme.summary.count") == {
        "_acme.summary.total",
        "_acme.summary.count",
    }
    assert referenced_paths("person.birthDate.getMonth() = currentMonth()") == {"person.birthDate"}
    assert "days" not in referenced_paths(DOC_SUM)


def test_expression_object__type_and_format_default_to_the_documented_ones() -> None:
    stored = {"type": "PQL", "format": "pql/text", "value": "a.b = 1"}
    assert expression_object({"value": "a.b = 1"}) == stored
    assert expression_object({"type": "PQL", "value": "a.b = 1"}) == stored
    assert expression_object(stored) == stored


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ({"type": "SQL", "value": "x"}, "expression.type"),
        ({"format": "pql/json", "value": "x"}, "expression.format"),
        ({"value": " "}, "expression.value"),
        ({"type": "PQL"}, "expression.value"),
        ({"value": "x", "lang": "en"}, "'lang'"),
        ("x", "expression must be an object"),
    ],
)
def test_expression_object__anything_else_is_named(expression: object, named: str) -> None:
    with pytest.raises(ValueError, match=re.escape(named)):
        expression_object(expression)
