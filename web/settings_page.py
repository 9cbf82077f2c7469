"""Settings: the certificate fingerprint, every open session, contact logins, the owner's password."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from hub.contacts import ContactBook
from hub.accounts import MIN_PASSWORD
from web.services import audit, services, told
from hub.sessions import key_of
from hub import kinds

bp = Blueprint("settings_page", __name__)
ACCOUNT_NAME = re.compile(r"[A-Za-z0-9_.-]{2,64}")


@bp.route("/settings")
def index() -> str:
    """Everything on one page."""
    found = services()
    return render_template("settings/index.html", fingerprint=current_app.config.get("TLS_FINGERPRINT"),
                           tls=found.config.web.tls, sessions=found.sessions.open_sessions(), current=key_of(g.sid),
                           accounts=found.accounts.contacts(), contacts=ContactBook(found.config).current(),
                           codes_left=found.accounts.codes_left())


@bp.route("/settings/sessions/end", methods=["POST"])
def end_session() -> Response:
    """End one session, or every session but this one."""
    found = services()
    sid = request.form.get("sid", "")
    if sid == "all":
        count = found.sessions.end_all(None, "ended by the owner", keep=g.sid)
        audit(kinds.ACCESS_SESSION_ENDED, {"sessions": count, "which": "all others"})
        return told("settings_page.index", f"{count} other session(s) ended.")
    ended = [s for s in found.sessions.open_sessions() if s.id == sid]
    if ended and found.sessions.end_key(sid, "ended by the owner"):
        audit(kinds.ACCESS_SESSION_ENDED, {"sessions": 1, "account_ended": ended[0].account,
                                       "from": ended[0].address})
        if sid == key_of(g.sid):
            session.clear()
            return redirect(url_for("auth.login"))
        return told("settings_page.index", "Session ended.")
    return told("settings_page.index", "That session had already ended.")


@bp.route("/settings/password", methods=["POST"])
def password() -> Response:
    """Change the owner's password (the old one is needed); every other session ends."""
    found = services()
    new = request.form.get("new", "")
    if not found.accounts.check("owner", request.form.get("old", "")):
        return told("settings_page.index", "The current password was wrong; nothing changed.")
    if len(new) < MIN_PASSWORD or new != request.form.get("confirm"):
        return told("settings_page.index", f"The new password needs {MIN_PASSWORD}+ characters, typed the same twice.")
    found.accounts.set_password("owner", new)
    count = found.sessions.end_all("owner", "password changed", keep=g.sid)
    audit(kinds.ACCESS_SETTINGS_CHANGED, {"what": "owner password changed", "sessions_ended": count})
    return told("settings_page.index", "Password changed; every other session of yours ended.")


@bp.route("/settings/accounts", methods=["POST"])
def add_account() -> Response:
    """Give a trusted contact a login of their own (linked to one of the contacts)."""
    found = services()
    form = request.form
    name, contact = form.get("name", "").strip(), form.get("contact", "")
    if not ACCOUNT_NAME.fullmatch(name) or name == "owner":
        return told("settings_page.index", "Login name: 2 to 64 letters, digits, . _ or -.")
    if contact not in ContactBook(found.config).current():
        return told("settings_page.index", "Choose which contact this login belongs to.")
    pw = form.get("password", "")
    if len(pw) < MIN_PASSWORD:
        return told("settings_page.index", f"Their password needs {MIN_PASSWORD}+ characters.")
    try:
        found.accounts.add_contact(name, pw, contact, form.get("live_view") == "on")
    except ValueError as err:
        return told("settings_page.index", str(err))
    audit(kinds.ACCESS_SETTINGS_CHANGED, {"what": "contact login added", "login": name, "contact": contact,
                                      "live_view": form.get("live_view") == "on"})
    return told("settings_page.index", f"Login {name} created for {contact}.")


@bp.route("/settings/accounts/<name>", methods=["POST"])
def change_account(name: str) -> Response:
    """Allow or stop live view for a contact login, or revoke it (its sessions end at once)."""
    found = services()
    if found.accounts.get(name) is None or name == "owner":
        return told("settings_page.index", "No such login.")
    action = request.form.get("action", "")
    if action == "revoke":
        found.accounts.revoke(name)
        found.sessions.end_all(name, "login revoked")
    elif action in ("live_on", "live_off"):
        found.accounts.set_live_view(name, action == "live_on")
    else:
        return told("settings_page.index", "Unknown action.")
    audit(kinds.ACCESS_SETTINGS_CHANGED, {"what": f"contact login {action}", "login": name})
    return told("settings_page.index", f"Login {name}: done.")


@bp.route("/settings/safe-now", methods=["POST"])
def safe_now() -> Response:
    """She is safe: what a duress disarm caused is shown again. The same answer whether there was one or not."""
    services().commands.submit_command(kinds.DURESS_RESOLVED, "owner", {"by": g.account.name})
    return told("settings_page.index", "Noted. Anything recorded while you were not safe is on the timeline again.")
