"""First-run setup (no default credentials), login with lockout, recovery codes, logout, quick exit."""

from __future__ import annotations

import hashlib
import math
import secrets

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from hub.accounts import MIN_PASSWORD, setup_code, setup_code_matches
from hub.sealing import MIN_PASSPHRASE, SealingKeys
from web.sealed import lock_if_nobody_is_in, try_unlock
from web.services import audit, services, told
from hub import kinds

bp = Blueprint("auth", __name__)


DEVICE_COOKIE = "porchlight_device"


def device_key() -> str:
    """This browser's own random key (a long-lived cookie set on its first visit), as the accounts store it.

    A browser she has logged in from before keeps its own count of wrong passwords, so a stranger's
    guesses never lock her phone out.
    """
    token = request.cookies.get(DEVICE_COOKIE, "")
    if not (16 <= len(token) <= 64):
        token = g.setdefault("new_device", secrets.token_urlsafe(24))
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _password_problem(password: str, confirm: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"Choose a password of at least {MIN_PASSWORD} characters, one he could not guess."
    if password != confirm:
        return "The two passwords are not the same."
    return None


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> str | Response | tuple[str, int]:
    """Create the owner's password before the dashboard does anything else."""
    accounts = services().accounts
    if accounts.has_owner():
        return redirect(url_for("auth.login"))
    error = None
    data_dir = services().config.data_dir
    setup_code(data_dir)  # made now if it is not there yet, so the console and the doctor can show it
    if request.method == "POST":
        password = request.form.get("password", "")
        error = _password_problem(password, request.form.get("confirm", ""))
        if error is None and not setup_code_matches(data_dir, request.form.get("code", "")[:32]):
            error = ("That setup code is wrong. The hub prints it on the Pi's console when it starts, and "
                     "'porchlight doctor' shows it.")
        sealing = request.form.get("seal") == "yes" and services().log.sealing is None
        passphrase = request.form.get("passphrase", "")[:1024]
        if error is None and sealing:
            if len(passphrase) < MIN_PASSPHRASE:
                error = (f"Choose a passphrase of at least {MIN_PASSPHRASE} characters to seal your records "
                         "(a few words are best), or untick sealing.")
            elif passphrase != request.form.get("passphrase_again", ""):
                error = "The two passphrases are not the same."
        if error is None:
            try:
                codes = accounts.create_owner("owner", password, device_key())
            except PermissionError:  # two first visits at once: the other one won
                return redirect(url_for("auth.login"))
            recovery = None
            if sealing:
                _, recovery = SealingKeys.create(data_dir / "keys", passphrase)
                services().log.seal_watch.refresh()  # sealed from the next row on
            return render_template("auth/codes.html", codes=codes, recovery=recovery)
    return render_template("auth/setup.html", error=error, sealed=services().log.sealing is not None), \
        400 if error else 200


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    """Log in; five wrong passwords lock the account for 15 minutes."""
    accounts = services().accounts
    if not accounts.has_owner():
        return redirect(url_for("auth.setup"))
    error = None
    if request.method == "POST":
        name = (request.form.get("name") or "owner").strip()[:64] or "owner"
        attempt = accounts.attempt(name, request.form.get("password", ""), device_key())
        if attempt.ok:
            _start_session(name)
            passphrase = request.form.get("passphrase", "")[:1024]
            who = accounts.get(name)
            if services().log.sealing is not None and passphrase and who is not None and who.role == "owner" \
                    and not try_unlock(passphrase, str(session["sid"])):
                return redirect(url_for("sealed.unlock", wrong=1))
            return redirect(url_for("home.index"))
        if attempt.counted and not attempt.busy:  # refusals while locked are counted in web.db, not logged each
            audit(kinds.ACCESS_LOGIN_FAILED, {"device": _device()}, who=name)
        locked = attempt.locked_seconds
        error = ("The hub is busy checking other logins. Try again in a moment." if attempt.busy
                 else f"Too many wrong passwords. Try again in {math.ceil(locked / 60)} minutes." if locked
                 else "Wrong name or password.")
    return render_template("auth/login.html", error=error, sealed=services().log.sealing is not None), \
        401 if error else 200


@bp.route("/recover", methods=["GET", "POST"])
def recover() -> str | Response | tuple[str, int]:
    """Forgotten password: one recovery code sets a new one and ends every other session."""
    accounts = services().accounts
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        error = _password_problem(password, request.form.get("confirm", ""))
        if error is None:
            if accounts.use_recovery_code(request.form.get("code", "")[:64]):
                accounts.set_password("owner", password)
                services().sessions.end_all("owner", "password reset with a recovery code")
                audit(kinds.ACCESS_RECOVERY_CODE_USED, {"codes_left": accounts.codes_left(), "device": _device()},
                      who="owner")
                _start_session("owner")
                return told("home.index", "Password changed. Every other session was ended.")
            failures = accounts.recovery_failures()
            if failures % 20 == 1:  # the first, then every 20th: a flood of guesses is a few rows
                audit(kinds.ACCESS_LOGIN_FAILED, {"device": _device(), "what": "recovery code",
                                                  "wrong_so_far": failures}, who="owner")
            error = "That recovery code is wrong or was already used."
    return render_template("auth/recover.html", error=error), 401 if error else 200


def _device() -> str:
    """A short fingerprint of the browser (its user agent), to notice a new device."""
    agent = request.headers.get("User-Agent", "")
    return hashlib.sha256(agent.encode()).hexdigest()[:12]


def _start_session(name: str) -> None:
    found = services()
    if "sid" in session:  # a new login in this browser ends the one before (and what it had unlocked)
        found.sessions.end(str(session["sid"]), "replaced by a new login")
    session.clear()
    session["sid"] = found.sessions.open(name, request.remote_addr, request.headers.get("User-Agent"))
    log = found.log
    device = _device()
    # Devices seen before: logins in the log, and any the hub has not yet taken from the command queue.
    seen = [e.detail for e in log.events(kind=kinds.ACCESS_LOGIN)]
    seen += [e.detail for _, e in found.commands.pending_commands() if e.kind == kinds.ACCESS_LOGIN]
    known = {detail.get("device") for detail in seen if detail.get("account") == name}
    audit(kinds.ACCESS_LOGIN, {"device": device}, who=name)
    if known and device not in known:
        audit(kinds.ACCESS_NEW_DEVICE, {"device": device, "agent": request.headers.get("User-Agent", "")[:200]},
              who=name)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """End this session."""
    services().sessions.end(str(session.get("sid", "")), "logged out")
    session.clear()
    lock_if_nobody_is_in(services())
    return redirect(url_for("auth.login"))


@bp.route("/exit")
def exit() -> Response:
    """Quick exit: end the session and show a neutral site instead."""
    if "sid" in session:
        services().sessions.end(str(session["sid"]), "quick exit")
    session.clear()
    lock_if_nobody_is_in(services())
    return redirect(current_app.config["EXIT_URL"])
