"""Tests that need a real Raspberry Pi: skipped elsewhere (run them on the Pi with: pytest -m hardware)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from hub.vision.frames import PiCameraSource

pytestmark = pytest.mark.hardware


@pytest.mark.skipif(importlib.util.find_spec("picamera2") is None, reason="picamera2 is not installed (not a Pi)")
def test_pi_camera_gives_frames() -> None:
    source = PiCameraSource((640, 480))
    source.open()
    try:
        frame = source.read()
    finally:
        source.close()
    assert frame is not None and frame.shape == (480, 640, 3)


@pytest.mark.skipif(not Path("/dev/gpiochip0").exists() or not Path("/proc/device-tree/model").exists(),
                    reason="no GPIO header (not a Pi)")
def test_real_pins_can_be_claimed() -> None:
    from gpiozero import DigitalInputDevice

    device = DigitalInputDevice(17, pull_up=True)
    try:
        assert device.value in (0, 1)
    finally:
        device.close()
