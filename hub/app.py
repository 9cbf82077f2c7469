"""The composition root: builds the hub from config and starts it in an order you can read."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import Any, Callable

from hub.announce import Announcer
from hub.arming_check import not_ready
from hub.arming import ArmStore
from hub.bus import Bus
from hub.clock import Clock, SystemClock
from hub.config import Config
from hub.alerts.worker import Deliveries
from hub.command_queue import Answer, CommandTaker
from hub.events import Event, Severity
from hub.frames import FrameProvider
from hub.intake import Rejections
from hub.lifecycle import RunMarker, marker_path
from hub.log import IncidentLog
from hub.store import Store
from hub.mqtt import MqttLink, install_client_id
from hub.outputs import Outputs
from hub.pipeline import Pipeline
from hub.reach import panic_teller
from hub.rules import Rules
from hub.schedule import Schedules
from hub.settings_watch import changed_since_last_start
from hub.hub_settings import HubSettings
from hub.simulate import Simulator
from hub.sensors import MqttInterpreter, SensorTracker
from hub.sensor_kinds import sensor_kind
from hub.sources.gpio import GpioSource, make_pin_factory
from hub.sources.mqtt import MqttSensorSource
from hub.sources.zigbee_bridge import ZigbeeBridgeWatch, zigbee_base
from hub.sources.mqtt_commands import MqttCommandSource
from hub.sources.satellite import SatelliteSource
from hub.commands import PinCheck
from hub.timeinfo import JumpDetector
from hub import kinds

logger = logging.getLogger(__name__)
# The connection lost this often in a minute is not a flaky link but someone taking over the hub's session.
FLAPS_PER_MINUTE = 4

_CONFIGURED: Any = object()
_HOUSEKEEPING_SECONDS = 0.5
# Every 5 minutes: dates a power cut to within 5 minutes while sparing the SD card a journal commit a minute.
_MARKER_TOUCH_SECONDS = 300.0
_TIMESTAMP_SECONDS = 20.0  # how often new checkpoints are offered to the time-stamping authorities
# The dashboard (web/) plugs into the hub through this entry point: web imports hub, never the reverse.
DASHBOARD_ENTRY_POINT = "porchlight.dashboard"
DashboardFactory = Callable[..., Any]  # (config, *, frames: FrameProvider) -> a WSGI application


def load_dashboard() -> DashboardFactory | None:
    """The installed dashboard's application factory, or None when no dashboard is installed."""
    from importlib.metadata import entry_points

    for entry in entry_points(group=DASHBOARD_ENTRY_POINT):
        factory: DashboardFactory = entry.load()
        return factory
    return None


class Hub:
    """The running hub. ``start()`` then ``stop()``; nothing happens at construction."""

    def __init__(self, config: Config, *, clock: Clock | None = None, pin_factory: Any = _CONFIGURED,
                 dashboard: bool = False, simulate: bool = False, restartable: bool = False) -> None:
        self.config = config
        self.restartable = restartable  # run by `porchlight run` (under systemd, which starts it again)
        self.serve_dashboard = dashboard
        self.simulate = simulate
        self.dashboard: Any = None  # hub.webserver.WebServer, once serving
        self.simulator: Simulator | None = None
        self.clock: Clock = clock or SystemClock()
        self._pin_factory_arg = pin_factory
        self.pin_factory: Any = None
        self.bus = Bus()
        self.rejections = Rejections(self.bus.publish, self.clock.now, self.clock.monotonic)
        self.store: Store | None = None
        self.log: IncidentLog | None = None
        self.commands: CommandTaker | None = None
        self.pipeline: Pipeline | None = None
        self.gpio: GpioSource | None = None
        self.mqtt: MqttLink | None = None
        self.tracker: SensorTracker | None = None
        self.marker = RunMarker(marker_path(config.data_dir))
        self._stop = threading.Event()
        self._stopped = False
        self._broker_lost = False
        self._sealing_change_reported = False
        self._housekeeping: threading.Thread | None = None
        self.cameras: list[Any] = []
        self.outputs: Outputs | None = None
        self.deliveries: Deliveries | None = None
        self.announcer: Announcer | None = None
        self.schedules: Schedules | None = None
        self.satellites: SatelliteSource | None = None

    # --- start and stop, as a checklist ---------------------------------------------------

    def start(self) -> None:
        """Open the log, verify it, start the pipeline, then the sensors."""
        self.store = Store(self.config.data_dir, checkpoint_every_rows=self.config.log.checkpoint_every_rows)
        self.log = self.store.log
        self.bus.publish(self.marker.begin(self.clock.now()))
        self._verify_log()
        self._device_certificate()
        rules = Rules(self.config.sensors, self.config.arming)
        self.pipeline = Pipeline(self.bus, self.log, rules, self.clock, ArmStore(self.store.state))
        self.pipeline.add_listener(_log_to_console)
        self.pipeline.start()
        edited = changed_since_last_start(self.config, self.store.state, self.config.data_dir / "keys")
        if edited is not None:
            self.bus.publish(edited)
        self.tracker = SensorTracker(self.config.sensors, self._last_known_states())
        self.pin_factory = (make_pin_factory(self.config.gpio.pin_factory)
                            if self._pin_factory_arg is _CONFIGURED else self._pin_factory_arg)
        self.gpio = GpioSource(self.config.sensors, self.tracker, self.bus, self.clock, self.pin_factory)
        self.gpio.start()
        pipeline = self.pipeline
        self.outputs = Outputs(self.config.gpio, self.pin_factory, lambda: pipeline.arm_state.mode)
        self.outputs.start()
        self.pipeline.add_listener(self.outputs)
        self._start_cameras()
        if self.config.mqtt.enabled:
            self.mqtt = MqttLink(self.config.mqtt, client_id=install_client_id(self.config.data_dir))
            rejections = self.rejections
            self.mqtt.on_reject(lambda topic, payload, problem: rejections.reject("mqtt", topic, problem, payload))
            MqttSensorSource(self.mqtt, MqttInterpreter(self.tracker), self.bus, self.clock, rejections)
            ZigbeeBridgeWatch(self.mqtt, zigbee_base(self.config), self.store.state, rejections)
            log = self.log
            MqttCommandSource(self.mqtt, self.config.mqtt.topic_prefix, PinCheck(self.config.arming, self.store.state),
                              self.bus, self.clock, rejections, lambda mode: not_ready(self.config.sensors, log, mode))
            if self.config.satellites:
                self.satellites = SatelliteSource(self.mqtt, self.config, self.bus, self.clock, self.log.evidence,
                                                  rejections, self.log)
            announcer = Announcer(self.mqtt, self.config, lambda: pipeline.arm_state, self.clock)
            self.announcer = announcer
            self.mqtt.on_connect(announcer.on_connect)
            self.pipeline.add_listener(announcer)
            self.mqtt.start()
        settings = HubSettings(self.config, self.store.state)
        self.deliveries = Deliveries(self.log, self.store.outbox, self.config, self.clock, self.bus.publish,
                                     discreet=settings.discreet)
        self.deliveries.start()
        self.commands = CommandTaker(self.store.commands, self.bus.publish,
                                     {kinds.ALERT_ACK_REQUESTED: self.deliveries.answer,
                                      kinds.HUB_RESTART_REQUESTED: self._restart},
                                     {kinds.PANIC: panic_teller(self.config, self.store.state)})
        self.pipeline.add_listener(self.deliveries)
        self.pipeline.add_listener(self._on_panic)
        self.schedules = Schedules(self.config, self.log, self.bus, self.clock, discreet=settings.discreet,
                                   backup_plan=settings.backup_plan)
        self.commands.answerers[kinds.BACKUP_REQUESTED] = self.schedules.backup_now
        self.schedules.start()
        self.pipeline.add_listener(self.schedules)
        self._stop.clear()
        self._housekeeping = threading.Thread(target=self._housekeep, name="housekeeping", daemon=True)
        self._housekeeping.start()
        if self.config.timestamps.authorities:
            # Its own thread: an authority that is slow or unreachable must hold up nothing else.
            threading.Thread(target=self._timestamp_checkpoints, name="timestamps", daemon=True).start()
        if self.simulate:
            self.simulator = Simulator(self)
            self.simulator.start()
        if self.serve_dashboard:
            self._start_dashboard()
        for warning in self.insecure():
            logger.warning("%s", warning)
        logger.info("Porchlight hub started: %d sensors, data in %s",
                    len(self.config.sensors), self.config.data_dir)

    def stop(self) -> None:
        """Stop in reverse order; the log gets ``hub.stopped`` and the run marker is removed. Twice is once."""
        if self._stopped:
            return
        self._stopped = True
        if self.dashboard is not None:
            self.dashboard.stop()
        if self.simulator is not None:
            self.simulator.stop()
        if self.announcer is not None:
            self.announcer.stop()
        self._stop.set()
        if self._housekeeping is not None:
            self._housekeeping.join(5)
        if self.schedules is not None:
            self.schedules.stop()
        if self.deliveries is not None:
            self.deliveries.stop()
        if self.mqtt is not None:
            self.mqtt.stop()
        if self.gpio is not None:
            self.gpio.stop()
        if self.outputs is not None:
            self.outputs.stop()
        for camera in self.cameras:
            camera.stop()
        if self.pipeline is not None:
            self.rejections.flush(force=True)
            self.bus.publish(Event(kinds.HUB_STOPPED, "hub", Severity.INFO, at=self.clock.now()))
            self.pipeline.stop()
        if self.pin_factory is not None and self._pin_factory_arg is _CONFIGURED:
            self.pin_factory.close()
        self.marker.end()
        if self.store is not None:
            self.store.close()
        logger.info("Porchlight hub stopped")

    # --- helpers ---------------------------------------------------------------------------

    def insecure(self) -> list[str]:
        """What leaves the hub open to anyone on her network, for the journal at every start."""
        found = []
        if self.store is not None and not HubSettings(self.config, self.store.state).pin_in_force():
            found.append("SECURITY: no disarm PIN is set (Settings, Security and cameras, or arming.pin); nothing on "
                         "the network can disarm until one is")
        if self.config.mqtt.enabled and not self.config.mqtt.username:
            found.append(f"SECURITY: the MQTT broker {self.config.mqtt.host}:{self.config.mqtt.port} is used without a "
                         "password; if it lets anyone in, anyone on the network can fake sensors and read keypad "
                         "PINs. Run 'porchlight doctor' for the fix")
        return found

    def submit(self, event: Event) -> None:
        """Put an event on the bus (commands from the dashboard, the simulator, tests)."""
        self.bus.publish(event)

    def healthy(self) -> bool:
        """Whether the parts that must never hang are still turning (for the systemd watchdog)."""
        pipeline_ok = self.pipeline is not None and time.monotonic() - self.pipeline.last_beat < 10
        housekeeping_ok = self._housekeeping is not None and self._housekeeping.is_alive()
        return pipeline_ok and housekeeping_ok

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until the bus is empty and the pipeline has caught up (tests and the demo)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.bus) == 0:
                time.sleep(0.15)  # the pipeline may still be processing the last batch
                if len(self.bus) == 0:
                    return True
            time.sleep(0.02)
        return False

    def _restart(self, event: Event) -> Answer:
        """Stop cleanly so that systemd starts the hub again with the new devices; said truthfully."""
        if not self.restartable:
            return Answer(False, "This hub cannot restart itself: restart it yourself (sudo systemctl restart "
                                 "porchlight) to use the new devices.")
        self.bus.publish(Event(kinds.HUB_RESTART_REQUESTED, event.source, Severity.NOTICE,
                               {"by": str(event.detail.get("by") or "dashboard")}, at=self.clock.now()))
        timer = threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGTERM))
        timer.daemon = True
        timer.start()
        return Answer(True, "The hub is restarting now; under systemd it is back within about 15 seconds "
                            "(reload this page then). A hub started by hand must be started again.")

    def _on_panic(self, seq: int, event: Event) -> None:
        """A panic records every camera, whatever it sees."""
        if event.kind == kinds.PANIC:
            for camera in self.cameras:
                camera.pipeline.request_clip(f"panic-{seq}")

    def _start_dashboard(self) -> None:
        """Serve the dashboard beside the hub; a busy port is reported and the hub runs on without it."""
        from hub.vision.live import CameraFrames
        from hub.webserver import WebServer

        factory = load_dashboard()
        if factory is None:
            logger.error("the dashboard is not installed (no %s entry point); reinstall Porchlight with "
                         "'make install', or set web.enabled: false", DASHBOARD_ENTRY_POINT)
            return
        frames: FrameProvider = CameraFrames(self.cameras)
        self.dashboard = WebServer(factory(self.config, frames=frames), self.config.web,
                                   self.config.data_dir / "keys", self.config.device_name)
        self.dashboard.start()  # logs the address and the certificate's fingerprint, or why it could not listen
        from hub.accounts import AccountStore, setup_code

        if not AccountStore(self.config.data_dir).has_owner():
            logger.warning("First-run setup: open the dashboard and enter the one-time setup code %s",
                           setup_code(self.config.data_dir))

    def _start_cameras(self) -> None:
        """One worker per camera; vision (cv2, face_recognition) is imported only when cameras exist."""
        if not self.config.cameras:
            return
        from hub.credentials import for_device
        from hub.vision.camera import CameraPipeline, CameraWorker, live_threading
        from hub.vision.face_detector import default_detector
        from hub.vision.faces import FaceLibrary
        from hub.vision.vehicles import VehicleLibrary

        _return_big_blocks()
        live_threading()
        assert self.log is not None
        library = FaceLibrary.for_config(self.config)
        vehicles = VehicleLibrary.for_config(self.config)
        pipelines = []
        assert self.store is not None
        settings = HubSettings(self.config, self.store.state)
        # One face detector for every camera (it has its own lock): a second copy of the model costs 10 MB.
        detector = default_detector(self.config.recognition) if any(
            c.faces for c in self.config.cameras.values()) else None
        credentials = for_device(self.log.key, self.config.device_name)
        for camera_id in self.config.cameras:
            camera = settings.camera(camera_id)  # with the privacy masks she drew on the dashboard
            pipeline = CameraPipeline(camera_id, camera, self.config.recognition, library, self.log.evidence,
                                      self.clock.now, self.config.data_dir / "clips", vehicles, detector=detector,
                                      credentials=credentials)
            worker = CameraWorker(camera_id, camera, pipeline, self.bus, self.clock)
            worker.start()
            self.cameras.append(worker)
            pipelines.append(pipeline)

        def reload_libraries(seq: int, event: Event) -> None:
            # Enrolled from the dashboard or the CLI while running: cameras use it from the next frame.
            if event.kind in (kinds.PERSON_ENROLLED, kinds.PERSON_REMOVED, kinds.FACE_REJECTED):
                library.reload()
            elif event.kind in (kinds.VEHICLE_ENROLLED, kinds.VEHICLE_REMOVED):
                fresh = VehicleLibrary.for_config(self.config)
                for each in pipelines:
                    each.use_vehicles(fresh)
            elif event.kind == kinds.ACCESS_SETTINGS_CHANGED and event.detail.get("camera") in self.config.cameras:
                # New privacy masks apply from the next frame: nothing behind them is analysed or stored again.
                changed = str(event.detail["camera"])
                for each in pipelines:
                    if each.camera_id == changed:
                        each.config = settings.camera(changed)
                        each.motion.use_zones(each.config.zones)

        assert self.pipeline is not None
        self.pipeline.add_listener(reload_libraries)

    def _watch_sealing(self) -> None:
        """Put a newly sealed directory's public key on the record; raise the alarm once if the key file changed."""
        if self.log is None or self.log.sealing is None:
            return
        watch = self.log.seal_watch
        if not watch.pinned and (event := self.log.sealing_event("hub", at=self.clock.now())) is not None:
            self.bus.publish(event)
        if watch.changed and not self._sealing_change_reported:
            self._sealing_change_reported = True
            self.bus.publish(Event(kinds.SEALING_KEY_CHANGED, "hub", Severity.CRITICAL, {
                "reason": "the sealing key file on the card no longer holds the key on the log's record: someone "
                          "with the card may have put in a key of his own; the hub keeps sealing to the recorded key"},
                at=self.clock.now()))

    def _watch_broker(self, mono: float) -> None:
        """An alarm when the broker has been out of reach for mqtt.lost_after_seconds; a row when it is back."""
        if self.mqtt is None:
            return
        down = self.mqtt.down_since
        drops = self.mqtt.drops_within(60)
        flapping = drops >= FLAPS_PER_MINUTE
        if not self._broker_lost and (flapping or (down is not None
                                                   and mono - down >= self.config.mqtt.lost_after_seconds)):
            self._broker_lost = True
            if flapping:
                reason = (f"the broker closed the hub's connection {drops} times in a minute: another client is "
                          "taking over the hub's session (someone holds the hub's own broker login), or the "
                          "network keeps failing; messages sent meanwhile may have gone to him")
            elif self.mqtt.last_refusal is not None:
                reason = (f"the broker refuses the hub's login ({self.mqtt.last_refusal}): its broker password "
                          "changed or is missing (after porchlight broker-setup --reset porchlight-hub, restart "
                          "the hub); MQTT sensors and keypads cannot reach the hub")
            else:
                reason = ("MQTT sensors and keypads cannot reach the hub: the broker is down, the network is cut, "
                          "or another client took over the hub's session")
            self.bus.publish(Event(kinds.BROKER_LOST, "hub", Severity.WARNING, {
                "broker": f"{self.config.mqtt.host}:{self.config.mqtt.port}",
                "seconds": round(mono - down) if down is not None else 0, "drops_last_minute": drops,
                "reason": reason}, at=self.clock.now()))
        elif down is None and self._broker_lost and not flapping:
            self._broker_lost = False
            self.bus.publish(Event(kinds.BROKER_BACK, "hub", Severity.INFO, at=self.clock.now()))

    def _verify_log(self) -> None:
        assert self.log is not None
        result = self.log.verify()
        if result.ok:
            self.bus.publish(Event(kinds.LOG_VERIFIED, "hub", Severity.INFO,
                                   detail={"rows": result.rows, "evidence_files": result.evidence_files},
                                   at=self.clock.now()))
        else:
            logger.critical("incident log verification failed: %s", result.message())
            self.bus.publish(Event(kinds.LOG_CHAIN_BROKEN, "hub", Severity.CRITICAL,
                                   detail={"first_bad_seq": result.first_bad_seq, "reason": result.reason},
                                   at=self.clock.now()))

    def _last_known_states(self) -> dict[str, bool]:
        """Each sensor's last logged open/closed state, so a redelivered message is no new event."""
        assert self.log is not None
        known: dict[str, bool] = {}
        for sid, sensor in self.config.sensors.items():
            about = sensor_kind(sensor.kind)
            if about.restored is None:
                continue  # a button has no state to remember
            latest = self.log.events(source=sid, kinds=(about.triggered, about.restored), newest_first=True,
                                     limit=1)
            if latest:
                known[sid] = latest[0].kind == about.triggered
        return known

    def _device_certificate(self) -> None:
        """Made at first start, for Content Credentials and the signed report (hub/device_cert.py)."""
        from hub.device_cert import device_certificates

        assert self.log is not None
        try:
            device_certificates(self.log.key.keys_dir, self.log.key.public, self.config.device_name)
        except Exception:  # the hub still records; captures and reports say they are unsigned
            logger.exception("the device certificate could not be made or read")

    def _timestamp_checkpoints(self) -> None:
        from hub.timestamps import Timestamper

        assert self.log is not None
        stamper = Timestamper(self.log, self.config.timestamps)
        while True:
            try:
                stamper.tick()  # at start too: checkpoints made while the hub was off or offline
            except Exception:
                logger.exception("timestamping checkpoints failed; trying again later")
            if self._stop.wait(_TIMESTAMP_SECONDS):
                return

    def _housekeep(self) -> None:
        assert self.log is not None and self.tracker is not None and self.commands is not None
        jumps = JumpDetector()
        # The whole log is verified at start and by the scheduler's daily job (hub/schedule.py), not here too.
        last_touch = last_checkpoint = time.monotonic()
        checkpoint_seconds = self.config.log.checkpoint_every_minutes * 60
        while not self._stop.wait(_HOUSEKEEPING_SECONDS):
            mono = time.monotonic()
            try:
                for event in self.tracker.silent(self.clock.monotonic(), self.clock.now()):
                    self.bus.publish(event)
                if self.satellites is not None:
                    self.satellites.check_silence()
                self.rejections.flush()
                self._watch_broker(mono)
                self._watch_sealing()
                self.commands.take_pending()
                jump = jumps.check(time.time(), mono)
                if jump is not None:
                    self.bus.publish(Event(kinds.CLOCK_JUMP, "hub", Severity.WARNING,
                                           detail={"seconds": round(jump, 3)}, at=self.clock.now()))
                if mono - last_touch >= _MARKER_TOUCH_SECONDS:
                    self.marker.touch()
                    last_touch = mono
                if mono - last_checkpoint >= checkpoint_seconds:
                    self.log.checkpoint_if_new_rows()
                    last_checkpoint = mono
            except Exception:
                logger.exception("housekeeping failed; continuing")


def _return_big_blocks() -> None:
    """Have glibc hand blocks of 256 KiB and more straight back to the system when freed.

    A plate-reading pass needs about 110 MB of scratch memory; glibc's adaptive threshold keeps it
    on the heap afterwards, so two cameras sat at 370-400 MB instead of about 330 (measured by a
    helper this session). systemd sets the same with MALLOC_MMAP_THRESHOLD_; this covers a hub
    started by hand. Not glibc (musl, macOS): nothing to do.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "mallopt"):
            libc.mallopt(-3, 256 * 1024)  # M_MMAP_THRESHOLD
    except OSError:
        pass


def _log_to_console(seq: int, event: Event) -> None:
    # The journal is read by anyone with a shell on the Pi and is not hash-chained: it gets the kind,
    # the source and the hub's own reason, never an event's detail (her words, names, biometrics).
    level = logging.WARNING if event.severity in (Severity.WARNING, Severity.CRITICAL) else logging.INFO
    reason = event.detail.get("reason")
    logger.log(level, "#%d %s from %s%s", seq, event.kind, event.source,
               f": {reason}" if isinstance(reason, str) and event.kind == kinds.ALARM_TRIGGERED else "")
