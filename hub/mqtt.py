"""The hub's one MQTT connection: persistent session, QoS 1, manual acks, reconnect with backoff."""

from __future__ import annotations

import logging
import threading
from collections import deque
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from hub.config import MqttConfig, resolve_secret
from hub.files import secret_file

logger = logging.getLogger(__name__)

# (topic, payload, ack) -> None. The handler must call ack() once the message is safely committed.
MessageHandler = Callable[[str, bytes, Callable[[], None]], None]
ConnectHook = Callable[[], None]
RejectHook = Callable[[str, bytes, str], None]  # (topic, payload, problem): a message refused before its handler
DEFAULT_MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class _Route:
    handler: MessageHandler
    max_bytes: int
    retained_ok: bool
    qos: int


def install_client_id(data_dir: Path, role: str = "hub") -> str:
    """This install's own MQTT client id, random and kept (so the broker keeps the session across restarts)."""
    return f"porchlight-{role}-{secret_file(data_dir / 'keys' / f'mqtt-{role}-id', 8).hex()}"


class MqttLink:
    """Wraps paho-mqtt. Handlers run on paho's network thread and must only translate and enqueue."""

    def __init__(self, config: MqttConfig, *, status_topic: str | None = None, client_id: str | None = None) -> None:
        self.config = config
        self.client_id = config.client_id or client_id or "porchlight-hub"
        self.down_since: float | None = time.monotonic()  # not connected since (monotonic); None while up
        self.last_refusal: str | None = None  # why the broker last refused the hub's login, until it accepts
        self._drops: deque[float] = deque(maxlen=32)  # when the connection was lost (monotonic)
        self._status_topic = status_topic or f"{config.topic_prefix}/status"
        self._handlers: dict[str, _Route] = {}
        self._on_connect_hooks: list[ConnectHook] = []
        self._on_reject: RejectHook = lambda topic, payload, problem: None
        self._connected = threading.Event()
        # Message ids are per connection: an ack after a reconnect could hit another message.
        self._generation = 0
        self._lock = threading.Lock()
        self._client = self._make_client()

    @property
    def status_topic(self) -> str:
        """Where this link publishes online/offline (retained; offline is the last will)."""
        return self._status_topic

    def _make_client(self) -> Any:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            clean_session=False,  # persistent session: the broker keeps our QoS 1 messages
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if self.config.username:
            client.username_pw_set(self.config.username, resolve_secret(self.config.password))
        if self.config.tls:
            client.tls_set(ca_certs=str(self.config.ca_file) if self.config.ca_file else None)
        client.reconnect_delay_set(self.config.reconnect_min_seconds, self.config.reconnect_max_seconds)
        client.will_set(self.status_topic, "offline", qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        return client

    def subscribe(self, topic: str, handler: MessageHandler, *, max_bytes: int = DEFAULT_MAX_BYTES,
                  retained_ok: bool = True, qos: int = 1) -> None:
        """Route messages on ``topic`` (exact, no wildcards) to ``handler``; call before start().

        A message larger than ``max_bytes``, or a retained one where ``retained_ok`` is false (a
        command must be meant now, not replayed on every reconnect), is refused before the handler.
        ``qos=0`` keeps the broker from queueing messages for the hub while it is away: an arm or
        disarm typed an hour ago must not be carried out when the hub comes back.
        """
        self._handlers[topic] = _Route(handler, max_bytes, retained_ok, qos)

    def on_reject(self, hook: RejectHook) -> None:
        """Report every message refused here (too large, retained command, a handler that raised)."""
        self._on_reject = hook

    def on_connect(self, hook: ConnectHook) -> None:
        """Run ``hook`` after every (re)connection, e.g. to publish discovery messages."""
        self._on_connect_hooks.append(hook)

    def start(self) -> None:
        """Connect in the background; keeps retrying with backoff while the broker is away."""
        self._client.connect_async(self.config.host, self.config.port, self.config.keepalive_seconds)
        self._client.loop_start()

    def stop(self) -> None:
        """Say goodbye (status offline) and disconnect."""
        if self._connected.is_set():
            self._client.publish(self.status_topic, "offline", qos=1, retain=True)
        self._client.disconnect()
        self._client.loop_stop()

    def wait_connected(self, timeout: float) -> bool:
        """Block until connected, at most ``timeout`` seconds."""
        return self._connected.wait(timeout)

    @property
    def is_connected(self) -> bool:
        """Whether the broker connection is up."""
        return self._connected.is_set()

    def publish(self, topic: str, payload: str | bytes, *, retain: bool = False, qos: int = 1) -> None:
        """Publish (paho queues it while disconnected)."""
        self._client.publish(topic, payload, qos=qos, retain=retain)

    def publish_confirmed(self, topic: str, payload: str | bytes, timeout: float) -> bool:
        """Publish at QoS 1 and wait (at most ``timeout`` s) for the broker's acknowledgement; whether it came."""
        info = self._client.publish(topic, payload, qos=1)
        try:
            info.wait_for_publish(timeout=timeout)
        except (RuntimeError, ValueError):  # paho: not connected, or the queue is full
            return False
        return bool(info.is_published())

    def _on_connect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            logger.error("MQTT broker %s:%s refused the connection: %s",
                         self.config.host, self.config.port, reason_code)
            self.last_refusal = str(reason_code)
            return
        self.last_refusal = None
        with self._lock:
            self._generation += 1
        logger.info("connected to MQTT broker %s:%s (session present: %s)",
                    self.config.host, self.config.port, flags.session_present)
        if self._handlers:
            client.subscribe([(topic, route.qos) for topic, route in self._handlers.items()])
        client.publish(self.status_topic, "online", qos=1, retain=True)
        self._connected.set()
        self.down_since = None
        for hook in self._on_connect_hooks:
            try:
                hook()
            except Exception:
                logger.exception("MQTT on-connect hook %r failed", hook)

    def _on_connect_fail(self, client, userdata):  # type: ignore[no-untyped-def]
        logger.warning("cannot reach the MQTT broker at %s:%s; retrying with backoff (up to %d s)",
                       self.config.host, self.config.port, self.config.reconnect_max_seconds)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        self._connected.clear()
        self._drops.append(time.monotonic())
        if self.down_since is None:
            self.down_since = time.monotonic()
        if reason_code != 0:
            logger.warning("lost MQTT broker %s:%s (%s); reconnecting with backoff",
                           self.config.host, self.config.port, reason_code)

    def drops_within(self, seconds: float) -> int:
        """How often the connection was lost in the last ``seconds`` (a takeover looks like many short drops)."""
        since = time.monotonic() - seconds
        return sum(1 for at in list(self._drops) if at >= since)

    def _on_message(self, client, userdata, message):  # type: ignore[no-untyped-def]
        # Total: whatever the payload does, the message is acknowledged or handed on; a message left
        # unacknowledged on the persistent session would be redelivered forever and, once the broker's
        # in-flight window filled, stop every later message (a real door opening) reaching the hub.
        route = self._handlers.get(message.topic)
        ack = self._acker(message.mid, message.qos)
        payload = bytes(message.payload)
        if route is None:
            ack()
            return
        problem = None
        if len(payload) > route.max_bytes:
            problem = f"payload is {len(payload)} bytes, more than the {route.max_bytes} allowed"
        elif message.retain and not route.retained_ok:
            problem = "a retained message on a command topic is ignored (and cleared): commands must be sent live"
            if payload:
                client.publish(message.topic, b"", qos=1, retain=True)  # clears it at the broker
        if problem is None:
            try:
                route.handler(message.topic, payload, ack)
                return
            except Exception as err:
                logger.exception("handling MQTT message on %s failed", message.topic)
                problem = f"the hub could not handle this message ({type(err).__name__}: {str(err)[:200]})"
        ack()
        try:
            self._on_reject(message.topic, payload, problem)
        except Exception:
            logger.exception("reporting a refused MQTT message failed")

    def _acker(self, mid: int, qos: int) -> Callable[[], None]:
        generation = self._generation
        done = threading.Event()

        def ack() -> None:
            if qos == 0 or generation != self._generation or done.is_set():
                return
            done.set()
            self._client.ack(mid, qos)

        return ack
