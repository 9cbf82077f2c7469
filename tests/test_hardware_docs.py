"""The pin map in hardware/README.md matches the example config."""

from __future__ import annotations

import re

from hub.config import load_config
from tests.conftest import REPO


def test_pin_map_matches_example_config() -> None:
    config = load_config(REPO / "config" / "porchlight.example.yaml")
    used = {s.gpio.pin for s in config.sensors.values() if s.gpio is not None}
    used |= {o.pin for o in (config.gpio.siren, config.gpio.buzzer, config.gpio.led) if o is not None}
    documented = {int(n) for n in re.findall(r"^\| GPIO(\d+) \|", (REPO / "hardware" / "README.md").read_text(), re.M)}
    assert documented == used


def test_every_diagram_is_valid_svg_and_linked_from_the_guide() -> None:
    import xml.etree.ElementTree as ET

    guide = (REPO / "hardware" / "README.md").read_text()
    diagrams = sorted((REPO / "hardware" / "diagrams").glob("*.svg"))
    assert len(diagrams) == 5
    for svg in diagrams:
        root = ET.parse(svg).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert f"(diagrams/{svg.name})" in guide
