"""Job bookkeeping shared by the job kinds: dropping the oldest finished jobs past a limit."""

from __future__ import annotations

from profile_harness.store.jobs import DEFAULT_TIMING, Job, Lifecycle, drop_oldest_finished

LIFE = Lifecycle("NEW", "PROCESSING", "SUCCESS", "FAILED")


def _job(created_ms: int, state: str) -> Job:
    return Job(LIFE, DEFAULT_TIMING, created_ms, state=state)


def test_drop_oldest_finished__running_jobs_stay_and_the_oldest_finished_go() -> None:
    jobs = {
        "a": _job(1, "SUCCESS"),
        "b": _job(2, "PROCESSING"),
        "c": _job(3, "FAILED"),
        "d": _job(3, "SUCCESS"),  # same time as c: added later, so newer
        "e": _job(0, "NEW"),
    }
    dropped = drop_oldest_finished(jobs, lambda job: job, 1)
    assert [job.created_ms for job in dropped] == [1, 3]
    assert list(jobs) == ["b", "d", "e"]
    assert drop_oldest_finished(jobs, lambda job: job, 1) == []
    assert [job.created_ms for job in drop_oldest_finished(jobs, lambda job: job, 0)] == [3]
    assert list(jobs) == ["b", "e"]
