"""Who an alarm can reach now: the contacts in force, and whether each one's last test message arrived.

Nothing may tell her that help is coming unless it is true at that moment, so every page, command
and answer that speaks of alerting someone asks this module first.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Mapping, Sequence

from hub.alerts.policy import REPORTS, kind_matches
from hub.alerts.status_words import joined
from hub.command_queue import Answer
from hub.config import Config, ContactConfig
from hub.contacts import ContactBook
from hub.events import Event, utc_now
from hub.files import secret_file
from hub.state import StateStore

STATE_PREFIX = "contact_test:"
SECRET_FILE = "reach.key"
EMERGENCY = "call the emergency number (999, 911 or 112)"
NOBODY = ("Nobody can be told: no contact is set up to receive this. If you are in danger, "
          f"{EMERGENCY} now. Then add a contact on the Contacts page and send them a test.")


@dataclass(frozen=True)
class ContactReach:
    """One contact and what is known about reaching them."""

    cid: str
    name: str
    tier: int
    tested: str  # "passed", "failed", "never", or "changed" (edited since its last test)
    tested_at: str | None = None
    errors: tuple[str, ...] = ()

    @property
    def proven(self) -> bool:
        """Whether a test message on every channel of this contact, as it is now, arrived."""
        return self.tested == "passed"


def matching(contacts: Mapping[str, ContactConfig], kind: str) -> dict[str, ContactConfig]:
    """The contacts an alert caused by ``kind`` is for (every tier; escalation decides when)."""
    report = REPORTS.get(kind)
    if report is not None:
        return {cid: c for cid, c in contacts.items() if report.wanted(c)}
    return {cid: c for cid, c in contacts.items() if kind_matches(kind, c.events)}


class Reach:
    """The contacts in force and their last test, kept in the hub's state (readable without her passphrase)."""

    def __init__(self, state: StateStore, secret_path: Path) -> None:
        self.state = state
        self._secret_path = secret_path

    @classmethod
    def of_hub(cls, config: Config, state: StateStore) -> "Reach":
        """The hub's own record (its secret in data_dir/keys)."""
        return cls(state, config.data_dir / "keys" / SECRET_FILE)

    def _digest(self, contact: ContactConfig) -> str:
        # Channel URLs carry passwords: only a keyed digest of them is kept, to notice an edit.
        key = secret_file(self._secret_path)
        return hmac.new(key, json.dumps(sorted(contact.notify)).encode(), hashlib.sha256).hexdigest()[:32]

    def record_test(self, cid: str, contact: ContactConfig, results: Sequence[Mapping[str, str | None]],
                    at: datetime | None = None) -> None:
        """Keep the outcome of a test message (one result per channel; error None: delivered)."""
        errors = [f"{r['channel']}: {r['error']}" for r in results if r.get("error")]
        self.state.set_state(STATE_PREFIX + cid, json.dumps({
            "at": (at or utc_now()).isoformat(), "ok": bool(results) and not errors, "errors": errors,
            "digest": self._digest(contact)}))

    def of(self, cid: str, contact: ContactConfig) -> ContactReach:
        """What is known about reaching one contact."""
        name = contact.name or cid
        raw = self.state.get_state(STATE_PREFIX + cid)
        try:
            last = json.loads(raw) if raw else None
        except ValueError:
            last = None
        if not isinstance(last, dict):
            return ContactReach(cid, name, contact.tier, "never")
        at = str(last.get("at") or "") or None
        if last.get("digest") != self._digest(contact):
            return ContactReach(cid, name, contact.tier, "changed", at)
        if last.get("ok") is True:
            return ContactReach(cid, name, contact.tier, "passed", at)
        return ContactReach(cid, name, contact.tier, "failed", at, tuple(str(e) for e in last.get("errors") or ()))

    def all(self, contacts: Mapping[str, ContactConfig]) -> list[ContactReach]:
        """Every contact in force, by tier then name."""
        return sorted((self.of(cid, c) for cid, c in contacts.items()), key=lambda r: (r.tier, r.name.lower()))

    def for_kind(self, contacts: Mapping[str, ContactConfig], kind: str) -> list[ContactReach]:
        """The contacts an alert caused by ``kind`` goes to."""
        return self.all(matching(contacts, kind))


def test_words(person: ContactReach) -> str:
    """A contact's last test, in words for the contacts page."""
    when = ""
    if person.tested_at:
        try:
            when = datetime.fromisoformat(person.tested_at).astimezone().strftime(" %d %b %H:%M")
        except ValueError:
            when = ""
    return {"passed": f"went out{when}: the service took it (ask them whether it reached them)",
            "failed": f"FAILED{when}: " + "; ".join(person.errors or ("not delivered",)),
            "changed": "details changed since the last test: send another",
            "never": "never sent: send one to know alerts arrive"}[person.tested]


def names(people: Sequence[ContactReach]) -> str:
    """Their names, "Ann, Bob and Cy"."""
    return joined([p.name for p in people])


def _count(people: Sequence[ContactReach], whole: int) -> str:
    return ("them" if len(people) == whole else f"{len(people)} of them") if whole > 1 else "them"


def being_told(people: Sequence[ContactReach]) -> str:
    """The truthful sentence for an alarm being raised: how many are alerted, and what is not known to work.

    Counts, not names: it is shown on her screen, where someone may be looking over her shoulder;
    the Alerts page names each one.
    """
    if not people:
        return NOBODY
    whole = len(people)
    text = "Alerting your contact now." if whole == 1 else f"Alerting your {whole} contacts now."
    failed = [p for p in people if p.tested == "failed"]
    untested = [p for p in people if p.tested in ("never", "changed")]
    if failed:
        text += (f" The last test message to {_count(failed, whole)} did not go out, so they may not be "
                 f"reached: call them yourself, or {EMERGENCY}.")
    if untested and len(untested) == whole:
        text += (" No test message has gone out to them yet, so it is not known that alerts reach them: "
                 f"if you are in danger, {EMERGENCY} too.")
    elif untested:
        text += f" No test message has gone out to {_count(untested, whole)} yet."
    return text + " The Alerts page shows when each message is delivered."


def panic_teller(config: Config, state: StateStore) -> Callable[[Event], Answer]:
    """The running hub's answer to a committed panic: exactly who is being alerted, or that nobody can be."""
    reach = Reach.of_hub(config, state)
    book = ContactBook(config)

    def tell(event: Event) -> Answer:
        people = reach.for_kind(book.current(), event.kind)
        return Answer(bool(people), being_told(people))
    return tell
