"""The home page: arm mode and its buttons, panic, recent incidents and recent access."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from hub.arming import ArmState
from hub.commands import PinCheck, arm_request

bp = Blueprint("home", __name__)
ACCESS_KINDS = ("access.login", "access.login_failed", "access.new_device")


@bp.route("/")
def index() -> str:
    """Arm mode, controls, latest incidents, recent access."""
    log = current_app.extensions["log"]
    state = ArmState.from_json(log.get_state("arm"))
    recent = [e for e in log.events(newest_first=True, limit=200)]
    access = [e for e in recent if e.kind in ACCESS_KINDS][:10]
    incidents = [e for e in recent if e.kind in ("alarm.triggered", "incident.report", "face.match",
                                                 "vehicle.match", "panic")][:10]
    return render_template("home/index.html", account=session.get("account"), mode=state.mode,
                           access=access, incidents=incidents, message=request.args.get("done"))


@bp.route("/arm", methods=["POST"])
def arm() -> Response:
    """Arm (no PIN needed) or disarm (PIN; the duress PIN looks exactly the same here)."""
    log = current_app.extensions["log"]
    mode = request.form.get("mode", "")
    pins = PinCheck(current_app.extensions["hub_config"].arming)
    try:
        outcome = arm_request(pins, mode, request.form.get("pin"), "dashboard", datetime.now(timezone.utc))
    except ValueError:
        return redirect(url_for("home.index", done="That is not an arm mode."))
    for event in outcome.events:
        log.submit_command(event.kind, event.source, dict(event.detail))
    done = f"Mode set to {mode}." if outcome.response["ok"] else "Wrong PIN: nothing changed."
    return redirect(url_for("home.index", done=done))


@bp.route("/panic", methods=["POST"])
def panic() -> Response:
    """One action, no confirmation: every contact is alerted."""
    current_app.extensions["log"].submit_command("panic", "dashboard", {"via": "dashboard"})
    return redirect(url_for("home.index", done="Help is being called: every contact is being alerted now."))
