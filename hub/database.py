"""The hub's one SQLite file: a connection and a lock shared by the owners of its tables.

Each table has one owner module (the log, the command queue, the state store, the outbox), and
only that module runs SQL on it; ``tests/test_structure.py`` checks this.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from hub.errors import LogError

DB_NAME = "porchlight.db"


def stored_time(at: datetime) -> str:
    """How every table stores a time: UTC ISO 8601 with microseconds, so that text order is time order."""
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def connect(path: Path) -> sqlite3.Connection:
    """Open a database with the settings every connection must share."""
    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a committed row survives power loss, not only a crash (an evidence log needs that).
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    # Deleted and overwritten content is zeroed, not left in free pages for someone with the card.
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


class Database:
    """One connection, one lock; statements run one at a time, transactions are explicit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = connect(path)
        except sqlite3.DatabaseError as err:
            raise LogError(f"{path}: cannot open the hub's database ({err})") from err

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            self._conn.close()

    def create(self, schema: str) -> None:
        """Create an owner's tables (each statement ``IF NOT EXISTS``)."""
        with self.lock:
            try:
                self._conn.executescript(schema)
            except sqlite3.DatabaseError as err:
                raise LogError(f"{self.path}: cannot open the hub's database ({err})") from err

    def execute(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """One statement, its rows."""
        with self.lock:
            return self._conn.execute(sql, args).fetchall()

    def insert(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        """One INSERT; the new row's id."""
        with self.lock:
            return int(self._conn.execute(sql, args).lastrowid or 0)

    def scalar(self, sql: str, *args: Any) -> Any:
        """The first column of the first row, or None."""
        with self.lock:
            row = self._conn.execute(sql, args).fetchone()
        return row[0] if row else None

    def columns(self, table: str) -> set[str]:
        """The columns a table has now (for adding the ones a later release introduced)."""
        with self.lock:
            return {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error; the lock is held throughout."""
        with self.lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as err:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(err, sqlite3.Error):
                    raise LogError(f"could not write to {self.path.name}: {err}") from err
                raise
