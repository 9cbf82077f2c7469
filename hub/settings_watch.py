"""Notices, at start, settings changed behind the dashboard's back (the YAML edited by hand, over SSH).

Each top-level section of the config in force is kept as a keyed digest in the hub's state, so the
log can say which sections changed without holding a PIN, a password or a contact's address.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from hub.config import Config
from hub.devices import DeviceBook
from hub.events import Event, Severity
from hub.files import secret_file
from hub.state import StateStore
from hub import kinds

STATE_KEY = "config_digests"
SECRET_FILE = "settings.key"


def section_digests(config: Config, key: bytes) -> dict[str, str]:
    """A keyed digest of each top-level config section as the file gives it (devices added on the
    dashboard are left out: they are recorded when she adds them)."""
    dumped = config.model_dump(mode="json")
    sensors, cameras = DeviceBook(config.data_dir).load()
    dumped["sensors"] = {k: v for k, v in dumped.get("sensors", {}).items() if k not in sensors}
    dumped["cameras"] = {k: v for k, v in dumped.get("cameras", {}).items() if k not in cameras}
    return {name: hmac.new(key, json.dumps(value, sort_keys=True).encode(), hashlib.sha256).hexdigest()[:32]
            for name, value in sorted(dumped.items())}


def changed_since_last_start(config: Config, state: StateStore, keys_dir: Path) -> Event | None:
    """The settings-change row for sections that differ from the last start (None: same, or first start)."""
    digests = section_digests(config, secret_file(keys_dir / SECRET_FILE))
    stored = state.get_state(STATE_KEY)
    state.set_state(STATE_KEY, json.dumps(digests, sort_keys=True))
    try:
        before = json.loads(stored) if stored else None
    except ValueError:
        before = None
    if not isinstance(before, dict):
        return None
    changed = sorted(name for name in set(digests) | set(before) if digests.get(name) != before.get(name))
    if not changed:
        return None
    return Event(kinds.ACCESS_SETTINGS_CHANGED, "hub", Severity.NOTICE,
                 {"what": "the config file was changed outside the dashboard (" + ", ".join(changed) + ")",
                  "sections": changed, "by": "config file"})
