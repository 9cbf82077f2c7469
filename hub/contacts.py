"""Trusted contacts: those in the config file plus those she adds or edits on the dashboard."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from pydantic import ValidationError

from hub.config import Config, ContactConfig
from hub.files import write_atomic

logger = logging.getLogger(__name__)
FILE_NAME = "contacts.json"


class ContactBook:
    """The contacts in force now. Dashboard entries live in data_dir/contacts.json and win over the file's."""

    def __init__(self, config: Config) -> None:
        self.base = dict(config.contacts)
        self.path: Path = config.data_dir / FILE_NAME
        self._lock = threading.Lock()
        self._stamp: float | None = None
        self._overlay: dict[str, ContactConfig] = {}

    def _load(self) -> dict[str, ContactConfig]:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            self._stamp, self._overlay = None, {}
            return self._overlay
        if stamp != self._stamp:
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
                self._overlay = {cid: ContactConfig.model_validate(data) for cid, data in raw.items()}
            except (OSError, ValueError, ValidationError, AttributeError) as err:
                # A damaged file must not silence alerts: the config file's contacts still apply.
                logger.error("%s: cannot use the dashboard's contacts (%s); using the config file's only",
                             self.path, err)
                self._overlay = {}
            self._stamp = stamp
        return self._overlay

    def current(self) -> dict[str, ContactConfig]:
        """Every contact in force, by id."""
        with self._lock:
            return {**self.base, **self._load()}

    def from_dashboard(self, cid: str) -> bool:
        """Whether this contact was added or edited on the dashboard."""
        with self._lock:
            return cid in self._load()

    def save(self, cid: str, contact: ContactConfig) -> None:
        """Add or replace one contact (the file is private: channel URLs carry credentials)."""
        with self._lock:
            overlay = {**self._load(), cid: contact}
            self._write(overlay)

    def remove(self, cid: str) -> bool:
        """Remove a dashboard contact; config-file contacts are removed in the config file."""
        with self._lock:
            overlay = dict(self._load())
            if overlay.pop(cid, None) is None:
                return False
            self._write(overlay)
            return True

    def _write(self, overlay: dict[str, ContactConfig]) -> None:
        data = {cid: c.model_dump(mode="json", exclude_defaults=True) for cid, c in overlay.items()}
        write_atomic(self.path, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"), mode=0o600)
        self._stamp = None
