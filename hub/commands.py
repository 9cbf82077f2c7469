"""Commands from people (keypad, CLI, dashboard): arm, disarm with a PIN, panic, check in.

The duress PIN works exactly like the normal one for anyone watching: the same response, byte
for byte, the same arm mode. Only the log and her contacts learn that it was the duress PIN.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from hub.arming import MODES
from hub.config import ArmingConfig, resolve_secret
from hub.errors import InputRejected
from hub.events import Event, Severity
from hub import kinds

PinResult = Literal["normal", "duress", "wrong"]


class PinCheck:
    """Compares PINs in constant time; holds no PIN in any log or message."""

    def __init__(self, arming: ArmingConfig) -> None:
        self._pin = resolve_secret(arming.pin)
        self._duress = resolve_secret(arming.duress_pin)

    @property
    def required(self) -> bool:
        """Whether disarming needs a PIN at all (it does once one is configured)."""
        return self._pin is not None

    def check(self, pin: str | None) -> PinResult:
        """Which PIN this is."""
        given = (pin or "").encode()
        if self._duress is not None and hmac.compare_digest(given, self._duress.encode()):
            return "duress"
        if self._pin is None or hmac.compare_digest(given, self._pin.encode()):
            return "normal"
        return "wrong"


@dataclass(frozen=True)
class Outcome:
    """What to answer the person (the same for normal and duress) and what to record."""

    response: dict[str, object]
    events: list[Event]


def arm_request(pins: PinCheck, mode: str, pin: str | None, source: str, at: datetime) -> Outcome:
    """Arming needs no PIN; disarming needs it. A duress PIN disarms and silently raises an alarm."""
    if mode not in MODES:
        raise InputRejected(f"mode {mode!r} is not one of {', '.join(MODES)}")
    if mode != "disarmed":
        return Outcome({"ok": True, "mode": mode}, [Event(kinds.ARM_SET, source, Severity.NOTICE, {"mode": mode}, at=at)])
    result = pins.check(pin)
    if result == "wrong":
        return Outcome({"ok": False, "error": "wrong PIN"},
                       [Event(kinds.ARM_PIN_REJECTED, source, Severity.WARNING, {"mode": mode}, at=at)])
    events = [Event(kinds.ARM_SET, source, Severity.NOTICE, {"mode": mode}, at=at)]
    if result == "duress":
        events.append(Event(kinds.DURESS, source, Severity.CRITICAL, {"via": "disarm"}, at=at))
    return Outcome({"ok": True, "mode": mode}, events)


def checkin_request(pins: PinCheck, pin: str | None, source: str, at: datetime) -> Outcome:
    """She is safe: stop the timer. A duress PIN looks the same, and escalates."""
    result = pins.check(pin)
    if result == "wrong":
        return Outcome({"ok": False, "error": "wrong PIN"},
                       [Event(kinds.CHECKIN_PIN_REJECTED, source, Severity.WARNING, at=at)])
    events = [Event(kinds.CHECKIN_DONE, source, Severity.NOTICE, at=at)]
    if result == "duress":
        events.append(Event(kinds.DURESS, source, Severity.CRITICAL, {"via": "check-in"}, at=at))
    return Outcome({"ok": True, "checked_in": True}, events)


def response_bytes(outcome: Outcome, request_id: object) -> bytes:
    """The exact bytes sent back (sorted keys, so duress and normal cannot differ by ordering)."""
    return json.dumps({**outcome.response, "id": request_id}, sort_keys=True).encode()
