"""He publishes on a satellite's topics: unsigned, with a guessed key, replayed, or asking for what it may not."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hub.app import Hub
from hub.events import Event
from hub.sources.satellite import pair, seal
from tests.conftest import Broker, Publisher, wait_for
from tests.hostile.conftest import hostile_config

TOPIC = "porchlight/satellite/back_shed/event"
BEAT = "porchlight/satellite/back_shed/heartbeat"


def _body(kind: str, source: str, **detail: Any) -> dict[str, Any]:
    return {"id": "x", "kind": kind, "source": source, "severity": "info", "detail": detail,
            "at": datetime.now(timezone.utc).isoformat(), "evidence": {}}


def test_only_signed_new_messages_of_its_own_sensors_are_believed(
        data_dir: Path, broker: Broker, publisher: Publisher, mock_factory: Any) -> None:
    key = bytes.fromhex(pair(data_dir, "back_shed"))
    config = hostile_config(data_dir, broker.port,
                            sensors={"shed_door": {"kind": "door", "satellite": {"id": "back_shed"}}},
                            satellites={"back_shed": {"heartbeat_seconds": 5}})
    hub = Hub(config, pin_factory=mock_factory)
    hub.start()
    try:
        assert hub.mqtt is not None and hub.mqtt.wait_connected(10) and hub.log is not None
        hub.submit(Event("arm.set", "test", detail={"mode": "away"}))
        wait_for(lambda: hub.pipeline is not None and hub.pipeline.arm_state.mode == "away", 5, "armed away")
        publisher.publish(TOPIC, json.dumps(_body("arm.set", "shed_door", mode="disarmed")))  # unsigned
        publisher.publish(TOPIC, seal(b"guessed" * 4, TOPIC, "back_shed", 10, _body("face.match", "shed_door")))
        publisher.publish(TOPIC, seal(key, TOPIC, "back_shed", 11, _body("arm.set", "shed_door", mode="disarmed")))
        publisher.publish(TOPIC, seal(key, TOPIC, "back_shed", 12, _body("access.login", "shed_door")))
        genuine = seal(key, TOPIC, "back_shed", 13, _body("door.opened", "shed_door"))
        publisher.publish(TOPIC, genuine)
        publisher.publish(TOPIC, genuine)  # replayed
        publisher.publish(BEAT, json.dumps({"at": datetime.now(timezone.utc).isoformat()}))  # forged heartbeat
        wait_for(lambda: hub.log is not None and hub.log.events(kind="door.opened"), 10, "the genuine door event")
        wait_for(lambda: hub.rejections.total >= 6, 10, "the six refusals")  # then summarise them in one window
        hub.rejections.flush(force=True)
        assert hub.wait_idle(5)
        assert hub.pipeline is not None and hub.pipeline.arm_state.mode == "away"
        assert [e.kind for e in hub.log.events(source="shed_door") if e.detail.get("satellite")] == ["door.opened"]
        assert hub.log.events(kind="alarm.triggered")  # the real opening while armed is an alarm
        assert not hub.log.events(kind="access.*") and not hub.log.events(kind="face.match")
        refused: dict[str, str] = {}
        for row in hub.log.events(kind="input.rejected", source="back_shed"):
            refused.setdefault(row.detail["topic"], row.detail["problem"])
        assert "unsigned" in refused[TOPIC] and "unsigned" in refused[BEAT]
        problems = hub.log.events(kind="input.flood", source="back_shed")[0].detail["problems"]
        assert any("signature is wrong" in p for p in problems)
        assert any("may not report 'arm.set'" in p for p in problems)
        assert any("may not report 'access.login'" in p for p in problems)
        assert any("replayed" in p for p in problems)
        # The forged heartbeat kept nothing alive: with no signed word for its heartbeat, it is offline.
        wait_for(lambda: hub.log is not None and hub.log.events(kind="satellite.offline"), 15, "satellite offline")
    finally:
        hub.stop()
