"""Scheduled jobs: daily verification with the checkpoint sent off the device, digest, daily check-in, heartbeat."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from hub.alerts.worker import Deliveries
from hub.bus import Bus
from hub.chain import Checkpoint
from hub.clock import SystemClock
from hub.config import parse_config
from hub.events import Event
from hub.log import IncidentLog
from hub.schedule import Schedules
from hub.store import Store
from tests.conftest import Webhook


def _schedules(incident_log: IncidentLog, webhook: Webhook, **contact: Any) -> tuple[Schedules, Bus]:
    config = parse_config({"data_dir": str(incident_log.data_dir),
                           "contacts": {"advocate": {"notify": [webhook.url()], **contact}},
                           "alerts": {"heartbeat_url": f"http://127.0.0.1:{webhook.port}/ping"}})
    bus = Bus()
    return Schedules(config, incident_log, bus, SystemClock()), bus


def _deliver(store: Store, bus: Bus, schedules: Schedules) -> list[Event]:
    """Do what the hub does next: commit what is on the bus with its outbox rows, then one pass of the
    alerts worker; every event in order (committed ones, then the worker's)."""
    events = []
    for envelope in bus.take(timeout=0.1, most=100):
        store.log.append(envelope.event, envelope.also)
        events.append(envelope.event)
    Deliveries(store.log, store.outbox, schedules.config, SystemClock(), events.append).tick()
    return events


def _kinds(bus: Bus) -> list[str]:
    return [envelope.event.kind for envelope in bus.take(timeout=0.1, most=100)]


def test_daily_verification_sends_a_signed_checkpoint_to_evidence_keepers(
        store: Store, incident_log: IncidentLog, webhook: Webhook) -> None:
    for i in range(5):
        incident_log.append(Event("door.opened", "front_door", detail={"i": i}))
    schedules, bus = _schedules(incident_log, webhook, evidence_keeper=True)
    schedules.daily_verification()
    assert [e.kind for e in _deliver(store, bus, schedules)] == ["log.verified", "checkpoint.sent"]
    [(_, post)] = webhook.posts
    attached = json.loads(base64.b64decode(post["attachments"][0]["base64"]))
    point = Checkpoint.from_json(attached)
    assert point.is_signed() and point.head_seq == 5
    assert incident_log.verify(point).ok
    # The fingerprint she (or her advocate) later gives to verify.py --key.
    assert f"verify.py --key {incident_log.key.fingerprint}" in post["message"]


def test_digest_summarises_the_day(store: Store, incident_log: IncidentLog, webhook: Webhook) -> None:
    incident_log.append(Event("vehicle.match", "street"))
    incident_log.append(Event("vehicle.match", "street"))
    incident_log.append(Event("incident.report", "owner"))
    schedules, bus = _schedules(incident_log, webhook, digest=True)
    schedules.digest()
    _deliver(store, bus, schedules)
    [(_, post)] = webhook.posts
    assert post["message"] == "Porchlight, the last 24 hours:\nincident.report: 1\nvehicle.match: 2"


def test_daily_check_in_missed_only_without_a_check_in(incident_log: IncidentLog, webhook: Webhook) -> None:
    schedules, bus = _schedules(incident_log, webhook)
    schedules.run("daily_checkin", {"by": "22:00"})
    assert _kinds(bus) == ["checkin.missed"]
    incident_log.append(Event("checkin.done", "cli"))
    schedules.run("daily_checkin", {"by": "22:00"})
    assert _kinds(bus) == []


def test_heartbeat_pings_and_logs_only_changes(incident_log: IncidentLog, webhook: Webhook) -> None:
    schedules, bus = _schedules(incident_log, webhook)
    schedules.run("heartbeat", {})
    schedules.run("heartbeat", {})
    assert webhook.gets == ["/ping", "/ping"]
    webhook.stop()
    schedules.run("heartbeat", {})
    events = [e.event for e in bus.take(timeout=0.1, most=10)]
    assert [(e.kind, e.detail["reaching_monitor"]) for e in events] == [("hub.heartbeat", True),
                                                                        ("hub.heartbeat", False)]


def test_check_in_daily_cli(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    result = run_cli("checkin", "daily", "--by", "22:00", "--data", str(tmp_path))
    assert result.returncode == 3 and result.stdout.startswith("daily check-in not changed yet: NO HUB IS RUNNING")
    bad = run_cli("checkin", "daily", "--by", "25:00", "--data", str(tmp_path))
    assert (bad.returncode, bad.stdout) == (1, "--by: give a local time such as 22:00\n")


def test_retention_removes_old_routine_footage_only(incident_log: IncidentLog, webhook: Webhook) -> None:
    from datetime import datetime, timezone

    old = datetime(2020, 1, 1, tzinfo=timezone.utc)
    routine = incident_log.evidence.put_bytes(b"routine clip")
    linked = incident_log.evidence.put_bytes(b"clip she attached to her report")
    matched = incident_log.evidence.put_bytes(b"clip of a face match")
    recent = incident_log.evidence.put_bytes(b"yesterday's routine clip")
    incident_log.append(Event("camera.clip", "porch", detail={"incidents": ["motion-1"]}, evidence=(routine,), at=old))
    incident_log.append(Event("camera.clip", "porch", detail={"incidents": ["motion-2"]}, evidence=(linked,), at=old))
    incident_log.append(Event("incident.report", "owner", detail={"description": "him"}, evidence=(linked,)))
    incident_log.append(Event("camera.clip", "porch", detail={"incidents": ["abc123"]}, evidence=(matched,), at=old))
    incident_log.append(Event("camera.clip", "porch", detail={"incidents": ["motion-3"]}, evidence=(recent,)))
    schedules, _ = _schedules(incident_log, webhook)
    assert schedules.prune() == [routine]
    assert not incident_log.evidence.exists(routine)
    assert all(incident_log.evidence.exists(sha) for sha in (linked, matched, recent))
    [tomb] = incident_log.events(kind="evidence.tombstone")
    assert tomb.detail == {"sha256": routine, "size": 12, "reason": "routine footage older than 30 days"}
    assert incident_log.verify().ok


def test_nightly_backup_job_writes_an_encrypted_backup(incident_log: IncidentLog, webhook: Webhook,
                                                        tmp_path: Path) -> None:
    incident_log.append(Event("door.opened", "front_door"))
    config = parse_config({"data_dir": str(incident_log.data_dir), "backup": {"destination": str(tmp_path / "usb")}})
    bus = Bus()
    Schedules(config, incident_log, bus, SystemClock()).run("backup", {})
    [envelope] = bus.take(timeout=0.1)
    assert envelope.event.kind == "backup.created" and envelope.event.detail["evidence_copied"] == 0
    assert list((tmp_path / "usb" / "snapshots").iterdir())


def test_idle_hub_signs_no_needless_checkpoints(incident_log: IncidentLog) -> None:
    incident_log.append(Event("door.opened", "front_door"))
    assert incident_log.checkpoint_if_new_rows() is not None
    assert incident_log.checkpoint_if_new_rows() is None


def test_one_broken_channel_does_not_stop_the_others(
        store: Store, incident_log: IncidentLog, webhook: Webhook) -> None:
    config = parse_config({"data_dir": str(incident_log.data_dir), "contacts": {
        "a": {"notify": ["env:PORCHLIGHT_TEST_UNSET_CHANNEL"], "digest": True},
        "b": {"notify": [webhook.url()], "digest": True}}})
    bus = Bus()
    schedules = Schedules(config, incident_log, bus, SystemClock())
    schedules.digest()
    events = [e for e in _deliver(store, bus, schedules) if e.kind in ("digest.sent", "digest.failed")]
    assert [(e.kind, e.detail["contact"]) for e in events] == [("digest.failed", "a"), ("digest.sent", "b")]
    assert events[0].detail["error"] == ("secret env:PORCHLIGHT_TEST_UNSET_CHANNEL: environment variable "
                                         "PORCHLIGHT_TEST_UNSET_CHANNEL is not set")
    assert len(webhook.posts) == 1


def test_a_digest_waits_in_the_outbox_through_an_outage_and_is_never_escalated(
        store: Store, incident_log: IncidentLog, webhook: Webhook) -> None:
    from hub.clock import FakeClock

    config = parse_config({"data_dir": str(incident_log.data_dir), "contacts": {
        "advocate": {"notify": [webhook.url()], "digest": True, "tier": 1},
        "sister": {"notify": [webhook.url()], "tier": 2}},
        "alerts": {"retry_min_seconds": 5, "escalate_after_minutes": 1}})
    bus = Bus()
    clock = FakeClock()
    Schedules(config, incident_log, bus, clock).digest()
    for envelope in bus.take(timeout=0.1, most=10):
        incident_log.append(envelope.event, envelope.also)
    recorded: list[Event] = []
    worker = Deliveries(incident_log, store.outbox, config, clock, recorded.append)
    webhook.stop()
    worker.tick()
    assert [e.kind for e in recorded] == ["digest.failed"] and store.outbox.busy()
    webhook.start()
    clock.advance(300)
    worker.tick()
    assert [e.kind for e in recorded] == ["digest.failed", "digest.sent"]
    [(_, post)] = webhook.posts  # the advocate only: the sister asked for no digest, and nothing escalates
    assert post["title"] == "Porchlight daily summary" and "I'm on it" not in post["message"]
    assert [row.status for row in store.outbox.rows()] == ["report"] and not store.outbox.busy()
