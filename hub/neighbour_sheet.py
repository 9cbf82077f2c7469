"""The neighbour sheet: what a trusted neighbour needs on one page, from what the hub already knows.

The safety-planning guide asks her to give neighbours a photo and description of the person of
concern and their vehicle, and to tell them what to do. The hub holds the enrolled photos, the
plate and colour, her description and the protective order; she chooses what goes on the sheet
(discreet mode starts with less), and she types who to call each time, so no phone number is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from hub.config import Config
from hub.errors import PorchlightError
from hub.filetypes import HEIC
from hub.log import IncidentLog
from hub.report import PdfDocument, thumbnail
from hub.viewable import NotConvertible, viewable_copy
from hub import kinds

PARTS = ("photo", "description", "vehicle", "plate", "order", "her_name")
DISCREET_LEAVES_OUT = ("order", "her_name")


@dataclass
class VehicleOnSheet:
    """One vehicle as the sheet prints it."""

    name: str
    plate: str | None
    colour: str | None
    photo: bytes | None = None  # a small JPEG


@dataclass
class Sheet:
    """Everything on the page; what she left out is simply absent."""

    person: str
    her_name: str
    description: str = ""
    photos: list[bytes] = field(default_factory=list)  # small JPEGs
    vehicles: list[VehicleOnSheet] = field(default_factory=list)
    order: str = ""
    call: list[str] = field(default_factory=list)

    def what_to_do(self) -> list[str]:
        """The neighbour's part, in the words of a safety plan."""
        home = f"{self.her_name}'s home" if self.her_name else "this home"
        who = self.her_name or "the person who lives here"
        seen = f"{self.person} or the vehicle below" if self.vehicles else self.person
        return [
            f"If you see {seen} near {home}, do not approach or confront them.",
            "If they are trying to get in, or anyone is in danger, call the emergency number (911, 999 or 112) "
            "at once.",
            "Otherwise note the time, where they were and what they did; take a photo or video only if it is safe.",
            f"Then tell {who}, or call someone on the list below.",
            f"Never tell {self.person} anything about {who}: where they are, who visits, when they come and go. "
            "If they contact you, do not pass on messages; write down what was said and when.",
        ]


def _small(data: bytes) -> bytes | None:
    """A small JPEG of a photo (HEIC turned into JPEG first), or None when it cannot be drawn."""
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        try:
            data = viewable_copy(data, HEIC).data
        except NotConvertible:
            return None
    small = thumbnail(data)
    return small if isinstance(small, bytes) else None


def _read(log: IncidentLog, sha256: str) -> bytes | None:
    try:
        return log.evidence.read(sha256)
    except (PorchlightError, OSError):
        return None


def gather(config: Config, log: IncidentLog, include: Sequence[str], her_name: str, call: Sequence[str],
           max_photos: int = 2) -> Sheet:
    """The sheet from the enrolled person and vehicles, her description and the latest order."""
    from hub.vision.faces import FaceLibrary
    from hub.vision.vehicles import VehicleLibrary

    chosen = set(include)
    people = [p for p in FaceLibrary.for_config(config).people.values() if p.role == "concern"]
    person = people[0].name if people else "the person of concern"
    sheet = Sheet(person=person, her_name=her_name.strip()[:100] if "her_name" in chosen else "",
                  call=[line.strip()[:120] for line in call if line.strip()][:6])
    if "photo" in chosen:
        for row in log.events(kind=kinds.PERSON_ENROLLED, newest_first=True, limit=20):
            if row.detail.get("person") == person:
                for sha in row.evidence:
                    if len(sheet.photos) < max_photos and (data := _read(log, sha)) and (small := _small(data)):
                        sheet.photos.append(small)
    if "description" in chosen:
        described = [r for r in log.events(kind=kinds.PERSON_DESCRIBED, newest_first=True, limit=20)
                     if r.detail.get("person") == person]
        sheet.description = str(described[0].detail.get("text") or "") if described else ""
    if "vehicle" in chosen:
        enrolled = log.events(kind=kinds.VEHICLE_ENROLLED, newest_first=True, limit=50)
        for vehicle in VehicleLibrary.for_config(config).vehicles.values():
            photo = next((small for row in enrolled if row.detail.get("vehicle") == vehicle.name
                          for sha in row.evidence if (data := _read(log, sha)) and (small := _small(data))), None)
            sheet.vehicles.append(VehicleOnSheet(vehicle.name, vehicle.plate if "plate" in chosen else None,
                                                 vehicle.colour, photo))
    if "order" in chosen:
        orders = log.events(kind=kinds.ORDER_RECORDED, newest_first=True, limit=1)
        if orders:
            detail = orders[0].detail
            parts = [f"{detail.get('court') or ''} order {detail.get('number') or ''}".strip()]
            if detail.get("terms"):
                parts.append(f"Terms: {detail['terms']}")
            if detail.get("distance"):
                parts.append(f"Must stay {detail['distance']} away")
            if detail.get("expires"):
                parts.append(f"Until {detail['expires']}")
            sheet.order = ". ".join(parts) + "."
    return sheet


def sheet_pdf(sheet: Sheet) -> bytes:
    """The sheet as a one-page A4 PDF."""
    pdf = PdfDocument("Porchlight neighbour sheet")
    pdf.add_page()
    pdf.set_font(pdf.family, "B", 18)
    pdf.multi_cell(0, 9, pdf.text_of(f"Please look out for {sheet.person}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    y = pdf.get_y()
    x = pdf.l_margin
    for photo in sheet.photos:
        pdf.image(photo, x=x, y=y, h=55)
        x += 48
    if sheet.photos:
        pdf.set_y(y + 58)
    pdf.set_font(pdf.family, "", 11)
    if sheet.description:
        pdf.multi_cell(0, 6, pdf.text_of(sheet.description), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    for vehicle in sheet.vehicles:
        words = ", ".join(w for w in (vehicle.colour, f"plate {vehicle.plate}" if vehicle.plate else None) if w)
        pdf.set_font(pdf.family, "B", 12)
        pdf.multi_cell(0, 6, pdf.text_of(f"Vehicle: {vehicle.name}" + (f" ({words})" if words else "")),
                       new_x="LMARGIN", new_y="NEXT")
        if vehicle.photo is not None:
            pdf.image(vehicle.photo, x=pdf.l_margin, h=40)
        pdf.ln(2)
    if sheet.order:
        pdf.set_font(pdf.family, "", 10)
        pdf.multi_cell(0, 5, pdf.text_of(f"Protective order: {sheet.order}"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.set_font(pdf.family, "B", 12)
    pdf.cell(0, 7, pdf.text_of("What to do"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 11)
    for step in sheet.what_to_do():
        pdf.multi_cell(0, 6, pdf.text_of(f"• {step}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(pdf.family, "B", 12)
    pdf.cell(0, 7, pdf.text_of("Who to call"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 11)
    for line in ["Emergency: 911 (or 999, 112)", *sheet.call]:
        pdf.multi_cell(0, 6, pdf.text_of(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
