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

from hub.files import secret_file

MIN_PASSWORD = 10  # characters; a passphrase he could not guess
MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
RECOVERY_CODES = 8

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
                                     created_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,
                                     contact TEXT, live_view INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS recovery_codes (code_hash TEXT PRIMARY KEY, used_at REAL);
CREATE TABLE IF NOT EXISTS tries (account TEXT NOT NULL, pool TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 0,
                                  locked_until REAL, refused INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (account, pool));
CREATE TABLE IF NOT EXISTS trusted_devices (account TEXT NOT NULL, device TEXT NOT NULL, since REAL NOT NULL,
                                            PRIMARY KEY (account, device));
"""
# Wrong passwords are counted per pool: each browser she has logged in from before is a pool of its
# own, and every other browser shares one. A stranger hammering the login locks out strangers (the
# global slow-down), never her own phone; her recovery codes are never locked.
STRANGERS = "*strangers*"
CONCURRENT_CHECKS = 2  # argon2 takes ~64 MB and a core each: sixteen at once would starve the Pi
BUSY_SECONDS = 10.0


@dataclass(frozen=True)
class Attempt:
    """How one login went: in, or not (and whether its pool is now waiting, or the hub was too busy)."""

    ok: bool
    locked_seconds: float = 0.0
    busy: bool = False
    counted: bool = True  # False while locked: refused without a row in the log


Role = Literal["owner", "contact"]


@dataclass(frozen=True)
class Account:
    """Who is logged in: the owner, or a trusted contact (linked to a contacts entry of the config)."""

    name: str
    role: Role
    contact: str | None = None
    live_view: bool = False


SETUP_CODE = "setup-code"


def setup_code(data_dir: Path) -> str:
    """The one-time code first-run setup asks for, printed on the Pi's console and by ``porchlight doctor``.

    Whoever opens the dashboard first would otherwise own it: anyone on her Wi-Fi, before she does.
    """
    raw = secret_file(data_dir / "keys" / SETUP_CODE, 5).hex()
    return f"{raw[:5]}-{raw[5:]}"


def setup_code_matches(data_dir: Path, given: str) -> bool:
    """Whether ``given`` is the setup code (spaces, dashes and case do not matter)."""
    import hmac

    want = setup_code(data_dir).replace("-", "")
    return hmac.compare_digest(given.strip().lower().replace("-", "").replace(" ", "").encode(), want.encode())


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
        self._data_dir = data_dir
        self._conn = open_web_db(data_dir, SCHEMA)
        self._lock = threading.Lock()
        self._hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
        self._checks = threading.BoundedSemaphore(CONCURRENT_CHECKS)
        self._dummy: str | None = None  # made on the first check: opening the store costs no argon2 hash

    def has_owner(self) -> bool:
        """Whether first-run setup has happened."""
        with self._lock:
            return self._conn.execute("SELECT 1 FROM accounts WHERE role = 'owner'").fetchone() is not None

    def create_owner(self, name: str, password: str, device: str | None = None) -> list[str]:
        """Create the owner (only once, trusting the browser she did it from); return recovery codes to show once.

        The setup code is spent with it.
        """
        codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
        with self._lock:
            if self._conn.execute("SELECT 1 FROM accounts WHERE role = 'owner'").fetchone():
                raise PermissionError("the owner account already exists")
            self._conn.execute("INSERT INTO accounts (name, role, password_hash, created_at) VALUES (?, 'owner', ?, ?)",
                               (name, self._hasher.hash(password), time.time()))
            for code in codes:
                self._conn.execute("INSERT INTO recovery_codes (code_hash) VALUES (?)",
                                   (hashlib.sha256(code.encode()).hexdigest(),))
            if device:
                self._conn.execute("INSERT OR IGNORE INTO trusted_devices (account, device, since) VALUES (?, ?, ?)",
                                   (name, device, time.time()))
        (self._data_dir / "keys" / SETUP_CODE).unlink(missing_ok=True)
        return codes

    def _pool(self, name: str, device: str | None) -> str:
        if device:
            with self._lock:
                if self._conn.execute("SELECT 1 FROM trusted_devices WHERE account = ? AND device = ?",
                                      (name, device)).fetchone():
                    return device
        return STRANGERS

    def locked_for(self, name: str, device: str | None = None) -> float:
        """Seconds logins of this account from this device's pool stay refused (0 when not locked)."""
        with self._lock:
            row = self._conn.execute("SELECT locked_until FROM tries WHERE account = ? AND pool = ?",
                                     (name, self._pool(name, device))).fetchone()
        return max(0.0, (row[0] or 0) - time.time()) if row else 0.0

    def attempt(self, name: str, password: str, device: str | None = None) -> Attempt:
        """Verify a login, counted before the check in one transaction, so parallel guesses cannot outrun it."""
        pool = self._pool(name, device)
        now = time.time()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                row = self._conn.execute("SELECT count, locked_until FROM tries WHERE account = ? AND pool = ?",
                                         (name, pool)).fetchone()
                count, until = (row[0], row[1]) if row else (0, None)
                if until is not None and until > now:
                    self._conn.execute("UPDATE tries SET refused = refused + 1 WHERE account = ? AND pool = ?",
                                       (name, pool))
                    self._conn.execute("COMMIT")
                    return Attempt(False, until - now, counted=False)
                count = count + 1 if until is None else 1  # a lock that ran out starts the count again
                locked = now + LOCKOUT_SECONDS if count >= MAX_FAILURES else None
                self._conn.execute(
                    "INSERT INTO tries (account, pool, count, locked_until) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(account, pool) DO UPDATE SET count = excluded.count, locked_until = excluded.locked_until",
                    (name, pool, count, locked))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        if not self._checks.acquire(timeout=BUSY_SECONDS):
            return Attempt(False, busy=True)
        try:
            ok = self._verify(name, password)
        finally:
            self._checks.release()
        if not ok:
            return Attempt(False, (locked - now) if locked else 0.0)
        with self._lock:
            self._conn.execute("DELETE FROM tries WHERE account = ? AND pool = ?", (name, pool))
            if device:
                self._conn.execute("INSERT OR IGNORE INTO trusted_devices (account, device, since) VALUES (?, ?, ?)",
                                   (name, device, now))
        return Attempt(True)

    def _verify(self, name: str, password: str) -> bool:
        with self._lock:
            row = self._conn.execute("SELECT password_hash FROM accounts WHERE name = ? AND revoked = 0",
                                     (name,)).fetchone()
        try:
            # An unknown name costs the same hash as a known one, so timing does not tell names apart.
            if self._dummy is None:
                self._dummy = self._hasher.hash(secrets.token_hex(16))
            stored: str = row[0] if row else self._dummy
            return bool(self._hasher.verify(stored, password)) and row is not None
        except VerificationError:
            return False

    def check(self, name: str, password: str, device: str | None = None) -> bool:
        """Whether a password is right (counted like a login)."""
        return self.attempt(name, password, device).ok

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
        """Spend a recovery code (each works once). Never locked: 48 random bits each cannot be guessed over a LAN."""
        digest = hashlib.sha256(code.strip().lower().encode()).hexdigest()
        with self._lock:
            cursor = self._conn.execute("UPDATE recovery_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL",
                                        (time.time(), digest))
            if cursor.rowcount == 1:
                self._conn.execute("DELETE FROM tries WHERE account = 'owner'")
                return True
            self._conn.execute("INSERT INTO tries (account, pool, count) VALUES ('owner', '*recovery*', 1) "
                               "ON CONFLICT(account, pool) DO UPDATE SET count = count + 1")
        return False

    def recovery_failures(self) -> int:
        """Wrong recovery codes since the last right one (the log gets the first and every 20th)."""
        with self._lock:
            row = self._conn.execute("SELECT count FROM tries WHERE account = 'owner' AND pool = '*recovery*'").fetchone()
        return int(row[0]) if row else 0

    def new_recovery_codes(self) -> list[str]:
        """Replace every recovery code (the old ones stop working); the new ones, to show her once."""
        codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
        with self._lock:
            self._conn.execute("DELETE FROM recovery_codes")
            for code in codes:
                self._conn.execute("INSERT INTO recovery_codes (code_hash) VALUES (?)",
                                   (hashlib.sha256(code.encode()).hexdigest(),))
        return codes

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
            self._conn.execute("DELETE FROM tries")
