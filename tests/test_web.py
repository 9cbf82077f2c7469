"""The dashboard's front door: setup, login, lockout, sessions, roles, CSRF, headers, quick exit."""

from __future__ import annotations

import re
from datetime import datetime, timezone
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter

from hub.log import IncidentLog
from hub.store import Store
from tests.conftest import PORCHLIGHT, REPO
from tests.webtools import (PASSWORD, answering_hub, commands, csrf, hub_config, login, make_app, owner, post,
                            said, set_up, take_commands)
from web import PUBLIC_ENDPOINTS


@pytest.fixture
def app(data_dir: Path) -> Flask:
    """The dashboard app on a temporary data directory."""
    return make_app(data_dir, arming={"pin": "2468", "duress_pin": "1357"}, **CONTACTS)


CONTACTS = {"contacts": {"ann": {"name": "Ann", "notify": ["json://127.0.0.1:9/x"]}}}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like test client."""
    return app.test_client()


def test_first_visit_must_create_the_owner_password(client: FlaskClient) -> None:
    assert client.get("/").headers["Location"] == "/setup"
    assert client.get("/login").headers["Location"] == "/setup"
    weak = client.post("/setup", data={"csrf_token": csrf(client, "/setup"), "password": "1234", "confirm": "1234"})
    assert weak.status_code == 400 and "at least 10 characters" in weak.get_data(as_text=True)
    codes = set_up(client)
    assert len(codes) == 8 and len(set(codes)) == 8
    assert client.get("/setup").headers["Location"] == "/login"  # only once


def test_login_then_home_then_logout(client: FlaskClient) -> None:
    set_up(client)
    assert login(client).headers["Location"] == "/"
    assert client.get("/").status_code == 200
    post(client, "/logout")
    assert client.get("/").headers["Location"] == "/login"


def test_five_wrong_passwords_lock_the_account(client: FlaskClient) -> None:
    set_up(client)
    for _ in range(4):
        assert "Wrong name or password." in login(client, "guess").get_data(as_text=True)
    locked = login(client, "guess")
    assert locked.status_code == 401 and "Too many wrong passwords. Try again in 15 minutes." in locked.get_data(as_text=True)
    assert login(client).status_code == 401  # even the right password waits the lockout out


def _sample_path(app: Flask, rule: object) -> str:
    values = {arg: 1 if isinstance(rule._converters[arg], IntegerConverter) else "a"  # type: ignore[attr-defined]
              for arg in rule.arguments}  # type: ignore[attr-defined]
    return app.url_map.bind("localhost").build(rule.endpoint, values)  # type: ignore[attr-defined]


def test_every_route_needs_login_and_every_post_needs_csrf(app: Flask, client: FlaskClient) -> None:
    set_up(client)
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in PUBLIC_ENDPOINTS]
    assert len(rules) > 30  # the test means something only while there are private routes
    for rule in rules:
        path = _sample_path(app, rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            if method == "GET":
                assert (response.status_code, response.headers.get("Location")) == (302, "/login"), rule.rule
            else:
                assert response.status_code == 400, (rule.rule, method)  # refused for want of a token
    # Logged in, a POST without the token is still refused, on every route.
    login(client)
    for rule in rules:
        if "POST" in (rule.methods or set()):
            assert client.post(_sample_path(app, rule)).status_code == 400, rule.rule
    public = {r.endpoint for r in app.url_map.iter_rules()} & PUBLIC_ENDPOINTS
    assert public == {"static", "auth.login", "auth.setup", "auth.exit", "auth.recover", "ack.acknowledge"}


def test_security_headers_and_cookies(data_dir: Path) -> None:
    from hub.config import parse_config
    from web import create_app

    secure = create_app(parse_config({"data_dir": str(data_dir)})).test_client()
    response = secure.get("/setup")
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy and "script-src 'self'" in policy
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Strict" in cookie
    # No HSTS: with a self-signed certificate it protects nothing, and once she trusts the certificate
    # it would lock her out of her own hub if the certificate were ever made again.
    assert "Strict-Transport-Security" not in response.headers


def test_no_page_loads_anything_from_the_internet(app: Flask) -> None:
    client = owner(app)
    for path in ("/", "/incidents", "/entry", "/concern", "/contacts", "/checkin", "/export", "/help", "/settings",
                 "/live", "/alerts"):
        page = client.get(path).get_data(as_text=True)
        assert client.get(path).status_code == 200, path
        assert not re.search(r'(src|href)="(https?:)?//', page), path


def test_quick_exit_ends_the_session(client: FlaskClient) -> None:
    set_up(client)
    login(client)
    exit_response = client.get("/exit")
    assert exit_response.headers["Location"] == "https://www.bbc.com/weather"  # the default neutral site
    assert client.get("/").headers["Location"] == "/login"
    assert 'id="quick-exit"' in client.get("/login").get_data(as_text=True)


def test_logins_are_recorded_and_a_new_device_is_flagged(data_dir: Path, client: FlaskClient) -> None:
    set_up(client)
    login(client, "wrong password")
    login(client)
    other = client.application.test_client()
    other.environ_base["HTTP_USER_AGENT"] = "his phone"
    login(other)
    assert [kind for kind, _ in commands(data_dir)] == [
        "access.login_failed", "access.login", "access.login", "access.new_device"]
    page = client.get("/").get_data(as_text=True)
    assert "login from a NEW device" in page and "FAILED login" in page


def test_owner_lists_and_ends_sessions(app: Flask) -> None:
    mine = owner(app)
    his = app.test_client()
    his.environ_base["HTTP_USER_AGENT"] = "his laptop"
    login(his)
    page = mine.get("/settings").get_data(as_text=True)
    assert "his laptop" in page and "this one" in page
    post(mine, "/settings/sessions/end", {"sid": "all"})
    assert his.get("/").headers["Location"] == "/login"
    assert mine.get("/").status_code == 200


def test_idle_session_is_logged_out(app: Flask, data_dir: Path) -> None:
    client = owner(app)
    store = app.extensions["porchlight"].sessions
    store._conn.execute("UPDATE sessions SET last_seen = last_seen - 16 * 60")
    assert client.get("/").headers["Location"] == "/login"


def test_a_recovery_code_resets_the_password_once(client: FlaskClient, data_dir: Path) -> None:
    codes = set_up(client)
    new = "a brand new passphrase"
    form = {"code": codes[0], "password": new, "confirm": new}
    assert said(client, post(client, "/recover", form)).startswith("Password changed")
    fresh = client.application.test_client()
    assert login(fresh, PASSWORD).status_code == 401
    assert login(fresh, new).status_code == 302
    again = client.application.test_client()
    reused = post(again, "/recover", {**form, "password": "another passphrase", "confirm": "another passphrase"})
    assert reused.status_code == 401 and "wrong or was already used" in reused.get_data(as_text=True)
    assert "access.recovery_code_used" in [kind for kind, _ in commands(data_dir)]


def test_duress_disarm_looks_exactly_like_a_normal_disarm(data_dir: Path, app: Flask) -> None:
    client = owner(app)
    normal = post(client, "/arm", {"mode": "disarmed", "pin": "2468"})
    normal_words = said(client, normal)
    duress = post(client, "/arm", {"mode": "disarmed", "pin": "1357"})
    assert normal.status_code == duress.status_code == 302
    assert normal.headers["Location"] == duress.headers["Location"]
    assert normal.get_data() == duress.get_data()
    assert said(client, duress) == normal_words
    wrong = post(client, "/arm", {"mode": "disarmed", "pin": "0000"})
    assert "Wrong PIN" in said(client, wrong)
    kinds = [kind for kind, _ in commands(data_dir) if not kind.startswith("access.")]
    assert kinds == ["arm.set", "arm.set", "duress", "arm.pin_rejected"]


def test_panic_and_arming_from_the_home_page(data_dir: Path, app: Flask) -> None:
    client = owner(app)
    page = client.get("/").get_data(as_text=True)
    assert "Panic: alert your contact now" in page and "Mode: disarmed" in page
    assert "No test message has gone out to any contact yet" in page
    post(client, "/arm", {"mode": "away"})
    # No hub is taking commands: the page must not say that anyone is being told.
    alone = said(client, post(client, "/panic"))
    assert "has not confirmed your panic" in alone and "nobody is known to have been told" in alone
    assert [k for k, _ in commands(data_dir) if not k.startswith("access.")] == ["arm.set", "panic"]
    with Store(data_dir) as store, answering_hub(store, hub_config(data_dir, **CONTACTS)):
        told = said(client, post(client, "/panic"))
        assert told.startswith("Alerting your contact now.") and "No test message has gone out to them yet" in told
        assert "Ann" not in told  # counts, not names: someone may be looking over her shoulder
        set_mode = said(client, post(client, "/arm", {"mode": "home"}))
    assert set_mode == "Mode set to home."


def test_a_trusted_contact_sees_only_alerts_sent_to_them(app: Flask, data_dir: Path) -> None:
    client = owner(app)
    post(client, "/settings/accounts", {"name": "ann", "contact": "ann", "password": "ann's long password"})
    store = Store(data_dir)
    log = store.log
    from hub.events import Event, Severity
    from hub.alerts.outbox import AlertRequest

    snapshot = log.evidence.put_bytes(b"\xff\xd8\xff snapshot of him")
    private = log.evidence.put_bytes(b"%PDF-1.4 her medical letter")
    seen = log.append(Event("face.match", "front_cam", Severity.CRITICAL, {"person": "him"}, evidence=(snapshot,)),
                      [AlertRequest(Severity.CRITICAL, "him at the door", "face.match", "front_cam")])
    other = log.append(Event("incident.report", "owner", Severity.NOTICE, {"description": "private note"},
                             evidence=(private,)))
    store.outbox.add_delivery(1, "ann", 0, 1, datetime.now(timezone.utc))
    ann = app.test_client()
    assert login(ann, "ann's long password", name="ann").headers["Location"] == "/"
    assert ann.get("/").headers["Location"] == "/alerts"
    page = ann.get("/alerts").get_data(as_text=True)
    assert "him seen by front_cam" in page
    assert ann.get(f"/incidents/{seen}").status_code == 200
    assert ann.get(f"/incidents/{other}").status_code == 404
    with ann.get(f"/evidence/{snapshot}") as allowed:
        assert allowed.status_code == 200
    assert ann.get(f"/evidence/{private}").status_code == 404
    for path in ("/incidents", "/settings", "/export", "/entry", "/contacts", "/live"):
        assert ann.get(path).status_code == 403, path
    with answering_hub(store, hub_config(data_dir)):
        done = post(ann, "/alerts/1/ack")
    assert "you are on it" in said(ann, done)
    assert store.outbox.acknowledged_by(1) == "ann"
    # Revoked: the contact's open session ends at once.
    post(client, "/settings/accounts/ann", {"action": "revoke"})
    assert ann.get("/alerts").headers["Location"] == "/login"
    take_commands(store)
    store.close()


def test_evidence_urls_refuse_traversal_and_unknown_hashes(app: Flask, data_dir: Path) -> None:
    client = owner(app)
    log = IncidentLog(data_dir)
    sha = log.evidence.put_bytes(b"\xff\xd8\xff\xe0 a tiny jpeg")
    log.close()
    with client.get(f"/evidence/{sha}") as response:
        assert response.status_code == 200 and response.headers["Content-Type"] == "image/jpeg"
        assert response.get_data() == b"\xff\xd8\xff\xe0 a tiny jpeg"
    for attempt in ("../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fporchlight.db",
                    sha.upper(), sha + "%0a", sha[:-1], "..", "a" * 64, f"{sha[:2]}%2F{sha}",
                    "....//....//etc/passwd", "%00"):
        response = client.get(f"/evidence/{attempt}")
        assert response.status_code == 404, attempt
        assert b"root:" not in response.get_data()
    for attempt in ("../../porchlight.db", "..%2F..%2Fweb.db", "0" * 16 + "/../../x", "abc"):
        assert client.get(f"/export/{attempt}/download").status_code == 404, attempt
        assert client.get(f"/export/{attempt}").status_code == 404, attempt


def test_a_stray_request_does_not_spoil_the_login_form(client: FlaskClient) -> None:
    set_up(client)
    token = csrf(client, "/login")
    client.get("/favicon.ico")  # browsers ask for it while she types; it must not reset the form's token
    response = client.post("/login", data={"csrf_token": token, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_the_console_resets_the_password_and_lifts_a_lockout(app: Flask, data_dir: Path) -> None:
    from tests.conftest import run_cli

    client = owner(app)
    locked = app.test_client()
    for _ in range(5):
        login(locked, "his guess")
    assert login(locked).status_code == 401
    done = subprocess.run([*PORCHLIGHT, "dashboard-password", "--data", str(data_dir), "--stdin"],
                          input="the console knows best\n", capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0 and "1 open session(s) ended" in done.stdout, done.stderr
    assert client.get("/").headers["Location"] == "/login"
    assert login(app.test_client(), "the console knows best").headers["Location"] == "/"
    short = run_cli("dashboard-password", "--data", str(data_dir), "--stdin")
    assert short.returncode == 1
    assert any(kind == "access.settings_changed" and detail["what"] == "owner password reset at the console"
               for kind, detail in commands(data_dir))


@given(st.binary(max_size=512))
@settings(max_examples=300, deadline=None)
def test_sniffing_arbitrary_bytes_never_raises(data: bytes) -> None:
    from hub.filetypes import ATTACHMENT_TYPES, sniff

    found = sniff(data)
    assert found is None or found in ATTACHMENT_TYPES


def test_the_database_holds_no_usable_session_id_and_is_private(app: Flask, data_dir: Path) -> None:
    import sqlite3

    client = owner(app)
    cookie = client.get_cookie("porchlight")
    assert cookie is not None
    with sqlite3.connect(data_dir / "web.db") as db:
        stored = [row[0] for row in db.execute("SELECT id FROM sessions")]
    from flask.sessions import SecureCookieSessionInterface

    sid = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie.value)["sid"]  # type: ignore[union-attr]
    assert sid not in stored and len(stored) == 1
    assert (data_dir / "web.db").stat().st_mode & 0o077 == 0
    # Ending "this one" from the session list still works with the stored key.
    page = client.get("/settings").get_data(as_text=True)
    key = re.search(r'name="sid" value="([0-9a-f]{64})"', page)
    assert key is not None and "this one" in page
    assert post(client, "/settings/sessions/end", {"sid": key.group(1)}).headers["Location"] == "/login"


def test_alerts_read_as_sentences_and_one_that_reached_nobody_says_so(data_dir: Path) -> None:
    from hub.alerts.outbox import AlertRequest
    from hub.alerts.worker import Deliveries
    from hub.clock import SystemClock
    from hub.events import Event, Severity

    app = make_app(data_dir)  # no contacts at all
    client = owner(app)
    with Store(data_dir) as store:
        store.log.append(Event("panic", "dashboard", Severity.CRITICAL, {"via": "dashboard"}),
                         [AlertRequest(Severity.CRITICAL, "panic", "panic", "dashboard")])
        Deliveries(store.log, store.outbox, hub_config(data_dir), SystemClock(), store.log.append).tick()
    page = client.get("/alerts").get_data(as_text=True)
    assert "Nobody was told: no contact is set up for this." in page
    assert "no_contacts" not in page and "I'm on it" not in page
    home = client.get("/").get_data(as_text=True)
    assert "No contact is set up, so an alarm or a panic reaches nobody." in home
    assert "Panic: record it now (no contact is set up to be alerted)" in home


def test_an_unknown_address_is_her_own_page_with_the_quick_exit(client: FlaskClient) -> None:
    set_up(client)
    login(client)
    page = client.get("/no/such/page")
    assert page.status_code == 404 and 'id="quick-exit"' in page.get_data(as_text=True)
