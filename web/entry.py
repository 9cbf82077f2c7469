"""The guided manual entry: what happened in her words in under a minute, details when she can."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from hub.filetypes import ATTACHMENT_TYPES
from hub.incident import Attachment, IncidentReport
from web.services import in_words, services, told
from hub.viewable import make_copies_later, needs_copy
from web.uploads import UploadRefused, check_all
from hub import kinds

bp = Blueprint("entry", __name__)
TAGS = ("drive-by", "loitering", "doorstep contact", "vandalism", "gift or letter left", "tech abuse",
        "calls or messages", "followed")
TEXT_FIELDS = ("location", "people_present", "weapon", "statements", "impact", "officer_name", "officer_badge",
               "police_report_number", "protective_order_ref", "suspected_technology")


def _when(value: str, field: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError as err:
        raise ValueError(f"{field}: {value!r} is not a date and time") from err
    return at.astimezone() if at.tzinfo is None else at  # the browser sends local time without a zone


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _report_fields() -> dict[str, Any]:
    form = request.form
    fields: dict[str, Any] = {name: form.get(name, "").strip() or None for name in TEXT_FIELDS}
    fields.update(
        description=form.get("description", "").strip(),
        category=form.get("category") or None,
        tags=[t for t in form.getlist("tags") if t in TAGS],
        started_at=_when(form.get("started_at", ""), "when it started"),
        ended_at=_when(form.get("ended_at", ""), "when it ended"),
        children_present=_yes_no(form.get("children_present")),
        police_called=_yes_no(form.get("police_called")),
        witnesses=[{"name": n.strip()[:200], "contact": (c.strip()[:200] or None)}
                   for n, c in zip(form.getlist("witness_name"), form.getlist("witness_contact")) if n.strip()],
    )
    vehicle = {k: form.get(f"vehicle_{k}", "").strip() or None for k in ("make", "model", "colour", "plate")}
    fields["vehicle"] = vehicle if any(vehicle.values()) else None
    return fields


@bp.route("/entry", methods=["GET", "POST"])
def new() -> str | Response | tuple[str, int]:
    """The form; on POST every attachment is checked before anything is stored."""
    found = services()
    if request.method == "GET":
        return render_template("entry/new.html", categories=kinds.CATEGORIES, tags=TAGS, form={},
                               now=datetime.now().strftime("%Y-%m-%dT%H:%M"))
    error = None
    try:
        fields = _report_fields()
        uploads = check_all(request.files.getlist("attachments"), ATTACHMENT_TYPES,
                            found.config.web.max_upload_mb * 1024 * 1024)
        IncidentReport(**fields)  # validate before storing any file
    except (ValueError, UploadRefused) as err:
        error = in_words(err)
    if error is not None:
        found.commands.submit_command(kinds.INPUT_REJECTED, "dashboard", {"what": "manual entry", "error": error[:500]})
        return render_template("entry/new.html", categories=kinds.CATEGORIES, tags=TAGS, form=request.form, error=error,
                               now=request.form.get("started_at", "")), 400
    attachments = [Attachment(sha256=found.log.evidence.put_bytes(u.data), name=u.name, size=len(u.data))
                   for u in uploads]
    report = IncidentReport(**fields, attachments=attachments)
    event = report.to_event(datetime.now(timezone.utc))
    found.commands.submit_event(event)
    copies = [(attached.sha256, upload.data, upload.type) for upload, attached in zip(uploads, attachments)
              if needs_copy(upload.type)]
    if copies:
        make_copies_later(found.log.evidence, found.commands.submit_event, copies)
    count = f" with {len(attachments)} attachment{'s' if len(attachments) != 1 else ''}" if attachments else ""
    return told("incidents.index", f"Entry saved{count}. You can add details to it later.")
