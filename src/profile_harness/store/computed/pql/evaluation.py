"""PQL evaluated over events: filter conditions, lookback windows and the aggregation of a plan."""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from profile_harness.store.datasets import parse_time_ms

__all__ = ["Condition", "EventPlan", "lookback_start_ms", "lookup"]


@dataclass(frozen=True)
class Condition:
    """A node of an event filter: ``and``/``or``/``not`` over comparisons."""

    kind: str  # and | or | not | compare | equals | occurs
    children: tuple[Condition, ...] = ()
    path: str = ""
    op: str = ""
    value: Any = None
    case_sensitive: bool = True
    unit: str = ""

    def holds(self, record: dict[str, Any], now_ms: int) -> bool:
        if self.kind == "and":
            return all(c.holds(record, now_ms) for c in self.children)
        if self.kind == "or":
            return any(c.holds(record, now_ms) for c in self.children)
        if self.kind == "not":
            return not self.children[0].holds(record, now_ms)
        found, actual = lookup(record, self.path)
        if not found:
            return False
        if self.kind == "equals":
            if not isinstance(actual, str):
                return False
            expected = str(self.value)
            return actual == expected if self.case_sensitive else actual.lower() == expected.lower()
        if self.kind == "occurs":
            return _occurs(actual, self.op, int(self.value), self.unit, now_ms)
        return _compare(actual, self.op, self.value)


def lookup(record: Any, path: str) -> tuple[bool, Any]:
    """(found, value) of a dotted path in a record."""
    node = record
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        if not (isinstance(expected, bool) and isinstance(actual, bool)):
            return False
        return (actual == expected) if op == "=" else (actual != expected) if op == "!=" else False
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        left, right = float(actual), float(expected)
    elif isinstance(expected, str) and isinstance(actual, str):
        left, right = actual, expected  # type: ignore[assignment]
    else:
        return op == "!="
    return {
        "=": left == right,
        "!=": left != right,
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[op]


def lookback_start_ms(now_ms: int, count: int, unit: str) -> int:
    """``count`` ``unit`` (HOURS, DAYS, WEEKS, MONTHS) before ``now_ms``; months are calendar months."""
    now = datetime.fromtimestamp(now_ms / 1000, UTC)
    if unit == "MONTHS":
        month_index = now.year * 12 + now.month - 1 - count
        year, month = divmod(month_index, 12)
        day = min(now.day, calendar.monthrange(year, month + 1)[1])
        start = now.replace(year=year, month=month + 1, day=day)
    else:
        hours = {"HOURS": 1, "DAYS": 24, "WEEKS": 24 * 7}[unit]
        start = now - timedelta(hours=hours * count)
    return int(start.timestamp() * 1000)


def _occurs(actual: Any, op: str, count: int, unit: str, now_ms: int) -> bool:
    at = parse_time_ms(actual)
    if at is None or at > now_ms:
        return False
    boundary = lookback_start_ms(now_ms, count, unit)
    # "occurs <= 7 days before now": at most 7 days ago, i.e. at or after the boundary.
    return {"<=": at >= boundary, "<": at > boundary, ">=": at <= boundary, ">": at < boundary}[op]


@dataclass(frozen=True)
class EventPlan:
    """How to evaluate an attribute over one profile's events."""

    aggregation: str  # SUM | MIN | MAX | COUNT | MOST_RECENT
    value_path: str | None
    condition: Condition | None

    def evaluate(self, events: Iterable[tuple[int, dict[str, Any]]], now_ms: int) -> Any:
        """The value over (timestamp ms, record) events already inside the lookback; None for no value."""
        chosen = [(ts, r) for ts, r in events if self.condition is None or self.condition.holds(r, now_ms)]
        if self.aggregation == "COUNT":
            return len(chosen)
        if self.aggregation == "MOST_RECENT":
            for _ts, record in sorted(chosen, key=lambda e: e[0], reverse=True):
                found, value = lookup(record, self.value_path or "")
                if found:
                    return value
            return None
        values = [v for found, v in (lookup(r, self.value_path or "") for _ts, r in chosen) if found]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if self.aggregation == "SUM":
            if not numbers:
                return None
            total = math.fsum(numbers)
            return int(total) if all(isinstance(n, int) for n in numbers) else round(total, 10)
        comparable: list[Any] = numbers if numbers else [v for v in values if isinstance(v, str)]
        if not comparable:
            return None
        return min(comparable) if self.aggregation == "MIN" else max(comparable)
