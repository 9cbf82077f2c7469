"""First-run setup (no default credentials), login with lockout, logout, quick exit."""

from __future__ import annotations

import hashlib

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

bp = Blueprint("auth", __name__)
MIN_PASSWORD = 10


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> str | Response:
    """Create the owner's password before the dashboard does anything else."""
    accounts = current_app.extensions["accounts"]
    if accounts.has_owner():
        return redirect(url_for("auth.login"))
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        if len(password) < MIN_PASSWORD:
            error = f"Choose a password of at least {MIN_PASSWORD} characters, one he could not guess."
        elif password != request.form.get("confirm", ""):
            error = "The two passwords are not the same."
        else:
            codes = accounts.create_owner("owner", password)
            return render_template("auth/codes.html", codes=codes)
    return render_template("auth/setup.html", error=error), 400 if error else 200  # type: ignore[return-value]


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Log in; five wrong passwords lock the account for 15 minutes."""
    accounts = current_app.extensions["accounts"]
    if not accounts.has_owner():
        return redirect(url_for("auth.setup"))
    error = None
    if request.method == "POST":
        name = request.form.get("name", "owner") or "owner"
        if accounts.check(name, request.form.get("password", "")):
            session.clear()
            session["account"] = name
            session.permanent = True
            _record_login(name)
            return redirect(url_for("home.index"))
        current_app.extensions["log"].submit_command("access.login_failed", "dashboard", {
            "account": name, "address": request.remote_addr, "device": _device()})
        locked = accounts.locked_for(name)
        error = (f"Too many wrong passwords. Try again in {int(locked // 60) + 1} minutes."
                 if locked else "Wrong name or password.")
    return render_template("auth/login.html", error=error), 401 if error else 200  # type: ignore[return-value]


def _device() -> str:
    """A short fingerprint of the browser (its user agent), to notice a new device."""
    agent = request.headers.get("User-Agent", "")
    return hashlib.sha256(agent.encode()).hexdigest()[:12]


def _record_login(name: str) -> None:
    log = current_app.extensions["log"]
    device = _device()
    # Devices seen before: logins in the log, and any the hub has not yet taken from the command queue.
    seen = [e.detail for e in log.events(kind="access.login")]
    seen += [e.detail for _, e in log.pending_commands() if e.kind == "access.login"]
    known = {detail.get("device") for detail in seen if detail.get("account") == name}
    detail = {"account": name, "address": request.remote_addr, "device": device}
    log.submit_command("access.login", "dashboard", detail)
    if known and device not in known:
        log.submit_command("access.new_device", "dashboard", detail)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """End this session."""
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/exit")
def exit() -> Response:
    """Quick exit: end the session and show a neutral site instead."""
    session.clear()
    return redirect(current_app.config["EXIT_URL"])
