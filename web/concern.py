"""The person and vehicle of concern: photos with feedback per photo, plate, colour, protective order."""

from __future__ import annotations

import logging
import queue
import re
import tempfile
import threading
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from flask import Blueprint, render_template, request, stream_template, stream_with_context
from werkzeug.wrappers import Response

from hub.errors import InputRejected
from hub.config import Config
from hub.events import Event, Severity
from hub.filetypes import ENROL_TYPES, PDF, PHOTO_TYPES
from web.services import services, told, unless_confirmed
from web.uploads import UploadRefused, Upload, check_all
from hub import kinds

if TYPE_CHECKING:
    from hub.vision.faces import PhotoResult

logger = logging.getLogger(__name__)
bp = Blueprint("concern", __name__)
ENROL_TIMEOUT_SECONDS = 120.0  # one photo; beyond that the page ends and says so
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
MAX_PHOTOS = 12


def _page(status: int = 200, **results: object) -> tuple[str, int]:
    from hub.vision.faces import FaceLibrary, slug
    from hub.vision.vehicles import COLOUR_HUES, NEUTRAL_COLOURS, VehicleLibrary

    config = services().config
    people = FaceLibrary.for_config(config).people.values()
    vehicles = VehicleLibrary.for_config(config).vehicles.values()
    log = services().log
    orders: list[Any] = [e for _, e in services().commands.pending_commands() if e.kind == kinds.ORDER_RECORDED][::-1]
    orders += log.events(kind=kinds.ORDER_RECORDED, newest_first=True, limit=10)
    return render_template("concern/index.html", people=[(slug(p.name), p) for p in people if p.role == "concern"],
                           vehicles=[(slug(v.name), v) for v in vehicles], orders=orders,
                           colours=(*COLOUR_HUES, *NEUTRAL_COLOURS), **results), status


@bp.route("/concern")
def index() -> tuple[str, int]:
    """What is enrolled, and the forms to add more."""
    return _page()


def _photos() -> list[Upload]:
    uploads = check_all(request.files.getlist("photos"), ENROL_TYPES, services().config.web.max_upload_mb << 20)
    if not uploads:
        raise UploadRefused("choose at least one photo")
    if len(uploads) > MAX_PHOTOS:
        raise UploadRefused(f"{len(uploads)} photos at once is too many; send at most {MAX_PHOTOS}")
    return uploads


def _in_files(uploads: list[Upload], folder: Path) -> list[Path]:
    # Temporary names are ours (photo-1.jpg...); her file names are only ever shown back.
    paths = []
    for i, upload in enumerate(uploads, 1):
        path = folder / f"photo-{i}.{upload.type.ext}"
        path.write_bytes(upload.data)
        paths.append(path)
    return paths


@bp.route("/concern/person", methods=["POST"])
def person() -> tuple[str, int] | Response:
    """Enrol photos of the person of concern; the page shows each photo's result as it is checked."""
    found = services()
    name = request.form.get("name", "").strip()[:100]
    if not name:
        return _page(400, error="Give the person a name (any name you will recognise).")
    try:
        uploads = _photos()
    except UploadRefused as err:
        return _page(400, error=str(err))
    steps: queue.Queue[tuple[int, PhotoResult, float] | None] = queue.Queue()
    outcome: dict[str, Any] = {}
    config, evidence, commands = found.config, found.log.evidence, found.commands

    def work() -> None:
        from hub.vision.enrol import enrol_person

        try:
            with tempfile.TemporaryDirectory() as tmp:
                outcome["feedback"], event = enrol_person(
                    config, evidence, name, _in_files(uploads, Path(tmp)), [u.name for u in uploads], "concern",
                    progress=lambda i, result, seconds: steps.put((i, result, seconds)))
            if event is not None:  # recorded here, so that leaving the page early loses nothing
                commands.submit_event(event)
        except Exception as err:  # the page must end, and say so, whatever happened
            logger.exception("enrolling photos failed")
            outcome["error"] = f"The photos could not be checked ({type(err).__name__}); nothing more was enrolled."
        finally:
            steps.put(None)

    threading.Thread(target=work, name="enrol", daemon=True).start()

    def progress() -> Iterator[tuple[int, PhotoResult, float]]:
        while True:
            try:
                step = steps.get(timeout=ENROL_TIMEOUT_SECONDS)
            except queue.Empty:
                outcome.setdefault("error", "Checking the photos took too long; try fewer at once.")
                return
            if step is None:
                return
            yield step

    def finish() -> str:
        if "error" in outcome:
            return str(outcome["error"])
        accepted = sum(f.accepted for f in outcome.get("feedback", []))
        return f"{name}: {accepted} of {len(uploads)} photos enrolled."

    # Streamed: a Pi takes a second or more per photo, and she sees each result as it comes.
    return Response(stream_with_context(stream_template("concern/enrolling.html", name=name, total=len(uploads),
                                                        steps=progress(), finish=finish)),
                    mimetype="text/html")


@bp.route("/concern/vehicle", methods=["POST"])
def vehicle() -> tuple[str, int] | Response:
    """Enrol a vehicle: photos, plate and colour."""
    from hub.vision.enrol import enrol_vehicle

    found = services()
    name = request.form.get("name", "").strip()[:100]
    plate = request.form.get("plate", "").strip()[:20] or None
    colour = request.form.get("colour", "").strip() or None
    if not name:
        return _page(400, error="Give the vehicle a name (for example: the grey Golf).")
    try:
        uploads = _photos() if any(f.filename for f in request.files.getlist("photos")) else []
        if not uploads and not plate:
            raise UploadRefused("give at least a photo or the plate")
    except UploadRefused as err:
        return _page(400, error=str(err))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            feedback, event = enrol_vehicle(found.config, found.log.evidence, name, _in_files(uploads, Path(tmp)),
                                            [u.name for u in uploads], plate, colour)
    except InputRejected as err:
        return _page(400, error=str(err))
    found.commands.submit_event(event)
    accepted = sum(f.accepted for f in feedback)
    return _page(feedback=feedback, message=f"{name}: {accepted} of {len(uploads)} photos enrolled"
                 + (f", plate {plate}" if plate else "") + (f", colour {colour}" if colour else "") + ".")


@bp.route("/concern/describe", methods=["POST"])
def describe() -> Response:
    """Her description of the person of concern (height, hair, how they act), for the neighbour sheet."""
    found = services()
    name = request.form.get("person", "").strip()[:100]
    text = request.form.get("text", "").strip()[:2000]
    if not name or not text:
        return told("concern.index", "Write the description first.")
    found.commands.submit_command(kinds.PERSON_DESCRIBED, "owner", {"person": name, "text": text},
                                  severity=Severity.NOTICE)
    return told("concern.index", f"Description of {name} saved; it is on the neighbour sheet.")


@bp.route("/concern/person/<key>/remove", methods=["POST"])
def remove_person(key: str) -> Response | tuple[str, int]:
    """Forget an enrolled person (the row that records it stays; the photos stay in the evidence)."""
    from hub.vision.enrol import remove_person as forget
    from hub.vision.faces import FaceLibrary

    person = FaceLibrary.for_config(services().config).people.get(key)
    if person is not None:
        asked = unless_confirmed(person.name, "The cameras will stop looking for this person. Their photos stay "
                                              "in the evidence, and the log keeps the removal.", "concern.index")
        if asked is not None:
            return asked
    return _forget(key, forget, "Nobody by that name is enrolled.", "person", "them")


@bp.route("/concern/vehicle/<key>/remove", methods=["POST"])
def remove_vehicle(key: str) -> Response | tuple[str, int]:
    """Forget an enrolled vehicle."""
    from hub.vision.enrol import remove_vehicle as forget
    from hub.vision.vehicles import VehicleLibrary

    vehicle = VehicleLibrary.for_config(services().config).vehicles.get(key)
    if vehicle is not None:
        asked = unless_confirmed(vehicle.name, "The cameras will stop looking for this vehicle and its plate. Its "
                                               "photos stay in the evidence, and the log keeps the removal.",
                                 "concern.index")
        if asked is not None:
            return asked
    return _forget(key, forget, "No vehicle by that name is enrolled.", "vehicle", "it")


def _forget(key: str, forget: Callable[[Config, str], Event | None], missing: str, what: str, pronoun: str) -> Response:
    found = services()
    event = forget(found.config, key) if SLUG.fullmatch(key) else None
    if event is None:
        return told("concern.index", missing)
    found.commands.submit_event(event)
    return told("concern.index", f"{event.detail[what]} removed: the cameras stop looking for {pronoun}.")


@bp.route("/concern/order", methods=["POST"])
def order() -> tuple[str, int] | Response:
    """Record the protective order: court, number, dates, terms, and the order itself as a PDF or photo."""
    found = services()
    form = request.form
    detail: dict[str, object] = {k: form.get(k, "").strip()[:1000] or None
                                 for k in ("court", "number", "issued", "expires", "terms", "distance")}
    for key in ("issued", "expires"):
        if detail[key]:
            try:
                date.fromisoformat(str(detail[key]))
            except ValueError:
                return _page(400, error=f"{key}: {detail[key]!r} is not a date like 2026-05-31")
    if not detail["number"] and not detail["court"]:
        return _page(400, error="Give at least the court or the order number.")
    try:
        uploads = check_all(request.files.getlist("document"), (PDF, *PHOTO_TYPES), found.config.web.max_upload_mb << 20)
    except UploadRefused as err:
        return _page(400, error=str(err))
    shas = [found.log.evidence.put_bytes(u.data) for u in uploads]
    detail["documents"] = [{"name": u.name, "sha256": sha} for u, sha in zip(uploads, shas)]
    found.commands.submit_command(kinds.ORDER_RECORDED, "owner", detail, evidence=shas, severity=Severity.NOTICE)
    return _page(message="Protective order recorded. Alerts and exports will name it.")
