"""He spoofs one "open" from her door while she is home, so the real opening later is no change and no alarm."""

from __future__ import annotations

import json
from typing import Any

from hub.app import Hub
from tests.conftest import Publisher, wait_for
from tests.hostile.conftest import DOOR_TOPIC
from tests.test_commands import Keypad


def test_arming_over_an_open_door_asks_first_and_a_bypass_is_for_that_arming_only(
        hub: Hub, broker: Any, publisher: Publisher) -> None:
    publisher.publish(DOOR_TOPIC, json.dumps({"contact": False}))  # his spoofed "open"
    wait_for(lambda: hub.log is not None and hub.log.events(kind="door.opened"), 10, "the spoofed opening")
    keypad = Keypad(broker)
    try:
        refused = json.loads(keypad.send("arm", mode="away", id=1))
        assert not refused["ok"] and refused["not_ready"] == ["front_door"]
        assert "Front door is open" in refused["error"]
        assert hub.wait_idle(5) and hub.pipeline is not None and hub.pipeline.arm_state.mode == "disarmed"
        armed = json.loads(keypad.send("arm", mode="away", bypass=True, id=2))
        assert armed["ok"]
        wait_for(lambda: hub.pipeline is not None and hub.pipeline.arm_state.mode == "away", 5, "armed away")
        assert hub.pipeline.arm_state.bypassed == ("front_door",)
        assert hub.log is not None and hub.log.events(kind="arm.set")[-1].detail["bypassed"] == ["front_door"]
        # The next arming, with the door really closed, watches it again.
        publisher.publish(DOOR_TOPIC, json.dumps({"contact": True}))
        wait_for(lambda: hub.log is not None and hub.log.events(kind="door.closed"), 10, "the door closed")
        assert json.loads(keypad.send("arm", mode="night", id=3))["ok"]
        wait_for(lambda: hub.pipeline is not None and hub.pipeline.arm_state.mode == "night", 5, "armed night")
        assert hub.pipeline.arm_state.bypassed == ()
    finally:
        keypad.close()
