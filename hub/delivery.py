"""Delivers outbox alerts to contacts through Apprise: retries, quiet hours, cooldowns, escalation, acks.

Every alert is already a durable outbox row (committed with its cause) before anything here runs;
every attempt and outcome is recorded as an event, so the log shows who was told what and when.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, time as dtime, timedelta, timezone
from pathlib import Path
from typing import Callable, Mapping, Protocol

from hub.acks import AckSigner
from hub.clock import Clock
from hub.contacts import ContactBook
from hub.config import Config, ContactConfig, resolve_secret
from hub.errors import ConfigError, InputRejected
from hub.events import Event, Severity
from hub.log import IncidentLog
from hub.messages import compose, order_words
from hub import kinds

logger = logging.getLogger(__name__)

_TICK_SECONDS = 1.0
_IDLE_SECONDS = 30.0

Record = Callable[[Event], object]


def kind_matches(kind: str, patterns: list[str]) -> bool:
    """Whether a contact subscribed to ``patterns`` receives alerts caused by ``kind``.

    alarm.triggered and * stand for every alarm about the home, not about her dashboard: who logged
    in and what she changed go only to those who ask for access.* by name (usually she herself).
    """
    for pattern in patterns:
        if pattern == kind:
            return True
        if pattern in ("*", kinds.ALARM_TRIGGERED) and not kind.startswith("access."):
            return True
        if pattern.endswith(".*") and kind.startswith(pattern[:-1]):
            return True
    return False


def in_quiet_hours(spec: str | None, at: datetime) -> datetime | None:
    """When quiet hours ("22:00-07:00", local time) end, if ``at`` falls within them; else None."""
    if not spec:
        return None
    start_text, end_text = spec.split("-")
    start, end = dtime.fromisoformat(start_text), dtime.fromisoformat(end_text)
    local = at.astimezone()
    now = local.time()
    inside = start <= now < end if start < end else (now >= start or now < end)
    if not inside:
        return None
    end_at = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if end_at <= local:
        end_at += timedelta(days=1)
    return end_at.astimezone(timezone.utc)


def channel_name(url: str) -> str:
    """The channel's scheme only (never its credentials): "mailto", "json", "ntfy"..."""
    if url.startswith(("env:", "file:")):
        return url.split(":", 1)[0] + " reference"
    return url.split("://", 1)[0] if "://" in url else "unknown"


@dataclass(frozen=True)
class Attachment:
    """An evidence file to attach, with the name and type people's mail programs need."""

    path: Path
    name: str
    mimetype: str


_SIGNATURES = ((b"\xff\xd8", ".jpg", "image/jpeg"), (b"\x89PNG", ".png", "image/png"),
               (b"%PDF", ".pdf", "application/pdf"))


def attachment_for(path: Path, stem: str) -> Attachment:
    """Name and type an evidence file (stored under its hash, without extension) by its first bytes."""
    with path.open("rb") as handle:
        head = handle.read(12)
    for magic, ext, mime in _SIGNATURES:
        if head.startswith(magic):
            return Attachment(path, stem + ext, mime)
    if head[4:8] == b"ftyp":
        return Attachment(path, stem + ".mp4", "video/mp4")
    return Attachment(path, stem, "application/octet-stream")


class Sender(Protocol):
    """Sends one message on one channel; returns None on success or what went wrong."""

    def send(self, url: str, title: str, body: str, attachments: list[Attachment]) -> str | None:
        """Deliver, or say why not."""


class AppriseSender:
    """The real channels: email, SMS gateways, Signal, Telegram, ntfy, webhooks... through Apprise."""

    def send(self, url: str, title: str, body: str, attachments: list[Attachment]) -> str | None:
        """Deliver through Apprise."""
        import apprise
        from apprise.attachment.file import AttachFile

        notifier = apprise.Apprise()
        if not notifier.add(url):
            return f"Apprise does not understand the {channel_name(url)} URL; check it in the contacts section"
        attach = None
        if attachments:
            attach = apprise.AppriseAttachment()
            for item in attachments:
                # AttachFile has no annotations in Apprise 2.x.
                attach.add(AttachFile(str(item.path), name=item.name, mimetype=item.mimetype))  # type: ignore[no-untyped-call]
        result = notifier.notify(body=body, title=title, attach=attach)
        return None if bool(result) else f"the {channel_name(url)} channel did not accept the message"


def deliver(sender: Sender, url_spec: str, title: str, body: str, attachments: list[Attachment]) -> str | None:
    """Send on one channel given as a URL or an env:/file: reference; None, or what went wrong. Never raises."""
    try:
        return sender.send(resolve_secret(url_spec) or "", title, body, attachments)
    except ConfigError as err:
        return str(err)
    except Exception as err:  # a channel library bug must not stop the other deliveries
        return f"{type(err).__name__}: {err}"


def send_test_message(contact: ContactConfig, sender: Sender | None = None) -> list[dict[str, str | None]]:
    """Send a test message on each of a contact's channels; one result per channel (error None: delivered)."""
    chosen = sender or AppriseSender()
    return [{"channel": channel_name(url),
             "error": deliver(chosen, url, "Porchlight test", "This is a test from Porchlight. No action needed.", [])}
            for url in contact.notify]


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


class Deliveries:
    """Plans, sends, retries and escalates alerts; one worker thread in the daemon."""

    def __init__(self, log: IncidentLog, config: Config, clock: Clock, record: Record,
                 sender: Sender | None = None) -> None:
        self.log = log
        self.config = config
        self.alerts = config.alerts
        self.book = ContactBook(config)
        self.clock = clock
        self.record = record
        self.sender = sender or AppriseSender()
        self.signer = AckSigner(log.data_dir / "keys")
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def contacts(self) -> Mapping[str, ContactConfig]:
        """The contacts in force now (dashboard edits apply to the next alert)."""
        return self.book.current()

    def start(self) -> None:
        """Start the worker thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="deliveries", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the worker; pending deliveries wait in the outbox for the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)

    def __call__(self, seq: int, event: Event) -> None:
        """Pipeline listener: an alarm was committed, so deliver now rather than at the next tick."""
        if event.kind == kinds.ALARM_TRIGGERED:
            self._wake.set()

    def _run(self) -> None:
        busy = True
        while not self._stop.is_set():
            # Idle, it sleeps long (an alarm wakes it at once); with alerts in flight, it ticks every second.
            self._wake.wait(_TICK_SECONDS if busy else _IDLE_SECONDS)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.tick()
                busy = bool(self.log.execute(
                    "SELECT 1 FROM outbox WHERE status IN ('pending', 'open') AND acked_at IS NULL LIMIT 1"))
            except Exception:
                logger.exception("alert delivery pass failed; retrying next second")
                busy = True

    def tick(self) -> None:
        """One pass: plan new alerts, escalate unacknowledged ones, send what is due."""
        with self._lock:
            now = self.clock.now()
            self._plan_new(now)
            self._escalate(now)
            self._send_due(now)

    # --- planning ---------------------------------------------------------------------------

    def _matching(self, kind: str) -> dict[str, ContactConfig]:
        return {cid: c for cid, c in self.contacts.items() if kind_matches(kind, c.events)}

    def _plan_new(self, now: datetime) -> None:
        rows = self.log.execute("SELECT id, kind, source, priority FROM outbox WHERE status = 'pending' ORDER BY id")
        for alert_id, kind, source, priority in rows:
            contacts = self._matching(kind)
            if not contacts:
                self.log.execute("UPDATE outbox SET status = 'no_contacts' WHERE id = ?", (alert_id,))
                self.record(Event(kinds.ALERT_NO_CONTACTS, "alerts", Severity.WARNING,
                                  {"alert": alert_id, "kind": kind}, at=now))
                continue
            if kind not in kinds.ALL_TIERS_AT_ONCE and self._cooling_down(alert_id, kind, source, now):
                self.log.execute("UPDATE outbox SET status = 'suppressed' WHERE id = ?", (alert_id,))
                self.record(Event(kinds.ALERT_SUPPRESSED, "alerts", Severity.INFO, {
                    "alert": alert_id, "kind": kind, "source": source,
                    "reason": f"a {kind} alert from {source} went out less than "
                              f"{self.alerts.cooldown_seconds:.0f} s ago"}, at=now))
                continue
            tiers = sorted({c.tier for c in contacts.values()})
            chosen = tiers if kind in kinds.ALL_TIERS_AT_ONCE else tiers[:1]
            for tier in chosen:
                self._add_tier(alert_id, contacts, tier, now)
            self.log.execute("UPDATE outbox SET status = 'open', tier = ?, tier_at = ? WHERE id = ?",
                             (chosen[-1], _iso(now), alert_id))

    def _cooling_down(self, alert_id: int, kind: str, source: str, now: datetime) -> bool:
        since = _iso(now - timedelta(seconds=self.alerts.cooldown_seconds))
        return bool(self.log.execute(
            "SELECT 1 FROM outbox WHERE kind = ? AND source = ? AND id != ? AND status IN ('open', 'acked') "
            "AND tier_at >= ? LIMIT 1", (kind, source, alert_id, since)))

    def _add_tier(self, alert_id: int, contacts: Mapping[str, ContactConfig], tier: int, now: datetime) -> None:
        for cid, contact in contacts.items():
            if contact.tier != tier:
                continue
            for channel in range(len(contact.notify)):
                self.log.execute(
                    "INSERT OR IGNORE INTO deliveries (alert_id, contact, channel, tier, next_at) VALUES (?, ?, ?, ?, ?)",
                    (alert_id, cid, channel, tier, _iso(now)))

    def _escalate(self, now: datetime) -> None:
        due = _iso(now - timedelta(minutes=self.alerts.escalate_after_minutes))
        rows = self.log.execute(
            "SELECT id, kind, tier FROM outbox WHERE status = 'open' AND acked_at IS NULL AND tier_at <= ?", (due,))
        for alert_id, kind, tier in rows:
            contacts = self._matching(kind)
            higher = sorted({c.tier for c in contacts.values() if c.tier > tier})
            if not higher:
                continue
            self._add_tier(alert_id, contacts, higher[0], now)
            self.log.execute("UPDATE outbox SET tier = ?, tier_at = ? WHERE id = ?", (higher[0], _iso(now), alert_id))
            self.record(Event(kinds.ALERT_ESCALATED, "alerts", Severity.WARNING, {
                "alert": alert_id, "from_tier": tier, "to_tier": higher[0],
                "reason": f"nobody in tier {tier} acknowledged within {self.alerts.escalate_after_minutes:g} min"},
                at=now))

    # --- sending ----------------------------------------------------------------------------

    def _send_due(self, now: datetime) -> None:
        rows = self.log.execute(
            "SELECT d.id, d.alert_id, d.contact, d.channel, d.attempts, o.seq, o.kind, o.source, o.priority, "
            "o.reason FROM deliveries d JOIN outbox o ON o.id = d.alert_id "
            "WHERE d.status = 'pending' AND d.next_at <= ? "
            "ORDER BY CASE o.priority WHEN 'critical' THEN 0 ELSE 1 END, d.id", (_iso(now),))
        for delivery_id, alert_id, cid, channel, attempts, seq, kind, source, priority, reason in rows:
            if self._stop.is_set():
                return
            contact = self.contacts.get(cid)
            if contact is None or channel >= len(contact.notify):
                self.log.execute("UPDATE deliveries SET status = 'dropped' WHERE id = ?", (delivery_id,))
                continue
            quiet_until = in_quiet_hours(contact.quiet_hours, now) if priority != "critical" else None
            if quiet_until is not None:
                self.log.execute("UPDATE deliveries SET next_at = ? WHERE id = ?", (_iso(quiet_until), delivery_id))
                continue
            self._send_one(delivery_id, alert_id, cid, contact, channel, attempts + 1, seq, kind, source,
                           priority, reason, now)

    def _send_one(self, delivery_id: int, alert_id: int, cid: str, contact: ContactConfig, channel: int,
                  attempt: int, seq: int, kind: str, source: str, priority: str, reason: str,
                  now: datetime) -> None:
        url_spec = contact.notify[channel]
        alarm = self.log.event(seq)
        cause = self.log.event(int(alarm.detail.get("cause_seq") or seq)) if alarm is not None else None
        detail = dict(cause.detail) if cause is not None else {}
        ack_url = None
        if contact.can_acknowledge:
            ack_url = f"{self.alerts.dashboard_url.rstrip('/')}/ack/{self.signer.sign(alert_id, cid)}"
        orders = self.log.events(kind=kinds.ORDER_RECORDED, newest_first=True, limit=1)
        message = compose(reason=reason, kind=kind, priority=priority, source_label=self._label(source),
                          at=cause.at if cause is not None else now, detail=detail,
                          dashboard_url=self.alerts.dashboard_url, seq=seq, ack_url=ack_url,
                          discreet=self.alerts.discreet,
                          order=order_words(orders[0].detail, now) if orders else None)
        attachments = [] if self.alerts.discreet or cause is None else [
            attachment_for(self.log.evidence.path_for(sha), f"{source}-{seq}-{sha[:8]}")
            for sha in cause.evidence if self.log.evidence.exists(sha)]
        error = deliver(self.sender, url_spec, message.title, message.body, attachments)
        detail_out = {"alert": alert_id, "contact": cid, "channel": channel_name(url_spec), "attempt": attempt}
        if error is None:
            self.log.execute("UPDATE deliveries SET status = 'sent', attempts = ?, sent_at = ? WHERE id = ?",
                             (attempt, _iso(now), delivery_id))
            self.record(Event(kinds.ALERT_SENT, "alerts", Severity.INFO, detail_out, at=now))
            return
        delay = min(self.alerts.retry_min_seconds * 2 ** (attempt - 1), self.alerts.retry_max_seconds)
        self.log.execute("UPDATE deliveries SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?",
                         (attempt, _iso(now + timedelta(seconds=delay)), error, delivery_id))
        self.record(Event(kinds.ALERT_FAILED, "alerts", Severity.WARNING,
                          {**detail_out, "error": error, "retry_in_seconds": delay}, at=now))

    def _label(self, source: str) -> str:
        for group in (self.config.sensors, self.config.cameras):
            item = group.get(source)
            if item is not None and item.label:
                return item.label
        return source.replace("_", " ").capitalize()

    # --- acknowledgement --------------------------------------------------------------------

    def acknowledge(self, token: str) -> str:
        """Accept a contact's "I'm on it" once; refuse forged, unknown or reused links."""
        claim = self.signer.verify(token)
        contact = self.contacts.get(claim.contact)
        if contact is None or not contact.can_acknowledge:
            raise InputRejected("this acknowledgement link is not valid")
        return self.acknowledge_as(claim.alert_id, claim.contact, contact.name or claim.contact)

    def acknowledge_as(self, alert_id: int, by: str, name: str, via: str | None = None) -> str:
        """Record that ``by`` is handling an alert (the link's path, or a logged-in contact's button), once."""
        with self._lock:
            rows = self.log.execute("SELECT acked_at, acked_by FROM outbox WHERE id = ?", (alert_id,))
            if not rows:
                raise InputRejected("this acknowledgement link is not valid")
            acked_at, acked_by = rows[0]
            if acked_at is not None:
                raise InputRejected(f"this alert was already acknowledged by {acked_by} at {acked_at}")
            now = self.clock.now()
            self.log.execute("UPDATE outbox SET acked_at = ?, acked_by = ?, status = 'acked' "
                             "WHERE id = ? AND acked_at IS NULL", (_iso(now), by, alert_id))
        detail = {"alert": alert_id, "contact": by, "name": name, **({"via": via} if via else {})}
        self.record(Event(kinds.ALERT_ACKNOWLEDGED, by, Severity.NOTICE, detail, at=now))
        return f"Thank you, {name}: you are on it. Nobody else will be asked."
