"""Delivers outbox alerts to contacts: retries, quiet hours, cooldowns, escalation, acknowledgements.

Every alert is already a durable outbox row (committed with its cause) before anything here runs;
every attempt and outcome is recorded as an event, so the log shows who was told what and when.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Callable, Mapping

from hub.alerts.acks import AckSigner
from hub.alerts.channels import AppriseSender, Attachment, Sender, attachment_for, channel_name, deliver
from hub.alerts.messages import Message, compose, order_words
from hub.alerts.outbox import DueDelivery, Outbox
from hub.alerts.policy import CHECKPOINT_BODY, REPORTS, in_quiet_hours
from hub.chain import Checkpoint
from hub.clock import Clock
from hub.command_queue import Answer
from hub.contacts import ContactBook
from hub.config import Config, ContactConfig
from hub.errors import InputRejected
from hub.events import Event, Severity
from hub.log import IncidentLog
from hub.mail_account import MailAccountStore
from hub.reach import matching
from hub import kinds

logger = logging.getLogger(__name__)

_TICK_SECONDS = 1.0
_IDLE_SECONDS = 30.0

Record = Callable[[Event], object]


class Deliveries:
    """Plans, sends, retries and escalates alerts; one worker thread in the daemon."""

    def __init__(self, log: IncidentLog, outbox: Outbox, config: Config, clock: Clock, record: Record,
                 sender: Sender | None = None, discreet: Callable[[], bool] | None = None) -> None:
        self.log = log
        self.outbox = outbox
        self.config = config
        self.alerts = config.alerts
        self.book = ContactBook(config)
        self.clock = clock
        self.record = record
        self.sender = sender or AppriseSender()
        self.signer = AckSigner(log.data_dir / "keys")
        self.mail = MailAccountStore(config.data_dir)
        self.discreet = discreet or (lambda: config.alerts.discreet)  # she may turn it on on the dashboard
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
        """Pipeline listener: an alarm (or a digest) was committed, so deliver now rather than at the next tick."""
        if event.kind in (kinds.ALARM_TRIGGERED, kinds.DIGEST_PREPARED):
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
                busy = self.outbox.busy()
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
        return matching(self.contacts, kind)

    def _plan_new(self, now: datetime) -> None:
        for alert in self.outbox.new_alerts():
            contacts = self._matching(alert.kind)
            if not contacts:
                self.outbox.set_status(alert.id, "no_contacts")
                self.record(Event(kinds.ALERT_NO_CONTACTS, "alerts", Severity.WARNING,
                                  {"alert": alert.id, "kind": alert.kind}, at=now))
                continue
            if alert.kind in REPORTS:
                for tier in sorted({c.tier for c in contacts.values()}):
                    self._add_tier(alert.id, contacts, tier, now)
                self.outbox.set_status(alert.id, "report")  # never escalated, cooled down or acknowledged
                continue
            cooldown = timedelta(seconds=self.alerts.cooldown_seconds)
            # Each settings change is told: a second one minutes after the first (his, after hers) must not be
            # folded into it.
            if alert.kind not in kinds.ALL_TIERS_AT_ONCE and alert.kind != kinds.ACCESS_SETTINGS_CHANGED \
                    and self.outbox.told_since(
                    alert.kind, alert.source, alert.id, now - cooldown):
                self.outbox.set_status(alert.id, "suppressed")
                self.record(Event(kinds.ALERT_SUPPRESSED, "alerts", Severity.INFO, {
                    "alert": alert.id, "kind": alert.kind, "source": alert.source,
                    "reason": f"a {alert.kind} alert from {alert.source} went out less than "
                              f"{self.alerts.cooldown_seconds:.0f} s ago"}, at=now))
                continue
            tiers = sorted({c.tier for c in contacts.values()})
            chosen = tiers if alert.kind in kinds.ALL_TIERS_AT_ONCE else tiers[:1]
            for tier in chosen:
                self._add_tier(alert.id, contacts, tier, now)
            self.outbox.open_at(alert.id, chosen[-1], now)

    def _add_tier(self, alert_id: int, contacts: Mapping[str, ContactConfig], tier: int, now: datetime) -> None:
        for cid, contact in contacts.items():
            if contact.tier == tier:
                for channel in range(len(contact.notify)):
                    self.outbox.add_delivery(alert_id, cid, channel, tier, now)

    def _escalate(self, now: datetime) -> None:
        for alert in self.outbox.unacknowledged_since(now - timedelta(minutes=self.alerts.escalate_after_minutes)):
            contacts = self._matching(alert.kind)
            higher = sorted({c.tier for c in contacts.values() if c.tier > alert.tier})
            if not higher:
                continue
            self._add_tier(alert.id, contacts, higher[0], now)
            self.outbox.escalate(alert.id, higher[0], now)
            self.record(Event(kinds.ALERT_ESCALATED, "alerts", Severity.WARNING, {
                "alert": alert.id, "from_tier": alert.tier, "to_tier": higher[0],
                "reason": f"nobody in tier {alert.tier} acknowledged within {self.alerts.escalate_after_minutes:g} min"},
                at=now))

    # --- sending ----------------------------------------------------------------------------

    def _send_due(self, now: datetime) -> None:
        for due in self.outbox.due(now):
            if self._stop.is_set():
                return
            contact = self.contacts.get(due.contact)
            if contact is None or due.channel >= len(contact.notify):
                self.outbox.drop(due.id)
                continue
            quiet_until = in_quiet_hours(contact.quiet_hours, now) if due.priority != "critical" else None
            if quiet_until is not None:
                self.outbox.postpone(due.id, quiet_until)
                continue
            self._send_one(due, contact, now)

    def _send_one(self, due: DueDelivery, contact: ContactConfig, now: datetime) -> None:
        url_spec = contact.notify[due.channel]
        report = REPORTS.get(due.kind)
        message, attachments = (self._report(due) if report is not None
                                else self._alert(due, contact, now))
        error = deliver(self.sender, url_spec, message.title, message.body, attachments, self.mail.load())
        attempt = due.attempts + 1
        detail_out = {"alert": due.alert_id, "contact": due.contact, "channel": channel_name(url_spec),
                      "attempt": attempt}
        sent_kind, failed_kind = (report.sent, report.failed) if report else (kinds.ALERT_SENT, kinds.ALERT_FAILED)
        if error is None:
            self.outbox.sent(due.id, attempt, now)
            self.record(Event(sent_kind, "alerts", Severity.INFO, {**detail_out, "error": None}
                              if report else detail_out, at=now))
            return
        delay = min(self.alerts.retry_min_seconds * 2 ** (attempt - 1), self.alerts.retry_max_seconds)
        self.outbox.failed(due.id, attempt, now + timedelta(seconds=delay), error)
        self.record(Event(failed_kind, "alerts", Severity.WARNING,
                          {**detail_out, "error": error, "retry_in_seconds": delay}, at=now))

    def _alert(self, due: DueDelivery, contact: ContactConfig, now: datetime) -> tuple[Message, list[Attachment]]:
        seq = due.seq
        alarm = self.log.event(seq)
        cause = self.log.event(int(alarm.detail.get("cause_seq") or seq)) if alarm is not None else None
        detail = dict(cause.detail) if cause is not None else {}
        ack_url = None
        if contact.can_acknowledge:
            ack_url = f"{self.alerts.dashboard_url.rstrip('/')}/ack/{self.signer.sign(due.alert_id, due.contact)}"
        orders = self.log.events(kind=kinds.ORDER_RECORDED, newest_first=True, limit=1)
        discreet = self.discreet()
        message = compose(reason=due.reason, kind=due.kind, priority=due.priority,
                          source_label=self._label(due.source), at=cause.at if cause is not None else now,
                          detail=detail, dashboard_url=self.alerts.dashboard_url, seq=seq, ack_url=ack_url,
                          discreet=discreet,
                          order=order_words(orders[0].detail, now) if orders else None)
        attachments: list[Attachment] = []
        sealed_away = 0
        for sha in [] if discreet or cause is None else cause.evidence:
            source = self.log.evidence.for_sending(sha) if self.log.evidence.exists(sha) else None
            if source is None:
                sealed_away += self.log.evidence.exists(sha)
                continue
            attachments.append(attachment_for(source, f"{due.source}-{seq}-{sha[:8]}"))
        if sealed_away:
            # Said plainly, so nobody thinks a photo was lost: it is on the hub, sealed until she unlocks it.
            message = Message(message.title, message.body + f"\n({sealed_away} photo or clip kept sealed on the hub.)")
        return message, attachments

    def _report(self, due: DueDelivery) -> tuple[Message, list[Attachment]]:
        """A digest's own words, or a checkpoint with its signed file attached (rebuilt from its log row)."""
        row = self.log.event(due.seq)
        if row is None:
            return Message(due.reason, ""), []
        if due.kind == kinds.LOG_CHECKPOINT:
            point = Checkpoint.from_json({"format": "porchlight-checkpoint-v1", **row.detail})
            path = self.log.checkpoint_file(point)
            body = CHECKPOINT_BODY.format(seq=point.head_seq, fingerprint=self.log.key.fingerprint)
            return (Message(due.reason, body),
                    [Attachment(path, path.name, "application/json")])
        return Message(due.reason, str(row.detail.get("body") or "")), []

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
            now = self.clock.now()
            self.outbox.acknowledge(alert_id, by, now)
        detail = {"alert": alert_id, "contact": by, "name": name, **({"via": via} if via else {})}
        self.record(Event(kinds.ALERT_ACKNOWLEDGED, by, Severity.NOTICE, detail, at=now))
        return f"Thank you, {name}: you are on it. Nobody else will be asked."

    def answer(self, request: Event) -> Answer:
        """A queued "I'm on it" (a link's token, or a logged-in contact's alert): acknowledge it, or say why not."""
        detail = request.detail
        try:
            token, alert = detail.get("token"), detail.get("alert")
            if isinstance(token, str):
                return Answer(True, self.acknowledge(token))
            if isinstance(alert, int) and isinstance(detail.get("contact"), str):
                return Answer(True, self.acknowledge_as(alert, str(detail["contact"]),
                                                        str(detail.get("name") or detail["contact"]),
                                                        via=str(detail.get("via") or "dashboard")))
            raise InputRejected("this acknowledgement names no alert")
        except InputRejected as err:
            return Answer(False, str(err).capitalize() + ".")
