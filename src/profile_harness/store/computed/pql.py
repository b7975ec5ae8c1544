"""The Profile Query Language subset computed attributes are evaluated with, and what PQL text implies.

Evaluated (current API): ``xEvent[<condition>].<aggregation>`` where the aggregation is one of
``sum(path)``, ``min(path)``, ``max(path)``, ``count()`` or the most-recent form
``topN(timestamp, 1).map({..., "value": path}).head()`` (also ``topN(timestamp, 1).head().path``),
and the optional condition combines with ``and``, ``or``, ``not`` and parentheses:

* ``path = "text"`` / ``!=`` / ``<`` / ``<=`` / ``>`` / ``>=`` against a string, number or boolean;
* ``path.equals("text", false)`` (the second argument: case-sensitive or not);
* ``path occurs <= N days before now`` (``<``, ``<=``, ``>``, ``>=``; hours, days, weeks, months).

Anything else parses far enough to derive the merge function (the last aggregation of the chain) but
is reported as not supported, with the reason. For the legacy API the module also infers the type an
expression returns and lists the field paths it refers to (dependencies on other attributes).
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from profile_harness.store.datasets import parse_time_ms

__all__ = [
    "AGGREGATIONS",
    "Condition",
    "EventPlan",
    "PqlAnalysis",
    "analyse",
    "expression_object",
    "lookback_start_ms",
    "profile_paths",
    "referenced_paths",
    "result_type",
]

#: The only documented expression ``type`` and ``format`` (DOC-CA, DOC-CA-OLD, SPEC, SPEC-2022).
EXPRESSION_TYPE, EXPRESSION_FORMAT = "PQL", "pql/text"

#: Aggregation call -> mergeFunction value (spec: ComputedAttributeMergeFunction).
AGGREGATIONS = {"sum": "SUM", "min": "MIN", "max": "MAX", "count": "COUNT"}

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<path>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<op><=|>=|!=|=|<|>|\+|-|\*|/)
    | (?P<punct>[\[\](){},:.])
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # string | number | path | op | punct | end
    text: str

    @property
    def value(self) -> Any:
        if self.kind == "string":
            return re.sub(r"\\(.)", r"\1", self.text[1:-1])
        if self.kind == "number":
            return float(self.text) if "." in self.text else int(self.text)
        return self.text


class PqlError(ValueError):
    """The text is not PQL the harness can read (the message says where)."""


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise PqlError(f"unexpected character {text[position:].lstrip()[:1]!r} at {position}")
        kind = match.lastgroup or "punct"
        tokens.append(Token(kind, match.group(kind)))
        position = match.end()
    tokens.append(Token("end", ""))
    return tokens


# -- conditions --------------------------------------------------------------------------------

_UNITS = {"hour": "HOURS", "day": "DAYS", "week": "WEEKS", "month": "MONTHS"}


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


# -- the parser --------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.at = 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.at]

    def next(self) -> Token:
        token = self.tokens[self.at]
        self.at = min(self.at + 1, len(self.tokens) - 1)
        return token

    def accept(self, text: str) -> bool:
        if self.peek.kind != "string" and self.peek.text == text:
            self.next()
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            found = self.peek.text or "the end"
            raise PqlError(f"expected {text!r} but found {found!r}")

    def skip_balanced(self, close: str) -> list[Token]:
        """Tokens up to the bracket that closes the one just read (which is consumed)."""
        pairs = {"(": ")", "[": "]", "{": "}"}
        depth = [close]
        taken: list[Token] = []
        while depth:
            token = self.next()
            if token.kind == "end":
                raise PqlError(f"unbalanced brackets: {close!r} is missing")
            if token.kind == "punct" and token.text in pairs:
                depth.append(pairs[token.text])
            elif token.kind == "punct" and token.text == depth[-1]:
                depth.pop()
                if not depth:
                    break
            elif token.kind == "punct" and token.text in ")]}":
                raise PqlError(f"unbalanced brackets: unexpected {token.text!r}")
            taken.append(token)
        return taken

    # condition grammar: or := and ("or" and)*; and := not ("and" not)*; not := "not" not | atom
    def condition(self) -> Condition:
        node = self._and()
        parts = [node]
        while self.accept("or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else Condition("or", tuple(parts))

    def _and(self) -> Condition:
        parts = [self._not()]
        while self.accept("and"):
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else Condition("and", tuple(parts))

    def _not(self) -> Condition:
        if self.accept("not"):
            return Condition("not", (self._not(),))
        return self._atom()

    def _atom(self) -> Condition:
        if self.accept("("):
            inner = self.condition()
            self.expect(")")
            return inner
        token = self.next()
        if token.kind != "path":
            raise PqlError(f"expected a field path but found {token.text or 'the end'!r}")
        if token.text.endswith(".equals") and self.accept("("):
            literal = self._literal()
            case_sensitive = True
            if self.accept(","):
                flag = self.next()
                if flag.text not in ("true", "false"):
                    raise PqlError("the second argument of equals() is true or false")
                case_sensitive = flag.text == "true"
            self.expect(")")
            return Condition(
                "equals", path=token.text[: -len(".equals")], value=literal, case_sensitive=case_sensitive
            )
        if self.accept("occurs"):
            op = self.next()
            if op.text not in ("<", "<=", ">", ">="):
                raise PqlError(f"'occurs {op.text}' is not supported; use <, <=, > or >= N days before now")
            count = self.next()
            unit = self.next().text.lower().rstrip("s")
            if count.kind != "number" or not isinstance(count.value, int) or unit not in _UNITS:
                raise PqlError("'occurs' needs a whole number of hours, days, weeks or months")
            self.expect("before")
            self.expect("now")
            return Condition("occurs", path=token.text, op=op.text, value=count.value, unit=_UNITS[unit])
        op = self.next()
        if op.kind != "op" or op.text not in ("=", "!=", "<", "<=", ">", ">="):
            raise PqlError(f"expected a comparison after {token.text!r} but found {op.text or 'the end'!r}")
        return Condition("compare", path=token.text, op=op.text, value=self._literal())

    def _literal(self) -> Any:
        negative = self.accept("-")
        token = self.next()
        if token.kind == "number":
            number = token.value
            return -number if negative else number
        if negative:
            raise PqlError("expected a number after '-'")
        if token.kind == "string":
            return token.value
        if token.kind == "path" and token.text in ("true", "false"):
            return token.text == "true"
        raise PqlError(f"expected a string, number, true or false but found {token.text or 'the end'!r}")


# -- analysis ----------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class PqlAnalysis:
    """What a computed attribute's expression implies: its merge function and how to evaluate it."""

    merge_function: str | None
    plan: EventPlan | None
    unsupported: str | None = None
    chain: tuple[str, ...] = field(default=())


def _chain(parser: _Parser) -> list[tuple[str, list[Token]]]:
    """The ``.name(args)`` / ``.name`` calls that follow ``xEvent[...]``."""
    calls: list[tuple[str, list[Token]]] = []
    while parser.accept("."):
        name = parser.next()
        if name.kind != "path":
            raise PqlError(f"expected a function name after '.' but found {name.text or 'the end'!r}")
        if parser.accept("("):
            calls.append((name.text, parser.skip_balanced(")")))
        else:
            calls.append((name.text, []))  # a field read off the result (topN(...).head().field)
    return calls


def _merge_function(calls: list[tuple[str, list[Token]]]) -> str | None:
    names = [name for name, _ in calls]
    for index in range(len(names) - 1, -1, -1):
        name = names[index]
        if name in AGGREGATIONS:
            return AGGREGATIONS[name]
        if name == "head" and "topN" in names[:index]:
            return "MOST_RECENT"
    return None


def _value_of_map(args: list[Token]) -> str | None:
    """The path given as ``"value"`` in ``map({"timestamp": timestamp, "value": path})``."""
    for index, token in enumerate(args):
        if (
            token.kind == "string"
            and token.value == "value"
            and index + 2 < len(args)
            and args[index + 1].text == ":"
            and args[index + 2].kind == "path"
        ):
            return args[index + 2].text
    return None


def _plan(condition: Condition | None, calls: list[tuple[str, list[Token]]]) -> EventPlan | str:
    """The evaluation plan of a supported chain, or the reason it is not supported."""
    names = [name for name, _ in calls]
    if len(calls) == 1 and names[0] in AGGREGATIONS:
        args = calls[0][1]
        if names[0] == "count":
            if args:
                return "count() takes no argument in the supported subset"
            return EventPlan("COUNT", None, condition)
        if len(args) != 1 or args[0].kind != "path":
            return f"{names[0]}() needs exactly one field path"
        return EventPlan(AGGREGATIONS[names[0]], args[0].text, condition)
    if names[:1] == ["topN"]:
        args = calls[0][1]
        if [t.text for t in args] != ["timestamp", ",", "1"]:
            return "only topN(timestamp, 1) is supported"
        if names[1:] == ["map", "head"]:
            value = _value_of_map(calls[1][1])
            if value is None:
                return 'map() must give the value as "value": <field path>'
            return EventPlan("MOST_RECENT", value, condition)
        if len(names) == 3 and names[1] == "head" and not calls[2][1]:
            return EventPlan("MOST_RECENT", names[2], condition)
    unsupported = [n for n in names if n not in (*AGGREGATIONS, "topN", "map", "head")]
    if unsupported:
        return (
            f"{unsupported[0]}() is not supported; only one of sum, min, max, count or "
            "topN(timestamp, 1)...head() may follow xEvent[...]"
        )
    return (
        f"the call chain .{'().'.join(names)}() is not supported; only one aggregation may follow xEvent[...]"
    )


def analyse(text: str) -> PqlAnalysis:
    """Derive the merge function and, for the supported subset, the evaluation plan of ``text``."""
    try:
        tokens = tokenize(text)
    except PqlError as exc:
        return PqlAnalysis(None, None, f"the expression cannot be read: {exc}")
    if tokens[0].kind == "path" and tokens[0].text.startswith("xEvent."):
        # ``xEvent.count()`` reads as one path token; split it into xEvent . count.
        rest = tokens[0].text.removeprefix("xEvent.")
        tokens[:1] = [Token("path", "xEvent"), Token("punct", "."), Token("path", rest)]
    parser = _Parser(tokens)
    if parser.peek.text != "xEvent":
        return PqlAnalysis(None, None, "only expressions over experience events (xEvent[...]) are evaluated")
    parser.next()
    condition: Condition | None = None
    condition_problem: str | None = None
    if parser.accept("["):
        try:
            filter_tokens = parser.skip_balanced("]")
        except PqlError as exc:
            return PqlAnalysis(None, None, f"the expression cannot be read: {exc}")
        try:
            inner = _Parser([*filter_tokens, Token("end", "")])
            condition = inner.condition()
            if inner.peek.kind != "end":
                raise PqlError(f"unexpected {inner.peek.text!r} in the event filter")
        except PqlError as exc:
            condition_problem = f"the event filter is not supported: {exc}"
    try:
        calls = _chain(parser)
    except PqlError as exc:
        return PqlAnalysis(None, None, f"the expression cannot be read: {exc}")
    merge = _merge_function(calls)
    names = tuple(name for name, _ in calls)
    if parser.peek.kind != "end":
        rest = parser.peek.text
        return PqlAnalysis(merge, None, f"'{rest}' after the aggregation is not supported", names)
    if condition_problem:
        return PqlAnalysis(merge, None, condition_problem, names)
    plan = _plan(condition, calls)
    if isinstance(plan, str):
        return PqlAnalysis(merge, None, plan, names)
    return PqlAnalysis(merge, plan, None, names)


# -- legacy API helpers ------------------------------------------------------------------------

_BOOLEAN_OPS = {"=", "!=", "<", "<=", ">", ">="}
_KEYWORDS = {"and", "or", "not", "true", "false", "xEvent", "now", "occurs", "before", "today", "let", "in"}
_KEYWORDS |= {f"{unit}{s}" for unit in _UNITS for s in ("", "s")}
_ARITHMETIC_OPS = {"+", "-", "*", "/"}


def result_type(text: str) -> str | None:
    """The XDM type an expression returns (``boolean``, ``number``), or None when it cannot be told."""
    try:
        tokens = tokenize(text)
    except PqlError:
        return None
    depth = 0
    top: list[Token] = []
    for token in tokens:
        if token.kind == "punct" and token.text in "([{":
            depth += 1
        elif token.kind == "punct" and token.text in ")]}":
            depth -= 1
        elif depth == 0:
            top.append(token)
    if top and top[0].text == "let":
        return None
    if any(t.kind == "op" and t.text in _BOOLEAN_OPS for t in top) or any(
        t.kind == "path" and t.text in ("and", "or", "not") for t in top
    ):
        return "boolean"
    if any(t.kind == "op" and t.text in _ARITHMETIC_OPS for t in top):
        return "number"
    analysis = analyse(text)
    if analysis.merge_function in ("SUM", "COUNT"):
        return "number"
    return None


def referenced_paths(text: str) -> set[str]:
    """Every field path the expression reads (function names and keywords left out)."""
    try:
        tokens = tokenize(text)
    except PqlError:
        return set()
    return _paths_in(tokens)


def profile_paths(text: str) -> set[str]:
    """The field paths the expression reads from the profile itself: those outside ``xEvent[...]``
    and the calls chained to it (which read experience events)."""
    try:
        tokens = tokenize(text)
    except PqlError:
        return set()
    kept: list[Token] = []
    index = 0
    while index < len(tokens):
        if tokens[index].kind == "path" and tokens[index].text.split(".", 1)[0] == "xEvent":
            index = _end_of_event_chain(tokens, index + 1)
            kept.append(Token("end", ""))  # nothing reads across the gap
            continue
        kept.append(tokens[index])
        index += 1
    return _paths_in(kept)


def _end_of_event_chain(tokens: list[Token], index: int) -> int:
    """Where ``xEvent[...].f(...).g`` that starts at ``index`` (after ``xEvent``) ends."""
    depth = 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "punct" and token.text in "([{":
            depth += 1
        elif token.kind == "punct" and token.text in ")]}":
            depth -= 1
        elif (
            depth == 0 and token.text != "." and not (token.kind == "path" and tokens[index - 1].text == ".")
        ):
            return index
        index += 1
    return index


def _paths_in(tokens: list[Token]) -> set[str]:
    paths: set[str] = set()
    for index, token in enumerate(tokens):
        if token.kind != "path" or token.text in _KEYWORDS:
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else Token("end", "")
        if following.text == "(":
            # ``a.b.getMonth()`` reads ``a.b``.
            if "." in token.text:
                paths.add(token.text.rsplit(".", 1)[0])
            continue
        previous = tokens[index - 1] if index else Token("end", "")
        if previous.text == ".":
            continue
        paths.add(token.text)
    return paths


def expression_object(expression: Any) -> dict[str, str]:
    """A computed attribute's ``expression`` as stored: ``{type, format, value}``.

    ``type`` and ``format`` may be left out and then are ``PQL`` and ``pql/text``, the only ones
    documented; anything else, another member, or a ``value`` that is not a non-empty string is a
    :class:`ValueError` naming the fault.
    """
    if not isinstance(expression, dict):
        raise ValueError("expression must be an object with a PQL value")
    unknown = sorted(set(expression) - {"type", "format", "value"})
    if unknown:
        raise ValueError(f"expression has an unknown member {unknown[0]!r}: only type, format and value")
    kind = expression.get("type", EXPRESSION_TYPE)
    form = expression.get("format", EXPRESSION_FORMAT)
    if kind != EXPRESSION_TYPE:
        raise ValueError(
            f"expression.type {kind!r} is not supported: only {EXPRESSION_TYPE} (or leave it out)"
        )
    if form != EXPRESSION_FORMAT:
        raise ValueError(
            f"expression.format {form!r} is not supported: only {EXPRESSION_FORMAT} (or leave it out)"
        )
    value = expression.get("value")
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expression.value must be a non-empty PQL text")
    return {"type": kind, "format": form, "value": value}
