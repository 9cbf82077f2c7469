"""APScheduler's jobs kept in SQLite with the standard library's sqlite3.

APScheduler's own SQLite store goes through SQLAlchemy, which costs the hub 12 MB resident on a
Pi to keep half a dozen rows. This store keeps the same table (``apscheduler_jobs``: id,
next_run_time, job_state), so a schedule.db written by the SQLAlchemy store is read as it is. A
job's state is pickled, as APScheduler does in every store it ships; the file lives in the data
directory, which only the hub's user can open.
"""

from __future__ import annotations

import logging
import pickle
import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.base import BaseJobStore, ConflictingIdError, JobLookupError
from apscheduler.util import datetime_to_utc_timestamp, utc_timestamp_to_datetime

logger = logging.getLogger(__name__)

_TABLE = """CREATE TABLE IF NOT EXISTS apscheduler_jobs (
    id VARCHAR(191) NOT NULL PRIMARY KEY, next_run_time FLOAT, job_state BLOB NOT NULL)"""
_INDEX = "CREATE INDEX IF NOT EXISTS ix_apscheduler_jobs_next_run_time ON apscheduler_jobs (next_run_time)"


class SqliteJobStore(BaseJobStore):  # type: ignore[misc]  # APScheduler ships no type hints
    """Jobs in one SQLite file; safe to call from the scheduler's thread and the hub's at once."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def start(self, scheduler: Any, alias: str) -> None:
        super().start(scheduler, alias)
        with self._lock:
            self._connection()

    def shutdown(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _connection(self) -> sqlite3.Connection:
        # Opened again if called after shutdown: the scheduler's thread may make one last look as it stops.
        if self._db is None:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute(_TABLE)
            self._db.execute(_INDEX)
        return self._db

    def _rows(self, where: str = "", args: tuple[object, ...] = ()) -> list[Job]:
        with self._lock:
            rows = self._connection().execute(f"SELECT id, job_state FROM apscheduler_jobs {where} "
                                    "ORDER BY next_run_time", args).fetchall()
        jobs, broken = [], []
        for job_id, state in rows:
            try:
                jobs.append(self._job(state))
            except Exception:
                # A job from an older version that no longer loads: dropped, as APScheduler's stores do.
                logger.exception("scheduled job %r could not be read; removing it", job_id)
                broken.append(job_id)
        if broken:
            with self._lock:
                self._connection().executemany("DELETE FROM apscheduler_jobs WHERE id = ?", [(b,) for b in broken])
        return jobs

    def _job(self, state: bytes) -> Job:
        fields = pickle.loads(state)
        fields["jobstore"] = self
        job = Job.__new__(Job)
        job.__setstate__(fields)
        job._scheduler = self._scheduler
        job._jobstore_alias = self._alias
        return job

    def lookup_job(self, job_id: str) -> Job | None:
        jobs = self._rows("WHERE id = ?", (job_id,))
        return jobs[0] if jobs else None

    def get_due_jobs(self, now: datetime) -> list[Job]:
        return self._rows("WHERE next_run_time <= ?", (datetime_to_utc_timestamp(now),))

    def get_next_run_time(self) -> datetime | None:
        with self._lock:
            row = self._connection().execute("SELECT next_run_time FROM apscheduler_jobs WHERE next_run_time IS NOT NULL "
                                   "ORDER BY next_run_time LIMIT 1").fetchone()
        return utc_timestamp_to_datetime(row[0]) if row else None

    def get_all_jobs(self) -> list[Job]:
        jobs = self._rows()
        self._fix_paused_jobs_sorting(jobs)  # paused jobs (no next run) last, as the interface asks
        return jobs

    def _values(self, job: Job) -> tuple[float | None, bytes]:
        return (datetime_to_utc_timestamp(job.next_run_time),
                pickle.dumps(job.__getstate__(), pickle.HIGHEST_PROTOCOL))

    def add_job(self, job: Job) -> None:
        with self._lock:
            try:
                self._connection().execute("INSERT INTO apscheduler_jobs (id, next_run_time, job_state) VALUES (?, ?, ?)",
                                 (job.id, *self._values(job)))
            except sqlite3.IntegrityError:
                raise ConflictingIdError(job.id) from None

    def update_job(self, job: Job) -> None:
        with self._lock:
            changed = self._connection().execute("UPDATE apscheduler_jobs SET next_run_time = ?, job_state = ? WHERE id = ?",
                                       (*self._values(job), job.id)).rowcount
        if changed == 0:
            raise JobLookupError(job.id)

    def remove_job(self, job_id: str) -> None:
        with self._lock:
            removed = self._connection().execute("DELETE FROM apscheduler_jobs WHERE id = ?", (job_id,)).rowcount
        if removed == 0:
            raise JobLookupError(job_id)

    def remove_all_jobs(self) -> None:
        with self._lock:
            self._connection().execute("DELETE FROM apscheduler_jobs")
