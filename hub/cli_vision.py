"""CLI commands for recognition: enrol people, test matching on images, scan a video file."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hub.config import CameraConfig, Config
from hub.events import Event
from hub.cli_args import config_from, open_log
from hub.log import IncidentLog
from hub import kinds


def enroll_person(config: Config, log: IncidentLog, name: str, photos: list[Path], trusted: bool) -> int:
    """Enrol photos of a person; print each photo's outcome; exit 1 if any was refused."""
    from hub.vision.enrol import enrol_person
    from hub.vision.faces import Role

    role: Role = "trusted" if trusted else "concern"
    results, event = enrol_person(config, log.evidence, name, photos, [p.name for p in photos], role)
    for result in results:
        print(("accepted: " if result.accepted else "rejected: ") + result.message)
    if event is not None:
        log.append(event)
    accepted = sum(r.accepted for r in results)
    print(f"{name}: {accepted} of {len(results)} photos enrolled ({role})")
    return 0 if accepted == len(results) else 1


def enroll_vehicle(config: Config, log: IncidentLog, name: str, photos: list[Path], plate: str | None,
                   colour: str | None) -> int:
    """Enrol a vehicle from photos, plate and colour; exit 1 if any photo was refused."""
    from hub.vision.enrol import enrol_vehicle

    results, event = enrol_vehicle(config, log.evidence, name, photos, [p.name for p in photos], plate, colour)
    for result in results:
        print(("accepted: " if result.accepted else "rejected: ") + result.message)
    log.append(event)
    accepted = sum(r.accepted for r in results)
    print(f"{name}: {accepted} of {len(photos)} photos enrolled"
          + (f", plate {plate}" if plate else "") + (f", colour {colour}" if colour else ""))
    return 0 if accepted == len(photos) else 1


def match_images(config: Config, images: list[Path], as_json: bool) -> int:
    """Print the faces, plates and vehicles found in each image, and whom or what they match."""
    from hub.errors import InputRejected
    from hub.vision.face_detector import default_detector
    from hub.vision.faces import FaceFinder, FaceLibrary, load_rgb
    from hub.vision.plates import plate_distance, read_plates
    from hub.vision.vehicles import VehicleLibrary

    library = FaceLibrary.for_config(config)
    finder = FaceFinder(library, default_detector(config.recognition))
    vehicles = VehicleLibrary.for_config(config)
    status = 0
    for image in images:
        try:
            rgb = load_rgb(image)
        except InputRejected as err:
            print(json.dumps({"image": str(image), "error": str(err)}) if as_json else f"{image}: {err}")
            status = 1
            continue
        bgr = rgb[:, :, ::-1].copy()
        hits = finder.find(bgr)
        faces = [{"box": list(h.box), "match": h.match,
                  "distance": round(h.distance, 4) if h.distance is not None else None} for h in hits]
        reads = read_plates(bgr, vehicles.formats())
        plates = [{"text": r.text, "box": list(r.box), "confidence": r.confidence,
                   "match": next((v.name for v in vehicles.vehicles.values() if v.plate and plate_distance(
                       r.text, v.plate) <= config.recognition.plate_max_errors), None)} for r in reads]
        vehicle_hits = vehicles.match(bgr, reads) if vehicles.vehicles else []
        found = [{"match": h.name if h.score >= config.recognition.vehicle_min_score else None, "score": h.score}
                 for h in vehicle_hits[:1]]
        if as_json:
            print(json.dumps({"image": str(image), "faces": faces, "plates": plates, "vehicles": found}))
            continue
        print(f"{image}: {len(faces)} face(s), {len(plates)} plate(s)")
        for face in faces:
            who = f"{face['match']} (distance {face['distance']})" if face["match"] else "nobody enrolled"
            print(f"  face at {face['box']}: {who}")
        for plate in plates:
            print(f"  plate {plate['text']}: " + (f"matches {plate['match']}" if plate["match"] else "no match"))
        for vehicle in found:
            print(f"  vehicle: {vehicle['match'] or 'no match'} (score {vehicle['score']})")
    return status


def scan_video(config: Config, video: Path, as_json: bool, fps: float | None) -> int:
    """Run the camera pipeline over a file as if live; print events with video times and a summary."""
    import cv2

    from hub.vision.camera import CameraPipeline
    from hub.vision.faces import FaceLibrary
    from hub.vision.vehicles import VehicleLibrary

    capture = cv2.VideoCapture(str(video))
    if not capture.isOpened():
        print(f"{video}: cannot open it as a video")
        return 1
    video_fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    camera = CameraConfig(source=str(video), fps=fps or 5.0, vehicles=True)
    library = FaceLibrary.for_config(config)
    with tempfile.TemporaryDirectory() as clips:
        pipeline = CameraPipeline("scan", camera, config.recognition, library, None,
                                  lambda: datetime.now(timezone.utc), Path(clips), VehicleLibrary.for_config(config))
        frames_read, next_t = 0, 0.0
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        events: list[Event] = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            t = frames_read / video_fps
            frames_read += 1
            if t + 1e-9 < next_t:
                continue  # a live camera would have dropped this frame: analysis takes the newest
            next_t += 1.0 / camera.fps
            for event in pipeline.process(frame, t):
                _print_event(event, as_json)
                events.append(event)
        for event in pipeline.flush():
            _print_event(event, as_json)
        wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    capture.release()
    summary: dict[str, object] = {"frames_read": frames_read, "frames_analysed": pipeline.stats.frames_analysed,
               "fps": round(frames_read / wall, 2) if wall else 0.0, "cpu_seconds": round(cpu, 3),
               "face_searches": pipeline.stats.face_searches, "video_seconds": round(frames_read / video_fps, 2)}
    if pipeline.faces is not None:
        stats = pipeline.faces.stats
        summary.update({"face_sweeps": stats.sweeps, "face_tracks": stats.tracks, "recognitions": pipeline.faces.recogniser.embeddings,
                        "face_detector": pipeline.faces.detector.name})
    if as_json:
        print(json.dumps({"summary": summary}))
    else:
        print(f"read {frames_read} frames ({summary['video_seconds']} s of video), analysed "
              f"{summary['frames_analysed']}, {summary['fps']} frames/s, {summary['cpu_seconds']} CPU s")
    return 0


def _print_event(event: Event, as_json: bool) -> None:
    detail = {k: v for k, v in event.detail.items() if k != "encoding"}
    video_time = detail.pop("video_time", None)
    if as_json:
        print(json.dumps({"kind": event.kind, "video_time": video_time, "detail": detail}))
    else:
        print(f"{video_time:8.2f} s  {event.kind}  {detail}")


def review_match(log: IncidentLog, config: Config, seq: int, verdict: str, note: str | None) -> int:
    """Confirm or reject a face match; a rejection teaches the matcher not to repeat it."""
    from hub.vision.enrol import review

    match = log.event(seq)
    if match is None or match.kind != kinds.FACE_MATCH:
        print(f"seq {seq}: not a face.match row")
        return 1
    event = review(config, match, verdict, note)
    log.append(event)
    print(f"match at seq {seq}: {event.kind.split('.')[1]}")
    return 0


def cmd_enroll_person(args: argparse.Namespace) -> int:
    """porchlight enroll person NAME PHOTO..."""

    with open_log(args) as log:
        return enroll_person(config_from(args), log, args.name, args.photos, args.trusted)


def cmd_enroll_vehicle(args: argparse.Namespace) -> int:
    """porchlight enroll vehicle NAME [--plate TEXT] [--colour C] PHOTO..."""

    with open_log(args) as log:
        return enroll_vehicle(config_from(args), log, args.name, args.photos, args.plate, args.colour)


def cmd_match(args: argparse.Namespace) -> int:
    """porchlight match IMAGE..."""

    return match_images(config_from(args), args.images, args.json)


def cmd_scan(args: argparse.Namespace) -> int:
    """porchlight scan VIDEO"""

    return scan_video(config_from(args), args.video, args.json, args.fps)


def cmd_review(args: argparse.Namespace) -> int:
    """porchlight review SEQ confirm|reject"""

    with open_log(args) as log:
        return review_match(log, config_from(args), args.seq, args.verdict, args.note)


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register enroll, match, scan and review on the main parser."""
    enroll = sub.add_parser("enroll", help="enrol the person (or vehicle) of concern").add_subparsers(
        dest="enroll_command", required=True)
    person = enroll.add_parser("person", parents=[common], help="enrol a person from photos")
    person.add_argument("name")
    person.add_argument("photos", nargs="+", type=Path, metavar="PHOTO")
    person.add_argument("--trusted", action="store_true", help="a household member: never alarms")
    person.set_defaults(func=cmd_enroll_person)

    vehicle = enroll.add_parser("vehicle", parents=[common], help="enrol a vehicle from photos")
    vehicle.add_argument("name")
    vehicle.add_argument("photos", nargs="+", type=Path, metavar="PHOTO")
    vehicle.add_argument("--plate", help="its number plate (one misread character is tolerated)")
    vehicle.add_argument("--colour", help="red, blue, white, black, silver...")
    vehicle.set_defaults(func=cmd_enroll_vehicle)

    match = sub.add_parser("match", parents=[common], help="find faces and matches in images")
    match.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    match.add_argument("--json", action="store_true")
    match.set_defaults(func=cmd_match)

    scan = sub.add_parser("scan", parents=[common], help="run the camera pipeline on a video file")
    scan.add_argument("video", type=Path)
    scan.add_argument("--json", action="store_true")
    scan.add_argument("--fps", type=float, help="analysis rate (default 5)")
    scan.set_defaults(func=cmd_scan)

    review = sub.add_parser("review", parents=[common], help="confirm or reject a face match")
    review.add_argument("seq", type=int)
    review.add_argument("verdict", choices=["confirm", "reject"])
    review.add_argument("--note")
    review.set_defaults(func=cmd_review)
