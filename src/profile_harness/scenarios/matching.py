"""Compare an actual JSON value with an expected one; report readable differences."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Difference", "interpolate", "match", "pick"]

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}
_VAR = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
ABSENT = object()


@dataclass(frozen=True)
class Difference:
    where: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        actual = "(absent)" if self.actual is ABSENT else repr(self.actual)
        return f"{self.where or '(body)'}: expected {self.expected!r}, got {actual}"


def interpolate(value: Any, variables: dict[str, Any]) -> Any:
    """Replace ``{{name}}`` in strings; a string that is exactly one variable keeps the value's type."""
    if isinstance(value, str):
        whole = _VAR.fullmatch(value.strip())
        if whole and whole.group(1) in variables:
            return variables[whole.group(1)]

        def sub(m: re.Match[str]) -> str:
            if m.group(1) not in variables:
                raise KeyError(f"variable {m.group(1)!r} is not set (capture it in an earlier step)")
            return str(variables[m.group(1)])

        return _VAR.sub(sub, value)
    if isinstance(value, list):
        return [interpolate(item, variables) for item in value]
    if isinstance(value, dict):
        return {interpolate(k, variables): interpolate(v, variables) for k, v in value.items()}
    return value


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[name])


def _matcher(expected: dict[str, Any], actual: Any, where: str, exact: bool) -> list[Difference]:
    key, arg = next(iter(expected.items()))
    ok: bool
    if key == "$any":
        ok = actual is not ABSENT
    elif key == "$absent":
        ok = actual is ABSENT
    elif key == "$type":
        ok = actual is not ABSENT and _is_type(actual, arg)
    elif key == "$regex":
        ok = isinstance(actual, str) and re.search(arg, actual) is not None
    elif key == "$in":
        ok = actual in arg
    elif key == "$len":
        ok = isinstance(actual, list | dict | str) and len(actual) == arg
    elif key in ("$keys", "$values"):
        if not isinstance(actual, dict):
            return [Difference(where, expected, actual)]
        items = list(actual.keys() if key == "$keys" else actual.values())
        return match(arg, items, f"{where}.{key}", exact)
    elif key == "$contains":
        if not isinstance(actual, list):
            return [Difference(where, expected, actual)]
        missing = [item for item in arg if not any(not match(item, a, where, exact) for a in actual)]
        return [Difference(f"{where}[*]", item, "(no matching element)") for item in missing]
    else:
        raise ValueError(f"unknown matcher {key}")
    return [] if ok else [Difference(where, expected, actual)]


def _is_matcher(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith("$")


def match(expected: Any, actual: Any, where: str = "", exact: bool = False) -> list[Difference]:
    """Differences between ``expected`` and ``actual``; dicts may have extra keys unless ``exact``."""
    if _is_matcher(expected) and next(iter(expected)) != "$ref":
        return _matcher(expected, actual, where, exact)
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [Difference(where, expected, actual)]
        diffs: list[Difference] = []
        for key, value in expected.items():
            diffs += match(value, actual.get(key, ABSENT), f"{where}.{key}" if where else key, exact)
        if exact:
            for key in actual.keys() - expected.keys():
                diffs.append(Difference(f"{where}.{key}" if where else key, ABSENT, actual[key]))
        return diffs
    if isinstance(expected, list):
        if not isinstance(actual, list) or (len(actual) != len(expected)):
            return [Difference(where, expected, actual)]
        diffs = []
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            diffs += match(e, a, f"{where}[{i}]", exact)
        return diffs
    if isinstance(expected, bool) or isinstance(actual, bool):
        same = type(expected) is type(actual) and expected == actual
    elif isinstance(expected, int | float) and isinstance(actual, int | float):
        same = expected == actual
    else:
        same = type(expected) is type(actual) and expected == actual
    if same:
        return []
    return [Difference(where, expected, actual)]


_TOKEN = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def pick(source: dict[str, Any], expression: str | dict[str, str]) -> Any:
    """Take ``body.a.b[0].c`` / ``body.$keys[0]`` / ``headers.x-name`` / ``status`` from ``source``.

    ``{from: <path>, regex: <pattern>}`` keeps the pattern's first group (or its whole match).
    Raises KeyError when the path or the pattern finds nothing.
    """
    if isinstance(expression, dict):
        value = pick(source, expression["from"])
        if "regex" not in expression:
            return value
        found = re.search(expression["regex"], str(value))
        if found is None:
            raise KeyError(f"{expression['from']}: {value!r} does not match {expression['regex']!r}")
        return found.group(1) if found.groups() else found.group(0)
    node: Any = source
    for name, index in _TOKEN.findall(expression):
        if index:
            node = node[int(index)]
        elif name in ("$keys", "$values") and isinstance(node, dict):
            node = list(node.keys() if name == "$keys" else node.values())
        elif isinstance(node, dict) and name in node:
            node = node[name]
        else:
            raise KeyError(f"{expression}: {name!r} is not in the response")
    return node
