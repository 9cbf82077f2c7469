"""The incident log: an append-only, hash-chained SQLite table that refuses edits."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from hub.bus import InTransaction
from hub.chain import (
    CHECKPOINT_KIND,
    COMMITTED_VERSION,
    GENESIS,
    TOMBSTONE_KIND,
    Checkpoint,
    RawRow,
    VerifyResult,
    canonical_json,
    checkpoint_message,
    row_hash,
    salts_for,
    verify_rows,
)
from hub.database import DB_NAME, Database, stored_time
from hub.errors import EventRefused, LogError
from hub.events import Event, LoggedEvent, Severity, utc_now
from hub.evidence import EvidenceStore
from hub.files import write_atomic
from hub.keys import DeviceKey
from hub import kinds
from hub.sealed_rows import open_content, seal_detail, stored_form
from hub.sealing import Locked, Opener, SealingError, SealingKeys, SealWatch
from hub.timeinfo import TimeSource

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
"""




class IncidentLog:
    """Appends events durably, chains them, signs checkpoints; reads and verifies them."""

    def __init__(
        self,
        data_dir: Path,
        *,
        key: DeviceKey | None = None,
        time_source: TimeSource | None = None,
        checkpoint_every_rows: int = 100,
        database: Database | None = None,
    ) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.key = key or DeviceKey(data_dir / "keys")
        # A sealed data directory (porchlight init): rows and files are written sealed, read once she unlocks.
        self.seal_watch = SealWatch(data_dir / "keys")
        self._opener: Opener | None = None
        self.evidence = EvidenceStore(data_dir / "evidence", self.seal_watch)
        self._time = time_source or TimeSource(utc_now)
        self.checkpoint_every_rows = checkpoint_every_rows
        self._owns_db = database is None
        self._db = database or Database(data_dir / DB_NAME)
        self._lock = self._db.lock
        self._db.create(SCHEMA)
        self._pin_sealing_key()
        self._last_checkpoint_seq = int(self._db.scalar(
            "SELECT COALESCE(MAX(seq), 0) FROM log WHERE kind = ?", CHECKPOINT_KIND) or 0)

    def _pin_sealing_key(self) -> None:
        rows = self._db.execute("SELECT content FROM log WHERE kind = ? ORDER BY seq DESC LIMIT 1", (kinds.LOG_SEALED,))
        recorded = (json.loads(rows[0][0]).get("detail") or {}).get("public_key") if rows else None
        if isinstance(recorded, str):
            self.seal_watch.pin(recorded)

    def sealing_event(self, source: str, detail: Mapping[str, Any] | None = None,
                      at: datetime | None = None) -> Event | None:
        """The row that puts the sealing public key on the record, pinned from now on (None: not sealed)."""
        public = self.seal_watch.public_b64()
        if public is None:
            return None
        self.seal_watch.pin(public)
        return Event(kinds.LOG_SEALED, source, Severity.NOTICE, {**(detail or {}), "public_key": public},
                     at=at or utc_now())

    def record_sealing(self, source: str, detail: Mapping[str, Any] | None = None) -> int | None:
        """Put the sealing public key on the record, so a key file swapped later is noticed."""
        event = self.sealing_event(source, detail)
        return self.append(event) if event is not None else None

    @property
    def sealing(self) -> SealingKeys | None:
        """The sealing keys of a sealed data directory (None: never sealed)."""
        return self.seal_watch.keys()

    @property
    def locked(self) -> bool:
        """Whether sealed rows and evidence cannot be read now (False for a data directory never sealed)."""
        return self.sealing is not None and self._opener is None

    def unlock(self, passphrase: str) -> None:
        """Read sealed rows and evidence from now on; WrongPassphrase when it is not hers."""
        sealing = self.sealing
        if sealing is not None:
            self.unlock_with(sealing.unlock(passphrase))

    def unlock_with(self, opener: Opener) -> None:
        """Read with an opener already unwrapped (the dashboard's, after her login)."""
        self._opener = opener
        self.evidence.opener = opener

    def lock(self) -> None:
        """Forget the opener: sealed rows and evidence are unreadable again."""
        self._opener = None
        self.evidence.opener = None

    def opened(self, content: str) -> dict[str, Any]:
        """A stored row's content as written; a sealed row's private values stay commitments while locked."""
        data: dict[str, Any] = json.loads(content)
        if self._opener is not None and "sealed" in data:
            try:
                return open_content(data, self._opener)
            except SealingError as err:
                # One row that was tampered with must not hide every other row: it is shown as what it is.
                logger.error("sealed row %s cannot be opened: %s", data.get("seq"), err)
                return {**data, "detail": {**(data.get("detail") or {}), "unreadable": str(err)}}
        return data

    def opened_content(self, row: RawRow) -> str:
        """A row's content for an export: a sealed row opened (Locked when it cannot be)."""
        if '"sealed":' not in row.content:
            return row.content
        data = json.loads(row.content)
        if "sealed" not in data:
            return row.content
        if self._opener is None:
            raise Locked("reading the sealed log needs the passphrase (PORCHLIGHT_PASSPHRASE, or unlock the dashboard)")
        return canonical_json(open_content(data, self._opener))

    def _logged(self, content: str, digest: str) -> LoggedEvent:
        return event_from(self.opened(content), digest)

    def close(self) -> None:
        """Close the database connection, when the log opened it itself."""
        if self._owns_db:
            self._db.close()

    # --- writing -------------------------------------------------------------------------

    def append(self, event: Event, also: Sequence[InTransaction] = ()) -> int:
        """Commit one event (and the rows that go with it, such as the alerts it causes) durably; return its seq."""
        return self.append_many([(event, also)])[0]

    def append_many(self, items: Sequence[tuple[Event, Sequence[InTransaction]]]) -> list[int]:
        """Commit several events in one transaction, in order; return their sequence numbers.

        EventRefused (and nothing written) when one of them can never be recorded as it is.
        """
        for event, _ in items:
            if event.kind in _RESERVED_KINDS:
                raise EventRefused(f"{event.kind} rows are written only by the log itself, not by {event.source}")
            for sha in event.evidence:
                if not self.evidence.exists(sha):
                    raise EventRefused(
                        f"event {event.kind} from {event.source} cites evidence {sha}, "
                        "which is not in the evidence store; store the file first"
                    )
        with self._lock:
            seqs = self._append_locked(items)
            news = any(event.kind != kinds.LOG_TIMESTAMP for event, _ in items)  # a token is no news (see below)
            if news and seqs[-1] - self._last_checkpoint_seq >= self.checkpoint_every_rows:
                self._checkpoint_locked()
        return seqs

    def unstamped_checkpoints(self, most: int) -> list[LoggedEvent]:
        """Checkpoint rows no ``log.timestamp`` row names yet, oldest first (however far back they go)."""
        rows = self._db.execute(
            "SELECT content, hash FROM log WHERE kind = ? AND seq NOT IN "
            "(SELECT CAST(json_extract(content, '$.detail.checkpoint') AS INTEGER) FROM log WHERE kind = ? "
            " AND json_extract(content, '$.detail.checkpoint') IS NOT NULL) "
            f"ORDER BY seq LIMIT {int(most)}", (CHECKPOINT_KIND, kinds.LOG_TIMESTAMP))
        return [self._logged(content, digest) for content, digest in rows]

    def _append_locked(self, items: Sequence[tuple[Event, Sequence[InTransaction]]]) -> list[int]:
        with self._db.transaction() as conn:
            last = conn.execute("SELECT seq, hash FROM log ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (last[0], last[1]) if last else (0, GENESIS)
            seqs = []
            for event, also in items:
                seq += 1
                content = self._content(seq, event)
                digest = row_hash(prev, content)
                conn.execute(
                    "INSERT INTO log (seq, kind, source, at, content, prev_hash, hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (seq, event.kind, event.source, _time_of(event), content, prev, digest),
                )
                for row in also:
                    row.write(conn, seq)
                prev = digest
                seqs.append(seq)
        return seqs

    def _content(self, seq: int, event: Event) -> str:
        stamp = self._time.stamp()
        detail = dict(event.detail)
        sealing = self.sealing
        if sealing is not None:
            detail = seal_detail(event.kind, detail, sealing.public)
        salts = {} if sealing is not None else salts_for(detail)
        try:
            return canonical_json(stored_form(
                {
                    "v": COMMITTED_VERSION if salts else 1,
                    **({"salts": salts} if salts else {}),
                    "seq": seq,
                    "kind": event.kind,
                    "source": event.source,
                    "severity": event.severity.value,
                    "detail": detail,
                    "evidence": list(event.evidence),
                    **self._sealed_evidence(event.evidence),
                    "at": _time_of(event),
                    "recorded_at": stored_time(stamp.recorded_at),
                    "tz_offset": stamp.tz_offset,
                    "monotonic_ns": stamp.monotonic_ns,
                    "boot_id": stamp.boot_id,
                    "clock_synced": stamp.clock_synced,
                }
            ))
        except (TypeError, ValueError, RecursionError) as err:
            raise EventRefused(f"event {event.kind} from {event.source} has detail the log cannot hold "
                               f"({type(err).__name__}: {str(err)[:200]})") from err

    def _sealed_evidence(self, evidence: Sequence[str]) -> dict[str, Any]:
        stored = {sha: digest for sha in evidence if (digest := self.evidence.stored_sha256(sha)) is not None}
        return {"sealed_evidence": stored} if stored else {}

    def checkpoint_if_new_rows(self) -> Checkpoint | None:
        """A checkpoint only when rows were added since the last one (an idle SD card stays idle)."""
        with self._lock:
            head, _ = self.head()
            if head <= self._last_checkpoint_seq:
                return None
            # A checkpoint's own timestamp row is no news: signing again for it would never end.
            news = self._db.scalar("SELECT COUNT(*) FROM log WHERE seq > ? AND kind != ?",
                                   self._last_checkpoint_seq, kinds.LOG_TIMESTAMP)
            if news == 0 and self._last_checkpoint_seq > 0:
                return None
            return self._checkpoint_locked()

    def checkpoint(self, also: Sequence[InTransaction] = ()) -> Checkpoint:
        """Sign the current chain head, record the checkpoint as a row (with ``also``), and return it."""
        with self._lock:
            return self._checkpoint_locked(also)

    def _checkpoint_locked(self, also: Sequence[InTransaction] = ()) -> Checkpoint:
        head_seq, head_hash = self.head()
        at = stored_time(utc_now())
        signature = self.key.sign(checkpoint_message(head_seq, head_hash, at))
        point = Checkpoint(head_seq, head_hash, at, self.key.public_b64, signature)
        detail = {k: v for k, v in point.to_json().items() if k != "format"}
        # The checkpoint row itself must be seq head_seq + 1 for the chain rule to hold; the
        # lock is held, and a concurrent writer in another process fails the check below.
        seqs = self._append_locked([(Event(CHECKPOINT_KIND, "hub", detail=detail), also)])
        if seqs[0] != head_seq + 1:
            raise LogError("another process wrote to the log while a checkpoint was being signed; retry")
        self._last_checkpoint_seq = seqs[0]
        self._export_latest(point)
        return point

    def _export_latest(self, point: Checkpoint) -> None:
        """Keep the newest checkpoint as a file, ready for backups and the daily message."""
        write_atomic(self.data_dir / "checkpoints" / "latest.json",
                     (canonical_json(point.to_json()) + "\n").encode("utf-8"))

    def checkpoint_file(self, point: Checkpoint) -> Path:
        """The checkpoint as a file to send or keep (``checkpoints/checkpoint-<row>.json``), written once."""
        path = self.data_dir / "checkpoints" / f"checkpoint-{point.head_seq}.json"
        if not path.exists():
            write_atomic(path, (json.dumps(point.to_json(), indent=2, sort_keys=True) + "\n").encode("utf-8"))
        return path

    def tombstone(self, sha256: str, reason: str, source: str = "retention") -> int:
        """Record that an evidence file is being removed, then remove it."""
        path = self.evidence.path_for(sha256)
        size = path.stat().st_size if path.exists() else None
        with self._lock:
            [seq] = self._append_locked(
                [(Event(TOMBSTONE_KIND, source, detail={"sha256": sha256, "size": size, "reason": reason}), ())])
        if path.exists():
            self.evidence.remove(sha256)
        return seq

    # --- reading -------------------------------------------------------------------------

    def raw_rows(self, after_seq: int = 0) -> Iterator[RawRow]:
        """Every stored row in sequence order, as stored (for verification and export)."""
        rows = self._db.execute(
            "SELECT seq, kind, source, at, content, prev_hash, hash FROM log WHERE seq > ? ORDER BY seq", (after_seq,))
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
            args.append(stored_time(since))
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
        rows = self._db.execute(sql, tuple(args))
        return [self._logged(content, digest) for content, digest in rows]

    def raw_row(self, seq: int) -> RawRow | None:
        """One stored row exactly as stored, for checking its hash."""
        rows = self._db.execute("SELECT seq, kind, source, at, content, prev_hash, hash FROM log WHERE seq = ?",
                                (seq,))
        return RawRow(*rows[0]) if rows else None

    def event(self, seq: int) -> LoggedEvent | None:
        """One row by sequence number."""
        rows = self._db.execute("SELECT content, hash FROM log WHERE seq = ?", (seq,))
        return self._logged(rows[0][0], rows[0][1]) if rows else None

    def head(self) -> tuple[int, str]:
        """The last row's sequence number and hash."""
        rows = self._db.execute("SELECT seq, hash FROM log ORDER BY seq DESC LIMIT 1")
        return (rows[0][0], rows[0][1]) if rows else (0, GENESIS)

    def next_of_kind(self, kind: str, after_seq: int) -> int | None:
        """The first row of ``kind`` after ``after_seq`` (the checkpoint that covers a row), or None."""
        found = self._db.scalar("SELECT MIN(seq) FROM log WHERE kind = ? AND seq > ?", kind, after_seq)
        return None if found is None else int(found)

    def verify(self, checkpoint: Checkpoint | None = None) -> VerifyResult:
        """Verify the whole chain, every evidence file, and optionally an exported checkpoint."""
        return verify_rows(self.raw_rows(), self.evidence, self.key.public_b64, checkpoint)


_RESERVED_KINDS = frozenset({CHECKPOINT_KIND, TOMBSTONE_KIND})
_EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
_LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)


def _time_of(event: Event) -> str:
    """The event's time as stored; EventRefused for a time no real event has (year 1, no offset)."""
    at = event.at
    if at.tzinfo is None or not _EARLIEST <= at <= _LATEST:
        raise EventRefused(f"event {event.kind} from {event.source} has an impossible time ({str(at)[:40]})")
    return stored_time(at)


def logged_event(content: str, digest: str) -> LoggedEvent:
    """A stored row's content as a LoggedEvent (a sealed row's private values as their commitments)."""
    return event_from(json.loads(content), digest)


def event_from(data: dict[str, Any], digest: str) -> LoggedEvent:
    """A row's content, parsed (and opened, when sealed), as a LoggedEvent."""
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
