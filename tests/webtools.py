"""Helpers for dashboard tests: build the app on a temporary hub config, set up, log in, find tokens."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from hub.config import Config, parse_config
from hub.log import IncidentLog
from web import create_app

PASSWORD = "correct horse battery"


def hub_config(data_dir: Path, **sections: Any) -> Config:
    """A hub config on ``data_dir`` with plain HTTP (tests) and any extra sections."""
    return parse_config({"data_dir": str(data_dir), "web": {"tls": False}, **sections})


def make_app(data_dir: Path, **sections: Any) -> Flask:
    """The dashboard app for tests."""
    return create_app(hub_config(data_dir, **sections))


def csrf(client: FlaskClient, path: str | None = None) -> str:
    """A CSRF token from a page's form (any page of the session's will do, logged in or not)."""
    for candidate in ([path] if path else ["/help", "/login", "/setup"]):
        page = client.get(candidate).get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if match is not None:
            return match.group(1)
    raise AssertionError(f"no CSRF token on {path or '/help or /login'}")


def set_up(client: FlaskClient) -> list[str]:
    """Create the owner; return the recovery codes shown."""
    page = client.post("/setup", data={"csrf_token": csrf(client, "/setup"), "password": PASSWORD,
                                       "confirm": PASSWORD}).get_data(as_text=True)
    return re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", page)


def login(client: FlaskClient, password: str = PASSWORD, name: str = "owner") -> Any:
    """Post the login form."""
    return client.post("/login", data={"csrf_token": csrf(client, "/login"), "name": name, "password": password})


def owner(app: Flask) -> FlaskClient:
    """A client logged in as the owner (setting her up first)."""
    client = app.test_client()
    set_up(client)
    login(client)
    return client


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """A POST carrying a valid CSRF token; files given as (stream, name) pairs are sent as multipart."""
    fields = {"csrf_token": csrf(client), **(data or {})}
    if kwargs.pop("content_type", None) != "multipart/form-data":
        return client.post(path, data=fields, **kwargs)
    # Encoded in memory: the test client would otherwise spool a large body to a file it never closes.
    values = MultiDict()
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            values.add(key, FileStorage(item[0], item[1]) if isinstance(item, tuple) else item)
    boundary, body = encode_multipart(values)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}", **kwargs)


def commands(data_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """Commands the dashboard queued for the hub, oldest first."""
    log = IncidentLog(data_dir)
    try:
        return [(event.kind, dict(event.detail)) for _, event in log.pending_commands()]
    finally:
        log.close()


def take_commands(log: IncidentLog) -> list[int]:
    """Do what the running hub does: commit every queued command; return the new rows."""
    seqs = []
    for command_id, event in log.pending_commands():
        seqs.append(log.append(event))
        log.take_command(command_id)
    return seqs
