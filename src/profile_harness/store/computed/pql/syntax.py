"""PQL text read: its tokens, and the parser of event filter conditions (and, or, not over comparisons)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from profile_harness.store.computed.pql.evaluation import Condition

__all__ = ["UNITS", "Parser", "PqlError", "Token", "tokenize"]

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


#: PQL time units (singular) -> the lookback unit they stand for.
UNITS = {"hour": "HOURS", "day": "DAYS", "week": "WEEKS", "month": "MONTHS"}


class Parser:
    """Reads tokens one at a time; ``condition()`` parses an event filter."""

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
            if count.kind != "number" or not isinstance(count.value, int) or unit not in UNITS:
                raise PqlError("'occurs' needs a whole number of hours, days, weeks or months")
            self.expect("before")
            self.expect("now")
            return Condition("occurs", path=token.text, op=op.text, value=count.value, unit=UNITS[unit])
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
