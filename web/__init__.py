"""The LAN dashboard: a Flask application factory. Every page needs a login except setup, login,
static files and signed acknowledgement links; every POST carries a CSRF token."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from web.accounts import AccountStore

PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.setup", "auth.exit"}
IDLE_MINUTES = 15
MAX_UPLOAD_BYTES = 25 * 1024 * 1024


def _secret_key(data_dir: Path) -> bytes:
    path = data_dir / "keys" / "web.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the dashboard. ``config`` needs DATA_DIR; TLS (default True) decides Secure cookies."""
    settings = dict(config or {})
    app = Flask(__name__)
    data_dir = Path(settings.get("DATA_DIR", "./data"))
    app.config.update(
        SECRET_KEY=_secret_key(data_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=bool(settings.get("TLS", True)),
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=IDLE_MINUTES),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        EXIT_URL="https://www.bbc.com/weather",
    )
    app.config.update(settings)
    app.extensions["accounts"] = AccountStore(data_dir)
    from hub.config import parse_config
    from hub.log import IncidentLog

    # The dashboard reads the log and writes only commands; the hub's pipeline records them.
    app.extensions["log"] = IncidentLog(data_dir)
    app.extensions["hub_config"] = settings.get("HUB_CONFIG") or parse_config({"data_dir": str(data_dir)})
    CSRFProtect(app)

    from web import auth, home

    app.register_blueprint(auth.bp)
    app.register_blueprint(home.bp)

    @app.before_request
    def require_login() -> Response | None:
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if not app.extensions["accounts"].has_owner():
            return redirect(url_for("auth.setup"))
        if "account" not in session:
            return redirect(url_for("auth.login"))
        session.permanent = True  # idle logout: the lifetime restarts on every request
        return None

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    return app
