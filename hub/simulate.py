"""The demo's pretend household: arms the hub, opens the back door, lets the entry delay run out."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Protocol

from hub.clock import Clock
from hub.config import Config
from hub.events import Event, Severity
from hub.sources.gpio import is_mock
from hub import kinds

logger = logging.getLogger(__name__)


class SimulatedHub(Protocol):
    """What the simulator needs of the hub it plays against."""

    config: Config
    clock: Clock
    pin_factory: Any
    store: Any

    def submit(self, event: Event) -> None:
        """Put an event on the hub's bus."""


class Simulator:
    """Drives mock GPIO pins and commands on a loop; only works with the mock pin factory."""

    def __init__(self, hub: SimulatedHub, period: float = 60.0) -> None:
        self.hub = hub
        self.period = period
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: Any = None
        self._inboxes: list[Any] = []

    def start(self) -> None:
        """Start the scripted loop (and the demo inbox, when a contact's channel is the inbox)."""
        if not is_mock(self.hub.pin_factory):
            logger.warning("--simulate needs gpio.pin_factory: mock; not simulating")
            return
        self._start_inboxes()
        self._thread = threading.Thread(target=self._run, name="simulator", daemon=True)
        self._thread.start()

    def _start_inboxes(self) -> None:
        from hub.alerts.channels import send_test_message
        from hub.contacts import ContactBook
        from hub.demo_inbox import FILE_NAME, DemoInbox, inbox_port

        for cid, contact in ContactBook(self.hub.config).current().items():
            for url in contact.notify:
                port = inbox_port(url)
                if port is None or port in {i.port for i in self._inboxes}:
                    continue
                inbox = DemoInbox(self.hub.config.data_dir / FILE_NAME, port)
                inbox.start()
                self._inboxes.append(inbox)
                logger.info("simulator: %s's messages arrive in the dashboard's Inbox (127.0.0.1:%d)",
                            contact.name or cid, port)
            if any(inbox_port(url) is not None for url in contact.notify) and self.hub.store is not None:
                from hub.reach import Reach

                # As she would after adding a contact: a test, so the dashboard knows the inbox is reached.
                results = send_test_message(contact)
                Reach.of_hub(self.hub.config, self.hub.store.state).record_test(cid, contact, results)

    def stop(self) -> None:
        """Stop the loop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
        for inbox in self._inboxes:
            inbox.stop()

    def _door_pin(self) -> int | None:
        for sensor in self.hub.config.sensors.values():
            if sensor.kind == "door" and sensor.gpio is not None and sensor.gpio.normally == "closed":
                return sensor.gpio.pin
        return None

    def _arm(self, mode: str) -> None:
        self.hub.submit(Event(kinds.ARM_SET, "simulator", Severity.NOTICE, detail={"mode": mode},
                              at=self.hub.clock.now()))

    def _zigbee_door(self) -> tuple[str, Any] | None:
        """A paho client publishing like Zigbee2MQTT for the first Zigbee door, if there is one."""
        if not self.hub.config.mqtt.enabled:
            return None
        for sensor in self.hub.config.sensors.values():
            if sensor.kind == "door" and sensor.mqtt is not None and sensor.mqtt.format == "zigbee2mqtt":
                import paho.mqtt.client as mqtt
                from paho.mqtt.enums import CallbackAPIVersion

                client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="porchlight-simulator")
                client.connect_async(self.hub.config.mqtt.host, self.hub.config.mqtt.port)
                client.loop_start()
                self._client = client
                return sensor.mqtt.topic, client
        return None

    def _visit_by_mqtt(self, zigbee: tuple[str, Any] | None) -> None:
        if zigbee is None:
            return
        topic, client = zigbee
        logger.info("simulator: the front door opens and closes (Zigbee2MQTT message on %s)", topic)
        for contact in (False, True):
            client.publish(topic, json.dumps({"battery": 87, "contact": contact, "linkquality": 120}), qos=1)
            if self._stop.wait(2):
                return

    def _run(self) -> None:
        pin_number = self._door_pin()
        if pin_number is None:
            logger.warning("the demo config has no normally-closed GPIO door to simulate")
            return
        pin = self.hub.pin_factory.pin(pin_number)
        zigbee = self._zigbee_door()
        exit_delay = self.hub.config.arming.exit_delay_seconds
        entry_delay = self.hub.config.arming.entry_delay_seconds
        while not self._stop.is_set():
            logger.info("simulator: arming away (exit delay %d s)", exit_delay)
            self._arm("away")
            if self._stop.wait(exit_delay + 2):
                return
            logger.info("simulator: the back door opens (GPIO%d goes high)", pin_number)
            pin.drive_high()
            if self._stop.wait(3):
                return
            pin.drive_low()
            logger.info("simulator: the back door closes; nobody disarms within %d s", entry_delay)
            if self._stop.wait(entry_delay + 2):
                return
            self._arm("disarmed")
            if self._stop.wait(3):
                return
            self._visit_by_mqtt(zigbee)
            if self._stop.wait(self.period):
                return
