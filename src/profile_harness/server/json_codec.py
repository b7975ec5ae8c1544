"""The JSON codec of every response: orjson, with Connexion's encoder for what orjson leaves out.

Connexion serializes with the standard library (``json.dumps`` through its ``Jsonifier``); orjson
writes the same documents several times faster. Dates, decimals and UUIDs still go through
Connexion's ``JSONEncoder`` (orjson hands them over), and a value orjson refuses (an integer beyond
64 bits, which a fixture record may hold) falls back to the standard library, so nothing a handler
returns today stops serializing.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from connexion.jsonifier import JSONEncoder, Jsonifier

__all__ = ["dumps", "encode", "jsonifier", "loads"]

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_ENCODER = JSONEncoder()


def dumps(data: Any, **_ignored: Any) -> str:
    """``data`` as JSON text (the keyword arguments of ``json.dumps`` are accepted and ignored)."""
    try:
        return orjson.dumps(data, default=_ENCODER.default, option=_OPTIONS).decode("utf-8")
    except orjson.JSONEncodeError:
        return json.dumps(data, cls=JSONEncoder)


def encode(data: Any) -> bytes:
    """The response body Connexion's Jsonifier would write for ``data`` (``dumps`` and a newline)."""
    try:
        return orjson.dumps(data, default=_ENCODER.default, option=_OPTIONS | orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        return (json.dumps(data, cls=JSONEncoder) + "\n").encode("utf-8")


def loads(data: str | bytes) -> Any:
    return orjson.loads(data)


class _Codec:
    """The module-like object Connexion's Jsonifier calls ``dumps`` and ``loads`` on."""

    dumps = staticmethod(dumps)
    loads = staticmethod(loads)


def jsonifier() -> Jsonifier:
    """A Jsonifier for ``connexion.AsyncApp(jsonifier=...)``."""
    return Jsonifier(_Codec())
