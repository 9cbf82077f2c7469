"""Junk on the broker: the hub stays hearing, acknowledges everything, and summarises the flood."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hub.app import Hub
from tests.conftest import Broker, Publisher, Webhook, wait_for
from tests.hostile.conftest import DOOR_TOPIC, hostile_config


def _door(is_open: bool, marker: int) -> str:
    return json.dumps({"contact": not is_open, "linkquality": marker})


def _kinds(hub: Hub, pattern: str) -> list[Any]:
    assert hub.log is not None
    return hub.log.events(kind=pattern)


def test_deeply_nested_junk_never_deafens_the_hub(hub: Hub, broker: Broker, publisher: Publisher,
                                                  data_dir: Path, mock_factory: Any) -> None:
    for _ in range(25):  # more than the broker's in-flight window (20)
        publisher.publish("porchlight/command/panic", "[" * 4000)  # under the size cap, deep enough to recurse
    publisher.publish(DOOR_TOPIC, _door(True, 1))
    publisher.publish("porchlight/command/panic", json.dumps({"id": 7}))
    wait_for(lambda: _kinds(hub, "door.opened") and _kinds(hub, "panic"), 10, "the real door and the real panic")
    refused = _kinds(hub, "input.rejected")
    assert len(refused) == 1 and "nested too deeply" in refused[0].detail["problem"]
    hub.rejections.flush(force=True)
    wait_for(lambda: _kinds(hub, "input.flood"), 5, "the summary of the other 24")
    refusals = len(_kinds(hub, "input.*"))
    hub.stop()
    # Nothing was left unacknowledged on the persistent session: a restart is not flooded again.
    again = Hub(hostile_config(data_dir, broker.port), pin_factory=mock_factory)
    again.start()
    try:
        assert again.mqtt is not None and again.mqtt.wait_connected(10)
        publisher.publish(DOOR_TOPIC, _door(False, 2))
        wait_for(lambda: _kinds(again, "door.closed"), 10, "the next real event after the restart")
        assert len(_kinds(again, "input.*")) == refusals == 2
    finally:
        again.stop()


def test_a_flood_of_junk_is_one_row_and_a_summary_and_loses_no_real_event(hub: Hub, publisher: Publisher) -> None:
    assert hub.log is not None
    before = hub.log.head()[0]
    for number in range(1500):
        publisher.publish(DOOR_TOPIC, b"\x00junk" + str(number).encode())
        if number == 700:
            publisher.publish(DOOR_TOPIC, _door(True, 3))
    publisher.publish(DOOR_TOPIC, _door(False, 4))
    wait_for(lambda: _kinds(hub, "door.closed"), 20, "the real door events among the junk")
    assert [e.detail["linkquality"] for e in _kinds(hub, "door.*")] == [3, 4]
    hub.rejections.flush(force=True)
    wait_for(lambda: _kinds(hub, "input.flood"), 5, "the flood summary")
    [first] = _kinds(hub, "input.rejected")
    [summary] = _kinds(hub, "input.flood")
    assert first.detail["topic"] == DOOR_TOPIC and summary.detail["count"] == 1499
    assert hub.log.head()[0] - before < 10  # a handful of rows, not 1,500


def test_a_value_the_log_cannot_hold_is_set_aside_and_the_pipeline_goes_on(hub: Hub, publisher: Publisher) -> None:
    from datetime import datetime, timezone

    from hub.events import Event

    assert hub.log is not None
    hub.submit(Event("door.opened", "front_door", detail={"x": float("nan")}))
    hub.submit(Event("door.opened", "front_door", at=datetime(1, 1, 1, tzinfo=timezone.utc)))
    hub.submit(Event("log.checkpoint", "mqtt", detail={"head_seq": 1}))
    publisher.publish(DOOR_TOPIC, _door(True, 5))
    wait_for(lambda: _kinds(hub, "door.opened"), 10, "the real event after three impossible ones")
    problems = [e.detail["problem"] for e in _kinds(hub, "log.event_refused")]
    assert len(problems) == 3 and "cannot hold" in problems[0] and "impossible time" in problems[1]
    assert "written only by the log itself" in problems[2]
    assert hub.log.verify().ok and hub.healthy()


def test_a_retained_command_is_ignored_and_cleared(hub: Hub, broker: Broker, publisher: Publisher,
                                                  data_dir: Path, mock_factory: Any) -> None:
    from hub.events import Event

    hub.submit(Event("arm.set", "test", detail={"mode": "away"}))
    wait_for(lambda: hub.pipeline is not None and hub.pipeline.arm_state.mode == "away", 5, "armed away")
    hub.stop()
    # Left on the broker while the hub is away, with the right PIN: replayed at every (re)subscription.
    publisher.client.publish("porchlight/command/arm", json.dumps({"mode": "disarmed", "pin": "2468"}),
                             qos=1, retain=True).wait_for_publish(5)
    for restart in range(2):
        again = Hub(hostile_config(data_dir, broker.port), pin_factory=mock_factory)
        again.start()
        try:
            assert again.mqtt is not None and again.mqtt.wait_connected(10)
            if restart == 0:
                wait_for(lambda: _kinds(again, "input.rejected"), 10, "the refusal")
            again.wait_idle(2)
            assert again.pipeline is not None and again.pipeline.arm_state.mode == "away"
            refused = _kinds(again, "input.rejected")
            # Refused once; cleared at the broker, so the second start hears nothing of it.
            assert len(refused) == 1 and "retained" in refused[0].detail["problem"]
        finally:
            again.stop()


def test_the_hubs_session_cannot_be_guessed_and_losing_the_broker_is_an_alarm(
        data_dir: Path, broker: Broker, webhook: Webhook, mock_factory: Any, tmp_path: Path) -> None:
    config = hostile_config(data_dir, broker.port, contacts={"ann": {"notify": [webhook.url()]}})
    config = config.model_copy(update={"mqtt": config.mqtt.model_copy(update={"lost_after_seconds": 2})})
    hub = Hub(config, pin_factory=mock_factory)
    hub.start()
    try:
        assert hub.mqtt is not None and hub.mqtt.wait_connected(10)
        assert hub.mqtt.client_id.startswith("porchlight-hub-") and len(hub.mqtt.client_id) == len("porchlight-hub-") + 16
        from hub.mqtt import install_client_id

        assert install_client_id(tmp_path / "another-install") != hub.mqtt.client_id  # random per install
        assert install_client_id(data_dir) == hub.mqtt.client_id  # and kept across restarts
        broker.stop()
        wait_for(lambda: _kinds(hub, "hub.broker_lost"), 10, "the broker-lost alarm")
        wait_for(lambda: webhook.posts, 10, "the alert to her contact")
        broker.start()
        wait_for(lambda: _kinds(hub, "hub.broker_back"), 15, "the broker back")
    finally:
        hub.stop()
