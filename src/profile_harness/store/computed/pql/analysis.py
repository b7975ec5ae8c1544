"""What a PQL text implies for a computed attribute: its merge function and how to evaluate it, or why not."""

from __future__ import annotations

from dataclasses import dataclass

from profile_harness.store.computed.pql.evaluation import Condition, EventPlan
from profile_harness.store.computed.pql.syntax import Parser, PqlError, Token, tokenize

__all__ = ["AGGREGATIONS", "PqlAnalysis", "analyse"]

#: Aggregation call -> mergeFunction value (spec: ComputedAttributeMergeFunction).
AGGREGATIONS = {"sum": "SUM", "min": "MIN", "max": "MAX", "count": "COUNT"}


@dataclass(frozen=True)
class PqlAnalysis:
    """What a computed attribute's expression implies: its merge function and how to evaluate it."""

    merge_function: str | None
    plan: EventPlan | None
    unsupported: str | None = None


def _chain(parser: Parser) -> list[tuple[str, list[Token]]]:
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
    parser = Parser(tokens)
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
            inner = Parser([*filter_tokens, Token("end", "")])
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
    if parser.peek.kind != "end":
        rest = parser.peek.text
        return PqlAnalysis(merge, None, f"'{rest}' after the aggregation is not supported")
    if condition_problem:
        return PqlAnalysis(merge, None, condition_problem)
    plan = _plan(condition, calls)
    if isinstance(plan, str):
        return PqlAnalysis(merge, None, plan)
    return PqlAnalysis(merge, plan, None)
