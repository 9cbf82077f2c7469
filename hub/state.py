"""Small persisted hub state (the arm mode and its deadlines): a key-value table in the hub's database."""

from __future__ import annotations

from hub.database import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class StateStore:
    """Reads and writes one value per key, durably."""

    def __init__(self, database: Database) -> None:
        self._db = database
        database.create(SCHEMA)

    def get_state(self, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        value = self._db.scalar("SELECT value FROM state WHERE key = ?", key)
        return None if value is None else str(value)

    def set_state(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing what was there."""
        self._db.execute("INSERT INTO state (key, value) VALUES (?, ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
