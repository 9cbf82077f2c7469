"""The incident log: an append-only, hash-chained SQLite table that refuses edits."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

from hub.chain import (
    CHECKPOINT_KIND,
    GENESIS,
    TOMBSTONE_KIND,
    Checkpoint,
    RawRow,
    VerifyResult,
    canonical_json,
    checkpoint_message,
    entry_hash,
    verify_rows,
)
from hub.errors import LogError
from hub.events import Event, LoggedEvent, Severity, utc_now
from hub.evidence import EvidenceStore
from hub.files import write_atomic
from hub.keys import DeviceKey
from hub.timeinfo import TimeSource
from hub import kinds

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    at TEXT NOT NULL,
    content TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_kind ON log(kind, seq);
CREATE INDEX IF NOT EXISTS log_source ON log(source, seq);
CREATE INDEX IF NOT EXISTS log_at ON log(at);
CREATE TRIGGER IF NOT EXISTS log_no_update BEFORE UPDATE ON log
BEGIN SELECT RAISE(ABORT, 'the incident log is append-only: rows cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS log_no_delete BEFORE DELETE ON log
BEGIN SELECT RAISE(ABORT, 'the incident log is append-only: rows cannot be deleted'); END;
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
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    detail TEXT NOT NULL,
    taken_at TEXT,
    evidence TEXT NOT NULL DEFAULT '[]',
    at TEXT,
    severity TEXT
);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

DB_NAME = "porchlight.db"


@dataclass(frozen=True)
class AlertRequest:
    """An alert to put in the outbox in the same transaction as the event that causes it."""

    priority: Severity
    reason: str
    kind: str = kinds.ALARM_TRIGGERED
    source: str = "hub"


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


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def connect(path: Path) -> sqlite3.Connection:
    """Open the database with the settings every connection must share."""
    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a committed row survives power loss, not only a crash (an evidence log needs that).
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


class IncidentLog:
    """Appends events durably, chains them, signs checkpoints; reads and verifies them."""

    def __init__(
        self,
        data_dir: Path,
        *,
        key: DeviceKey | None = None,
        time_source: TimeSource | None = None,
        checkpoint_every_rows: int = 100,
    ) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.evidence = EvidenceStore(data_dir / "evidence")
        self.key = key or DeviceKey(data_dir / "keys")
        self._time = time_source or TimeSource(utc_now)
        self.checkpoint_every_rows = checkpoint_every_rows
        self._lock = threading.RLock()
        try:
            self._conn = connect(data_dir / DB_NAME)
            self._conn.executescript(SCHEMA)
            _add_missing_columns(self._conn)
        except sqlite3.DatabaseError as err:
            raise LogError(f"{data_dir / DB_NAME}: cannot open the incident log ({err})") from err
        self._last_checkpoint_seq = self._scalar(
            "SELECT COALESCE(MAX(seq), 0) FROM log WHERE kind = ?", CHECKPOINT_KIND
        )

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def _scalar(self, sql: str, *args: Any) -> Any:
        with self._lock:
            row = self._conn.execute(sql, args).fetchone()
        return row[0] if row else None

    # --- writing -------------------------------------------------------------------------

    def append(self, event: Event, alerts: Sequence[AlertRequest] = ()) -> int:
        """Commit one event (and any alerts it causes) durably; return its sequence number."""
        return self.append_many([(event, alerts)])[0]

    def append_many(self, items: Sequence[tuple[Event, Sequence[AlertRequest]]]) -> list[int]:
        """Commit several events in one transaction, in order; return their sequence numbers."""
        for event, _ in items:
            for sha in event.evidence:
                if not self.evidence.exists(sha):
                    raise LogError(
                        f"event {event.kind} from {event.source} cites evidence {sha}, "
                        "which is not in the evidence store; store the file first"
                    )
        with self._lock:
            seqs = self._append_locked(items)
            if seqs[-1] - self._last_checkpoint_seq >= self.checkpoint_every_rows:
                self._checkpoint_locked()
        return seqs

    def _append_locked(self, items: Sequence[tuple[Event, Sequence[AlertRequest]]]) -> list[int]:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            last = conn.execute("SELECT seq, hash FROM log ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (last[0], last[1]) if last else (0, GENESIS)
            seqs = []
            for event, alerts in items:
                seq += 1
                content = self._content(seq, event)
                digest = entry_hash(prev, content)
                conn.execute(
                    "INSERT INTO log (seq, kind, source, at, content, prev_hash, hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (seq, event.kind, event.source, _iso(event.at), content, prev, digest),
                )
                for alert in alerts:
                    conn.execute(
                        "INSERT INTO outbox (seq, created_at, priority, reason, kind, source) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (seq, _iso(utc_now()), alert.priority.value, alert.reason, alert.kind, alert.source),
                    )
                prev = digest
                seqs.append(seq)
            conn.execute("COMMIT")
        except BaseException as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(err, sqlite3.Error):
                raise LogError(f"could not write to the incident log: {err}") from err
            raise
        return seqs

    def _content(self, seq: int, event: Event) -> str:
        stamp = self._time.stamp()
        try:
            return canonical_json(
                {
                    "v": 1,
                    "seq": seq,
                    "kind": event.kind,
                    "source": event.source,
                    "severity": event.severity.value,
                    "detail": dict(event.detail),
                    "evidence": list(event.evidence),
                    "at": _iso(event.at),
                    "recorded_at": _iso(stamp.recorded_at),
                    "tz_offset": stamp.tz_offset,
                    "monotonic_ns": stamp.monotonic_ns,
                    "boot_id": stamp.boot_id,
                    "clock_synced": stamp.clock_synced,
                }
            )
        except (TypeError, ValueError) as err:
            raise LogError(f"event {event.kind} from {event.source} has detail that is not JSON: {err}") from err

    def checkpoint_if_new_rows(self) -> Checkpoint | None:
        """A checkpoint only when rows were added since the last one (an idle SD card stays idle)."""
        with self._lock:
            head, _ = self.head()
            if head <= self._last_checkpoint_seq:
                return None
            return self._checkpoint_locked()

    def checkpoint(self) -> Checkpoint:
        """Sign the current chain head, record the checkpoint as a row, and return it."""
        with self._lock:
            return self._checkpoint_locked()

    def _checkpoint_locked(self) -> Checkpoint:
        head = self._conn.execute("SELECT seq, hash FROM log ORDER BY seq DESC LIMIT 1").fetchone()
        head_seq, head_hash = (head[0], head[1]) if head else (0, GENESIS)
        at = _iso(utc_now())
        signature = self.key.sign(checkpoint_message(head_seq, head_hash, at))
        point = Checkpoint(head_seq, head_hash, at, self.key.public_b64, signature)
        detail = {k: v for k, v in point.to_json().items() if k != "format"}
        # The checkpoint row itself must be seq head_seq + 1 for the chain rule to hold; the
        # lock is held, and a concurrent writer in another process fails the check below.
        seqs = self._append_locked([(Event(CHECKPOINT_KIND, "hub", detail=detail), ())])
        if seqs[0] != head_seq + 1:
            raise LogError("another process wrote to the log while a checkpoint was being signed; retry")
        self._last_checkpoint_seq = seqs[0]
        self._export_latest(point)
        return point

    def _export_latest(self, point: Checkpoint) -> None:
        """Keep the newest checkpoint as a file, ready for backups and the daily message."""
        write_atomic(self.data_dir / "checkpoints" / "latest.json",
                     (canonical_json(point.to_json()) + "\n").encode("utf-8"))

    def tombstone(self, sha256: str, reason: str, source: str = "retention") -> int:
        """Record that an evidence file is being removed, then remove it."""
        path = self.evidence.path_for(sha256)
        size = path.stat().st_size if path.exists() else None
        seq = self.append(
            Event(TOMBSTONE_KIND, source, detail={"sha256": sha256, "size": size, "reason": reason})
        )
        if path.exists():
            self.evidence.remove(sha256)
        return seq

    # --- reading -------------------------------------------------------------------------

    def raw_rows(self, after_seq: int = 0) -> Iterator[RawRow]:
        """Every stored row in sequence order, as stored (for verification and export)."""
        with self._lock:
            cursor = self._conn.execute(
                "SELECT seq, kind, source, at, content, prev_hash, hash FROM log WHERE seq > ? ORDER BY seq",
                (after_seq,),
            )
            rows = cursor.fetchall()
        for row in rows:
            yield RawRow(*row)

    def events(
        self,
        *,
        since: datetime | None = None,
        kind: str | None = None,
        source: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        kinds: Sequence[str] | None = None,
    ) -> list[LoggedEvent]:
        """Rows as LoggedEvents, filtered; ``kind`` may end in ``.*`` for a family; ``kinds`` is any of these."""
        clauses: list[str] = []
        args: list[Any] = []
        if kinds is not None:
            clauses.append(f"kind IN ({', '.join('?' for _ in kinds)})")
            args.extend(kinds)
        if since is not None:
            clauses.append("at >= ?")
            args.append(_iso(since))
        if kind is not None:
            if kind.endswith(".*"):
                clauses.append("kind LIKE ?")
                args.append(kind[:-1] + "%")
            else:
                clauses.append("kind = ?")
                args.append(kind)
        if source is not None:
            clauses.append("source = ?")
            args.append(source)
        sql = "SELECT content, hash FROM log"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY seq" + (" DESC" if newest_first else "")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [logged_event(content, digest) for content, digest in rows]

    def raw_row(self, seq: int) -> RawRow | None:
        """One stored row exactly as stored, for checking its hash."""
        with self._lock:
            row = self._conn.execute("SELECT seq, kind, source, at, content, prev_hash, hash FROM log WHERE seq = ?",
                                     (seq,)).fetchone()
        return RawRow(*row) if row else None

    def event(self, seq: int) -> LoggedEvent | None:
        """One row by sequence number."""
        with self._lock:
            row = self._conn.execute("SELECT content, hash FROM log WHERE seq = ?", (seq,)).fetchone()
        return logged_event(row[0], row[1]) if row else None

    def head(self) -> tuple[int, str]:
        """The last row's sequence number and hash."""
        with self._lock:
            row = self._conn.execute("SELECT seq, hash FROM log ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def verify(self, checkpoint: Checkpoint | None = None) -> VerifyResult:
        """Verify the whole chain, every evidence file, and optionally an exported checkpoint."""
        return verify_rows(self.raw_rows(), self.evidence, self.key.public_b64, checkpoint)

    # --- outbox and small state ----------------------------------------------------------

    def outbox(self, status: str | None = None) -> list[OutboxRow]:
        """Alerts in the outbox, oldest first."""
        sql = "SELECT id, seq, created_at, priority, reason, status, attempts FROM outbox"
        args: tuple[Any, ...] = ()
        if status is not None:
            sql += " WHERE status = ?"
            args = (status,)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        return [OutboxRow(*row) for row in rows]

    def submit_command(self, kind: str, source: str, detail: dict[str, Any], *,
                       evidence: Sequence[str] = (), at: datetime | None = None,
                       severity: Severity | None = None) -> int:
        """Queue a command (arm, panic, a dashboard entry...) for the running hub; return its id.

        ``evidence`` must already be in the evidence store; ``at`` defaults to now.
        """
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO commands (created_at, kind, source, detail, evidence, at, severity) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_iso(utc_now()), kind, source, canonical_json(detail), canonical_json(list(evidence)),
                 _iso(at) if at is not None else None, severity.value if severity is not None else None),
            )
        return int(cursor.lastrowid or 0)

    def submit_event(self, event: Event) -> int:
        """Queue a whole event (its severity, time and evidence kept) for the running hub to record."""
        return self.submit_command(event.kind, event.source, dict(event.detail), evidence=event.evidence,
                                   at=event.at, severity=event.severity)

    def pending_commands(self) -> list[tuple[int, Event]]:
        """Commands not yet taken by the hub, oldest first, as events."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, created_at, kind, source, detail, evidence, at, severity FROM commands "
                "WHERE taken_at IS NULL ORDER BY id"
            ).fetchall()
        return [
            (cid, Event(kind, source,
                        Severity(severity) if severity else
                        kinds.about(kind).severity if kind in kinds.KINDS else Severity.NOTICE,
                        json.loads(detail), evidence=tuple(json.loads(evidence)),
                        at=datetime.fromisoformat(at or created)))
            for cid, created, kind, source, detail, evidence, at, severity in rows
        ]

    def take_command(self, command_id: int) -> None:
        """Mark a command as taken (its event is committed)."""
        with self._lock:
            self._conn.execute("UPDATE commands SET taken_at = ? WHERE id = ?", (_iso(utc_now()), command_id))

    def execute(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement on the outbox and delivery tables (never the log: triggers refuse it)."""
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def get_state(self, key: str) -> str | None:
        """A small piece of persisted hub state (arm mode, pending delays)."""
        return self._scalar("SELECT value FROM state WHERE key = ?", key)  # type: ignore[no-any-return]

    def set_state(self, key: str, value: str) -> None:
        """Persist a small piece of hub state, durably."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO state (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Columns added to the command queue after the first release (the log table never changes)."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(commands)")}
    for column, spec in (("evidence", "TEXT NOT NULL DEFAULT '[]'"), ("at", "TEXT"), ("severity", "TEXT")):
        if column not in have:
            conn.execute(f"ALTER TABLE commands ADD COLUMN {column} {spec}")


def logged_event(content: str, digest: str) -> LoggedEvent:
    """A stored row's content as a LoggedEvent."""
    data = json.loads(content)
    return LoggedEvent(
        seq=data["seq"],
        kind=data["kind"],
        source=data["source"],
        severity=Severity(data["severity"]),
        detail=data["detail"],
        evidence=tuple(data["evidence"]),
        at=datetime.fromisoformat(data["at"]),
        recorded_at=datetime.fromisoformat(data["recorded_at"]),
        hash=digest,
    )
