"""The scheduler's job store: jobs survive a restart (a power cut), in run-time order, on sqlite3 alone."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

from hub.job_store import SqliteJobStore

RAN: list[str] = []


def remember(name: str) -> None:
    RAN.append(name)


def _scheduler(path: Path) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(jobstores={"default": SqliteJobStore(path)}, timezone="UTC",
                                    job_defaults={"coalesce": True, "misfire_grace_time": None})
    scheduler.start(paused=True)
    return scheduler


def test_jobs_survive_a_restart_in_run_time_order_and_paused_jobs_come_last(tmp_path: Path) -> None:
    path = tmp_path / "schedule.db"
    soon = datetime.now(timezone.utc) + timedelta(hours=1)
    first = _scheduler(path)
    first.add_job(remember, "date", run_date=soon + timedelta(hours=2), id="later", args=["later"])
    first.add_job(remember, "date", run_date=soon, id="sooner", args=["sooner"])
    first.add_job(remember, "cron", hour=3, minute=17, id="nightly", args=["nightly"])
    first.pause_job("nightly")
    with pytest.raises(ConflictingIdError):
        first.add_job(remember, "date", run_date=soon, id="sooner", args=["twice"])
    first.add_job(remember, "date", run_date=soon + timedelta(minutes=5), id="sooner", args=["moved"],
                  replace_existing=True)
    first.shutdown(wait=False)

    again = _scheduler(path)  # the power came back
    try:
        jobs = again.get_jobs()
        assert [job.id for job in jobs] == ["sooner", "later", "nightly"]
        assert jobs[0].args == ("moved",) and jobs[0].next_run_time == soon + timedelta(minutes=5)
        assert jobs[2].next_run_time is None  # still paused
        store = again._jobstores["default"]
        assert store.get_next_run_time() == soon + timedelta(minutes=5)
        assert [job.id for job in store.get_due_jobs(soon + timedelta(hours=2))] == ["sooner", "later"]
        again.remove_job("later")
        with pytest.raises(JobLookupError):
            again.remove_job("later")
        assert again.get_job("later") is None and again.get_job("sooner") is not None
    finally:
        again.shutdown(wait=False)


def test_a_due_job_runs_and_a_job_that_no_longer_loads_is_dropped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "schedule.db"
    scheduler = _scheduler(path)
    scheduler.add_job(remember, "date", run_date=datetime.now(timezone.utc) + timedelta(days=1), id="kept",
                      args=["kept"])
    scheduler.shutdown(wait=False)
    with sqlite3.connect(path) as db:  # a row left by an older version, or damaged
        db.execute("INSERT INTO apscheduler_jobs VALUES ('broken', 1.0, x'00ff00')")
    RAN.clear()
    again = _scheduler(path)
    try:
        assert [job.id for job in again.get_jobs()] == ["kept"]
        with sqlite3.connect(path) as db:
            assert [row[0] for row in db.execute("SELECT id FROM apscheduler_jobs")] == ["kept"]
        again.add_job(remember, "date", run_date=datetime.now(timezone.utc), id="now", args=["now"])
        again.resume()
        deadline = datetime.now(timezone.utc) + timedelta(seconds=10)
        while "now" not in RAN and datetime.now(timezone.utc) < deadline:
            time.sleep(0.05)
        assert RAN == ["now"]
        assert again.get_job("now") is None  # a one-off job is gone once run
    finally:
        again.shutdown(wait=False)
