"""Faults: make matching requests answer differently, or make the next job of a kind fail."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from profile_harness.errors import BadRequest
from profile_harness.store.jobs import JOB_KINDS

__all__ = ["SPARK_ERRORS", "Fault", "FaultBook"]

#: The documented failure of a profile export (DOC-EXP, "List all export jobs": a FAILED job).
SPARK_ERRORS: list[dict[str, Any]] = [
    {
        "code": "0090000009",
        "msg": "Error writing profiles to output path 'adl://va7devprofilesnapshot.azuredatalakestore.net/"
        "snapshot/722'",
        "callStack": 'com.adobe.aep.unifiedprofile.common.logging.Logger" target="_blank">'
        "com.adobe.aep.unifiedprofile.common.logging.Logger.error(Logger.scala:43)",
    },
    {"code": "unknown", "msg": "Job aborted.", "callStack": "org.apache.spark.SparkException: Job aborted."},
]
PRESETS = {"spark": SPARK_ERRORS}


@dataclass
class Fault:
    """One fault. Request faults have ``match`` and ``respond``; job faults have ``job`` and ``errors``."""

    id: int
    org: str | None = None
    sandbox: str | None = None
    operation_id: str | None = None
    method: str | None = None
    path: re.Pattern[str] | None = None
    respond: dict[str, Any] = field(default_factory=dict)
    job: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    times: int | None = None
    probability: float | None = None
    used: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "used": self.used}
        if self.org:
            out["org"] = self.org
        if self.sandbox:
            out["sandbox"] = self.sandbox
        if self.job:
            out["job"] = self.job
            out["fail"] = {"errors": self.errors}
        else:
            match: dict[str, Any] = {}
            if self.operation_id:
                match["operationId"] = self.operation_id
            if self.method:
                match["method"] = self.method
            if self.path is not None:
                match["path"] = self.path.pattern
            out["match"] = match
            out["respond"] = self.respond
        if self.times is not None:
            out["times"] = self.times
        if self.probability is not None:
            out["probability"] = self.probability
        return out

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.used >= self.times

    def applies_to(self, org: str | None, sandbox: str | None) -> bool:
        return (self.org is None or self.org == org) and (self.sandbox is None or self.sandbox == sandbox)


class FaultBook:
    """The faults of one server (optionally scoped to a tenant), consumed as they fire."""

    def __init__(self, seed: int | None = None) -> None:
        self._faults: list[Fault] = []
        self._next = 0
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def add(self, spec: dict[str, Any]) -> Fault:
        """Add a fault from its admin-API form (see spec/admin.yaml)."""
        fault = Fault(id=0, org=spec.get("org"), sandbox=spec.get("sandbox"))
        fault.times = spec.get("times")
        fault.probability = spec.get("probability")
        if "job" in spec:
            if spec["job"] not in JOB_KINDS:
                raise BadRequest(f"job {spec['job']!r} is not one of {', '.join(JOB_KINDS)}")
            fail = spec.get("fail", "spark" if spec["job"] == "export" else {"errors": []})
            if isinstance(fail, str):
                if fail not in PRESETS:
                    raise BadRequest(f"fail preset {fail!r} is unknown; use one of {', '.join(PRESETS)}")
                fault.errors = list(PRESETS[fail])
            else:
                fault.errors = list(fail.get("errors", []))
            fault.job = spec["job"]
            if fault.times is None and fault.probability is None:
                fault.times = 1  # "the next job of a kind"
        else:
            match = spec.get("match") or {}
            if not match:
                raise BadRequest("a request fault needs match (operationId, or method and path)")
            fault.operation_id = match.get("operationId")
            fault.method = (match.get("method") or "").upper() or None
            if match.get("path"):
                try:
                    fault.path = re.compile(match["path"])
                except re.error as exc:
                    raise BadRequest(f"match.path is not a valid regular expression: {exc}") from None
            fault.respond = dict(spec.get("respond") or {})
            if "status" not in fault.respond:
                raise BadRequest("respond.status is required")
        with self._lock:  # numbered only once valid: a refused fault uses up no id
            self._next += 1
            fault.id = self._next
            self._faults.append(fault)
        return fault

    def all(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self, org: str | None = None, sandbox: str | None = None) -> int:
        with self._lock:
            kept = [
                f
                for f in self._faults
                if not ((org is None or f.org == org) and (sandbox is None or f.sandbox == sandbox))
            ]
            dropped = len(self._faults) - len(kept)
            self._faults = kept
        return dropped

    def _fire(self, fault: Fault) -> bool:
        if fault.exhausted:
            return False
        if fault.probability is not None and self._random.random() >= fault.probability:
            return False
        fault.used += 1
        return True

    def request_fault(
        self, operation_id: str | None, method: str, path: str, org: str | None, sandbox: str | None
    ) -> Fault | None:
        """The first request fault matching this call, consumed; None when none applies."""
        with self._lock:
            for fault in self._faults:
                if fault.job or not fault.applies_to(org, sandbox):
                    continue
                if fault.operation_id and fault.operation_id != operation_id:
                    continue
                if fault.method and fault.method != method:
                    continue
                if fault.path is not None and not fault.path.search(path):
                    continue
                if self._fire(fault):
                    return fault
        return None

    def job_failure(self, kind: str, org: str, sandbox: str) -> list[dict[str, Any]] | None:
        """Errors the next job of ``kind`` must fail with, consuming the fault; None when none."""
        with self._lock:
            for fault in self._faults:
                if fault.job == kind and fault.applies_to(org, sandbox) and self._fire(fault):
                    return list(fault.errors)
        return None
