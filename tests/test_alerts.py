"""Alerts reach trusted contacts through Apprise, to real local receivers; escalation and acks."""

from __future__ import annotations

import base64
import email
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.clock import FakeClock
from hub.config import parse_config
from hub.alerts.policy import in_quiet_hours, kind_matches
from hub.alerts.worker import Deliveries
from hub.errors import InputRejected
from hub.events import Event, Severity
from hub.alerts.messages import compose
from hub.alerts.outbox import AlertRequest
from hub.log import IncidentLog
from hub.store import Store
from tests.conftest import SmtpServer, Webhook, wait_for

JPEG = b"\xff\xd8\xff\xe0 a snapshot of him at the door"


def _config(contacts: dict[str, Any], **alerts: Any) -> Any:
    return parse_config({"contacts": contacts, "alerts": {"dashboard_url": "https://hub.test:8443", **alerts},
                         "cameras": {"porch": {"source": "0", "label": "Porch camera"}}})


def _raise(log: IncidentLog, kind: str = "face.match", source: str = "porch", evidence: bool = True) -> int:
    """A cause event (with a snapshot) and its alarm row with an outbox entry; returns the alarm's seq."""
    shas = (log.evidence.put_bytes(JPEG),) if evidence else ()
    cause = log.append(Event(kind, source, Severity.CRITICAL, {"person": "Person of concern", "distance": 0.41,
                                                                "tolerance": 0.55, "frames": 3}, shas))
    return log.append(Event("alarm.triggered", source, Severity.CRITICAL, {"reason": "x", "cause_seq": cause}),
                      [AlertRequest(Severity.CRITICAL, "Person of concern seen at Porch camera", kind, source)])


def test_email_arrives_with_the_snapshot_and_webhook_with_json(
        store: Store, incident_log: IncidentLog, smtp_server: SmtpServer, webhook: Webhook) -> None:
    config = _config({"neighbour": {"name": "Ann", "tier": 1, "notify": [smtp_server.url(), webhook.url()],
                                    "events": ["panic", "duress", "face.match", "vehicle.match", "door.opened"]}})
    seq = _raise(incident_log)
    deliveries = Deliveries(incident_log, store.outbox, config, FakeClock(), incident_log.append)
    deliveries.tick()
    [raw] = smtp_server.messages
    mail = email.message_from_bytes(raw)
    assert mail["Subject"] == "Porchlight: Person of concern seen at Porch camera"
    parts = list(mail.walk())
    [image] = [p for p in parts if p.get_content_type() == "image/jpeg"]
    assert image.get_payload(decode=True) == JPEG
    text = next(p for p in parts if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "Where: Porch camera" in text and "Match: face distance 0.41 (tolerance 0.55), 3 frames" in text
    assert f"See it: https://hub.test:8443/incidents/{seq}" in text and "I'm on it: https://hub.test:8443/ack/" in text
    [(path, post)] = webhook.posts
    assert path == "/alerts" and post["title"] == "Porchlight: Person of concern seen at Porch camera"
    assert base64.b64decode(post["attachments"][0]["base64"]) == JPEG
    sent = incident_log.events(kind="alert.sent")
    assert [(e.detail["contact"], e.detail["channel"]) for e in sent] == [("neighbour", "mailto"),
                                                                         ("neighbour", "json")]
    deliveries.tick()
    assert len(smtp_server.messages) == 1 and len(webhook.posts) == 1  # sent once, not again


def test_failures_are_logged_and_retried_with_backoff(
        store: Store, incident_log: IncidentLog, webhook: Webhook) -> None:
    clock = FakeClock()
    config = _config({"friend": {"notify": [webhook.url()], "events": ["face.match"]}},
                     retry_min_seconds=10, retry_max_seconds=40)
    _raise(incident_log)
    webhook.stop()
    deliveries = Deliveries(incident_log, store.outbox, config, clock, incident_log.append)
    deliveries.tick()
    clock.advance(5)
    deliveries.tick()  # not due yet
    clock.advance(5)
    deliveries.tick()
    failed = incident_log.events(kind="alert.failed")
    assert [(e.detail["attempt"], e.detail["retry_in_seconds"]) for e in failed] == [(1, 10), (2, 20)]
    assert failed[0].detail["error"] == "the json channel did not accept the message"
    webhook.start()
    clock.advance(20)
    deliveries.tick()
    assert len(webhook.posts) == 1
    assert incident_log.events(kind="alert.sent")[0].detail["attempt"] == 3


def _ack_token(post: dict[str, Any]) -> str:
    match = re.search(r"/ack/(\S+)", post["message"])
    assert match is not None
    return match.group(1)


def test_escalation_acknowledgement_and_refused_links(
        store: Store, incident_log: IncidentLog, webhook: Webhook) -> None:
    clock = FakeClock()
    config = _config({"neighbour": {"tier": 1, "notify": [webhook.url("/neighbour")], "events": ["door.opened"]},
                      "brother": {"tier": 2, "notify": [webhook.url("/brother")], "events": ["door.opened"]}},
                     escalate_after_minutes=5)
    deliveries = Deliveries(incident_log, store.outbox, config, clock, incident_log.append)
    _raise(incident_log, kind="door.opened", source="back_door", evidence=False)
    deliveries.tick()
    assert [p for p, _ in webhook.posts] == ["/neighbour"]
    clock.advance(4 * 60)
    deliveries.tick()
    assert [p for p, _ in webhook.posts] == ["/neighbour"]
    clock.advance(61)
    deliveries.tick()
    assert [p for p, _ in webhook.posts] == ["/neighbour", "/brother"]
    [escalated] = incident_log.events(kind="alert.escalated")
    assert escalated.detail["reason"] == "nobody in tier 1 acknowledged within 5 min"

    # A second alert: the neighbour acknowledges, so the brother is never asked.
    clock.advance(10 * 60)
    _raise(incident_log, kind="door.opened", source="front_door", evidence=False)
    deliveries.tick()
    token = _ack_token(webhook.posts[-1][1])
    assert deliveries.acknowledge(token) == "Thank you, neighbour: you are on it. Nobody else will be asked."
    clock.advance(30 * 60)
    deliveries.tick()
    assert [p for p, _ in webhook.posts][-1] == "/neighbour"
    ack = incident_log.events(kind="alert.acknowledged")[-1]
    assert ack.source == "neighbour" and ack.at == clock.now() - timedelta(minutes=30)
    with pytest.raises(InputRejected, match=r"^this alert was already acknowledged by neighbour at "):
        deliveries.acknowledge(token)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(InputRejected, match=r"^this acknowledgement link is not valid$"):
        deliveries.acknowledge(forged)
    with pytest.raises(InputRejected, match=r"^this acknowledgement link is not valid$"):
        deliveries.acknowledge("garbage")


def test_panic_goes_to_every_tier_at_once(
        store: Store, incident_log: IncidentLog, webhook: Webhook) -> None:
    config = _config({"a": {"tier": 1, "notify": [webhook.url("/a")], "events": ["panic"]},
                      "b": {"tier": 2, "notify": [webhook.url("/b")], "events": ["panic"]},
                      "c": {"tier": 3, "notify": [webhook.url("/c")], "events": ["face.match"]}})
    _raise(incident_log, kind="panic", source="panic_button", evidence=False)
    Deliveries(incident_log, store.outbox, config, FakeClock(), incident_log.append).tick()
    assert sorted(p for p, _ in webhook.posts) == ["/a", "/b"]


def test_cooldown_keeps_one_loitering_car_from_flooding(
        store: Store, incident_log: IncidentLog, webhook: Webhook) -> None:
    clock = FakeClock()
    config = _config({"a": {"notify": [webhook.url()], "events": ["vehicle.*"]}}, cooldown_seconds=300)
    deliveries = Deliveries(incident_log, store.outbox, config, clock, incident_log.append)
    for _ in range(5):
        _raise(incident_log, kind="vehicle.loitering", source="street", evidence=False)
        deliveries.tick()
        clock.advance(30)
    assert len(webhook.posts) == 1
    assert len(incident_log.events(kind="alert.suppressed")) == 4


def test_discreet_mode_says_nothing_alarming() -> None:
    message = compose(reason="Person of concern seen at Porch camera", kind="face.match", priority="critical",
                      source_label="Porch camera", at=FakeClock().now(), detail={"distance": 0.4},
                      dashboard_url="https://h", seq=5, ack_url=None, discreet=True)
    assert message.title == "Home update (urgent)"
    assert "concern" not in message.body.lower() and "porch" not in message.body.lower()


def test_a_sighting_names_the_protective_order_it_may_violate() -> None:
    from hub.alerts.messages import order_words

    now = FakeClock().now()
    order = order_words({"court": "County Court", "number": "PO-123", "terms": "no contact",
                         "distance": "100 yards", "expires": "2999-01-01"}, now)
    assert order == "County Court PO-123 (no contact; 100 yards)"
    words = dict(reason="Person of concern seen at Porch camera", priority="critical", source_label="Porch camera",
                 at=now, detail={}, dashboard_url="https://h", seq=5, ack_url=None, order=order)
    assert "may violate the protective order: County Court PO-123" in compose(kind="face.match", discreet=False,
                                                                              **words).body  # type: ignore[arg-type]
    assert "PO-123" not in compose(kind="face.match", discreet=True, **words).body  # type: ignore[arg-type]
    assert "PO-123" not in compose(kind="door.opened", discreet=False, **words).body  # type: ignore[arg-type]
    assert order_words({"number": "PO-1", "expires": "2001-01-01"}, now) is None  # expired orders are not cited


@pytest.mark.parametrize("kind,patterns,expected", [
    ("face.match", ["face.match"], True), ("vehicle.loitering", ["vehicle.*"], True),
    ("door.opened", ["panic"], False), ("door.opened", ["alarm.triggered"], True),
    # Her dashboard's access alerts reach only those who ask for them by name, never the neighbours.
    ("access.new_device", ["alarm.triggered"], False), ("access.settings_changed", ["*"], False),
    ("access.new_device", ["access.*"], True), ("access.new_device", ["access.new_device"], True)])
def test_contact_event_filters(kind: str, patterns: list[str], expected: bool) -> None:
    assert kind_matches(kind, patterns) is expected


def test_quiet_hours_hold_non_urgent_alerts(incident_log: IncidentLog) -> None:
    clock = FakeClock()
    late = clock.now().astimezone().replace(hour=23, minute=30)
    assert in_quiet_hours("22:00-07:00", late) is not None
    assert in_quiet_hours("22:00-07:00", late.replace(hour=12)) is None
    assert in_quiet_hours(None, late) is None


def test_contacts_config_from_the_issue_is_valid() -> None:
    config = parse_config({"contacts": {"neighbour": {
        "tier": 1, "notify": ["mailto://user:pass@example.org", "json://127.0.0.1:8099/alerts"],
        "events": ["panic", "duress", "face.match", "vehicle.match", "door.opened"]}}})
    assert config.contacts["neighbour"].tier == 1


def test_hub_delivers_a_panic_end_to_end(data_dir: Path, webhook: Webhook, mock_factory: Any) -> None:
    from hub.app import Hub

    config = parse_config({"data_dir": str(data_dir), "gpio": {"pin_factory": "mock"}, "mqtt": {"enabled": False},
                           "sensors": {"panic_button": {"kind": "panic", "gpio": {"pin": 27, "normally": "open"}}},
                           "contacts": {"a": {"notify": [webhook.url()], "events": ["panic"]}}})
    hub = Hub(config, pin_factory=mock_factory)
    hub.start()
    try:
        mock_factory.pin(27).drive_low()
        wait_for(lambda: webhook.posts, 10, "the panic alert at the webhook")
        assert webhook.posts[0][1]["title"] == "Porchlight: Panic button pressed"
        wait_for(lambda: hub.log is not None and hub.log.events(kind="alert.sent"), 5, "alert.sent in the log")
    finally:
        hub.stop()


def test_receiver_outage_and_a_restart_lose_nothing_and_send_nothing_twice(
        data_dir: Path, webhook: Webhook, mock_factory: Any) -> None:
    from hub.app import Hub

    config = parse_config({"data_dir": str(data_dir), "gpio": {"pin_factory": "mock"}, "mqtt": {"enabled": False},
                           "contacts": {"a": {"notify": [webhook.url()], "events": ["panic"]}},
                           "alerts": {"retry_min_seconds": 1, "retry_max_seconds": 2}})
    webhook.stop()
    hub = Hub(config, pin_factory=mock_factory)
    hub.start()
    for number in range(3):
        hub.submit(Event("panic", f"button_{number}", Severity.CRITICAL))
    wait_for(lambda: hub.log is not None and len(hub.log.events(kind="alert.failed")) >= 3, 15, "failed attempts")
    hub.stop()  # the daemon restarts while the receiver is still down
    hub = Hub(config, pin_factory=mock_factory)
    hub.start()
    try:
        # The restarted hub keeps retrying while the receiver is still down (a failure after the restart).
        failed_before = len(hub.log.events(kind="alert.failed")) if hub.log is not None else 0
        wait_for(lambda: hub.log is not None and len(hub.log.events(kind="alert.failed")) > failed_before, 15,
                 "a retry after the restart")
        assert webhook.posts == []
        webhook.start()
        wait_for(lambda: hub.log is not None and len(hub.log.events(kind="alert.sent")) >= 3, 20,
                 "all three alerts after the outage")
        assert hub.deliveries is not None
        hub.deliveries.tick()  # one more pass of the worker: nothing is left to send, so nothing goes twice
        bodies = sorted(post["message"].split("See it: ")[1].split()[0] for _, post in webhook.posts)
        assert len(bodies) == 3 and len(set(bodies)) == 3
    finally:
        hub.stop()


def test_ack_link_through_the_cli(tmp_path: Path, webhook: Webhook) -> None:
    from tests.conftest import run_cli, write_config

    config = write_config(tmp_path / "porchlight.yaml", {
        "data_dir": str(tmp_path / "data"), "alerts": {"dashboard_url": "https://hub.test:8443"},
        "contacts": {"ann": {"name": "Ann", "notify": [webhook.url()], "events": ["panic"]}}})
    store = Store(tmp_path / "data")
    log = store.log
    _raise(log, kind="panic", source="panic_button", evidence=False)
    Deliveries(log, store.outbox, parse_config({"data_dir": str(tmp_path / "data"),
                                  "alerts": {"dashboard_url": "https://hub.test:8443"},
                                  "contacts": {"ann": {"name": "Ann", "notify": [webhook.url()],
                                                       "events": ["panic"]}}}), FakeClock(), log.append).tick()
    store.close()
    link = re.search(r"(https://hub.test:8443/ack/\S+)", webhook.posts[0][1]["message"])
    assert link is not None
    first = run_cli("alert", "ack", link.group(1), "--config", str(config))
    assert first.stdout == "Thank you, Ann: you are on it. Nobody else will be asked.\n"
    again = run_cli("alert", "ack", link.group(1), "--config", str(config))
    assert again.returncode == 1 and again.stdout.startswith("not acknowledged: this alert was already acknowledged by ann")


def test_a_sealed_hub_sends_the_snapshot_it_just_took_and_never_ciphertext(
        tmp_path: Path, smtp_server: SmtpServer) -> None:
    from hub.sealing import SealingKeys
    from hub.store import Store as HubStore

    data = tmp_path / "sealed"
    SealingKeys.create(data / "keys", "a long passphrase")
    config = _config({"neighbour": {"tier": 1, "notify": [smtp_server.url()], "events": ["face.match"]}})
    with HubStore(data) as sealed:
        _raise(sealed.log)
        Deliveries(sealed.log, sealed.outbox, config, FakeClock(), sealed.log.append).tick()
        [image] = [p for p in email.message_from_bytes(smtp_server.messages[0]).walk()
                   if p.get_content_type() == "image/jpeg"]
        assert image.get_payload(decode=True) == JPEG  # from memory: the card holds only its sealed copy
    with HubStore(data) as restarted:  # after a power cut nothing is in memory, and nobody has unlocked
        _raise(restarted.log, source="gate")
        Deliveries(restarted.log, restarted.outbox, config, FakeClock(), restarted.log.append).tick()
        later = email.message_from_bytes(smtp_server.messages[1])
        types = [p.get_content_type() for p in later.walk()]
        assert "image/jpeg" not in types and "application/octet-stream" not in types
        text = next(p for p in later.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
        assert b"kept sealed on the hub" in text


def test_an_email_contact_goes_out_through_the_hubs_mail_account(
        store: Store, incident_log: IncidentLog, smtp_server: SmtpServer) -> None:
    from hub.mail_account import MailAccount, MailAccountStore

    contacts = {"ann": {"name": "Ann", "notify": ["email:ann@example.org"], "events": ["face.match"]}}
    config = parse_config({"data_dir": str(incident_log.data_dir), "contacts": contacts})
    _raise(incident_log)
    deliveries = Deliveries(incident_log, store.outbox, config, FakeClock(), incident_log.append)
    deliveries.tick()
    [failed] = incident_log.events(kind="alert.failed")  # no account yet: said so, and retried
    assert "no outgoing mail account is set" in failed.detail["error"]
    MailAccountStore(incident_log.data_dir).save(MailAccount(host="127.0.0.1", port=smtp_server.port,
                                                             security="insecure", from_address="hub@example.org"))
    clock = FakeClock()
    clock.advance(600)
    Deliveries(incident_log, store.outbox, config, clock, incident_log.append).tick()
    [raw] = smtp_server.messages
    mail = email.message_from_bytes(raw)
    assert mail["To"] == "ann@example.org" and "hub@example.org" in mail["From"]


def test_impossible_quiet_hours_are_refused_and_never_stop_deliveries() -> None:
    from hub.config import ContactConfig
    from hub.errors import ConfigError
    from pydantic import ValidationError

    for bad in ("25:99-07:00", "24:00-07:00", "22:00-7:00"):
        with pytest.raises(ValidationError):
            ContactConfig(notify=["json://127.0.0.1:9/x"], quiet_hours=bad)
    with pytest.raises(ConfigError):
        parse_config({"alerts": {"digest_time": "24:30"}})
    from datetime import datetime, timezone
    assert in_quiet_hours("25:99-07:00", datetime.now(timezone.utc)) is None  # slipped in anyway: no crash
