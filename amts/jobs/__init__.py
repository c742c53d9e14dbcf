"""Batch translation jobs: asynchronous, parallel per (language, document), resumable after a crash.

``start_job`` records a job and its tasks in the amts store and launches a detached worker
(:mod:`amts.jobs.worker`); ``run_job`` is that worker's body; ``JobStore`` reads job state.
"""

from amts.jobs.control import log_path, resume_job, spawn_worker, start_job, stop_job
from amts.jobs.locations import Location, open_location, output_relative
from amts.jobs.model import (
    ACTIVE_STATES,
    COMPLETED,
    COMPLETED_WITH_ERROR,
    FAILED,
    IN_PROGRESS,
    JOB_STATES,
    STOPPED,
    SUBMITTED,
    TERMINAL_STATES,
    Job,
    JobError,
    JobSpec,
    Task,
)
from amts.jobs.runner import default_workers, run_job
from amts.jobs.store import JobStore, worker_alive

__all__ = [
    "ACTIVE_STATES",
    "COMPLETED",
    "COMPLETED_WITH_ERROR",
    "FAILED",
    "IN_PROGRESS",
    "JOB_STATES",
    "STOPPED",
    "SUBMITTED",
    "TERMINAL_STATES",
    "Job",
    "JobError",
    "JobSpec",
    "JobStore",
    "Location",
    "Task",
    "default_workers",
    "log_path",
    "open_location",
    "output_relative",
    "resume_job",
    "run_job",
    "spawn_worker",
    "start_job",
    "stop_job",
    "worker_alive",
]
