"""What each kind of event is, written once: its severity, whether it always alerts, its category, its words.

Every table that lists event kinds (the alarm rules, the incident timeline, alert messages, the
contacts' choices, the dashboard's words) is derived from this registry; the kinds that sensors
raise come from ``hub.sensor_kinds``. Code names a kind by its constant here (``kinds.FACE_MATCH``),
never by a string of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from hub.events import JsonValue, Severity
from hub.sensor_kinds import SENSOR_KINDS

CATEGORIES: tuple[str, ...] = ("surveillance", "life_invasion", "intimidation", "interference", "other")


@dataclass(frozen=True)
class EventKind:
    """One kind of event and what the hub does with it."""

    name: str
    words: str = ""  # a sentence for alerts and pages; {label} is the source's label, {source} its id
    short: str = ""  # a few words for lists on the dashboard
    severity: Severity = Severity.INFO  # what it is recorded with when its producer does not say
    alerts: Severity | None = None  # alerts whatever the arm mode, at this priority
    incident: bool = False  # shown on the timeline and exported as an incident
    category: str | None = None  # the incident category of what the hub saw by itself
    follow_up: bool = False  # a later row that adds to an incident (a narrative, a review)
    reviewable: bool = False  # a match she can confirm or reject
    sighting: bool = False  # a sighting a protective order is about (DOC-3)
    all_tiers: bool = False  # every tier of contacts is told at once, without waiting to escalate
    choice: bool = False  # offered by name when choosing what a contact is told about
    silent: bool = False  # its alarm is silent: no siren, no LED, no MQTT, hidden on her screens until resolved
    announced: bool = False  # published on MQTT (porchlight/event): what any LAN device may know

    def sentence(self, label: str, source: str, detail: Mapping[str, JsonValue]) -> str:
        """The plain sentence for one event of this kind."""
        if not self.words:
            return f"{self.name} from {label}"
        return self.words.format(label=label, source=source, what=detail.get("what", "settings"))


_KINDS: dict[str, EventKind] = {}


def _define(kind: EventKind) -> str:
    _KINDS[kind.name] = kind
    return kind.name


for _sensor in SENSOR_KINDS.values():
    _define(EventKind(_sensor.triggered, _sensor.triggered_words, severity=_sensor.severity,
                      alerts=_sensor.always_alerts, incident=_sensor.category is not None,
                      category=_sensor.category, all_tiers=_sensor.always_alerts is Severity.CRITICAL,
                      choice=_sensor.always_alerts is not None))
    if _sensor.restored is not None:
        _define(EventKind(_sensor.restored, _sensor.restored_words or ""))

PANIC = SENSOR_KINDS["panic"].triggered
DOOR_OPENED = SENSOR_KINDS["door"].triggered

# --- the alarm and arming ------------------------------------------------------------------------
ALARM_TRIGGERED = _define(EventKind("alarm.triggered", "Alarm", severity=Severity.CRITICAL, incident=True,
                                    category="life_invasion", choice=True))
ARM_SET = _define(EventKind("arm.set", "Arm mode changed", severity=Severity.NOTICE))
ARM_ENTRY_DELAY = _define(EventKind("arm.entry_delay", "Entry delay started", severity=Severity.WARNING))
ARM_PIN_REJECTED = _define(EventKind("arm.pin_rejected", "Wrong PIN", severity=Severity.WARNING))
PIN_GUESSING = _define(EventKind("arm.pin_guessing", "Someone is guessing the PIN at {label}", severity=Severity.CRITICAL,
                                 alerts=Severity.CRITICAL, incident=True, category="life_invasion", choice=True))
DURESS = _define(EventKind("duress", "Duress code used", severity=Severity.CRITICAL, alerts=Severity.CRITICAL, silent=True,
                           incident=True, category="intimidation", all_tiers=True, choice=True))

# --- sensors, cameras, satellites ----------------------------------------------------------------
SENSOR_TAMPER = _define(EventKind("sensor.tamper", "{label}: tamper switch opened (cover removed)",
                                  severity=Severity.WARNING, alerts=Severity.WARNING, incident=True,
                                  category="interference", choice=True))
SENSOR_TAMPER_CLEARED = _define(EventKind("sensor.tamper_cleared", "{label}: tamper switch closed"))
SENSOR_OFFLINE = _define(EventKind("sensor.offline", "{label} stopped reporting", severity=Severity.WARNING,
                                   alerts=Severity.WARNING, choice=True))
SENSOR_ONLINE = _define(EventKind("sensor.online", "{label} reports again"))
# A state report its own device would not have sent: the fields it always sends are missing. The report
# counts (the arming check then names the sensor); she learns someone may be forging it.
SENSOR_SUSPECT = _define(EventKind("sensor.suspect",
                                   "{label}: a report unlike its own (someone may be sending in its name)",
                                   severity=Severity.WARNING, alerts=Severity.WARNING, incident=True,
                                   category="interference", choice=True))
SENSOR_BATTERY_LOW = _define(EventKind("sensor.battery_low", "{label}: battery low", severity=Severity.NOTICE,
                                       alerts=Severity.NOTICE))
CAMERA_TAMPER = _define(EventKind("camera.tamper", "{label}: {what}", severity=Severity.CRITICAL,
                                  alerts=Severity.WARNING, incident=True, category="interference", choice=True))
CAMERA_TAMPER_CLEARED = _define(EventKind("camera.tamper_cleared", "{label}: {what}"))
CAMERA_OFFLINE = _define(EventKind("camera.offline", "{label} stopped sending pictures", severity=Severity.WARNING,
                                   alerts=Severity.WARNING))
CAMERA_ONLINE = _define(EventKind("camera.online", "{label} sends pictures again"))
CAMERA_CLIP = _define(EventKind("camera.clip", "Clip recorded by {label}", severity=Severity.NOTICE))
SATELLITE_OFFLINE = _define(EventKind("satellite.offline", "Satellite {source} stopped reporting",
                                      severity=Severity.WARNING, alerts=Severity.WARNING))
SATELLITE_ONLINE = _define(EventKind("satellite.online", "Satellite {source} reports again"))

# --- recognition -----------------------------------------------------------------------------
FACE_MATCH = _define(EventKind("face.match", "Person of concern seen at {label}", severity=Severity.CRITICAL,
                               alerts=Severity.CRITICAL, incident=True, category="surveillance", reviewable=True,
                               sighting=True, choice=True))
FACE_CONFIRMED = _define(EventKind("face.confirmed", "Face match confirmed", follow_up=True))
FACE_REJECTED = _define(EventKind("face.rejected", "Face match rejected", follow_up=True))
PERSON_ENROLLED = _define(EventKind("person.enrolled", "Person enrolled", severity=Severity.NOTICE))
PERSON_REMOVED = _define(EventKind("person.removed", "Enrolled person removed", severity=Severity.NOTICE))
VEHICLE_MATCH = _define(EventKind("vehicle.match", "Vehicle of concern seen by {label}", severity=Severity.CRITICAL,
                                  alerts=Severity.WARNING, incident=True, category="surveillance", reviewable=True,
                                  sighting=True, choice=True))
VEHICLE_LOITERING = _define(EventKind("vehicle.loitering", "Vehicle of concern waiting near {label}",
                                      severity=Severity.CRITICAL, alerts=Severity.CRITICAL, incident=True,
                                      category="surveillance", sighting=True, choice=True))
# Appearance alone (colour, shape) with the plate unread: for her review, never counted or alerted as his car.
VEHICLE_POSSIBLE = _define(EventKind("vehicle.possible", "A vehicle like the one of concern seen by {label} "
                                     "(plate not read): for your review", short="possible vehicle",
                                     severity=Severity.NOTICE, incident=True, category="surveillance",
                                     reviewable=True))
VEHICLE_CONFIRMED = _define(EventKind("vehicle.confirmed", "Vehicle match confirmed", follow_up=True))
VEHICLE_REJECTED = _define(EventKind("vehicle.rejected", "Vehicle match rejected", follow_up=True))
VEHICLE_ENROLLED = _define(EventKind("vehicle.enrolled", "Vehicle enrolled", severity=Severity.NOTICE))
VEHICLE_REMOVED = _define(EventKind("vehicle.removed", "Enrolled vehicle removed", severity=Severity.NOTICE))

# --- check-ins -------------------------------------------------------------------------------
CHECKIN_MISSED = _define(EventKind("checkin.missed", "A check-in was missed", severity=Severity.CRITICAL,
                                   alerts=Severity.CRITICAL, incident=True, category="other", choice=True))
CHECKIN_START = _define(EventKind("checkin.start", "Check-in timer started", severity=Severity.NOTICE))
CHECKIN_DONE = _define(EventKind("checkin.done", "Checked in", severity=Severity.NOTICE))
CHECKIN_DAILY = _define(EventKind("checkin.daily", "Daily check-in set", severity=Severity.NOTICE))
CHECKIN_DAILY_OFF = _define(EventKind("checkin.daily_off", "Daily check-in stopped", severity=Severity.NOTICE))
CHECKIN_PIN_REJECTED = _define(EventKind("checkin.pin_rejected", "Wrong PIN at check-in", severity=Severity.WARNING))

# --- her own entries and the log itself ------------------------------------------------------
INCIDENT_REPORT = _define(EventKind("incident.report", "Incident report", severity=Severity.NOTICE, incident=True))
ORDER_RECORDED = _define(EventKind("order.recorded", "Protective order recorded", severity=Severity.NOTICE))
# Her description of the person of concern, for the neighbour sheet (her words: sealed on a sealed hub).
PERSON_DESCRIBED = _define(EventKind("person.described", "Description of the person of concern",
                                     severity=Severity.NOTICE))
LOG_CORRECTION = _define(EventKind("log.correction", "Correction", severity=Severity.NOTICE, follow_up=True))
LOG_SEALED = _define(EventKind("log.sealed", "The log was sealed: rows and files from here on need her passphrase",
                               severity=Severity.NOTICE))
SEALING_KEY_CHANGED = _define(EventKind("log.sealing_key_changed", "The sealing key file on the card was changed",
                                        severity=Severity.CRITICAL, alerts=Severity.WARNING, incident=True,
                                        category="interference"))
LOG_VERIFIED = _define(EventKind("log.verified", "Incident log verified"))
LOG_CHAIN_BROKEN = _define(EventKind("log.chain_broken", "The incident log failed verification",
                                     severity=Severity.CRITICAL, alerts=Severity.CRITICAL))
LOG_CHECKPOINT = _define(EventKind("log.checkpoint", "Checkpoint signed"))
LOG_TIMESTAMP = _define(EventKind("log.timestamp", "Checkpoint timestamped by an independent authority"))
EVIDENCE_TOMBSTONE = _define(EventKind("evidence.tombstone", "Evidence file removed"))
# A file a browser cannot show (an iPhone's HEIC, an AMR voicemail) gets a viewable copy in a row of its own,
# naming its parent and how it was made; the original stays the evidence.
EVIDENCE_COPY = _define(EventKind("evidence.copy", "Viewable copy of an evidence file"))
INPUT_REJECTED = _define(EventKind("input.rejected", "Input refused", severity=Severity.WARNING))
INPUT_FLOOD = _define(EventKind("input.flood", "Many inputs refused", severity=Severity.WARNING))
# An event the log could not take (a value JSON cannot hold, an impossible time): set aside, never retried.
LOG_EVENT_REFUSED = _define(EventKind("log.event_refused", "An event could not be recorded",
                                      severity=Severity.WARNING))

# --- the hub ---------------------------------------------------------------------------------
HUB_STARTED = _define(EventKind("hub.started", "The hub started"))
# The broker is where every Zigbee sensor and keypad speaks: losing it for a minute (cut, or the hub's
# session taken over by someone who knows its client id) is an alarm, not a line in the journal.
BROKER_LOST = _define(EventKind("hub.broker_lost", "The hub lost its MQTT broker", severity=Severity.WARNING,
                                alerts=Severity.WARNING, incident=True, category="interference", choice=True))
BROKER_BACK = _define(EventKind("hub.broker_back", "The hub reaches its MQTT broker again"))
HUB_STOPPED = _define(EventKind("hub.stopped", "The hub stopped"))
HUB_RESTART_REQUESTED = _define(EventKind("hub.restart_requested", "The hub was asked to restart",
                                          severity=Severity.NOTICE))
BACKUP_REQUESTED = _define(EventKind("backup.requested", "A backup was asked for", severity=Severity.NOTICE))
HUB_POWER_RESTORED = _define(EventKind("hub.power_restored", "The hub restarted after losing power or crashing",
                                       severity=Severity.WARNING, alerts=Severity.WARNING))
HUB_HEARTBEAT = _define(EventKind("hub.heartbeat", "Outside monitor reached"))
CLOCK_JUMP = _define(EventKind("clock.jump", "The clock jumped", severity=Severity.WARNING))
BACKUP_CREATED = _define(EventKind("backup.created", "Backup made"))
BACKUP_FAILED = _define(EventKind("backup.failed", "Backup failed", severity=Severity.WARNING))
BACKUP_RESTORED = _define(EventKind("backup.restored", "Backup restored", severity=Severity.NOTICE))

# --- alerts ----------------------------------------------------------------------------------
ALERT_SENT = _define(EventKind("alert.sent", "Alert delivered"))
# What she did on her own dashboard (a login from a new device, a settings change) is told to whoever asked,
# but it is not an alarm about the home: it never appears among the incidents, in the charts or an export.
ALERT_RAISED = _define(EventKind("alert.raised", "Notice for contacts", severity=Severity.NOTICE))
ALERT_FAILED = _define(EventKind("alert.failed", "Alert not delivered", severity=Severity.WARNING))
ALERT_SUPPRESSED = _define(EventKind("alert.suppressed", "Alert held back (cooldown)"))
ALERT_NO_CONTACTS = _define(EventKind("alert.no_contacts", "Nobody to alert", severity=Severity.WARNING))
ALERT_ESCALATED = _define(EventKind("alert.escalated", "Alert escalated", severity=Severity.WARNING))
ALERT_ACKNOWLEDGED = _define(EventKind("alert.acknowledged", "Alert acknowledged", severity=Severity.NOTICE))
# A command only (from the dashboard or a link): the alerts worker answers it, and logs ALERT_ACKNOWLEDGED.
ALERT_ACK_REQUESTED = _define(EventKind("alert.ack_requested", "Acknowledgement asked for", severity=Severity.NOTICE))
ALERT_TEST = _define(EventKind("alert.test", "Test message", severity=Severity.NOTICE))
# The day's summary for the contacts who asked for one; the alerts worker delivers it like an alert.
DIGEST_PREPARED = _define(EventKind("digest.prepared", "Daily summary prepared"))
DIGEST_SENT = _define(EventKind("digest.sent", "Daily summary delivered"))
DIGEST_FAILED = _define(EventKind("digest.failed", "Daily summary not delivered", severity=Severity.WARNING))
CHECKPOINT_SENT = _define(EventKind("checkpoint.sent", "Checkpoint delivered"))
CHECKPOINT_FAILED = _define(EventKind("checkpoint.failed", "Checkpoint not delivered", severity=Severity.WARNING))

# --- the dashboard: who did what (told only to contacts who ask for access.* by name) ---------
ACCESS_FAMILY = "access"
ACCESS_LOGIN = _define(EventKind("access.login", short="login", severity=Severity.NOTICE))
ACCESS_LOGIN_FAILED = _define(EventKind("access.login_failed", short="FAILED login", severity=Severity.NOTICE))
ACCESS_NEW_DEVICE = _define(EventKind("access.new_device", "Someone logged in to the hub from a new device",
                                      "login from a NEW device", Severity.NOTICE, alerts=Severity.WARNING))
ACCESS_EVIDENCE_VIEWED = _define(EventKind("access.evidence_viewed", short="evidence viewed", severity=Severity.NOTICE))
ACCESS_EXPORT = _define(EventKind("access.export", short="export made", severity=Severity.NOTICE))
ACCESS_SETTINGS_CHANGED = _define(EventKind("access.settings_changed", "Hub settings changed: {what}",
                                            "settings changed", Severity.NOTICE, alerts=Severity.NOTICE))
ACCESS_RECOVERY_CODE_USED = _define(EventKind("access.recovery_code_used",
                                              "The hub's password was reset with a recovery code",
                                              "recovery code used", Severity.NOTICE, alerts=Severity.WARNING))
ACCESS_SESSION_ENDED = _define(EventKind("access.session_ended", short="session ended", severity=Severity.NOTICE))
ACCESS_LIVE_VIEWED = _define(EventKind("access.live_viewed", short="live cameras viewed", severity=Severity.NOTICE))
ACCESS_UNLOCKED = _define(EventKind("access.unlocked", short="sealed records opened", severity=Severity.NOTICE))
ACCESS_UNLOCK_FAILED = _define(EventKind("access.unlock_failed", short="WRONG passphrase", severity=Severity.NOTICE,
                                         alerts=Severity.NOTICE))

KINDS: Mapping[str, EventKind] = _KINDS
ALWAYS_ALERT: Mapping[str, Severity] = {k.name: k.alerts for k in _KINDS.values() if k.alerts is not None}
INCIDENT_KINDS: tuple[str, ...] = tuple(k.name for k in _KINDS.values() if k.incident)
FOLLOW_UP_KINDS: tuple[str, ...] = tuple(k.name for k in _KINDS.values() if k.follow_up)
REVIEWABLE_KINDS: tuple[str, ...] = tuple(k.name for k in _KINDS.values() if k.reviewable)
SIGHTING_KINDS: tuple[str, ...] = tuple(k.name for k in _KINDS.values() if k.sighting)
ALL_TIERS_AT_ONCE: frozenset[str] = frozenset(k.name for k in _KINDS.values() if k.all_tiers)
ACCESS_KINDS: tuple[str, ...] = tuple(k.name for k in _KINDS.values() if k.name.startswith(ACCESS_FAMILY + "."))
# What a contact can ask to be told about, by name; "access.*" is every dashboard access at once.
# What a camera sees by itself (never her reviews or enrolments): all a satellite's camera may report.
CAMERA_SEEN_KINDS: tuple[str, ...] = (CAMERA_TAMPER, CAMERA_TAMPER_CLEARED, CAMERA_OFFLINE, CAMERA_ONLINE, CAMERA_CLIP,
                                      FACE_MATCH, VEHICLE_MATCH, VEHICLE_LOITERING, VEHICLE_POSSIBLE)
# What a sensor reports besides its own two kinds.
SENSOR_HEALTH_KINDS: tuple[str, ...] = (SENSOR_TAMPER, SENSOR_TAMPER_CLEARED, SENSOR_BATTERY_LOW, SENSOR_OFFLINE,
                                        SENSOR_ONLINE, SENSOR_SUSPECT)
SILENT_KINDS: frozenset[str] = frozenset(k.name for k in _KINDS.values() if k.silent)
# What she writes herself: in a sealed data directory every detail of these rows is sealed (hub/sealed_rows.py).
HER_WORDS_KINDS: frozenset[str] = frozenset({INCIDENT_REPORT, ORDER_RECORDED, PERSON_DESCRIBED, LOG_CORRECTION, FACE_CONFIRMED,
                                             FACE_REJECTED, VEHICLE_CONFIRMED, VEHICLE_REJECTED, PERSON_ENROLLED,
                                             VEHICLE_ENROLLED})
# She marks a duress situation over (from the dashboard's settings or the CLI): what it caused is shown again.
DURESS_RESOLVED = _define(EventKind("duress.resolved", "Duress situation marked over", severity=Severity.NOTICE))
# The kinds an alert's delivery rows carry; hidden with the alert when its cause is hidden.
ALERT_ROW_KINDS: tuple[str, ...] = (ALERT_SENT, ALERT_FAILED, ALERT_SUPPRESSED, ALERT_NO_CONTACTS, ALERT_ESCALATED,
                                    ALERT_ACKNOWLEDGED)
# What the hub publishes on MQTT: the home's state any LAN device may see, never who was told what,
# who logged in, or anything a duress disarm causes.
ANNOUNCED_KINDS: frozenset[str] = frozenset(
    {*(s.triggered for s in SENSOR_KINDS.values()), *(s.restored for s in SENSOR_KINDS.values() if s.restored),
     ARM_SET, ARM_ENTRY_DELAY, ALARM_TRIGGERED, *SENSOR_HEALTH_KINDS, CAMERA_TAMPER, CAMERA_TAMPER_CLEARED,
     CAMERA_OFFLINE, CAMERA_ONLINE, HUB_STARTED, HUB_STOPPED})
CONTACT_CHOICES: tuple[str, ...] = (*(k.name for k in _KINDS.values() if k.choice), f"{ACCESS_FAMILY}.*")
# Ticked for a new contact: what happens at the home. Her own logins and a sensor that stopped
# reporting (usually a flat battery) are for her to choose, not a neighbour's night.
CONTACT_DEFAULTS: tuple[str, ...] = tuple(c for c in CONTACT_CHOICES
                                          if c not in (f"{ACCESS_FAMILY}.*", SENSOR_OFFLINE))

# What each choice means, in the words she would use when deciding what someone is told about.
CHOICE_WORDS: dict[str, str] = {
    PANIC: "I press a panic button",
    ALARM_TRIGGERED: "someone opens a door or window, or moves inside, while the alarm is on",
    PIN_GUESSING: "someone keeps typing wrong PINs",
    DURESS: "I disarm with my duress PIN (a silent call for help)",
    SENSOR_TAMPER: "someone tampers with a sensor",
    SENSOR_OFFLINE: "a sensor stops reporting (often a flat battery)",
    SENSOR_SUSPECT: "a sensor's messages look faked",
    CAMERA_TAMPER: "a camera is covered, moved or blinded",
    FACE_MATCH: "a camera sees the person of concern",
    VEHICLE_MATCH: "the person of concern's vehicle is seen",
    VEHICLE_LOITERING: "the person of concern's vehicle waits nearby",
    CHECKIN_MISSED: "I miss a check-in",
    BROKER_LOST: "the hub loses touch with its sensors",
    f"{ACCESS_FAMILY}.*": "someone logs in to the hub or changes its settings (usually only for me)",
}
assert set(CHOICE_WORDS) == set(CONTACT_CHOICES), set(CONTACT_CHOICES) ^ set(CHOICE_WORDS)


def about(kind: str) -> EventKind:
    """The registry entry for a kind; a kind the registry does not know gets plain defaults."""
    return _KINDS.get(kind) or EventKind(kind)


def category_of(kind: str) -> str | None:
    """The incident category of what the hub saw by itself (None for her own entries, which carry hers)."""
    return about(kind).category
