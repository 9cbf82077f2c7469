"""The PDF incident report in an export, laid out like a stalking incident log, with thumbnails."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF
from PIL import Image

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
THUMB_PX = 360
# The most pixels decoded for one thumbnail (after a JPEG's own scaled decoding): about 120 MB of RGB.
MAX_DECODE_PIXELS = 40_000_000
# The columns of a stalking incident log, as advocates hand them out.
COLUMNS = (("Date and time", 30), ("What happened", 72), ("Where", 28), ("Witnesses", 30), ("Police", 30))


@dataclass
class ReportItem:
    """One incident as the report prints it."""

    seq: int
    when: str
    kind: str
    category: str
    description: str
    location: str = ""
    witnesses: str = ""
    police: str = ""
    recorded_by: str = ""
    row_hash: str = ""
    follow_ups: list[str] = field(default_factory=list)
    images: list[tuple[str, bytes]] = field(default_factory=list)  # (sha256, original bytes)
    other_files: list[str] = field(default_factory=list)  # "clip.mp4 sha256…"


class PdfDocument(FPDF):
    """An A4 page in the hub's font (DejaVu where installed, so whatever she typed prints), with a footer."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.title_text = title
        self.family = "Helvetica"
        if (FONT_DIR / "DejaVuSans.ttf").exists():
            self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
            self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
            self.family = "DejaVu"
        self.set_auto_page_break(True, margin=15)
        self.set_margins(10, 12, 10)

    def text_of(self, value: str) -> str:
        # The core font knows only Latin-1; DejaVu knows (nearly) everything she may type.
        return value if self.family == "DejaVu" else value.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 7)
        self.cell(0, 5, self.text_of(f"{self.title_text} · page {self.page_no()}"), align="C")


def thumbnail(data: bytes) -> bytes | str:
    """A small JPEG of a photo, or why none could be drawn; the size is read before anything is decoded."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            # A JPEG decodes straight to an eighth of its size or less; other formats decode whole.
            opened.draft("RGB", (THUMB_PX * 2, THUMB_PX * 2))
            width, height = opened.size
            if width * height > MAX_DECODE_PIXELS:
                return (f"{width}x{height} pixels is too large to draw a thumbnail of "
                        f"(the limit is {MAX_DECODE_PIXELS // 1_000_000} megapixels)")
            image = opened.convert("RGB")
        image.thumbnail((THUMB_PX, THUMB_PX))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        return out.getvalue()
    except Image.DecompressionBombError as err:
        return f"too large to draw a thumbnail of ({err})"
    except (OSError, ValueError, SyntaxError) as err:
        return f"cannot be drawn as a thumbnail ({type(err).__name__}: {str(err)[:120]})"


def build_report(title: str, intro: list[str], items: list[ReportItem]) -> bytes:
    """The whole report as PDF bytes."""
    pdf = PdfDocument(title)
    pdf.add_page()
    pdf.set_font(pdf.family, "B", 15)
    pdf.multi_cell(0, 8, pdf.text_of(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 9)
    for line in intro:
        pdf.multi_cell(0, 5, pdf.text_of(line), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.ln(2)
    _header(pdf)
    for item in items:
        _row(pdf, item)
    return bytes(pdf.output())


def _header(pdf: PdfDocument) -> None:
    pdf.set_font(pdf.family, "B", 8)
    pdf.set_fill_color(225, 225, 225)
    for name, width in COLUMNS:
        pdf.cell(width, 6, pdf.text_of(name), border=1, fill=True)
    pdf.ln()


def _lines(pdf: PdfDocument, text: str, width: float) -> int:
    lines = pdf.multi_cell(width - 1, 4, pdf.text_of(text or "-"), dry_run=True, output="LINES")
    return len(lines) if isinstance(lines, list) else 1


def _row(pdf: PdfDocument, item: ReportItem) -> None:
    pdf.set_font(pdf.family, "", 8)
    what = f"{item.description}\n[{item.category.replace('_', ' ')}; {item.kind}; recorded by {item.recorded_by}]"
    if item.follow_ups:
        what += "\nAdded later: " + " | ".join(item.follow_ups)
    cells = [f"{item.when}\nrow {item.seq}", what, item.location, item.witnesses, item.police]
    widths = [w for _, w in COLUMNS]
    heights = [_lines(pdf, text, w) * 4 + 2 for text, w in zip(cells, widths)]
    height = max(heights)
    if pdf.get_y() + height > pdf.h - 20:
        pdf.add_page()
        _header(pdf)
        pdf.set_font(pdf.family, "", 8)
    x, y = pdf.get_x(), pdf.get_y()
    for text, width in zip(cells, widths):
        pdf.rect(x, y, width, height)
        pdf.set_xy(x + 0.5, y + 1)
        pdf.multi_cell(width - 1, 4, pdf.text_of(text or "-"), align="L")
        x += width
    pdf.set_xy(pdf.l_margin, y + height)
    drawn = [(sha, thumbnail(data)) for sha, data in item.images]
    thumbs = [(sha, t) for sha, t in drawn if isinstance(t, bytes)]
    undrawn = [f"Photo {sha}: {why}; the original file is in evidence/" for sha, why in drawn if isinstance(why, str)]
    if thumbs or item.other_files or item.row_hash or undrawn:
        pdf.set_font(pdf.family, "", 6)
        pdf.multi_cell(0, 3.5, pdf.text_of(f"Row hash {item.row_hash}"), new_x="LMARGIN", new_y="NEXT")
        for line in [*item.other_files, *undrawn]:
            pdf.multi_cell(0, 3.5, pdf.text_of(line), new_x="LMARGIN", new_y="NEXT")
        if thumbs:
            if pdf.get_y() + 42 > pdf.h - 15:
                pdf.add_page()
            x, y = pdf.l_margin, pdf.get_y() + 1
            for sha, thumb in thumbs[:4]:
                pdf.image(io.BytesIO(thumb), x=x, y=y, h=34)
                pdf.set_xy(x, y + 35)
                pdf.cell(45, 3, pdf.text_of(sha[:24] + "…"))
                x += 47
            pdf.set_xy(pdf.l_margin, y + 40)
        pdf.ln(1)
