"""The home page: arm mode and its buttons, panic, device health, recent incidents and recent access."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, current_app, render_template, request
from werkzeug.wrappers import Response

from hub.arming import ArmStore
from hub.arming_check import not_ready
from hub.config import Config
from hub.commands import PinCheck, arm_request
from hub.contacts import ContactBook
from hub.devices import DeviceBook, fit
from hub.hub_settings import HubSettings
from hub.reach import ContactReach, Reach, names
from web.health import camera_health, sensor_health
from hub.incident import describe
from web.access import hidden_now
from web.services import ask_hub, sentence, services, told
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
    contacts = ContactBook(found.config).current()
    reach_of = Reach.of_hub(found.config, found.state)
    reach, panic_reaches = reach_of.all(contacts), reach_of.for_kind(contacts, kinds.PANIC)
    return render_template("home/index.html", mode=state.mode, access=access, access_words=ACCESS_WORDS,
                           warnings=_reach_warnings(reach) + _warnings(found.config), panic_label=_panic_label(panic_reaches),
                           not_ready=not_ready(found.config.sensors, log, "away"),
                           incidents=incidents, describe=describe,
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
        return told("home.index", "That is not an arm mode.")
    submitted = [found.commands.submit_event(event) for event in outcome.events]
    if not outcome.response["ok"]:
        return told("home.index", f"{sentence(outcome.response['error'])}: nothing changed.")
    # The page that follows shows the mode the hub is in, so it waits (briefly) for the hub to apply it.
    wait = float(current_app.config["COMMAND_WAIT_SECONDS"])
    applied = all(found.commands.wait_taken(cid, wait) is not None for cid in submitted)
    done = (f"Mode set to {mode}." if applied else
            f"Mode {mode} requested, but the hub has not applied it yet (it may be stopped or busy).")
    return told("home.index", done)


PANIC_NOT_TAKEN = ("The hub has not confirmed your panic (it may be stopped or busy), so nobody is known to have "
                   "been told. If you are in danger, call the emergency number (999, 911 or 112) now. The panic "
                   "stays queued and is raised as soon as the hub takes it.")


@bp.route("/panic", methods=["POST"])
def panic() -> Response:
    """One action, no confirmation; the answer says exactly who is being alerted, once the hub has it."""
    answer = ask_hub(kinds.PANIC, {"via": "dashboard"})
    if answer is None:
        return told("home.index", PANIC_NOT_TAKEN, alarm=True)
    if answer.ok:
        return told("home.index", answer.text)
    return told("home.index", answer.text, alarm=True)


def _panic_label(reach: list[ContactReach]) -> str:
    # Counts, not names: someone looking over her shoulder learns nothing about who helps her.
    if not reach:
        return "Panic: record it now (no contact is set up to be alerted)"
    return "Panic: alert your contact now" if len(reach) == 1 else f"Panic: alert your {len(reach)} contacts now"


def _reach_warnings(reach: list[ContactReach]) -> list[str]:
    """A standing warning while no alarm is known to reach anyone."""
    if not reach:
        return ["No contact is set up, so an alarm or a panic reaches nobody. If you are in danger, call the "
                "emergency number yourself. Add a contact on the Contacts page and send them a test."]
    if not any(r.proven for r in reach):
        return ["No test message has gone out to any contact yet, so it is not known that any alarm reaches anyone. "
                "Send a test on the Contacts page. Until one arrives, call the emergency number yourself in an "
                "emergency."]
    failed = [r for r in reach if r.tested == "failed"]
    if failed:
        return [f"The last test message to {names(failed)} did not go out: check their details on the Contacts "
                "page and send another test."]
    return []


def _warnings(config: Config) -> list[str]:
    """What leaves her hub open to anyone on her Wi-Fi, said where she looks first."""
    found = []
    if not HubSettings(config, services().state).pin_in_force():
        found.append("No disarm PIN is set, so the keypad, MQTT and this page cannot disarm. Set one in Settings, "
                     "Security and cameras.")
    added_sensors, added_cameras = DeviceBook(config.data_dir).load()
    for device, why in fit(config, added_sensors, added_cameras)[1].items():
        if device not in config.sensors and device not in config.cameras:
            found.append(f"A device you added is NOT watched: {why}. See Settings, Sensors and cameras.")
    if services().log.sealing is None:
        found.append("Your records are not sealed: anyone who takes the hub's memory card can read your entries "
                     "and every photo and clip. Run porchlight init --seal-existing on the Pi to seal them.")
    if config.mqtt.enabled and not config.mqtt.username:
        found.append("The hub reaches its MQTT broker without a password, so the broker probably lets anyone on "
                     "your Wi-Fi in: they could fake sensors or read keypad PINs. Run porchlight doctor for the fix.")
    return found
