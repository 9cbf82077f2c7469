"""The neighbour sheet: choose what goes on it, see it, print it or save it as a PDF."""

from __future__ import annotations

import base64

from flask import Blueprint, make_response, render_template, request
from werkzeug.wrappers import Response

from hub.hub_settings import HubSettings
from hub.neighbour_sheet import DISCREET_LEAVES_OUT, PARTS, Sheet, gather, sheet_pdf
from hub import kinds
from web.services import audit, services

bp = Blueprint("sheet", __name__)


def _sheet() -> tuple[Sheet, list[str]]:
    """The sheet for the posted choices (a first visit starts from the defaults).

    Posted, never in the address: what she types (her name, phone numbers) stays out of the browser's
    history, and a link from someone else cannot put words on her sheet.
    """
    config = services().config
    form = request.form
    include = ([p for p in PARTS if form.get(f"include_{p}") == "on"] if request.method == "POST" else
               [p for p in PARTS if not (HubSettings(config, services().state).discreet()
                                         and p in DISCREET_LEAVES_OUT)])
    call = [form.get(f"call{i}", "") for i in range(1, 5)]
    return gather(config, services().log, include, form.get("her_name", ""), call), include


@bp.route("/sheet", methods=["GET", "POST"])
def index() -> str:
    """The choices, and the sheet itself below them (the print style hides the choices)."""
    sheet, include = _sheet()
    photos = [base64.b64encode(p).decode("ascii") for p in sheet.photos]
    vehicle_photos = [base64.b64encode(v.photo).decode("ascii") if v.photo else "" for v in sheet.vehicles]
    return render_template("sheet/index.html", sheet=sheet, include=include, photos=photos,
                           vehicle_photos=vehicle_photos, form=request.form, parts=PARTS,
                           discreet=HubSettings(services().config, services().state).discreet())


@bp.route("/sheet.pdf", methods=["POST"])
def pdf() -> Response:
    """The same sheet as a PDF (its making is on the record, like any export)."""
    sheet, include = _sheet()
    audit(kinds.ACCESS_EXPORT, {"what": "neighbour sheet", "parts": include})
    response = make_response(sheet_pdf(sheet))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = "attachment; filename=neighbour-sheet.pdf"
    return response
