"""The dashboard's front door: first-run setup, login with lockout, CSRF, headers, quick exit."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from web import PUBLIC_ENDPOINTS, create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def app(data_dir: Path) -> Flask:
    """The dashboard app on a temporary data directory."""
    return create_app({"DATA_DIR": str(data_dir), "TLS": False})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like test client."""
    return app.test_client()


def _csrf(client: FlaskClient, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match is not None
    return match.group(1)


def _set_up(client: FlaskClient) -> list[str]:
    page = client.post("/setup", data={"csrf_token": _csrf(client, "/setup"), "password": PASSWORD,
                                       "confirm": PASSWORD}).get_data(as_text=True)
    return re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", page)


def _login(client: FlaskClient, password: str = PASSWORD) -> Any:
    return client.post("/login", data={"csrf_token": _csrf(client, "/login"), "password": password})


def test_first_visit_must_create_the_owner_password(client: FlaskClient) -> None:
    assert client.get("/").headers["Location"] == "/setup"
    assert client.get("/login").headers["Location"] == "/setup"
    weak = client.post("/setup", data={"csrf_token": _csrf(client, "/setup"), "password": "1234", "confirm": "1234"})
    assert weak.status_code == 400 and "at least 10 characters" in weak.get_data(as_text=True)
    codes = _set_up(client)
    assert len(codes) == 8 and len(set(codes)) == 8
    assert client.get("/setup").headers["Location"] == "/login"  # only once


def test_login_then_home_then_logout(client: FlaskClient) -> None:
    _set_up(client)
    assert _login(client).headers["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": _csrf(client, "/")})
    assert client.get("/").headers["Location"] == "/login"


def test_five_wrong_passwords_lock_the_account(client: FlaskClient) -> None:
    _set_up(client)
    for _ in range(4):
        assert "Wrong name or password." in _login(client, "guess").get_data(as_text=True)
    locked = _login(client, "guess")
    assert locked.status_code == 401 and "Too many wrong passwords. Try again in 15 minutes." in locked.get_data(as_text=True)
    assert _login(client).status_code == 401  # even the right password waits the lockout out


def test_every_route_needs_login_and_every_post_needs_csrf(app: Flask, client: FlaskClient) -> None:
    _set_up(client)
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in PUBLIC_ENDPOINTS]
    assert rules  # the test means something only while there are private routes
    for rule in rules:
        path = rule.rule.replace("<", "").replace(">", "")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            expected = 400 if method == "POST" else 302  # a POST without a token is refused first
            assert response.status_code == expected, (rule.rule, method)
            if method == "GET":
                assert response.headers["Location"] == "/login"


def test_posts_without_csrf_are_refused(client: FlaskClient) -> None:
    assert client.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 400
    _set_up(client)
    assert client.post("/login", data={"password": PASSWORD}).status_code == 400


def test_security_headers_and_cookies(app: Flask, data_dir: Path) -> None:
    secure = create_app({"DATA_DIR": str(data_dir)}).test_client()
    response = secure.get("/setup")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Strict" in cookie


def test_quick_exit_ends_the_session(client: FlaskClient) -> None:
    _set_up(client)
    _login(client)
    exit_response = client.get("/exit")
    assert exit_response.headers["Location"] == "https://www.bbc.com/weather"
    assert client.get("/").headers["Location"] == "/login"
    assert 'id="quick-exit"' in client.get("/login").get_data(as_text=True)


@pytest.fixture
def pinned(data_dir: Path) -> FlaskClient:
    """A logged-in client on a hub with a PIN and a duress PIN."""
    from hub.config import parse_config

    hub_config = parse_config({"data_dir": str(data_dir), "arming": {"pin": "2468", "duress_pin": "1357"}})
    client = create_app({"DATA_DIR": str(data_dir), "TLS": False, "HUB_CONFIG": hub_config}).test_client()
    _set_up(client)
    _login(client)
    return client


def _commands(data_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    from hub.log import IncidentLog

    log = IncidentLog(data_dir)
    try:
        return [(event.kind, dict(event.detail)) for _, event in log.pending_commands()]
    finally:
        log.close()


def test_logins_are_recorded_and_a_new_device_is_flagged(data_dir: Path, client: FlaskClient) -> None:
    _set_up(client)
    _login(client, "wrong password")
    _login(client)
    other = client.application.test_client()
    other.environ_base["HTTP_USER_AGENT"] = "his phone"
    _login(other)
    assert [kind for kind, _ in _commands(data_dir)] == [
        "access.login_failed", "access.login", "access.login", "access.new_device"]


def test_duress_disarm_looks_exactly_like_a_normal_disarm(data_dir: Path, pinned: FlaskClient) -> None:
    normal = pinned.post("/arm", data={"csrf_token": _csrf(pinned, "/"), "mode": "disarmed", "pin": "2468"})
    duress = pinned.post("/arm", data={"csrf_token": _csrf(pinned, "/"), "mode": "disarmed", "pin": "1357"})
    assert normal.status_code == duress.status_code == 302
    assert normal.headers["Location"] == duress.headers["Location"]
    assert normal.get_data() == duress.get_data()
    wrong = pinned.post("/arm", data={"csrf_token": _csrf(pinned, "/"), "mode": "disarmed", "pin": "0000"})
    assert "Wrong+PIN" in wrong.headers["Location"]
    kinds = [kind for kind, _ in _commands(data_dir) if not kind.startswith("access.")]
    assert kinds == ["arm.set", "arm.set", "duress", "arm.pin_rejected"]


def test_panic_and_arming_from_the_home_page(data_dir: Path, pinned: FlaskClient) -> None:
    page = pinned.get("/").get_data(as_text=True)
    assert "Panic: alert everyone now" in page and "Mode: disarmed" in page
    pinned.post("/arm", data={"csrf_token": _csrf(pinned, "/"), "mode": "away"})
    panic = pinned.post("/panic", data={"csrf_token": _csrf(pinned, "/")})
    assert "every+contact+is+being+alerted" in panic.headers["Location"]
    assert [k for k, _ in _commands(data_dir) if not k.startswith("access.")] == ["arm.set", "panic"]
