"""The hub's database, opened once: the incident log and the small tables beside it, each with its owner."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from hub.alerts.outbox import Outbox
from hub.command_queue import CommandQueue
from hub.database import DB_NAME, Database
from hub.log import IncidentLog
from hub.state import StateStore


class Store:
    """``log`` (append, read, verify, checkpoint), ``commands``, ``state`` and ``outbox``, on one connection."""

    def __init__(self, data_dir: Path, *, checkpoint_every_rows: int = 100) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.database = Database(data_dir / DB_NAME)
        self.log = IncidentLog(data_dir, checkpoint_every_rows=checkpoint_every_rows, database=self.database)
        # Her entries wait for the hub already sealed: never in the clear in the command queue.
        self.commands = CommandQueue(self.database, self.log.seal_watch)
        self.state = StateStore(self.database)
        self.outbox = Outbox(self.database)

    def close(self) -> None:
        """Close the database."""
        self.database.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
