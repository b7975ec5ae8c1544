"""The response codec writes what Connexion's standard-library Jsonifier would, byte for byte in meaning."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from connexion.jsonifier import Jsonifier

from profile_harness.server import json_codec

VALUES: list[Any] = [
    {"a": [1, 2.5, None, True], "b": {"c": "é\u2028"}},
    {"big": 10**30, "neg": -(10**25)},  # beyond 64 bits: orjson refuses, the standard library writes it
    {1: "int key", "x": {2: 3}},
    {"when": dt.datetime(2026, 11, 25, 10, 0, 0), "day": dt.date(2026, 11, 25)},
    {"zoned": dt.datetime(2026, 11, 25, 10, 0, 0, tzinfo=dt.UTC)},
    {"id": uuid.UUID(int=5), "amount": Decimal("1.50")},
    [],
    "text",
]


@pytest.mark.parametrize("value", VALUES)
def test_codec_writes_what_connexion_writes(value: Any) -> None:
    expected = json.loads(Jsonifier().dumps(value))
    assert json.loads(json_codec.jsonifier().dumps(value)) == expected
    encoded = json_codec.encode(value)
    assert encoded.endswith(b"\n")
    assert json.loads(encoded) == expected
    assert encoded == json_codec.jsonifier().dumps(value).encode()


def test_codec_refuses_what_connexion_refuses() -> None:
    with pytest.raises(TypeError):
        Jsonifier().dumps({"x": object()})
    with pytest.raises(TypeError):
        json_codec.encode({"x": object()})
