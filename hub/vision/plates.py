"""Number plates: read by RapidOCR (``hub.vision.ocr``), fitted to plate formats, compared with one error allowed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from hub.vision.frames import Frame
from hub.vision.ocr import TextRead, read_text

MIN_CHARS, MAX_CHARS = 4, 8  # after normalising: every format in use has 4 to 8 letters and digits
MOST = 8  # candidates kept per picture, the most confident first
_JOINED = 4  # a plate read as separate pieces ("AB 123 CD") is rejoined from at most this many


def normalise(text: str) -> str:
    """A plate as letters and digits only, upper case ("ab12 cde" -> "AB12CDE")."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


# Characters OCR (and people) confuse on plates; reading one as the other costs nothing.
_CONFUSABLE = str.maketrans({"O": "0", "Q": "0", "I": "1", "S": "5", "B": "8", "Z": "2"})
_AS_DIGIT = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}
_AS_LETTER = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"}


def plate_distance(a: str, b: str) -> int:
    """Edit distance between two plates; O/0, I/1, S/5, B/8 and Z/2 count as the same character."""
    a, b = normalise(a).translate(_CONFUSABLE), normalise(b).translate(_CONFUSABLE)
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def plate_format(plate: str) -> str:
    """A plate's shape: L for a letter, D for a digit ("AB123CD" -> "LLDDDLL")."""
    return "".join("D" if c.isdigit() else "L" for c in normalise(plate))


def fit_format(text: str, formats: Sequence[str]) -> str:
    """The read with confusable characters swapped so it fits one of the formats ("A8123CD" -> "AB123CD")."""
    for shape in formats:
        if len(shape) != len(text):
            continue
        fitted = []
        for char, kind in zip(text, shape):
            if kind == "D" and not char.isdigit():
                char = _AS_DIGIT.get(char, char)
            elif kind == "L" and char.isdigit():
                char = _AS_LETTER.get(char, char)
            fitted.append(char)
        candidate = "".join(fitted)
        if plate_format(candidate) == shape:
            return candidate
    return text


@dataclass(frozen=True)
class PlateRead:
    """A plate read in a picture: the text, where (left, top, right, bottom), and the reader's confidence."""

    text: str
    box: tuple[int, int, int, int]
    confidence: float = 1.0


def _same_line(a: TextRead, b: TextRead) -> bool:
    height = max(a.box[3] - a.box[1], b.box[3] - b.box[1])
    return abs((a.box[1] + a.box[3]) - (b.box[1] + b.box[3])) / 2 < 0.5 * height


def candidates(reads: Sequence[TextRead], formats: Sequence[str] = ()) -> list[PlateRead]:
    """Plate candidates from lines of text: each piece, and runs of neighbouring pieces on one line."""
    pieces = [r for r in reads if normalise(r.text)]
    lines: list[list[TextRead]] = []
    for piece in sorted(pieces, key=lambda r: r.box[1] + r.box[3]):
        line = next((line for line in lines if _same_line(line[-1], piece)), None)
        if line is None:
            lines.append([piece])
        else:
            line.append(piece)
    found: dict[str, PlateRead] = {}
    for line in lines:
        line.sort(key=lambda r: r.box[0])
        for start in range(len(line)):
            text, confidence = "", 1.0
            box = line[start].box
            for index in range(start, min(len(line), start + _JOINED)):
                piece = line[index]
                if index > start and piece.box[0] - line[index - 1].box[2] > piece.box[3] - piece.box[1]:
                    break  # too far from the last piece: another word, not this plate
                text += normalise(piece.text)
                confidence = min(confidence, piece.confidence)
                box = (min(box[0], piece.box[0]), min(box[1], piece.box[1]), max(box[2], piece.box[2]),
                       max(box[3], piece.box[3]))
                if MIN_CHARS <= len(text) <= MAX_CHARS:
                    fitted = fit_format(text, formats)
                    if fitted not in found or found[fitted].confidence < confidence:
                        found[fitted] = PlateRead(fitted, box, round(confidence, 3))
    return sorted(found.values(), key=lambda r: r.confidence, reverse=True)[:MOST]


def read_plates(frame: Frame, formats: Sequence[str] = ()) -> list[PlateRead]:
    """The plate candidates in a BGR picture, the most confident first, fitted to ``formats`` if given."""
    return candidates(read_text(frame), formats)


def render_plate(text: str, height: int = 110, font_path: str = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
                 ) -> np.ndarray:
    """A clean plate image (black on white, thin border) for tests, the demo and the benchmarks."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(font_path, int(height * 0.72))
    left, top, right, bottom = (int(v) for v in font.getbbox(text))
    width = right - left + height
    image = Image.new("RGB", (width, height), (245, 245, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((2, 2, width - 3, height - 3), outline=(20, 20, 20), width=3)
    draw.text(((width - (right - left)) // 2 - left, (height - (bottom - top)) // 2 - top), text,
              font=font, fill=(15, 15, 15))
    return np.array(image)[:, :, ::-1].copy()
