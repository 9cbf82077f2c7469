"""The command queue: what the dashboard and the CLI ask of the running hub, in the hub's database.

The dashboard and the CLI never write the log themselves; they queue a command here, and the hub
takes it into its pipeline (or hands it to the part it is for) and marks it taken, with an answer.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

from hub.chain import canonical_json
from hub.database import Database, stored_time
from hub.events import Event, Severity, utc_now
from hub.sealed_rows import seal_detail
from hub.sealing import SealWatch
from hub import kinds

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    detail TEXT NOT NULL,
    taken_at TEXT,
    evidence TEXT NOT NULL DEFAULT '[]',
    at TEXT,
    severity TEXT,
    answer TEXT
);
"""
# Columns added after the first release, for databases made by it.
_LATER_COLUMNS = (("evidence", "TEXT NOT NULL DEFAULT '[]'"), ("at", "TEXT"), ("severity", "TEXT"),
                  ("answer", "TEXT"))
_POLL_SECONDS = 0.05



@dataclass(frozen=True)
class Answer:
    """What the part a command was for said: done (``ok``) or refused, in words for the person who asked."""

    ok: bool
    text: str


@dataclass(frozen=True)
class Taken:
    """A command the hub has taken, and its answer (None: it was simply recorded)."""

    taken_at: str
    answer: Answer | None


class CommandQueue:
    """Queue commands as events; the hub takes them in order, once each."""

    def __init__(self, database: Database, watch: SealWatch | None = None) -> None:
        self._db = database
        self._watch = watch
        database.create(SCHEMA)
        have = database.columns("commands")
        for column, spec in _LATER_COLUMNS:
            if column not in have:
                database.execute(f"ALTER TABLE commands ADD COLUMN {column} {spec}")

    def submit_command(self, kind: str, source: str, detail: dict[str, Any], *,
                       evidence: Sequence[str] = (), at: datetime | None = None,
                       severity: Severity | None = None) -> int:
        """Queue a command (arm, panic, a dashboard entry...) for the running hub; return its id.

        ``evidence`` must already be in the evidence store; ``at`` defaults to now.
        """
        public = self._watch.public() if self._watch is not None else None
        if public is not None and (kind in kinds.HER_WORDS_KINDS or kind == kinds.INPUT_REJECTED):
            # Only what she wrote: commands the hub must read to answer (an acknowledgement) stay readable
            # here, and their private details are sealed when they reach the log.
            detail = seal_detail(kind, detail, public)
        return self._db.insert(
            "INSERT INTO commands (created_at, kind, source, detail, evidence, at, severity) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (stored_time(utc_now()), kind, source, canonical_json(detail), canonical_json(list(evidence)),
             stored_time(at) if at is not None else None, severity.value if severity is not None else None))

    def submit_event(self, event: Event) -> int:
        """Queue a whole event (its severity, time and evidence kept) for the running hub to record."""
        return self.submit_command(event.kind, event.source, dict(event.detail), evidence=event.evidence,
                                   at=event.at, severity=event.severity)

    def pending_commands(self) -> list[tuple[int, Event]]:
        """Commands not yet taken by the hub, oldest first, as events."""
        rows = self._db.execute(
            "SELECT id, created_at, kind, source, detail, evidence, at, severity FROM commands "
            "WHERE taken_at IS NULL ORDER BY id")
        return [
            (cid, Event(kind, source,
                        Severity(severity) if severity else
                        kinds.about(kind).severity if kind in kinds.KINDS else Severity.NOTICE,
                        json.loads(detail), evidence=tuple(json.loads(evidence)),
                        at=datetime.fromisoformat(at or created)))
            for cid, created, kind, source, detail, evidence, at, severity in rows
        ]

    def take_command(self, command_id: int, answer: Answer | None = None) -> None:
        """Mark a command as taken (its event is committed, or its part has answered)."""
        stored = canonical_json({"ok": answer.ok, "text": answer.text}) if answer is not None else None
        # Once taken, what it carried lives in the log (sealed there, on a sealed hub): the queue keeps
        # only that it was asked and answered, so no copy of a login's address or her words stays behind.
        self._db.execute("UPDATE commands SET taken_at = ?, answer = ?, detail = '{}' WHERE id = ? AND taken_at IS NULL",
                         (stored_time(utc_now()), stored, command_id))

    def taken(self, command_id: int) -> Taken | None:
        """Whether the hub has taken a command yet, and its answer."""
        rows = self._db.execute("SELECT taken_at, answer FROM commands WHERE id = ?", (command_id,))
        if not rows or rows[0][0] is None:
            return None
        answer = json.loads(rows[0][1]) if rows[0][1] else None
        return Taken(str(rows[0][0]), Answer(bool(answer["ok"]), str(answer["text"])) if answer else None)

    def wait_taken(self, command_id: int, timeout: float) -> Taken | None:
        """Wait (at most ``timeout`` seconds) for the hub to take a command; None if it has not."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.taken(command_id)
            if found is not None or time.monotonic() >= deadline:
                return found
            time.sleep(_POLL_SECONDS)


Publish = Callable[[Event, Callable[[int], None]], None]  # put an event on its way; call back with its row
Answerer = Callable[[Event], Answer]


class CommandTaker:
    """What the running hub does with the queue: each command once, in order.

    A command with an answerer (an acknowledgement) is handed to the part it is for, which records
    what it did; any other is published as an event and marked taken once it is committed, so a
    crash in between runs it again (arming twice is harmless; losing a panic is not). A command
    with a teller (a panic) is published too, and once committed its answer says what follows
    from it (who is being alerted), for the page or command that is waiting.
    """

    def __init__(self, queue: CommandQueue, publish: Publish, answerers: Mapping[str, Answerer],
                 tellers: Mapping[str, Answerer] | None = None) -> None:
        self.queue = queue
        self.publish = publish
        self.answerers = dict(answerers)
        self.tellers = dict(tellers or {})
        self._inflight: set[int] = set()

    def take_pending(self) -> None:
        """Take every command queued since the last call."""
        for command_id, event in self.queue.pending_commands():
            if command_id in self._inflight:
                continue
            answerer = self.answerers.get(event.kind)
            if answerer is not None:
                self.queue.take_command(command_id, _answer(answerer, event))
                continue
            self._inflight.add(command_id)
            self.publish(event, self._taker(command_id, event))

    def _taker(self, command_id: int, event: Event) -> Callable[[int], None]:
        teller = self.tellers.get(event.kind)

        def taken(seq: int) -> None:
            self.queue.take_command(command_id, _answer(teller, event) if teller is not None else None)
            self._inflight.discard(command_id)
        return taken


def _answer(answerer: Answerer, event: Event) -> Answer:
    # Total: a failing part answers "not done", and the command is not retried forever.
    try:
        return answerer(event)
    except Exception as err:
        logger.exception("the %s command could not be carried out", event.kind)
        return Answer(False, f"The hub could not do this ({type(err).__name__}); it is in the hub's journal.")
