"""Scenario files as small dataclasses (the JSON Schema in spec/scenario.schema.json is the contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Expectation", "Poll", "Request", "Scenario", "Step"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str | None] = field(default_factory=dict)
    credentials: bool = True
    body: Any = None
    has_body: bool = False
    raw: str | None = None
    form: dict[str, str] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Request:
        return cls(
            method=data["method"],
            path=data["path"],
            query=dict(data.get("query") or {}),
            headers=dict(data.get("headers") or {}),
            credentials=data.get("credentials", True),
            body=data.get("body"),
            has_body="body" in data,
            raw=data.get("raw"),
            form=data.get("form"),
        )


@dataclass(frozen=True)
class Expectation:
    status: tuple[int, ...] = ()
    body: Any = None
    has_body: bool = False
    exact: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    empty: bool = False
    conforms: bool = True

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Expectation:
        data = data or {}
        status = data.get("status", ())
        return cls(
            status=tuple(status) if isinstance(status, list) else ((status,) if status else ()),
            body=data.get("body"),
            has_body="body" in data,
            exact=data.get("match") == "exact",
            headers=dict(data.get("headers") or {}),
            empty=bool(data.get("empty", False)),
            conforms=data.get("conforms", True),
        )


@dataclass(frozen=True)
class Poll:
    until: Expectation
    max: int = 30
    interval: float = 0.2


@dataclass(frozen=True)
class Step:
    index: int
    name: str
    request: Request
    expect: Expectation
    capture: dict[str, str | dict[str, str]] = field(default_factory=dict)
    poll: Poll | None = None

    @classmethod
    def from_dict(cls, index: int, data: dict[str, Any]) -> Step:
        poll = data.get("poll")
        return cls(
            index=index,
            name=data.get("name") or f"step {index + 1}",
            request=Request.from_dict(data["request"]),
            expect=Expectation.from_dict(data.get("expect")),
            capture=dict(data.get("capture") or {}),
            poll=Poll(
                Expectation.from_dict(poll["until"]),
                poll.get("max", 30),
                poll.get("interval", 0.2),
            )
            if poll
            else None,
        )


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    source: dict[str, Any]
    steps: tuple[Step, ...]
    pending: str | None = None
    safe: bool = False
    tenant: dict[str, str] = field(default_factory=dict)
    fixtures: dict[str, Any] | None = None
    faults: tuple[dict[str, Any], ...] = ()
    variables: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, path: Path, data: dict[str, Any]) -> Scenario:
        return cls(
            name=data["name"],
            path=path,
            source=dict(data["source"]),
            steps=tuple(Step.from_dict(i, step) for i, step in enumerate(data["steps"])),
            pending=data.get("pending"),
            safe=bool(data.get("safe", False)),
            tenant=dict(data.get("tenant") or {}),
            fixtures=data.get("fixtures"),
            faults=tuple(data.get("faults") or ()),
            variables=dict(data.get("variables") or {}),
        )
