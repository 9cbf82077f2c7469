"""The USB cameras plugged into the Pi, as the kernel lists them, for the dashboard to offer by name.

A USB camera shows up as two or more ``/dev/videoN`` nodes: the first carries the picture, the
others metadata. Only a node whose device sits on the USB bus and whose ``index`` is 0 is
offered; the Pi's own camera and video-processing nodes (unicam, bcm2835-isp, the codecs) are
left out, since OpenCV reads no picture from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

VIDEO4LINUX = Path("/sys/class/video4linux")
_NODE = re.compile(r"video(\d{1,3})")


@dataclass(frozen=True)
class UsbCamera:
    """One USB camera: the number OpenCV opens it by, and the name it gives itself."""

    number: int
    name: str


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip()
    except OSError:
        return ""


def usb_cameras(root: Path = VIDEO4LINUX) -> list[UsbCamera]:
    """The USB cameras under ``root`` (the kernel's sysfs folder), by number; none when it is absent."""
    found = []
    try:
        nodes = sorted(root.iterdir())
    except OSError:
        return []
    for node in nodes:
        match = _NODE.fullmatch(node.name)
        if match is None or _read(node / "index") not in ("", "0"):
            continue
        try:
            device = (node / "device").resolve(strict=True)
        except OSError:
            continue
        if not any(part.startswith("usb") for part in device.parts):
            continue
        name = re.sub(r"[^\w ().:\-]", "", _read(node / "name"))[:60] or f"USB camera {match.group(1)}"
        found.append(UsbCamera(int(match.group(1)), name))
    return sorted(found, key=lambda camera: camera.number)
