"""Commands from people (keypad, CLI, dashboard): arm, disarm with a PIN, panic, check in.

The duress PIN works exactly like the normal one for anyone watching: the same response, byte
for byte, the same arm mode. Only the log and her contacts learn that it was the duress PIN.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal, Sequence

from hub.arming import MODES, StateTable
from hub.config import ArmingConfig, resolve_secret
from hub.errors import InputRejected
from hub.arming_check import NotReady
from hub.events import Event, JsonValue, Severity
from hub import kinds

PinResult = Literal["normal", "duress", "wrong", "locked", "unset"]
# The console (root on the Pi) may disarm without a PIN; a keypad, MQTT or the dashboard may not.
CONSOLE_SOURCES = frozenset({"cli", "console"})
_FREE_TRIES = 3  # wrong PINs in a row before each further try waits
_ALARM_AFTER = 3  # wrong PINs in a row that raise the guessing alarm (as the waiting starts)
_MAX_WAIT_SECONDS = 900.0


@dataclass(frozen=True)
class Guarded:
    """What the guard says of one try: the PIN's result, and how long the channel now waits."""

    result: PinResult
    wrong_in_a_row: int = 0
    wait_seconds: float = 0.0

    @property
    def guessing(self) -> bool:
        """This try made it ``_ALARM_AFTER`` wrong PINs in a row (and every further multiple)."""
        return self.result == "wrong" and self.wrong_in_a_row % _ALARM_AFTER == 0


class PinCheck:
    """Compares PINs in constant time; holds no PIN in any log or message.

    With a state table, wrong PINs are counted per channel (keypad, dashboard...): after three in a
    row each further try waits longer (5 s, 10 s, 20 s... up to 15 min), and the third in a row raises
    an alarm. The count lives in the hub's database, so a restart does not reset it.
    """

    def __init__(self, arming: ArmingConfig, state: StateTable | None = None) -> None:
        self._pin = resolve_secret(arming.pin)
        self._duress = resolve_secret(arming.duress_pin)
        self._state = state

    def _which(self, given: bytes) -> tuple[bool, bool, bool]:
        """(a PIN is set, this is the PIN, this is the duress PIN): PINs set on the dashboard win over the config's."""
        stored = pin_hashes(self._state)
        if stored is not None:
            pin_hash, duress_hash = stored
            # Both are checked every time, so a duress PIN takes exactly as long as a normal one.
            is_pin, is_duress = _verify(pin_hash, given), _verify(duress_hash, given)
            return pin_hash is not None, is_pin, is_duress
        is_duress = self._duress is not None and hmac.compare_digest(given, self._duress.encode())
        is_pin = self._pin is not None and hmac.compare_digest(given, self._pin.encode())
        return self._pin is not None, is_pin, is_duress

    @staticmethod
    def matches(hashed: str, pin: str) -> bool:
        """Whether ``pin`` is the one behind a stored hash."""
        return _verify(hashed, pin.encode())

    def check(self, pin: str | None, source: str = "cli", now: datetime | None = None) -> Guarded:
        """Which PIN this is, counted against ``source``'s channel."""
        at = now or datetime.now(timezone.utc)
        has_pin, is_pin, duress = self._which((pin or "").encode())
        fails, until = self._load(source)
        if until is not None and at < until:
            # Locked: nothing disarms, but a duress PIN still calls for help (and looks the same).
            return Guarded("duress" if duress else "locked", fails, (until - at).total_seconds())
        if duress:
            self._save(source, 0, None)
            return Guarded("duress")
        if not has_pin:
            if source in CONSOLE_SOURCES:
                return Guarded("normal")
            result: PinResult = "unset"
        elif is_pin:
            self._save(source, 0, None)
            return Guarded("normal")
        else:
            result = "wrong"
        fails += 1
        wait = min(5.0 * 2 ** (fails - _FREE_TRIES), _MAX_WAIT_SECONDS) if fails >= _FREE_TRIES else 0.0
        self._save(source, fails, at + timedelta(seconds=wait) if wait else None)
        return Guarded(result, fails, wait)

    def _load(self, source: str) -> tuple[int, datetime | None]:
        if self._state is None:
            return 0, None
        try:
            data = json.loads(self._state.get_state(f"pin-guard:{source}") or "{}")
            until = datetime.fromisoformat(data["until"]) if data.get("until") else None
            return int(data.get("fails", 0)), until
        except (ValueError, TypeError):
            return 0, None

    def _save(self, source: str, fails: int, until: datetime | None) -> None:
        if self._state is not None:
            self._state.set_state(f"pin-guard:{source}", json.dumps(
                {"fails": fails, "until": until.isoformat() if until else None}))


PINS_KEY = "pins"  # the PINs set on the dashboard, salted and hashed
# A 4-digit PIN has 10,000 values, so no hash stops a thief with the card from trying them all; the
# hash keeps the PIN from being read at a glance, and stays cheap because every keypad message (a
# flood too) checks both PINs. The lockout is what protects a PIN.
_ROUNDS = 2000


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """A PIN as the state table keeps it."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, _ROUNDS)
    return f"pbkdf2-sha256${_ROUNDS}${salt.hex()}${digest.hex()}"


def pin_hashes(state: StateTable | None) -> tuple[str | None, str | None] | None:
    """(PIN, duress PIN) hashes set on the dashboard; None when the config's PINs apply."""
    raw = state.get_state(PINS_KEY) if state is not None else None
    if not raw:
        return None
    try:
        data = json.loads(raw)
        return (data.get("pin") or None, data.get("duress") or None)
    except (ValueError, AttributeError):
        return None


def _verify(hashed: str | None, given: bytes) -> bool:
    if hashed is None:
        return False
    try:
        scheme, rounds, salt, digest = hashed.split("$")
        if scheme != "pbkdf2-sha256":
            return False
        found = hashlib.pbkdf2_hmac("sha256", given, bytes.fromhex(salt), int(rounds))
    except ValueError:
        return False
    return hmac.compare_digest(found.hex(), digest)


def _refusal(guarded: Guarded, mode: str | None) -> str:
    if guarded.result == "unset":
        return ("no PIN is set: disarming from a keypad, MQTT or the dashboard needs one (set it in the dashboard's "
                "Settings, Security and cameras; or arming.pin in the config, then restart the hub)")
    if guarded.result == "locked" or guarded.result == "duress":
        return f"too many wrong PINs: try again in {guarded.wait_seconds:.0f} s"
    return "wrong PIN"


def _guard_events(guarded: Guarded, kind: str, source: str, at: datetime, detail: dict[str, object]) -> list[Event]:
    """The rows a refused PIN leaves: one per wrong try (none while locked), and the alarm when guessing."""
    if guarded.result == "locked":
        return []
    events = [Event(kind, source, Severity.WARNING, {**detail, "wrong_in_a_row": guarded.wrong_in_a_row,
                                                      **({"reason": "no PIN set"} if guarded.result == "unset"
                                                         else {})}, at=at)]
    if guarded.guessing:
        events.append(Event(kinds.PIN_GUESSING, source, Severity.CRITICAL,
                            {"wrong_in_a_row": guarded.wrong_in_a_row, "wait_seconds": guarded.wait_seconds}, at=at))
    return events


@dataclass(frozen=True)
class Outcome:
    """What to answer the person (the same for normal and duress) and what to record."""

    response: dict[str, object]
    events: list[Event]


def arm_request(pins: PinCheck, mode: str, pin: str | None, source: str, at: datetime,
                not_ready: Sequence[NotReady] = (), bypass: bool = False) -> Outcome:
    """Arming needs no PIN, but refuses over an open door or a silent sensor unless she bypasses them for this
    arming; disarming needs the PIN. A duress PIN disarms and silently raises an alarm."""
    if mode not in MODES:
        raise InputRejected(f"mode {mode!r} is not one of {', '.join(MODES)}")
    if mode != "disarmed":
        if not_ready and not bypass:
            return Outcome({"ok": False, "not_ready": [n.sensor for n in not_ready],
                            "error": "not armed: " + "; ".join(n.words() for n in not_ready)
                                     + ". Close it, or arm again with bypass to leave it out of this arming"}, [])
        detail: dict[str, JsonValue] = {"mode": mode}
        if not_ready:
            detail["bypassed"] = [n.sensor for n in not_ready]
        return Outcome({"ok": True, "mode": mode}, [Event(kinds.ARM_SET, source, Severity.NOTICE, detail, at=at)])
    guarded = pins.check(pin, source, at)
    if guarded.result == "duress" and guarded.wait_seconds:  # locked: no disarm, but help is called
        return Outcome({"ok": False, "error": _refusal(guarded, mode)},
                       [Event(kinds.DURESS, source, Severity.CRITICAL, {"via": "disarm"}, at=at)])
    if guarded.result not in ("normal", "duress"):
        return Outcome({"ok": False, "error": _refusal(guarded, mode)},
                       _guard_events(guarded, kinds.ARM_PIN_REJECTED, source, at, {"mode": mode}))
    events = [Event(kinds.ARM_SET, source, Severity.NOTICE, {"mode": mode}, at=at)]
    if guarded.result == "duress":
        events.append(Event(kinds.DURESS, source, Severity.CRITICAL, {"via": "disarm"}, at=at))
    return Outcome({"ok": True, "mode": mode}, events)


def checkin_request(pins: PinCheck, pin: str | None, source: str, at: datetime) -> Outcome:
    """She is safe: stop the timer. A duress PIN looks the same, and escalates."""
    guarded = pins.check(pin, source, at)
    if guarded.result == "duress" and guarded.wait_seconds:
        return Outcome({"ok": False, "error": _refusal(guarded, None)},
                       [Event(kinds.DURESS, source, Severity.CRITICAL, {"via": "check-in"}, at=at)])
    if guarded.result not in ("normal", "duress"):
        return Outcome({"ok": False, "error": _refusal(guarded, None)},
                       _guard_events(guarded, kinds.CHECKIN_PIN_REJECTED, source, at, {}))
    events = [Event(kinds.CHECKIN_DONE, source, Severity.NOTICE, at=at)]
    if guarded.result == "duress":
        events.append(Event(kinds.DURESS, source, Severity.CRITICAL, {"via": "check-in"}, at=at))
    return Outcome({"ok": True, "checked_in": True}, events)


def response_bytes(outcome: Outcome, request_id: object) -> bytes:
    """The exact bytes sent back (sorted keys, so duress and normal cannot differ by ordering)."""
    return json.dumps({**outcome.response, "id": request_id}, sort_keys=True).encode()
