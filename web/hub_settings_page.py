"""Settings, Security and cameras: the PINs, discreet mode, and each camera's privacy masks drawn on a still."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

from flask import Blueprint, abort, render_template, request
from werkzeug.wrappers import Response

from hub.commands import PinCheck
from hub.events import Event, Severity
from hub.hub_settings import HubSettings, SettingRefused
from hub import kinds
from web.services import ask_hub, audit, services, told

bp = Blueprint("hub_settings", __name__)


def _settings() -> HubSettings:
    found = services()
    return HubSettings(found.config, found.state)


@bp.route("/settings/hub")
def index() -> str:
    """PINs, discreet mode, cameras."""
    found = services()
    settings = _settings()
    pin_set = settings.pin_in_force()
    cameras = {cid: c.label or cid.replace("_", " ").capitalize() for cid, c in found.config.cameras.items()}
    destination, at = settings.backup_plan()
    return render_template("hub_settings/index.html", pin_set=pin_set, discreet=settings.discreet(),
                           backup_to=str(destination or ""), backup_at=at,
                           cameras=cameras, masks={cid: len(settings.masks(cid)) for cid in cameras})


@bp.route("/settings/pins", methods=["POST"])
def pins() -> Response:
    """Change the PINs: the current one first (counted like any PIN try), the new one twice."""
    found = services()
    form = request.form
    settings = _settings()
    check = PinCheck(found.config.arming, found.state)
    pin_set = settings.pin_in_force()
    guarded = check.check(form.get("current_pin", ""), "dashboard", datetime.now(timezone.utc)) if pin_set else None
    if guarded is not None and guarded.result not in ("normal", "duress"):
        if guarded.result == "wrong":
            found.commands.submit_event(Event(kinds.ARM_PIN_REJECTED, "dashboard", Severity.WARNING,
                                              {"mode": "settings", "wrong_in_a_row": guarded.wrong_in_a_row}))
        words = ("The current PIN was wrong" if guarded.result == "wrong" else
                 f"Too many wrong PINs: try again in {guarded.wait_seconds:.0f} s")
        return told("hub_settings.index", f"{words}; nothing changed.", alarm=True)
    new, again = form.get("pin", ""), form.get("pin_again", "")
    duress, duress_again = form.get("duress", ""), form.get("duress_again", "")
    if new != again or duress != duress_again:
        return told("hub_settings.index", "The new PINs were not typed the same twice; nothing changed.", alarm=True)
    try:
        settings.set_pins(new, duress or None)
    except SettingRefused as err:
        return told("hub_settings.index", f"{err}; nothing changed.", alarm=True)
    # The same words whichever PIN changed: an exported log must not tell anyone that a duress PIN exists.
    audit(kinds.ACCESS_SETTINGS_CHANGED, {"what": "PINs changed"})
    if guarded is not None and guarded.result == "duress":
        # Made to change them: it is done, as asked, and her contacts are told in silence.
        found.commands.submit_event(Event(kinds.DURESS, "dashboard", Severity.CRITICAL, {"via": "settings"}))
    return told("hub_settings.index", "PINs changed. Keypads, Home Assistant and this dashboard use them now.")


@bp.route("/settings/discreet", methods=["POST"])
def discreet() -> Response:
    """Turn discreet mode on or off."""
    on = request.form.get("discreet") == "on"
    _settings().set_discreet(on)
    audit(kinds.ACCESS_SETTINGS_CHANGED, {"what": f"discreet mode turned {'on' if on else 'off'}"})
    return told("hub_settings.index", "Discreet mode is on: alerts say nothing alarming and carry no pictures."
                if on else "Discreet mode is off.")


@bp.route("/settings/backup", methods=["POST"])
def backup() -> Response:
    """Where and when the nightly backup goes (used from the hub's next start; "Back up now" works at once)."""
    try:
        destination = _settings().set_backup(request.form.get("destination", "").strip(),
                                             request.form.get("time", "").strip())
    except SettingRefused as err:
        return told("hub_settings.index", f"{err}; nothing changed.", alarm=True)
    audit(kinds.ACCESS_SETTINGS_CHANGED, {"what": "backups stopped" if destination is None else "backup folder set"})
    if destination is None:
        return told("hub_settings.index", "Nightly backups stopped.")
    return told("hub_settings.index", f"Backups go to {destination} every night (from the hub's next start). "
                                      "Back up now to check the disk.")


@bp.route("/settings/backup/now", methods=["POST"])
def backup_now() -> Response:
    """Ask the running hub for a backup now; the answer is its own."""
    answer = ask_hub(kinds.BACKUP_REQUESTED, {"by": "dashboard"})
    if answer is None:
        return told("hub_settings.index", "The hub did not answer (it may be stopped): no backup was made.",
                    alarm=True)
    return told("hub_settings.index", answer.text, alarm=not answer.ok)


WORDS = {"masks": ("privacy mask", "nothing behind them is analysed, stored or shown from the next frame"),
         "zones": ("motion zone", "only movement inside them counts from the next frame")}


@bp.route("/settings/camera/<camera_id>")
def camera(camera_id: str) -> str:
    """A still from the camera, with its masks (or, ?draw=zones, its motion zones), to draw new ones on."""
    found = services()
    if camera_id not in found.config.cameras:
        abort(404)
    what = "zones" if request.args.get("draw") == "zones" else "masks"
    frame = found.frames(camera_id)
    still = base64.b64encode(frame.jpeg).decode("ascii") if frame is not None else ""
    label = found.config.cameras[camera_id].label or camera_id
    return render_template("hub_settings/camera.html", camera_id=camera_id, label=label, still=still, what=what,
                           areas=json.dumps(_settings().areas(camera_id, what)))


@bp.route("/settings/camera/<camera_id>/<what>", methods=["POST"])
def areas(camera_id: str, what: str) -> Response:
    """Save the masks or zones drawn on the still (points from 0 to 1 across and down)."""
    found = services()
    if camera_id not in found.config.cameras or what not in WORDS:
        abort(404)
    draw = "zones" if what == "zones" else None  # back to the same drawing (url_for leaves out a None)
    try:
        drawn = json.loads(request.form.get("areas", request.form.get("masks", "[]")))
        if not isinstance(drawn, list):
            raise SettingRefused("The areas were not understood")
        saved = _settings().set_areas(camera_id, what, drawn)
    except (ValueError, SettingRefused) as err:
        words = str(err) if isinstance(err, SettingRefused) else "The areas were not understood"
        return told("hub_settings.camera", f"{words}; nothing changed.", alarm=True, camera_id=camera_id, draw=draw)
    label = found.config.cameras[camera_id].label or camera_id
    noun, effect = WORDS[what]
    audit(kinds.ACCESS_SETTINGS_CHANGED, {"what": f"{noun}s of {label} changed", "camera": camera_id,
                                          what: len(saved)})
    return told("hub_settings.camera", f"{len(saved)} {noun}{'' if len(saved) == 1 else 's'} saved: {effect}.",
                camera_id=camera_id, draw=draw)
