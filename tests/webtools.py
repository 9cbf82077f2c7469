"""Helpers for dashboard tests: build the app on a temporary hub config, set up, log in, find tokens."""

from __future__ import annotations

import html
import re
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from hub.accounts import setup_code
from hub.alerts.worker import Deliveries
from hub.clock import SystemClock
from hub.command_queue import CommandTaker
from hub.config import Config, parse_config
from hub.reach import panic_teller
from hub.store import Store
from hub import kinds
from web import create_app

PASSWORD = "correct horse battery"


def hub_config(data_dir: Path, **sections: Any) -> Config:
    """A hub config on ``data_dir`` with plain HTTP (tests) and any extra sections."""
    return parse_config({"data_dir": str(data_dir), "web": {"tls": False}, **sections})


def make_app(data_dir: Path, **sections: Any) -> Flask:
    """The dashboard app for tests; a page waits 0.3 s for a hub (tests that need one run answering_hub)."""
    return create_app(hub_config(data_dir, **sections), settings={"COMMAND_WAIT_SECONDS": 0.3})


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
    data_dir = client.application.extensions["porchlight"].config.data_dir
    page = client.post("/setup", data={"csrf_token": csrf(client, "/setup"), "password": PASSWORD,
                                       "confirm": PASSWORD, "code": setup_code(data_dir)}).get_data(as_text=True)
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


def said(client: FlaskClient, response: Any) -> str:
    """What the page a form redirected to says once (its flashed messages), as plain text."""
    assert response.status_code == 302, f"expected a redirect, got {response.status_code}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return " ".join(html.unescape(text) for text in re.findall(r'<p class="[^"]*\bsaid\b[^"]*"[^>]*>(.*?)</p>',
                                                                page, re.S))


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
    with Store(data_dir) as store:
        return [(event.kind, dict(event.detail)) for _, event in store.commands.pending_commands()]


def _taker(store: Store, config: Config, seqs: list[int]) -> CommandTaker:
    """The hub's own command taker, committing straight to the log instead of through the pipeline."""
    deliveries = Deliveries(store.log, store.outbox, config, SystemClock(), store.log.append)

    def publish(event: Any, taken: Any) -> None:
        seqs.append(store.log.append(event))
        taken(seqs[-1])

    return CommandTaker(store.commands, publish, {kinds.ALERT_ACK_REQUESTED: deliveries.answer},
                        {kinds.PANIC: panic_teller(config, store.state)})


def take_commands(store: Store, config: Config | None = None) -> list[int]:
    """Do what the running hub does once: take every queued command; return the new rows."""
    seqs: list[int] = []
    _taker(store, config or parse_config({"data_dir": str(store.log.data_dir)}), seqs).take_pending()
    return seqs


@contextmanager
def answering_hub(store: Store, config: Config) -> Iterator[None]:
    """A thread doing what the running hub does with commands, every 50 ms, while the block runs."""
    stop = threading.Event()
    taker = _taker(store, config, [])

    def run() -> None:
        while not stop.wait(0.05):
            taker.take_pending()

    thread = threading.Thread(target=run, name="answering-hub", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)
