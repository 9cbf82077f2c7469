"""Plate reading and vehicle matching on real car photos: the hub's reader (PP-OCRv6, weights from the
rapidocr wheel, run by ``hub.vision.ocr``) vs the previous reader.

Data: the EU end-to-end set of openalpr/benchmarks (108 photos of European cars, AGPL-3.0), read
from the shared data folder beside the checkout; it is never copied into the repository. Prints,
for each reader in the same run: plates found (a candidate inside the labelled box), exact reads,
reads within one character (O/0-style confusions free), and milliseconds per photo. Then vehicles:
each car that appears in two photos is enrolled from one (photo and plate) and looked for in the
other; every other photo is checked against it, and any car called his is counted (target: none).
Run: python bench/plates.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402

from hub.vision.plates import PlateRead, plate_distance, read_plates  # noqa: E402
from hub.vision.vehicles import VehicleLibrary  # noqa: E402

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "plates-eu"


def labels() -> list[tuple[Path, tuple[int, int, int, int], str]]:
    rows = []
    for text in sorted(DATA.glob("*.txt")):
        name, x, y, w, h, plate = text.read_text().split("\t")[:6]
        rows.append((DATA / name, (int(x), int(y), int(x) + int(w), int(y) + int(h)), plate.strip()))
    return rows


def _inside(read: PlateRead, box: tuple[int, int, int, int]) -> bool:
    cx, cy = (read.box[0] + read.box[2]) / 2, (read.box[1] + read.box[3]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def measure(name: str, reader: object) -> None:
    found = exact = within = 0
    times = []
    rows = labels()
    for path, box, plate in rows:
        image = cv2.imread(str(path))
        start = time.perf_counter()
        reads = reader(image)  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
        there = [r for r in reads if _inside(r, box)]
        found += bool(there)
        exact += any(r.text == plate for r in there)
        within += any(plate_distance(r.text, plate) <= 1 for r in there)
    n = len(rows)
    print(f"{name:34s} found {found}/{n} ({found / n:.0%})  exact {exact}/{n} ({exact / n:.0%})  "
          f"within one {within}/{n} ({within / n:.0%})  {statistics.median(times):.0f} ms/photo (median)")


def previous_reader() -> object | None:
    try:
        from bench.previous_plates import read_plates as previous, tesseract_available
        import pytesseract  # noqa: F401
    except ImportError:
        return None
    return previous if tesseract_available() else None


def vehicles() -> None:
    rows = labels()
    by_plate: dict[str, list[Path]] = {}
    for path, _, plate in rows:
        by_plate.setdefault(plate, []).append(path)
    pairs = {plate: paths for plate, paths in by_plate.items() if len(paths) == 2}
    found = called_his = possible = checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        for plate, (first, second) in sorted(pairs.items()):
            library = VehicleLibrary(Path(tmp) / plate)
            library.enroll("his car", [first], plate=plate)
            image = cv2.imread(str(second))
            [hit] = library.match(image, read_plates(image, library.formats()))
            found += library.plate_matches(hit)
            for path, _, other in rows:
                if other == plate:
                    continue
                image = cv2.imread(str(path))
                [hit] = library.match(image, read_plates(image, library.formats()))
                checked += 1
                called_his += library.plate_matches(hit)
                possible += hit.score >= library.min_score and not library.plate_matches(hit)
    print(f"vehicles: {found}/{len(pairs)} enrolled cars found in their second photo (by plate); "
          f"{called_his} of {checked} other-car photos called his car; "
          f"{possible} look-alike (possible) sightings for her review")


def main() -> int:
    if not DATA.is_dir():
        print(f"the openalpr EU photos are not at {DATA}: nothing measured (they stay out of the repository)")
        return 1
    print(f"{len(labels())} real car photos from {DATA}")
    measure("PP-OCRv6 (hub.vision.plates)", read_plates)
    previous = previous_reader()
    if previous is None:
        print("previous reader (Tesseract): not measured, tesseract or pytesseract is not installed (make bench)")
    else:
        measure("previous (finder + Tesseract)", previous)
    vehicles()
    return 0


if __name__ == "__main__":
    sys.exit(main())
