"""The LAN dashboard: a Flask application factory. Every page needs a login except setup, login,
recovery, static files and signed acknowledgement links; every POST carries a CSRF token."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from flask import Flask, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from hub import kinds
from hub.config import Config
from hub.files import secret_file
from hub.store import Store
from hub.accounts import AccountStore
from hub.frames import FrameProvider, no_frames
from hub.demo_inbox import FILE_NAME as DEMO_INBOX
from web.services import Services
from hub.sessions import SessionStore

PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.setup", "auth.exit", "auth.recover", "ack.acknowledge"}
# What a trusted contact may open; everything else is the owner's alone.
CONTACT_ENDPOINTS = {"alerts.index", "alerts.acknowledge", "incidents.detail", "evidence.file",
                     "resources.index", "auth.logout", "live.index", "live.stream"}


def create_app(config: Config, *, frames: FrameProvider = no_frames,
               settings: Mapping[str, Any] | None = None) -> Flask:
    """Build the dashboard for a hub configuration; ``settings`` overrides Flask config (tests)."""
    app = Flask(__name__)
    data_dir = config.data_dir
    web = config.web
    app.config.update(
        SECRET_KEY=secret_file(data_dir / "keys" / "web.key"),
        SESSION_COOKIE_NAME="porchlight",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=web.tls,
        MAX_CONTENT_LENGTH=web.max_upload_mb * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which idles out on its own
        EXIT_URL=web.exit_url,
        IDLE_SECONDS=web.idle_minutes * 60,
        TLS_FINGERPRINT=None,
        COMMAND_WAIT_SECONDS=5.0,  # how long a page waits for the hub to answer a command (an acknowledgement)
    )
    app.config.update(settings or {})
    # The dashboard reads the log and writes only commands; the hub's pipeline records them.
    store = Store(data_dir)
    app.extensions["porchlight"] = Services(
        config=config, log=store.log, commands=store.commands, state=store.state, outbox=store.outbox,
        accounts=AccountStore(data_dir),
        sessions=SessionStore(data_dir, web.idle_minutes * 60), frames=frames)
    CSRFProtect(app)

    from web import (ack, alerts, auth, checkin, concern, contacts, devices_page, entry, evidence, export, home,
                     hub_settings_page, inbox, incidents, live, mail_settings, resources, sealed, settings_page, sheet)

    for module in (ack, alerts, auth, checkin, concern, contacts, devices_page, entry, evidence, export, home,
                   hub_settings_page, inbox, incidents, live, mail_settings, resources, sealed, settings_page, sheet):
        app.register_blueprint(module.bp)
    sealed.watch_idle(app)

    app.jinja_env.globals["kinds"] = kinds
    app.jinja_env.globals["demo_inbox"] = (data_dir / DEMO_INBOX).exists  # the nav shows Inbox in the demo only  # templates name kinds by the registry's constants too
    app.jinja_env.filters["clock"] = lambda epoch: datetime.fromtimestamp(float(epoch)).strftime("%a %d %b %H:%M")

    @app.before_request
    def require_login() -> Response | None:
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        found: Services = app.extensions["porchlight"]
        if not found.accounts.has_owner():
            return redirect(url_for("auth.setup"))
        name = found.sessions.touch(str(session.get("sid", ""))) if "sid" in session else None
        who = found.accounts.get(name) if name else None
        if who is None:
            # Only the login goes: a stray request (a favicon, a second tab) must not wipe the CSRF token
            # of the login form she is about to send.
            session.pop("sid", None)
            return redirect(url_for("auth.login"))
        g.account = who
        g.sid = session["sid"]
        if who.role != "owner" and request.endpoint not in CONTACT_ENDPOINTS:
            if request.endpoint == "home.index":
                return redirect(url_for("alerts.index"))
            return Response("This page is for the owner of this hub.", 403, mimetype="text/plain")
        if request.blueprint in sealed.READING_BLUEPRINTS and not sealed.session_may_read(who.role == "owner"):
            if who.role == "owner":
                return redirect(url_for("sealed.unlock", next=request.full_path.rstrip("?")))
            return Response("The hub's records are sealed until its owner unlocks them.", 423, mimetype="text/plain")
        return None

    @app.after_request
    def security_headers(response: Response) -> Response:
        if "new_device" in g:  # this browser's own key, for counting wrong passwords per device (web/auth.py)
            response.set_cookie("porchlight_device", g.new_device, max_age=5 * 365 * 86400, httponly=True,
                                samesite="Strict", secure=web.tls)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"  # Flask-WTF checks the referrer on HTTPS; nothing leaves the LAN
        response.headers["Cache-Control"] = "no-store"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
        app.logger.warning("upload refused: larger than %d MB from %s", web.max_upload_mb, request.remote_addr)
        return render_template("error.html", title="Upload too large",
                               problem=f"That upload is larger than the {web.max_upload_mb} MB limit. "
                                       "Nothing was stored. Try a smaller file, or split it."), 413

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        # Her own page, with the Quick exit, rather than the framework's bare one.
        return render_template("error.html", title="Not found",
                               problem="There is nothing at this address on your hub."), 404

    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError) -> tuple[str, int]:
        app.logger.warning("request refused from %s: %s", request.remote_addr, error.description)
        return render_template("error.html", title="Form expired",
                               problem="This form has expired or did not come from this dashboard. "
                                       "Go back, reload the page and try again."), 400

    return app
