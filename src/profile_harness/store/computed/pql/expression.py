"""A computed attribute's ``expression`` as stored: ``{type, format, value}``, PQL text the only kind."""

from __future__ import annotations

from typing import Any

__all__ = ["EXPRESSION_FORMAT", "EXPRESSION_TYPE", "expression_object"]

#: The only documented expression ``type`` and ``format`` (DOC-CA, DOC-CA-OLD, SPEC, SPEC-2022).
EXPRESSION_TYPE, EXPRESSION_FORMAT = "PQL", "pql/text"


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
