"""Declared job lifecycles driven by the clock: no sleeping, no background threads.

A job's state is worked out when it is read, from its kind's timing rule:

* ``instant``: the create answer shows the first state; the first read shows the end state.
* ``reads:N``: the job runs while it is read; the N-th read shows the end state.
* ``seconds:S``: the end state once S seconds of the clock have passed since creation.

Between the first and the end state the job shows its middle state (``PROCESSING`` and the like).
When a job reaches its end, its completion action runs exactly once; a pending job fault makes it
end in the failure state with the fault's errors instead.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from profile_harness.errors import BadRequest

__all__ = [
    "DEFAULT_FINISHED_LIMIT",
    "DEFAULT_TIMING",
    "JOB_KINDS",
    "Job",
    "JobTiming",
    "Lifecycle",
    "NewJob",
    "drop_oldest_finished",
    "parse_timing",
]

JOB_KINDS = ("export", "systemJob", "computedAttribute", "sample")


@dataclass(frozen=True)
class JobTiming:
    rule: str  # "instant" | "reads" | "seconds"
    amount: float = 0.0

    def __str__(self) -> str:
        if self.rule == "instant":
            return self.rule
        # Plain digits, as the rule is written (``:g`` would give ``1e+06``).
        return f"{self.rule}:{self.amount:.3f}".rstrip("0").rstrip(".")


#: Largest N of reads:N and S of seconds:S (S is about 31 years).
MAX_TIMING = 1_000_000_000
_TIMING = re.compile(r"^(instant|reads:(\d+)|seconds:(\d+(?:\.\d+)?))$")


def parse_timing(text: str) -> JobTiming:
    """``instant``, ``reads:N`` or ``seconds:S``."""
    match = _TIMING.match(text.strip())
    if match is None:
        raise BadRequest(f"job timing {text!r} is not instant, reads:N or seconds:S")
    amount = float(match.group(2) or match.group(3) or 0)
    if amount > MAX_TIMING:
        raise BadRequest(f"job timing {text!r} is too long; N and S go up to {MAX_TIMING}")
    if match.group(2):
        if int(match.group(2)) < 1:
            raise BadRequest("reads:N needs N of at least 1")
        return JobTiming("reads", int(match.group(2)))
    if match.group(3):
        return JobTiming("seconds", float(match.group(3)))
    return JobTiming("instant")


#: A client polling every few seconds sees a job finish within seconds.
DEFAULT_TIMING = JobTiming("seconds", 1.0)


@dataclass(frozen=True)
class Lifecycle:
    """The states of a job kind: first, middle (while running), success and failure."""

    first: str
    running: str
    succeeded: str
    failed: str


@dataclass
class Job:
    """Lifecycle bookkeeping of one job; the resource that owns it keeps everything else."""

    lifecycle: Lifecycle
    timing: JobTiming
    created_ms: int
    state: str = ""
    reads: int = 0
    started_ms: int | None = None
    ended_ms: int | None = None
    fail_with: list[dict[str, Any]] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state = self.state or self.lifecycle.first

    @property
    def finished(self) -> bool:
        return self.state in (self.lifecycle.succeeded, self.lifecycle.failed)

    def advance(self, now_ms: int, on_complete: Callable[[], None], *, read: bool = True) -> str:
        """Move the job along its lifecycle as of ``now_ms`` (counting a read when ``read``)."""
        if self.finished:
            return self.state
        if read and (self.timing.rule != "seconds" or self.reads == 0):
            self.reads += 1  # a seconds-timed job only needs to know it was read once
        done = False
        if self.timing.rule == "instant":
            done = self.reads >= 1
        elif self.timing.rule == "reads":
            done = self.reads >= self.timing.amount
        else:
            done = now_ms - self.created_ms >= self.timing.amount * 1000
        running = self.reads >= 1 or now_ms > self.created_ms
        if running and self.started_ms is None:
            self.started_ms = now_ms
            self.state = self.lifecycle.running
        if done:
            self._finish(now_ms, on_complete)
        return self.state

    def to_fixture(self) -> dict[str, Any]:
        """The bookkeeping as a state dump keeps it (:meth:`from_fixture` reads it back)."""
        out: dict[str, Any] = {
            "timing": str(self.timing),
            "createdMs": self.created_ms,
            "state": self.state,
            "reads": self.reads,
        }
        if self.started_ms is not None:
            out["startedMs"] = self.started_ms
        if self.ended_ms is not None:
            out["endedMs"] = self.ended_ms
        if self.fail_with is not None:
            out["failWith"] = copy.deepcopy(self.fail_with)
        if self.errors:
            out["errors"] = copy.deepcopy(self.errors)
        return out

    @classmethod
    def from_fixture(cls, lifecycle: Lifecycle, raw: dict[str, Any]) -> Job:
        return cls(
            lifecycle,
            parse_timing(raw["timing"]),
            raw["createdMs"],
            state=raw["state"],
            reads=raw.get("reads", 0),
            started_ms=raw.get("startedMs"),
            ended_ms=raw.get("endedMs"),
            fail_with=copy.deepcopy(raw["failWith"]) if "failWith" in raw else None,
            errors=copy.deepcopy(raw.get("errors", [])),
        )

    def _finish(self, now_ms: int, on_complete: Callable[[], None]) -> None:
        self.started_ms = self.started_ms if self.started_ms is not None else now_ms
        self.ended_ms = now_ms
        if self.fail_with is not None:
            self.errors = list(self.fail_with)
            self.state = self.lifecycle.failed
            return
        on_complete()
        self.state = self.lifecycle.succeeded


#: Makes a job of a kind (``export``, ...) now, as the tenant's server times and faults it.
NewJob = Callable[[str, Lifecycle], Job]


#: Finished jobs a tenant keeps per kind unless told otherwise (serve --max-finished-jobs).
DEFAULT_FINISHED_LIMIT = 1000

K = TypeVar("K")
V = TypeVar("V")


def drop_oldest_finished(jobs: dict[K, V], job_of: Callable[[V], Job], limit: int) -> list[V]:
    """Remove from ``jobs`` its oldest finished jobs past ``limit`` (by creation time, then the order
    they were added in); running jobs always stay. Answers the jobs removed.
    """
    finished = [(key, value) for key, value in jobs.items() if job_of(value).finished]
    excess = len(finished) - max(limit, 0)
    if excess <= 0:
        return []
    finished.sort(key=lambda item: job_of(item[1]).created_ms)  # stable: ties keep their order
    dropped = finished[:excess]
    for key, _ in dropped:
        del jobs[key]
    return [value for _, value in dropped]
