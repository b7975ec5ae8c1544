"""Body validation that does not repeat work: a request body is parsed once (by the limits layer,
:mod:`profile_harness.server.limits`), and jsonschema_rs says "valid?" fast on every response while
Connexion's own validator words the error on the rare response that is not (a harness bug).
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from connexion.datastructures import MediaTypeDict
from connexion.validators import FormDataValidator, MultiPartFormDataValidator, TextResponseBodyValidator

from profile_harness.server.connexion_internals import (
    ReusingJSONRequestBodyValidator,
    ShortcutJSONResponseBodyValidator,
)
from profile_harness.server.limits import parsed_json

__all__ = [
    "REQUEST_BODY_VALIDATORS",
    "RESPONSE_VALIDATORS",
    "FastJSONResponseBodyValidator",
    "ParsedJSONRequestBodyValidator",
    "conforms",
]

_COMPILED: dict[int, tuple[dict[str, Any], Any]] = {}


def _compiled(schema: dict[str, Any]) -> Any:
    """One compiled validator per response schema (the spec's schemas live as long as the app)."""
    cached = _COMPILED.get(id(schema))
    if cached is None or cached[0] is not schema:  # the schema is kept so its id stays its own
        cached = (schema, jsonschema_rs.Draft4Validator(schema, validate_formats=True))
        _COMPILED[id(schema)] = cached
    return cached[1]


def conforms(schema: dict[str, Any], body: Any) -> bool:
    """True if ``body`` plainly conforms to ``schema``; False when it may not (Connexion's check decides)."""
    try:
        return bool(_compiled(schema).is_valid(body))
    except ValueError:  # jsonschema_rs gives up on very deep values; the slow check does not
        return False


class FastJSONResponseBodyValidator(ShortcutJSONResponseBodyValidator):
    """Connexion's JSON response check, with a compiled fast path for bodies that conform.

    Anything the fast check doubts (OpenAPI's ``nullable``, say) is judged by Connexion's own.
    """

    conforms = staticmethod(conforms)


class ParsedJSONRequestBodyValidator(ReusingJSONRequestBodyValidator):
    """Connexion's JSON request body check on the value the limits layer parsed."""

    parsed = staticmethod(parsed_json)


RESPONSE_VALIDATORS = MediaTypeDict(
    {"*/*json": FastJSONResponseBodyValidator, "text/plain": TextResponseBodyValidator}
)
#: Connexion's request body validators, with the JSON one reading the limits layer's parse.
REQUEST_BODY_VALIDATORS = MediaTypeDict(
    {
        "*/*json": ParsedJSONRequestBodyValidator,
        "application/x-www-form-urlencoded": FormDataValidator,
        "multipart/form-data": MultiPartFormDataValidator,
    }
)
