"""Dashboard accounts: argon2id password hashes, one-time recovery codes, login lockout."""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

MIN_PASSWORD = 10  # characters; a passphrase he could not guess
MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
RECOVERY_CODES = 8

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
                                     created_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,
                                     contact TEXT, live_view INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS recovery_codes (code_hash TEXT PRIMARY KEY, used_at REAL);
CREATE TABLE IF NOT EXISTS failures (name TEXT PRIMARY KEY, count INTEGER NOT NULL, locked_until REAL);
"""


Role = Literal["owner", "contact"]


@dataclass(frozen=True)
class Account:
    """Who is logged in: the owner, or a trusted contact (linked to a contacts entry of the config)."""

    name: str
    role: Role
    contact: str | None = None
    live_view: bool = False


def open_web_db(data_dir: Path, schema: str) -> sqlite3.Connection:
    """data_dir/web.db (accounts and sessions), readable by the service alone: it holds password hashes."""
    data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(data_dir / "web.db", isolation_level=None, check_same_thread=False)
    conn.executescript(schema)
    os.chmod(data_dir / "web.db", 0o600)
    return conn


class AccountStore:
    """Accounts in data_dir/web.db (separate from the incident log: passwords change, evidence never does)."""

    def __init__(self, data_dir: Path) -> None:
        self._conn = open_web_db(data_dir, SCHEMA)
        self._lock = threading.Lock()
        self._hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
        self._dummy = self._hasher.hash(secrets.token_hex(16))

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
            # An unknown name costs the same hash as a known one, so timing does not tell names apart.
            ok = self._hasher.verify(row[0] if row else self._dummy, password) and row is not None
        except VerificationError:
            ok = False
        if ok:
            with self._lock:
                self._conn.execute("DELETE FROM failures WHERE name = ?", (name,))
            return True
        self._fail(name)
        return False

    def _fail(self, name: str) -> None:
        with self._lock:
            count = (self._conn.execute("SELECT count FROM failures WHERE name = ?", (name,)).fetchone() or (0,))[0] + 1
            locked = time.time() + LOCKOUT_SECONDS if count >= MAX_FAILURES else None
            self._conn.execute("INSERT INTO failures (name, count, locked_until) VALUES (?, ?, ?) "
                               "ON CONFLICT(name) DO UPDATE SET count = excluded.count, locked_until = excluded.locked_until",
                               (name, 0 if locked else count, locked))

    def get(self, name: str) -> Account | None:
        """An active account by name."""
        with self._lock:
            row = self._conn.execute("SELECT name, role, contact, live_view FROM accounts WHERE name = ? AND revoked = 0",
                                     (name,)).fetchone()
        return Account(row[0], row[1], row[2], bool(row[3])) if row else None

    def contacts(self) -> list[Account]:
        """Every active trusted-contact account."""
        with self._lock:
            rows = self._conn.execute("SELECT name, role, contact, live_view FROM accounts "
                                      "WHERE role = 'contact' AND revoked = 0 ORDER BY name").fetchall()
        return [Account(r[0], r[1], r[2], bool(r[3])) for r in rows]

    def add_contact(self, name: str, password: str, contact: str, live_view: bool) -> None:
        """Give a trusted contact a login; refuses a name already taken."""
        with self._lock:
            if self._conn.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone():
                raise ValueError(f"the name {name!r} is already taken; choose another")
            self._conn.execute("INSERT INTO accounts (name, role, password_hash, created_at, contact, live_view) "
                               "VALUES (?, 'contact', ?, ?, ?, ?)",
                               (name, self._hasher.hash(password), time.time(), contact, int(live_view)))

    def set_live_view(self, name: str, allowed: bool) -> None:
        """Allow or stop a contact's live camera view."""
        with self._lock:
            self._conn.execute("UPDATE accounts SET live_view = ? WHERE name = ? AND role = 'contact'",
                               (int(allowed), name))

    def revoke(self, name: str) -> None:
        """Remove a contact's login (the owner cannot be revoked)."""
        with self._lock:
            self._conn.execute("UPDATE accounts SET revoked = 1 WHERE name = ? AND role = 'contact'", (name,))

    def set_password(self, name: str, password: str) -> None:
        """Replace an account's password."""
        with self._lock:
            self._conn.execute("UPDATE accounts SET password_hash = ? WHERE name = ?", (self._hasher.hash(password), name))

    def use_recovery_code(self, code: str) -> bool:
        """Spend a recovery code (each works once); counts as a failure against the owner when wrong."""
        if self.locked_for("owner") > 0:
            return False
        digest = hashlib.sha256(code.strip().lower().encode()).hexdigest()
        with self._lock:
            cursor = self._conn.execute("UPDATE recovery_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL",
                                        (time.time(), digest))
            if cursor.rowcount == 1:
                self._conn.execute("DELETE FROM failures WHERE name = 'owner'")
                return True
        self._fail("owner")
        return False

    def codes_left(self) -> int:
        """Unused recovery codes."""
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM recovery_codes WHERE used_at IS NULL").fetchone()[0])

    def reset_owner(self, password: str) -> None:
        """Set the owner's password from the Pi's console and lift any lockout (physical access is trust)."""
        with self._lock:
            if self._conn.execute("SELECT 1 FROM accounts WHERE role = 'owner'").fetchone() is None:
                raise PermissionError("no owner yet: open the dashboard to set the first password")
            self._conn.execute("UPDATE accounts SET password_hash = ? WHERE role = 'owner'", (self._hasher.hash(password),))
            self._conn.execute("DELETE FROM failures")
