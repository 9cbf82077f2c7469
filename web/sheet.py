"""The neighbour sheet: choose what goes on it, see it, print it or save it as a PDF."""

from __future__ import annotations

import base64

from flask import Blueprint, make_response, render_template, request
from werkzeug.wrappers import Response

from hub.neighbour_sheet import DISCREET_LEAVES_OUT, PARTS, Sheet, gather, sheet_pdf
from hub import kinds
from web.services import audit, services

bp = Blueprint("sheet", __name__)


def _sheet() -> tuple[Sheet, list[str], bool]:
    """The sheet for this request's choices (a first visit starts from the defaults)."""
    config = services().config
    chosen = request.args.get("made") == "1"
    include = ([p for p in PARTS if request.args.get(p) == "on"] if chosen else
               [p for p in PARTS if not (config.alerts.discreet and p in DISCREET_LEAVES_OUT)])
    call = [request.args.get(f"call{i}", "") for i in range(1, 5)]
    return gather(config, services().log, include, request.args.get("her_name", ""), call), include, chosen


@bp.route("/sheet")
def index() -> str:
    """The choices, and the sheet itself below them (the print style hides the choices)."""
    sheet, include, _ = _sheet()
    photos = [base64.b64encode(p).decode("ascii") for p in sheet.photos]
    vehicle_photos = [base64.b64encode(v.photo).decode("ascii") if v.photo else "" for v in sheet.vehicles]
    return render_template("sheet/index.html", sheet=sheet, include=include, photos=photos,
                           vehicle_photos=vehicle_photos, args=request.args, parts=PARTS,
                           discreet=services().config.alerts.discreet)


@bp.route("/sheet.pdf")
def pdf() -> Response:
    """The same sheet as a PDF (its making is on the record, like any export)."""
    sheet, include, _ = _sheet()
    audit(kinds.ACCESS_EXPORT, {"what": "neighbour sheet", "parts": include})
    response = make_response(sheet_pdf(sheet))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = "attachment; filename=neighbour-sheet.pdf"
    return response
