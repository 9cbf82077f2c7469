"""The home page: arm mode and its buttons, panic, device health, recent incidents and recent access."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.arming import ArmStore
from hub.arming_check import not_ready
from hub.config import Config
from hub.commands import PinCheck, arm_request
from web.health import camera_health, sensor_health
from hub.incident import describe
from web.access import hidden_now
from web.services import sentence, services
from hub import kinds

bp = Blueprint("home", __name__)
ACCESS_WORDS = {kind: kinds.about(kind).short for kind in kinds.ACCESS_KINDS}


@bp.route("/")
def index() -> str:
    """Arm mode, controls, health, latest incidents, recent access."""
    found = services()
    log = found.log
    state = ArmStore(found.state).load()
    pending = [event for _, event in found.commands.pending_commands()]
    access = ([e for e in pending[::-1] if e.kind in kinds.ACCESS_KINDS]
              + log.events(newest_first=True, limit=12, kinds=kinds.ACCESS_KINDS))[:12]
    hidden = hidden_now()
    incidents = [e for e in log.events(newest_first=True, limit=20, kinds=list(kinds.INCIDENT_KINDS))
                 if e.seq not in hidden][:10]
    return render_template("home/index.html", mode=state.mode, access=access, access_words=ACCESS_WORDS,
                           warnings=_warnings(found.config), not_ready=not_ready(found.config.sensors, log, "away"),
                           incidents=incidents, describe=describe, message=request.args.get("done"),
                           sensors=sensor_health(found.config, log),
                           cameras=camera_health(found.config, log, found.frames))


@bp.route("/arm", methods=["POST"])
def arm() -> Response:
    """Arm (no PIN needed) or disarm (PIN; the duress PIN looks exactly the same here)."""
    found = services()
    mode = request.form.get("mode", "")
    pins = PinCheck(found.config.arming, found.state)
    try:
        waiting = not_ready(found.config.sensors, found.log, mode) if mode in ("home", "night", "away") else []
        outcome = arm_request(pins, mode, request.form.get("pin"), "dashboard", datetime.now(timezone.utc),
                              waiting, request.form.get("bypass") == "yes")
    except ValueError:
        return redirect(url_for("home.index", done="That is not an arm mode."))
    for event in outcome.events:
        found.commands.submit_event(event)
    done = (f"Mode set to {mode}." if outcome.response["ok"]
            else f"{sentence(outcome.response['error'])}: nothing changed.")
    return redirect(url_for("home.index", done=done))


@bp.route("/panic", methods=["POST"])
def panic() -> Response:
    """One action, no confirmation: every contact is alerted."""
    services().commands.submit_command(kinds.PANIC, "dashboard", {"via": "dashboard"})
    return redirect(url_for("home.index", done="Help is being called: every contact is being alerted now."))


def _warnings(config: Config) -> list[str]:
    """What leaves her hub open to anyone on her Wi-Fi, said where she looks first."""
    found = []
    if config.arming.pin is None:
        found.append("No disarm PIN is set, so the keypad, MQTT and this page cannot disarm. Set arming.pin in "
                     "the config (porchlight doctor says how).")
    if services().log.sealing is None:
        found.append("Your records are not sealed: anyone who takes the hub's memory card can read your entries "
                     "and every photo and clip. Run porchlight init --seal-existing on the Pi to seal them.")
    if config.mqtt.enabled and not config.mqtt.username:
        found.append("The hub reaches its MQTT broker without a password, so the broker probably lets anyone on "
                     "your Wi-Fi in: they could fake sensors or read keypad PINs. Run porchlight doctor for the fix.")
    return found
