"""Is a sandbox production? What the deployment says (``sandbox.type``), and its name as a second guard."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["PRODUCTION", "ProductionSandbox", "is_production", "production_reason", "sandbox_type"]

#: A sandbox whose name says production (``prod``, ``prod1``, ``acme-production01``, ``prd01``, ``live2``).
PRODUCTION = re.compile(r"(^|[^a-z0-9])(prod|production|prd|live)\d*($|[^a-z0-9])", re.IGNORECASE)
#: How deep and how wide an answer is searched for a ``sandbox`` object.
_MAX_DEPTH, _MAX_ITEMS = 4, 50


class ProductionSandbox(Exception):
    """Writes were asked for in a production sandbox without being confirmed; nothing was written."""


def is_production(sandbox: str) -> bool:
    """The name heuristic: used when the deployment does not say, and as a second guard when it does."""
    return bool(PRODUCTION.search(sandbox))


def sandbox_type(body: Any, sandbox: str) -> str | None:
    """The ``type`` of the ``sandbox`` object an answer describes (merge policies, computed attributes).

    An object naming this sandbox wins; one naming no sandbox is taken at its word; one naming
    another sandbox is ignored.
    """
    found: list[str] = []

    def walk(node: Any, depth: int) -> str | None:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, dict):
            info = node.get("sandbox")
            if isinstance(info, dict) and isinstance(info.get("type"), str):
                name = info.get("sandboxName", info.get("name"))
                if name == sandbox:
                    return str(info["type"])
                if name is None:
                    found.append(str(info["type"]))
            values = list(node.values())[:_MAX_ITEMS]
        elif isinstance(node, list):
            values = node[:_MAX_ITEMS]
        else:
            return None
        for value in values:
            hit = walk(value, depth + 1)
            if hit is not None:
                return hit
        return None

    return walk(body, 0) or (found[0] if found else None)


def production_reason(sandbox: str, deployment_type: str | None) -> str | None:
    """Why ``sandbox`` counts as production, or None. The deployment's word first, then the name."""
    if deployment_type is not None and deployment_type.lower() == "production":
        return "the deployment says its sandbox.type is 'production'"
    if is_production(sandbox):
        said = f"; the deployment says type {deployment_type!r}" if deployment_type else ""
        return f"its name looks like production{said}"
    return None
