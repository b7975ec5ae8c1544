"""What the legacy API reads off PQL text: the type an expression returns and the field paths it reads."""

from __future__ import annotations

from profile_harness.store.computed.pql.analysis import analyse
from profile_harness.store.computed.pql.syntax import UNITS, PqlError, Token, tokenize

__all__ = ["profile_paths", "referenced_paths", "result_type"]

_BOOLEAN_OPS = {"=", "!=", "<", "<=", ">", ">="}
_KEYWORDS = {"and", "or", "not", "true", "false", "xEvent", "now", "occurs", "before", "today", "let", "in"}
_KEYWORDS |= {f"{unit}{s}" for unit in UNITS for s in ("", "s")}
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
    and the calls chained to it (which read experience events).
    """
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
