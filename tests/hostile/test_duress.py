"""He stands beside her while she disarms with the duress PIN: nothing he can see differs from a normal disarm."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hub.app import Hub
from tests.conftest import Broker, Webhook, wait_for
from tests.hostile.conftest import DURESS, PIN, hostile_config
from tests.test_commands import Keypad
from tests.webtools import login, make_app, post, set_up


class Observer:
    """Anyone on her Wi-Fi, subscribed to everything on the broker."""

    def __init__(self, broker: Broker) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        import threading

        self.seen: list[tuple[str, str]] = []
        subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="observer")
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.connect("127.0.0.1", broker.port)
        self.client.subscribe("#", qos=1)
        self.client.loop_start()
        assert subscribed.wait(5)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        # What the keypad itself publishes (with its PIN) is the keypad's, not the hub's: only the broker's
        # ACLs (config/mosquitto) keep other clients from reading it.
        # Retained copies from the earlier evening on this broker are not this evening's.
        if message.retain:
            return
        if not message.topic.startswith("porchlight/command/") or message.topic.endswith("/result"):
            self.seen.append((message.topic, _shape(message.payload)))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _shape(payload: bytes) -> str:
    """A message without its times (they differ between any two runs)."""
    try:
        data = json.loads(payload)
    except ValueError:
        return payload.decode("utf-8", "replace")
    if isinstance(data, dict):
        data.pop("at", None)
    return json.dumps(data, sort_keys=True)


def _screen(text: str) -> str:
    """What she (and he) can read on a page, without times, numbers and the CSRF token."""
    text = re.sub(r'name="csrf_token" value="[^"]+"', "", text)
    return re.sub(r"\d+", "#", text)


def _evening(tmp_path: Path, broker: Broker, webhook: Webhook, mock_factory: Any, pin: str) -> dict[str, Any]:
    data_dir = tmp_path / pin
    config = hostile_config(data_dir, broker.port, contacts={"ann": {"notify": [webhook.url()]}},
                            web={"tls": False})
    hub = Hub(config, pin_factory=mock_factory)
    observer = Observer(broker)
    hub.start()
    keypad = Keypad(broker)
    try:
        assert hub.mqtt is not None and hub.mqtt.wait_connected(10)
        answers = [keypad.send("arm", mode="away", id=1), keypad.send("arm", mode="disarmed", pin=pin, id=2)]
        wait_for(lambda: hub.pipeline is not None and hub.pipeline.arm_state.mode == "disarmed", 5, "disarmed")
        if pin == DURESS:
            wait_for(lambda: webhook.posts, 10, "the duress alert to her contact")
            wait_for(lambda: hub.log is not None and hub.log.events(kind="alert.sent"), 5, "the delivery row")
        assert hub.wait_idle(5)
        app = make_app(data_dir, contacts={"ann": {"notify": [webhook.url()]}})
        client = app.test_client()
        set_up(client)
        login(client)
        pages = {path: _screen(client.get(path).get_data(as_text=True)) for path in ("/", "/incidents", "/alerts")}
        seen = sorted(set(observer.seen))
        return {"answers": answers, "mqtt": seen, "pages": pages, "store": (data_dir, app, client)}
    finally:
        keypad.close()
        observer.close()
        hub.stop()


def test_a_duress_disarm_looks_like_a_normal_one_on_every_topic_and_page(
        tmp_path: Path, broker: Broker, webhook: Webhook, mock_factory: Any) -> None:
    normal = _evening(tmp_path, broker, webhook, mock_factory, PIN)
    assert webhook.posts == []
    duress = _evening(tmp_path, broker, webhook, mock_factory, DURESS)
    [(_, alert)] = webhook.posts  # help is really coming: her contact was told
    assert "Duress" in alert["title"] or "duress" in alert["message"].lower()
    assert normal["answers"] == duress["answers"]
    assert normal["mqtt"] == duress["mqtt"], "an MQTT listener can tell a duress disarm from a normal one"
    for path in normal["pages"]:
        assert normal["pages"][path] == duress["pages"][path], f"{path} differs after a duress disarm"
    # Once she says she is safe, the record is there for her.
    data_dir, app, client = duress["store"]
    post(client, "/settings/safe-now")
    from hub.store import Store
    from tests.webtools import take_commands

    with Store(data_dir) as store:
        take_commands(store)
    assert "Duress code used" in client.get("/incidents").get_data(as_text=True)
