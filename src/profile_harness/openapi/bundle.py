"""Load the project's OpenAPI description: bundle the parts in ``spec/`` into one document."""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "SpecError",
    "admin_spec",
    "bundle",
    "for_connexion",
    "iter_operations",
    "platform_spec",
    "spec_dir",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: Responses the Platform gateway can give to any call that carries credentials; the bundler adds
#: them to every secured operation so that each operation documents them (see spec/DECISIONS.md).
GATEWAY_RESPONSES = {
    "400": "GatewayBadRequest",
    "401": "GatewayUnauthorized",
    "403": "GatewayForbidden",
    "413": "PayloadTooLarge",
    "431": "HeaderFieldsTooLarge",
}


#: Keys whose values are data, never references (an example may hold a literal "$ref" key).
_LITERAL_KEYS = frozenset({"example", "value", "default", "enum", "const"})


class SpecError(ValueError):
    """A spec file cannot be read or bundled; the message names the file and the place in it."""


def spec_dir() -> Path:
    """The folder holding the spec files: ``spec/`` of a checkout, or the copy inside the wheel."""
    packaged = Path(str(resources.files("profile_harness"))) / "spec"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "spec"


def _read(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except OSError as exc:
        raise SpecError(f"{path}: cannot be read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: is not valid YAML: {exc}") from exc


def _pointer(doc: Any, pointer: str, where: str) -> Any:
    node = doc
    for raw in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise SpecError(f"{where}: reference target #{pointer} does not exist")
    return node


class _Bundler:
    """Inline path items from part files and hoist every part's components into the root.

    A part may refer to its own components (``#/components/...``) or to another file's
    (``../common.yaml#/components/...``); both become ``#/components/...`` of the bundle, so
    component names must be unique across files (a clash with different content is an error).
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.docs: dict[Path, Any] = {}
        self.components: dict[str, dict[str, Any]] = {}
        self.origin: dict[tuple[str, str], Path] = {}
        self.hoisted: set[Path] = set()

    def load(self, path: Path) -> Any:
        path = path.resolve()
        if path not in self.docs:
            self.docs[path] = _read(path)
        return self.docs[path]

    def hoist(self, path: Path) -> None:
        path = path.resolve()
        if path in self.hoisted:
            return
        self.hoisted.add(path)
        doc = self.load(path)
        for section, entries in ((doc or {}).get("components") or {}).items():
            target = self.components.setdefault(section, {})
            for name, value in entries.items():
                resolved = self.walk(value, path)
                if name in target and target[name] != resolved:
                    first = self.origin[(section, name)]
                    raise SpecError(
                        f"{path}: components/{section}/{name} is also defined, differently, in {first}"
                    )
                target[name] = resolved
                self.origin[(section, name)] = path

    def walk(self, node: Any, base: Path, *, names: bool = False) -> Any:
        """Resolve references in ``node``; ``names`` means its keys are property names, not keywords."""
        if isinstance(node, list):
            return [self.walk(item, base) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and not names:
            return self.resolve_ref(ref, base, node)
        return {
            key: value
            if key in _LITERAL_KEYS and not names
            else self.walk(value, base, names=key == "properties" and not names)
            for key, value in node.items()
        }

    def resolve_ref(self, ref: str, base: Path, node: dict[str, Any]) -> Any:
        file_part, _, pointer = ref.partition("#")
        target = (base.parent / file_part).resolve() if file_part else base.resolve()
        where = f"{base}: $ref {ref!r}"
        if not target.is_file():
            raise SpecError(f"{where}: file {target.name} does not exist")
        doc = self.load(target)
        _pointer(doc, pointer, where)
        if pointer.startswith("/components/"):
            self.hoist(target)
            return {**{k: v for k, v in node.items() if k != "$ref"}, "$ref": "#" + pointer}
        # Anything else (a path item, typically) is inlined, resolved against its own file.
        self.hoist(target)
        return self.walk(copy.deepcopy(_pointer(doc, pointer, where)), target)

    def bundle(self) -> dict[str, Any]:
        doc = self.load(self.root)
        if not isinstance(doc, dict):
            raise SpecError(f"{self.root}: the top level must be a mapping")
        self.hoist(self.root)
        out = {key: self.walk(value, self.root) for key, value in doc.items() if key != "components"}
        out["components"] = self.components
        return out


def _add_gateway_responses(doc: dict[str, Any]) -> None:
    default_security = doc.get("security")
    schemas = doc.get("components", {}).get("responses", {})
    for _path, _method, operation in iter_operations(doc):
        if not operation.get("security", default_security):
            continue
        responses = operation.setdefault("responses", {})
        wanted = dict(GATEWAY_RESPONSES)
        if operation.get("requestBody") and "415" not in responses and 415 not in responses:
            # A body without a usable Content-Type: DOC-PTS's platform-wide 400 problem.
            wanted["400"] = "ContentTypeRequired"
            _merge_response(doc, responses, "400", "GatewayBadRequest", schemas)
        for status, name in wanted.items():
            _merge_response(doc, responses, status, name, schemas)


def _merge_response(
    doc: dict[str, Any], responses: dict[Any, Any], status: str, name: str, schemas: dict[str, Any]
) -> None:
    """Document response ``name`` under ``status``, beside (anyOf) what is documented there already."""
    if name not in schemas:
        return
    ref = {"$ref": f"#/components/responses/{name}"}
    if status not in responses and int(status) not in responses:
        responses[status] = ref
        return
    key = status if status in responses else int(status)
    documented = responses[key]
    if "$ref" in documented:
        if documented["$ref"] == ref["$ref"]:
            return
        documented = copy.deepcopy(_pointer(doc, documented["$ref"][1:], "bundle"))
    theirs = schemas[name]["content"]["application/json"]["schema"]
    media = documented.setdefault("content", {}).setdefault("application/json", {})
    own = media.get("schema")
    if own == theirs or (isinstance(own, dict) and theirs in own.get("anyOf", [])):
        return
    if isinstance(own, dict) and "anyOf" in own:
        own["anyOf"].append(theirs)
    else:
        media["schema"] = {"anyOf": [own, theirs]} if own else theirs
    responses[key] = documented


#: The range each integer format names; JSON Schema's format checkers leave it unchecked.
_INTEGER_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _bound_integers(node: Any) -> None:
    """Give every ``integer`` schema with an ``int32``/``int64`` format the bounds of its format
    (where it has none of its own), so a value the format cannot hold is refused, not accepted.
    """
    if isinstance(node, dict):
        fmt = node.get("format")
        bounds = _INTEGER_RANGES.get(fmt) if node.get("type") == "integer" and isinstance(fmt, str) else None
        if bounds is not None:
            node.setdefault("minimum", bounds[0])
            node.setdefault("maximum", bounds[1])
        for value in node.values():
            _bound_integers(value)
    elif isinstance(node, list):
        for value in node:
            _bound_integers(value)


def bundle(root: Path) -> dict[str, Any]:
    """Bundle the description rooted at ``root`` into one self-contained document."""
    doc = _Bundler(root).bundle()
    _add_gateway_responses(doc)
    _bound_integers(doc)
    return doc


def iter_operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield ``(path, method, operation)`` for every operation of a bundled document."""
    for path, item in (doc.get("paths") or {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                yield path, method, operation


def for_connexion(doc: dict[str, Any], *, not_built: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    """A copy of ``doc`` as the mock server mounts it.

    Connexion's reference resolver takes any mapping with a ``$ref`` key for a reference, and
    OpenAPI 3.0 has no ``patternProperties``; so a schema property literally named ``$ref`` is
    dropped from ``properties`` (the schemas stay open, and ``required`` still holds it), and
    examples holding such keys are left out. Security is dropped (the gateway middleware checks
    credentials first), and operations in ``not_built`` document their 501.
    """
    out = copy.deepcopy(doc)
    out.pop("security", None)
    _rewrite_literal_refs(out)
    for _path, _method, operation in iter_operations(out):
        operation.pop("security", None)
        if operation.get("operationId") in not_built:
            operation.setdefault("responses", {})["501"] = {"$ref": "#/components/responses/NotImplemented"}
    return out


def _has_literal_ref(node: Any) -> bool:
    if isinstance(node, dict):
        return "$ref" in node or any(_has_literal_ref(value) for value in node.values())
    if isinstance(node, list):
        return any(_has_literal_ref(item) for item in node)
    return False


def _rewrite_literal_refs(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _rewrite_literal_refs(item)
        return
    if not isinstance(node, dict):
        return
    props = node.get("properties")
    if isinstance(props, dict) and isinstance(props.get("$ref"), dict):
        del props["$ref"]
    if "example" in node and _has_literal_ref(node["example"]):
        del node["example"]
    examples = node.get("examples")
    if isinstance(examples, dict):
        for name in [
            n for n, e in examples.items() if isinstance(e, dict) and _has_literal_ref(e.get("value"))
        ]:
            del examples[name]
    for key, value in node.items():
        if key not in ("example", "examples"):
            _rewrite_literal_refs(value)


@functools.cache
def _cached(name: str) -> dict[str, Any]:
    return bundle(spec_dir() / name)


def platform_spec() -> dict[str, Any]:
    """A fresh copy of the bundled Platform description (``spec/openapi.yaml``)."""
    return copy.deepcopy(_cached("openapi.yaml"))


def admin_spec() -> dict[str, Any]:
    """A fresh copy of the harness's own control-plane description (``spec/admin.yaml``)."""
    return copy.deepcopy(_cached("admin.yaml"))
