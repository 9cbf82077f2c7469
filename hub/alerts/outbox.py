"""The outbox and delivery tables, and every statement on them.

An alert becomes an outbox row in the same transaction as the event that causes it (an
``AlertRequest`` handed to ``IncidentLog.append``), so a crash can never lose one or invent one.
Each row then gets one delivery per contact channel, planned, retried and acknowledged here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from hub.database import Database, stored_time
from hub.errors import InputRejected
from hub.events import Severity, utc_now
from hub import kinds

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL REFERENCES log(seq),
    created_at TEXT NOT NULL,
    priority TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    kind TEXT NOT NULL DEFAULT 'alarm.triggered',
    source TEXT NOT NULL DEFAULT 'hub',
    tier INTEGER,
    tier_at TEXT,
    acked_at TEXT,
    acked_by TEXT
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES outbox(id),
    contact TEXT NOT NULL,
    channel INTEGER NOT NULL,
    tier INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at TEXT NOT NULL,
    sent_at TEXT,
    last_error TEXT,
    UNIQUE (alert_id, contact, channel)
);
"""



@dataclass(frozen=True)
class AlertRequest:
    """An alert to put in the outbox in the same transaction as the event that causes it."""

    priority: Severity
    reason: str
    kind: str = kinds.ALARM_TRIGGERED
    source: str = "hub"

    def write(self, conn: sqlite3.Connection, seq: int) -> None:
        """Insert the outbox row for log row ``seq`` (called inside the log's transaction)."""
        conn.execute("INSERT INTO outbox (seq, created_at, priority, reason, kind, source) VALUES (?, ?, ?, ?, ?, ?)",
                     (seq, stored_time(utc_now()), self.priority.value, self.reason, self.kind, self.source))


@dataclass(frozen=True)
class OutboxRow:
    """An alert waiting in (or delivered from) the durable outbox."""

    id: int
    seq: int
    created_at: str
    priority: str
    reason: str
    status: str
    attempts: int


@dataclass(frozen=True)
class NewAlert:
    """An alert not yet planned."""

    id: int
    kind: str
    source: str
    priority: str


@dataclass(frozen=True)
class OpenAlert:
    """An alert told to one tier that nobody has acknowledged."""

    id: int
    kind: str
    tier: int


@dataclass(frozen=True)
class DueDelivery:
    """One message on one channel to one contact, due now."""

    id: int
    alert_id: int
    contact: str
    channel: int
    attempts: int
    seq: int
    kind: str
    source: str
    priority: str
    reason: str


@dataclass(frozen=True)
class AlertSummary:
    """An alert as the dashboard lists it."""

    id: int
    seq: int
    status: str
    acked_by: str | None
    acked_at: str | None


@dataclass(frozen=True)
class DeliveryRecord:
    """One delivery as the contacts page lists it."""

    id: int
    contact: str
    channel: int
    status: str
    attempts: int
    sent_at: str | None
    last_error: str | None
    kind: str
    created_at: str
    acked_by: str | None


class Outbox:
    """The alerts and their deliveries."""

    def __init__(self, database: Database) -> None:
        self._db = database
        database.create(SCHEMA)

    # --- what the worker does -------------------------------------------------------------

    def busy(self) -> bool:
        """Whether any alert is still being planned, delivered or retried."""
        return bool(self._db.execute(
            "SELECT 1 FROM outbox WHERE status IN ('pending', 'open') AND acked_at IS NULL "
            "UNION ALL SELECT 1 FROM deliveries WHERE status = 'pending' LIMIT 1"))

    def new_alerts(self) -> list[NewAlert]:
        """Alerts not yet planned, oldest first."""
        return [NewAlert(*row) for row in self._db.execute(
            "SELECT id, kind, source, priority FROM outbox WHERE status = 'pending' ORDER BY id")]

    def set_status(self, alert_id: int, status: str) -> None:
        """Close an alert that will not be delivered ("no_contacts", "suppressed")."""
        self._db.execute("UPDATE outbox SET status = ? WHERE id = ?", (status, alert_id))

    def open_at(self, alert_id: int, tier: int, at: datetime) -> None:
        """The alert has been told to contacts up to ``tier``, at ``at``."""
        self._db.execute("UPDATE outbox SET status = 'open', tier = ?, tier_at = ? WHERE id = ?",
                         (tier, stored_time(at), alert_id))

    def told_since(self, kind: str, source: str, other_than: int, since: datetime) -> bool:
        """Whether another alert of this kind from this source went out since ``since`` (the cooldown)."""
        return bool(self._db.execute(
            "SELECT 1 FROM outbox WHERE kind = ? AND source = ? AND id != ? AND status IN ('open', 'acked') "
            "AND tier_at >= ? LIMIT 1", (kind, source, other_than, stored_time(since))))

    def add_delivery(self, alert_id: int, contact: str, channel: int, tier: int, due: datetime) -> None:
        """Plan one message (once: a second plan for the same channel is ignored)."""
        self._db.execute(
            "INSERT OR IGNORE INTO deliveries (alert_id, contact, channel, tier, next_at) VALUES (?, ?, ?, ?, ?)",
            (alert_id, contact, channel, tier, stored_time(due)))

    def unacknowledged_since(self, before: datetime) -> list[OpenAlert]:
        """Open alerts whose current tier was told before ``before`` and nobody has acknowledged."""
        return [OpenAlert(*row) for row in self._db.execute(
            "SELECT id, kind, tier FROM outbox WHERE status = 'open' AND acked_at IS NULL AND tier_at <= ?",
            (stored_time(before),))]

    def escalate(self, alert_id: int, tier: int, at: datetime) -> None:
        """The alert now reaches ``tier`` as well."""
        self._db.execute("UPDATE outbox SET tier = ?, tier_at = ? WHERE id = ?", (tier, stored_time(at), alert_id))

    def due(self, now: datetime) -> list[DueDelivery]:
        """Deliveries due by ``now``, critical ones first."""
        return [DueDelivery(*row) for row in self._db.execute(
            "SELECT d.id, d.alert_id, d.contact, d.channel, d.attempts, o.seq, o.kind, o.source, o.priority, "
            "o.reason FROM deliveries d JOIN outbox o ON o.id = d.alert_id "
            "WHERE d.status = 'pending' AND d.next_at <= ? "
            "ORDER BY CASE o.priority WHEN 'critical' THEN 0 ELSE 1 END, d.id", (stored_time(now),))]

    def drop(self, delivery_id: int) -> None:
        """The contact or channel is gone: this delivery will not be made."""
        self._db.execute("UPDATE deliveries SET status = 'dropped' WHERE id = ?", (delivery_id,))

    def postpone(self, delivery_id: int, until: datetime) -> None:
        """Hold a delivery back (quiet hours)."""
        self._db.execute("UPDATE deliveries SET next_at = ? WHERE id = ?", (stored_time(until), delivery_id))

    def sent(self, delivery_id: int, attempt: int, at: datetime) -> None:
        """The channel accepted the message."""
        self._db.execute("UPDATE deliveries SET status = 'sent', attempts = ?, sent_at = ? WHERE id = ?",
                         (attempt, stored_time(at), delivery_id))

    def failed(self, delivery_id: int, attempt: int, retry_at: datetime, error: str) -> None:
        """The channel refused or failed; try again at ``retry_at``."""
        self._db.execute("UPDATE deliveries SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?",
                         (attempt, stored_time(retry_at), error, delivery_id))

    def acknowledge(self, alert_id: int, by: str, at: datetime) -> None:
        """Record that ``by`` is handling the alert; refuse an unknown or already acknowledged one."""
        with self._db.transaction() as conn:
            row = conn.execute("SELECT acked_at, acked_by FROM outbox WHERE id = ?", (alert_id,)).fetchone()
            if row is None:
                raise InputRejected("this acknowledgement link is not valid")
            if row[0] is not None:
                raise InputRejected(f"this alert was already acknowledged by {row[1]} at {row[0]}")
            conn.execute("UPDATE outbox SET acked_at = ?, acked_by = ?, status = 'acked' WHERE id = ?",
                         (stored_time(at), by, alert_id))

    # --- what people read -----------------------------------------------------------------

    def rows(self, status: str | None = None) -> list[OutboxRow]:
        """Alerts in the outbox, oldest first."""
        sql = "SELECT id, seq, created_at, priority, reason, status, attempts FROM outbox"
        args: tuple[str, ...] = ()
        if status is not None:
            sql += " WHERE status = ?"
            args = (status,)
        return [OutboxRow(*row) for row in self._db.execute(sql + " ORDER BY id", args)]

    def acknowledged_by(self, alert_id: int) -> str | None:
        """Who acknowledged an alert, if anyone has."""
        value = self._db.scalar("SELECT acked_by FROM outbox WHERE id = ?", alert_id)
        return None if value is None else str(value)

    def summaries(self, contact: str | None = None, limit: int = 100) -> list[AlertSummary]:
        """The newest alerts: all of them, or those sent to one contact."""
        where, args = ("JOIN deliveries ON deliveries.alert_id = outbox.id WHERE deliveries.contact = ? ",
                       (contact,)) if contact is not None else ("", ())
        rows = self._db.execute(
            "SELECT DISTINCT outbox.id, outbox.seq, outbox.status, outbox.acked_by, outbox.acked_at FROM outbox "
            + where + "ORDER BY outbox.id DESC LIMIT ?", (*args, limit))
        return [AlertSummary(int(r[0]), int(r[1]), str(r[2]), r[3], r[4]) for r in rows]

    def deliveries_of(self, alert_ids: list[int]) -> dict[int, list[tuple[str, str, str | None]]]:
        """Each alert's deliveries so far: (contact, status, last error), oldest first."""
        found: dict[int, list[tuple[str, str, str | None]]] = {alert_id: [] for alert_id in alert_ids}
        if not alert_ids:
            return found
        marks = ", ".join("?" for _ in alert_ids)
        for alert_id, contact, status, error in self._db.execute(
                f"SELECT alert_id, contact, status, last_error FROM deliveries WHERE alert_id IN ({marks}) "
                "ORDER BY id", tuple(alert_ids)):
            found[int(alert_id)].append((str(contact), str(status), error))
        return found

    def alerted_seqs(self, contact: str) -> set[int]:
        """The log rows a contact was sent alerts about."""
        return {int(seq) for (seq,) in self._db.execute(
            "SELECT DISTINCT outbox.seq FROM outbox JOIN deliveries ON deliveries.alert_id = outbox.id "
            "WHERE deliveries.contact = ?", (contact,))}

    def history(self, limit: int = 50) -> list[DeliveryRecord]:
        """The newest deliveries, with their alert's kind, time and acknowledgement."""
        return [DeliveryRecord(*row) for row in self._db.execute(
            "SELECT deliveries.id, deliveries.contact, deliveries.channel, deliveries.status, deliveries.attempts, "
            "deliveries.sent_at, deliveries.last_error, outbox.kind, outbox.created_at, outbox.acked_by "
            "FROM deliveries JOIN outbox ON outbox.id = deliveries.alert_id ORDER BY deliveries.id DESC LIMIT ?",
            (limit,))]

    def alert_ids_for(self, seqs: set[int]) -> set[int]:
        """The alerts caused by these log rows."""
        if not seqs:
            return set()
        marks = ", ".join("?" for _ in seqs)
        return {int(r[0]) for r in self._db.execute(f"SELECT id FROM outbox WHERE seq IN ({marks})", tuple(seqs))}

    def count_sent(self) -> int:
        """How many deliveries have gone out (benchmarks)."""
        return int(self._db.scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'") or 0)
