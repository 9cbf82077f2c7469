"""Server-side sessions: the owner can see every open session and end any of them."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from hub.accounts import open_web_db

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, account TEXT NOT NULL, created_at REAL NOT NULL,
                                     last_seen REAL NOT NULL, address TEXT, agent TEXT, ended_at REAL,
                                     ended_why TEXT);
"""


@dataclass(frozen=True)
class SessionInfo:
    """One login session as the owner's Settings page lists it (``id`` is the stored key, not the cookie's)."""

    id: str
    account: str
    created_at: float
    last_seen: float
    address: str | None
    agent: str | None


def key_of(sid: str) -> str:
    """What the database keeps of a session id: its hash, so a copy of web.db opens no session."""
    return hashlib.sha256(sid.encode()).hexdigest()


class SessionStore:
    """Sessions in data_dir/web.db; the signed cookie holds only the session id (the database, its hash)."""

    def __init__(self, data_dir: Path, idle_seconds: float) -> None:
        self._conn = open_web_db(data_dir, SCHEMA)
        self._lock = threading.Lock()
        self.idle_seconds = idle_seconds

    def open(self, account: str, address: str | None, agent: str | None) -> str:
        """Start a session; return its id."""
        sid = secrets.token_urlsafe(24)
        now = time.time()
        with self._lock:
            self._conn.execute("INSERT INTO sessions (id, account, created_at, last_seen, address, agent) "
                               "VALUES (?, ?, ?, ?, ?, ?)", (key_of(sid), account, now, now, address,
                                                             (agent or "")[:300]))
        return sid

    def touch(self, sid: str) -> str | None:
        """The session's account if it is open and not idle too long (then its idle clock restarts)."""
        now = time.time()
        sid = key_of(sid)
        with self._lock:
            row = self._conn.execute("SELECT account, last_seen FROM sessions WHERE id = ? AND ended_at IS NULL",
                                     (sid,)).fetchone()
            if row is None:
                return None
            if now - row[1] > self.idle_seconds:
                self._conn.execute("UPDATE sessions SET ended_at = ?, ended_why = 'idle' WHERE id = ?", (now, sid))
                return None
            self._conn.execute("UPDATE sessions SET last_seen = ? WHERE id = ?", (now, sid))
        return str(row[0])

    def end(self, sid: str, why: str) -> bool:
        """End one session (by its id, or by the key the session list shows); True when it was open."""
        return self.end_key(key_of(sid), why)

    def end_key(self, sid: str, why: str) -> bool:
        """End one session by its stored key (as ``open_sessions`` lists it)."""
        with self._lock:
            cursor = self._conn.execute("UPDATE sessions SET ended_at = ?, ended_why = ? "
                                        "WHERE id = ? AND ended_at IS NULL", (time.time(), why, sid))
        return cursor.rowcount == 1

    def end_all(self, account: str | None, why: str, keep: str | None = None) -> int:
        """End every open session (of one account, or everyone's), except ``keep``."""
        sql = "UPDATE sessions SET ended_at = ?, ended_why = ? WHERE ended_at IS NULL AND id != ?"
        args: list[object] = [time.time(), why, key_of(keep) if keep else ""]
        if account is not None:
            sql += " AND account = ?"
            args.append(account)
        with self._lock:
            return self._conn.execute(sql, args).rowcount

    def open_sessions(self) -> list[SessionInfo]:
        """Every session still open and not idle, newest activity first."""
        cutoff = time.time() - self.idle_seconds
        with self._lock:
            rows = self._conn.execute("SELECT id, account, created_at, last_seen, address, agent FROM sessions "
                                      "WHERE ended_at IS NULL AND last_seen >= ? ORDER BY last_seen DESC",
                                      (cutoff,)).fetchall()
        return [SessionInfo(*row) for row in rows]
