"""OpenAPI path templates (``/mergePolicies/{id}``) compiled once, matched against request paths."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["PathTemplate", "compile_template"]

_PARAMETER = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class PathTemplate:
    """A path template: each ``{name}`` takes one whole segment (no ``/``), the rest is literal."""

    template: str
    #: The parameter names, in the order they appear.
    names: tuple[str, ...]
    pattern: re.Pattern[str]

    @property
    def is_literal(self) -> bool:
        return not self.names

    @property
    def specificity(self) -> tuple[int, int]:
        """A sort key that puts the template a router would try first first: fewer parameters
        (literal segments beat parameters, as in Starlette's route order), then the longer one.
        """
        return len(self.names), -len(self.template)

    def values(self, path: str) -> tuple[str, ...] | None:
        """The raw parameter values in ``path`` (in the order of ``names``), or None if it does not match."""
        found = self.pattern.fullmatch(path)
        return None if found is None else found.groups()

    def match(self, path: str) -> dict[str, str] | None:
        """``name -> raw value`` of the parameters in ``path``, or None if it does not match."""
        values = self.values(path)
        return None if values is None else dict(zip(self.names, values, strict=True))

    def matches(self, path: str, *, trailing_slash: bool = False) -> bool:
        """Whether ``path`` is an instance of the template (one trailing ``/`` allowed if asked)."""
        if trailing_slash and path.endswith("/") and self.pattern.fullmatch(path[:-1]):
            return True
        return self.pattern.fullmatch(path) is not None


@functools.cache
def compile_template(template: str) -> PathTemplate:
    """The compiled template (kept: a description's templates are few and live as long as it does)."""
    names = tuple(_PARAMETER.findall(template))
    literal_parts = _PARAMETER.split(template)[::2]  # split() interleaves the names; keep the rest
    pattern = "([^/]+)".join(re.escape(part) for part in literal_parts)
    return PathTemplate(template, names, re.compile(pattern))
