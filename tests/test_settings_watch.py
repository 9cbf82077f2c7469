"""A config file edited by hand between two starts is on the record, naming the sections, never their values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.app import Hub
from hub.config import load_config
from hub.log import IncidentLog
from tests.conftest import write_config


def _start_and_stop(config_file: Path, mock_factory: Any) -> None:
    hub = Hub(load_config(config_file), pin_factory=mock_factory)
    hub.start()
    assert hub.wait_idle(5)
    hub.stop()


def test_a_yaml_edit_between_two_starts_is_a_settings_change_row(tmp_path: Path, mock_factory: Any) -> None:
    data = tmp_path / "data"
    settings: dict[str, Any] = {"data_dir": str(data), "mqtt": {"enabled": False}, "web": {"enabled": False}, "arming": {"pin": "2468"},
                                "contacts": {"ann": {"notify": ["json://127.0.0.1:9/ann"]}}}
    config_file = write_config(tmp_path / "porchlight.yaml", settings)
    _start_and_stop(config_file, mock_factory)
    _start_and_stop(config_file, mock_factory)  # unchanged: nothing to report
    # Someone with SSH removes her PIN and her contact.
    write_config(config_file, {**settings, "arming": {}, "contacts": {}})
    _start_and_stop(config_file, mock_factory)
    log = IncidentLog(data)
    try:
        [row] = log.events(kind="access.settings_changed")
    finally:
        log.close()
    assert row.detail["sections"] == ["arming", "contacts"]
    assert row.detail["what"] == "the config file was changed outside the dashboard (arming, contacts)"
    assert "2468" not in str(row.detail) and "127.0.0.1" not in str(row.detail)


def test_her_own_settings_changes_are_told_but_never_incidents(tmp_path: Path, mock_factory: Any) -> None:
    from hub.config import parse_config
    from hub.events import Event, Severity
    from hub import kinds

    config = parse_config({"data_dir": str(tmp_path / "data"), "mqtt": {"enabled": False}, "web": {"enabled": False},
                           "contacts": {"me": {"notify": ["json://127.0.0.1:9/me"], "events": ["access.*"]}}})
    hub = Hub(config, pin_factory=mock_factory)
    hub.start()
    try:
        hub.submit(Event(kinds.ACCESS_SETTINGS_CHANGED, "dashboard", Severity.NOTICE, {"what": "PINs changed"}))
        assert hub.wait_idle(5)
        assert hub.log is not None and hub.store is not None
        assert [e.kind for e in hub.log.events(kinds=list(kinds.INCIDENT_KINDS))] == []
        [notice] = hub.log.events(kind=kinds.ALERT_RAISED)
        assert notice.detail["cause_seq"]
        assert len(hub.store.outbox.rows()) == 1  # still told to whoever asked to hear of it
    finally:
        hub.stop()
