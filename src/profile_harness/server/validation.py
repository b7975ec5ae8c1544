"""Response validation with compiled schemas: jsonschema_rs says "valid?" fast on every response,
and Connexion's own validator words the error on the rare response that is not (a harness bug)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from connexion.datastructures import MediaTypeDict
from connexion.validators import JSONResponseBodyValidator, TextResponseBodyValidator

__all__ = ["RESPONSE_VALIDATORS", "FastJSONResponseBodyValidator"]

_COMPILED: dict[int, tuple[dict[str, Any], Any]] = {}


def _compiled(schema: dict[str, Any]) -> Any:
    """One compiled validator per response schema (the spec's schemas live as long as the app)."""
    cached = _COMPILED.get(id(schema))
    if cached is None or cached[0] is not schema:  # the schema is kept so its id stays its own
        cached = (schema, jsonschema_rs.Draft4Validator(schema, validate_formats=True))
        _COMPILED[id(schema)] = cached
    return cached[1]


class FastJSONResponseBodyValidator(JSONResponseBodyValidator):  # type: ignore[misc]
    """Connexion's JSON response check, with a compiled fast path for bodies that conform."""

    def _validate(self, body: Any) -> None:
        try:
            if _compiled(self._schema).is_valid(body):
                return
        except ValueError:  # jsonschema_rs gives up on very deep values; the slow check does not
            pass
        # Anything the fast check doubts (OpenAPI's `nullable`, say) is judged by Connexion's own.
        super()._validate(body)


RESPONSE_VALIDATORS = MediaTypeDict(
    {"*/*json": FastJSONResponseBodyValidator, "text/plain": TextResponseBodyValidator}
)
