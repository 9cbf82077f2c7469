"""Dashboard accounts: argon2id password hashes, one-time recovery codes, login lockout."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
RECOVERY_CODES = 8

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
                                     created_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS recovery_codes (code_hash TEXT PRIMARY KEY, used_at REAL);
CREATE TABLE IF NOT EXISTS failures (name TEXT PRIMARY KEY, count INTEGER NOT NULL, locked_until REAL);
"""


class AccountStore:
    """Accounts in data_dir/web.db (separate from the incident log: passwords change, evidence never does)."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(data_dir / "web.db", isolation_level=None, check_same_thread=False)
        self._conn.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

    def has_owner(self) -> bool:
        """Whether first-run setup has happened."""
        with self._lock:
            return self._conn.execute("SELECT 1 FROM accounts WHERE role = 'owner'").fetchone() is not None

    def create_owner(self, name: str, password: str) -> list[str]:
        """Create the owner (only once); return recovery codes to show her exactly once."""
        codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
        with self._lock:
            if self._conn.execute("SELECT 1 FROM accounts WHERE role = 'owner'").fetchone():
                raise PermissionError("the owner account already exists")
            self._conn.execute("INSERT INTO accounts (name, role, password_hash, created_at) VALUES (?, 'owner', ?, ?)",
                               (name, self._hasher.hash(password), time.time()))
            for code in codes:
                self._conn.execute("INSERT INTO recovery_codes (code_hash) VALUES (?)",
                                   (hashlib.sha256(code.encode()).hexdigest(),))
        return codes

    def locked_for(self, name: str) -> float:
        """Seconds this account stays locked after too many failures (0 when not locked)."""
        with self._lock:
            row = self._conn.execute("SELECT locked_until FROM failures WHERE name = ?", (name,)).fetchone()
        return max(0.0, (row[0] or 0) - time.time()) if row else 0.0

    def check(self, name: str, password: str) -> bool:
        """Verify a login; count failures and lock after MAX_FAILURES (even a right password waits it out)."""
        if self.locked_for(name) > 0:
            return False
        with self._lock:
            row = self._conn.execute("SELECT password_hash FROM accounts WHERE name = ? AND revoked = 0",
                                     (name,)).fetchone()
        try:
            ok = row is not None and self._hasher.verify(row[0], password)
        except VerificationError:
            ok = False
        with self._lock:
            if ok:
                self._conn.execute("DELETE FROM failures WHERE name = ?", (name,))
                return True
            count = (self._conn.execute("SELECT count FROM failures WHERE name = ?", (name,)).fetchone() or (0,))[0] + 1
            locked = time.time() + LOCKOUT_SECONDS if count >= MAX_FAILURES else None
            self._conn.execute("INSERT INTO failures (name, count, locked_until) VALUES (?, ?, ?) "
                               "ON CONFLICT(name) DO UPDATE SET count = excluded.count, locked_until = excluded.locked_until",
                               (name, 0 if locked else count, locked))
        return False
