"""What each kind of sensor is, written once: the events it raises, how it alarms, how it is announced.

Every table that lists sensor kinds (the config's choices, the payload parser, the alarm rules,
Home Assistant discovery, the event registry in ``hub.kinds``) is derived from ``SENSOR_KINDS``.
A new kind of sensor is one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hub.events import Severity

ALL_MODES = ("disarmed", "home", "night", "away")
ZigbeeMeaning = Literal["true_is_active", "true_is_inactive", "action"]


@dataclass(frozen=True)
class SensorKind:
    """One kind of sensor and everything the hub derives from it."""

    name: str
    triggered: str  # the event kind when it becomes active
    triggered_words: str  # what an alarm about it says; {label} is the sensor's label
    restored: str | None  # the event kind when it goes back to rest (None: it never rests, e.g. a button)
    restored_words: str | None
    severity: Severity  # of the triggered event
    device_class: str  # Home Assistant's binary_sensor device class
    zigbee_field: str  # the Zigbee2MQTT field that says it was triggered
    zigbee_meaning: ZigbeeMeaning
    alert_modes: tuple[str, ...]  # the arm modes in which it alarms, unless the config says otherwise
    entry_delay: bool = False  # whether it starts the entry delay instead of alarming at once
    every_report_counts: bool = False  # a button: each press is an event, even if "still pressed"
    always_alerts: Severity | None = None  # alarms whatever the arm mode, at this priority
    category: str | None = None  # the incident category of its triggered event, if that is an incident


SENSOR_KINDS: dict[str, SensorKind] = {kind.name: kind for kind in (
    SensorKind("door", "door.opened", "{label} opened", "door.closed", "{label} closed", Severity.NOTICE,
               device_class="door", zigbee_field="contact", zigbee_meaning="true_is_inactive",
               alert_modes=("home", "night", "away"), entry_delay=True),
    SensorKind("window", "window.opened", "{label} opened", "window.closed", "{label} closed", Severity.NOTICE,
               device_class="window", zigbee_field="contact", zigbee_meaning="true_is_inactive",
               alert_modes=("home", "night", "away")),
    SensorKind("motion", "motion.detected", "Motion at {label}", "motion.cleared", "Motion at {label} ended",
               Severity.NOTICE, device_class="motion", zigbee_field="occupancy", zigbee_meaning="true_is_active",
               alert_modes=("away",)),
    SensorKind("tamper", "tamper.opened", "{label}: enclosure opened", "tamper.closed",
               "{label}: enclosure closed", Severity.WARNING, device_class="tamper", zigbee_field="tamper",
               zigbee_meaning="true_is_active", alert_modes=ALL_MODES),
    SensorKind("leak", "leak.detected", "Water at {label}", "leak.cleared", "{label} is dry again",
               Severity.WARNING, device_class="moisture", zigbee_field="water_leak", zigbee_meaning="true_is_active",
               alert_modes=ALL_MODES),
    SensorKind("panic", "panic", "Panic button pressed", None, None, Severity.CRITICAL, device_class="safety",
               zigbee_field="action", zigbee_meaning="action", alert_modes=ALL_MODES, every_report_counts=True,
               always_alerts=Severity.CRITICAL, category="intimidation"),
)}
SENSOR_KIND_NAMES: tuple[str, ...] = tuple(SENSOR_KINDS)
# Events that mean "this sensor was triggered" and alarm only in the modes the sensor alarms in.
TRIGGERED_KINDS: frozenset[str] = frozenset(k.triggered for k in SENSOR_KINDS.values() if k.always_alerts is None)


def sensor_kind(name: str) -> SensorKind:
    """The registry entry for a sensor kind; a ValueError names the kinds there are."""
    try:
        return SENSOR_KINDS[name]
    except KeyError:
        choices = ", ".join(repr(k) for k in SENSOR_KIND_NAMES[:-1]) + f" or {SENSOR_KIND_NAMES[-1]!r}"
        raise ValueError(f"must be one of {choices}") from None


def event_kind(name: str, active: bool) -> str | None:
    """The event kind for a sensor of kind ``name`` becoming active (True) or inactive (False)."""
    kind = SENSOR_KINDS[name]
    return kind.triggered if active else kind.restored
