"""Time-based jobs that must survive restarts: check-in timers, the heartbeat, the daily verification.

The digest and the daily checkpoint are written to the outbox, and the alerts worker delivers them
(retries, quiet hours) like any alert; nothing here sends a message itself.

APScheduler keeps the jobs in a SQLite job store beside the log, so a timer started before a power
cut still fires after it (late jobs run at once on start: a missed check-in is never forgiven).
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

from hub.bus import Bus
from hub.command_queue import Answer
from hub.clock import Clock
from hub.contacts import ContactBook
from hub.config import Config, resolve_secret
from hub.alerts.outbox import AlertRequest
from hub.alerts.policy import REPORTS
from hub.events import Event, Severity
from hub.log import IncidentLog
from hub import kinds

logger = logging.getLogger(__name__)

_ACTIVE: "Schedules | None" = None
CHECKIN_JOB = "checkin"


def _local_zone() -> Any:
    """The machine's zone, for jobs people set in local time ("by 22:00")."""
    from datetime import datetime

    return datetime.now().astimezone().tzinfo


def fire(job: str, detail_json: str) -> None:
    """APScheduler's entry point (a module-level function, so the job store can save a reference)."""
    if _ACTIVE is not None:
        _ACTIVE.run(job, json.loads(detail_json))


class Schedules:
    """Owns the scheduler; listens to committed events to start and stop check-in timers."""

    def __init__(self, config: Config, log: IncidentLog, bus: Bus, clock: Clock,
                 discreet: Callable[[], bool] | None = None,
                 backup_plan: Callable[[], tuple[Path | None, str]] | None = None) -> None:
        self.config = config
        self.discreet = discreet or (lambda: config.alerts.discreet)
        self.backup_plan = backup_plan or (lambda: (config.backup.destination, config.backup.time))
        self.log = log
        self.bus = bus
        self.clock = clock
        self.path: Path = config.data_dir / "schedule.db"
        self.scheduler: Any = None
        self._heartbeat_ok: bool | None = None

    def start(self) -> None:
        """Start the scheduler with its persistent jobs, plus the heartbeat and daily verification."""
        global _ACTIVE
        from apscheduler.schedulers.background import BackgroundScheduler

        from hub.job_store import SqliteJobStore

        _ACTIVE = self
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SqliteJobStore(self.path)},
            job_defaults={"coalesce": True, "misfire_grace_time": None},
            timezone="UTC",
        )
        self.scheduler.start()
        self.scheduler.add_job(fire, "cron", hour=3, minute=17, id="daily_verification", replace_existing=True,
                               args=["daily_verification", "{}"])
        self.scheduler.add_job(fire, "cron", hour=4, minute=41, id="retention", replace_existing=True,
                               args=["retention", "{}"])
        destination, at = self.backup_plan()
        if destination is not None:
            b_hour, b_minute = (int(x) for x in at.split(":"))
            self.scheduler.add_job(fire, "cron", hour=b_hour, minute=b_minute, timezone=_local_zone(),
                                   id="backup", replace_existing=True, args=["backup", "{}"])
        hour, minute = (int(x) for x in self.config.alerts.digest_time.split(":"))
        if any(c.digest for c in ContactBook(self.config).current().values()):
            self.scheduler.add_job(fire, "cron", hour=hour, minute=minute, timezone=_local_zone(), id="digest",
                                   replace_existing=True, args=["digest", "{}"])
        if self.config.alerts.heartbeat_url:
            self.scheduler.add_job(fire, "interval", minutes=self.config.alerts.heartbeat_minutes, id="heartbeat",
                                   replace_existing=True, args=["heartbeat", "{}"])

    def stop(self) -> None:
        """Stop the scheduler; its jobs stay in the job store."""
        global _ACTIVE
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        _ACTIVE = None

    def __call__(self, seq: int, event: Event) -> None:
        """Pipeline listener: start or stop check-in timers."""
        if event.kind == kinds.CHECKIN_DAILY:
            hour, minute = (int(x) for x in str(event.detail.get("by")).split(":"))
            self.scheduler.add_job(fire, "cron", hour=hour, minute=minute, timezone=_local_zone(),
                                   id="daily_checkin", replace_existing=True,
                                   args=["daily_checkin", json.dumps({"by": event.detail.get("by")})])
        elif event.kind == kinds.CHECKIN_DAILY_OFF and self.scheduler.get_job("daily_checkin") is not None:
            self.scheduler.remove_job("daily_checkin")
        elif event.kind == kinds.CHECKIN_START:
            minutes = float(event.detail.get("minutes") or 30)
            due = self.clock.now() + timedelta(minutes=minutes)
            self.scheduler.add_job(fire, "date", run_date=due, id=CHECKIN_JOB, replace_existing=True,
                                   args=[kinds.CHECKIN_MISSED, json.dumps({"started_seq": seq, "minutes": minutes})])
        elif event.kind == kinds.CHECKIN_DONE and self.scheduler.get_job(CHECKIN_JOB) is not None:
            self.scheduler.remove_job(CHECKIN_JOB)

    def run(self, job: str, detail: dict[str, Any]) -> None:
        """Do one job (on the scheduler's thread)."""
        if job == kinds.CHECKIN_MISSED:
            self.bus.publish(Event(kinds.CHECKIN_MISSED, "schedule", Severity.CRITICAL,
                                   {**detail, "note": "she did not check in in time"}, at=self.clock.now()))
        elif job == "daily_checkin":
            since = self.clock.now() - timedelta(hours=24)
            if not self.log.events(kind=kinds.CHECKIN_DONE, since=since):
                self.bus.publish(Event(kinds.CHECKIN_MISSED, "schedule", Severity.CRITICAL,
                                       {**detail, "note": f"no check-in in the 24 hours before {detail.get('by')}"},
                                       at=self.clock.now()))
        elif job == "digest":
            self.digest()
        elif job == "retention":
            self.prune()
        elif job == "backup":
            self.backup()
        elif job == "heartbeat":
            self._heartbeat()
        elif job == "daily_verification":
            self.daily_verification()

    def _heartbeat(self) -> None:
        url = resolve_secret(self.config.alerts.heartbeat_url) or ""
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - configured by the owner
                ok = 200 <= response.status < 300
        except OSError as err:
            logger.warning("heartbeat to the outside monitor failed: %s", err)
            ok = False
        if ok != self._heartbeat_ok:  # log changes only: one row per outage, not one per ping
            self._heartbeat_ok = ok
            self.bus.publish(Event(kinds.HUB_HEARTBEAT, "schedule", Severity.INFO if ok else Severity.WARNING,
                                   {"reaching_monitor": ok}, at=self.clock.now()))

    def prune(self) -> list[str]:
        """Remove routine footage past retention, leaving tombstones; never evidence of an incident."""
        cutoff = self.clock.now() - timedelta(days=self.config.retention.routine_days)
        cited_elsewhere: set[str] = set()
        candidates: list[str] = []
        for event in self.log.events():
            routine = event.kind == kinds.CAMERA_CLIP and all(
                str(i).startswith("motion-") for i in event.detail.get("incidents") or [])
            if routine and event.at < cutoff:
                candidates.extend(event.evidence)
            elif not routine:
                cited_elsewhere.update(event.evidence)
        removed = []
        for sha in dict.fromkeys(candidates):
            if sha in cited_elsewhere or not self.log.evidence.exists(sha):
                continue
            self.log.tombstone(sha, f"routine footage older than {self.config.retention.routine_days} days")
            removed.append(sha)
        return removed

    def backup(self) -> None:
        """The nightly encrypted backup; a failure is an event (and the doctor reports its age)."""
        from hub.backup import backup

        destination = self.backup_plan()[0]
        if destination is None:
            return
        try:
            report = backup(self.log, destination)
        except OSError as err:
            self.bus.publish(Event(kinds.BACKUP_FAILED, "schedule", Severity.WARNING,
                                   {"destination": str(destination), "error": str(err)}, at=self.clock.now()))
            return
        self.bus.publish(Event(kinds.BACKUP_CREATED, "schedule", Severity.INFO, {
            "snapshot": report.snapshot, "evidence_copied": report.evidence_copied,
            "evidence_already_there": report.evidence_present, "bytes": report.bytes_written}, at=self.clock.now()))

    def backup_now(self, event: Event) -> Answer:
        """A backup she asked for on the dashboard: started at once on a thread; its row says how it went."""
        destination = self.backup_plan()[0]
        if destination is None:
            return Answer(False, "No backup folder is set: choose one first.")
        threading.Thread(target=self.backup, name="backup-now", daemon=True).start()
        return Answer(True, f"Backing up to {destination} now; the result is on the timeline in a minute or two.")

    def digest(self) -> None:
        """A day's summary for contacts who asked for one (an advocate following the pattern), via the outbox."""
        report = REPORTS[kinds.DIGEST_PREPARED]
        if not any(report.wanted(c) for c in ContactBook(self.config).current().values()):
            return
        since = self.clock.now() - timedelta(hours=24)
        counts: dict[str, int] = {}
        for event in self.log.events(since=since):
            if event.kind.startswith(("alert.", "log.", "hub.", "checkpoint.", "input.", "digest.")):
                continue
            counts[event.kind] = counts.get(event.kind, 0) + 1
        lines = [f"{kind}: {count}" for kind, count in sorted(counts.items())] or ["Nothing was recorded."]
        body = "Porchlight, the last 24 hours:\n" + "\n".join(lines)
        if self.discreet():
            body = "Daily home summary: " + (f"{sum(counts.values())} entries" if counts else "nothing new")
        self.bus.publish(Event(kinds.DIGEST_PREPARED, "schedule", Severity.INFO, {"counts": counts, "body": body},
                               at=self.clock.now()),
                         also=[AlertRequest(Severity.INFO, report.title, kinds.DIGEST_PREPARED, "schedule")])

    def daily_verification(self) -> None:
        """Verify the log, sign a checkpoint, and send it (through the outbox) to the contacts who keep evidence."""
        result = self.log.verify()
        kind = kinds.LOG_VERIFIED if result.ok else kinds.LOG_CHAIN_BROKEN
        self.bus.publish(Event(kind, "schedule", Severity.INFO if result.ok else Severity.CRITICAL,
                               {"rows": result.rows, "first_bad_seq": result.first_bad_seq,
                                "reason": result.reason}, at=self.clock.now()))
        report = REPORTS[kinds.LOG_CHECKPOINT]
        keepers = any(report.wanted(c) for c in ContactBook(self.config).current().values())
        point = self.log.checkpoint(
            also=[AlertRequest(Severity.INFO, report.title, kinds.LOG_CHECKPOINT, "schedule")] if keepers else ())
        self.log.checkpoint_file(point)
