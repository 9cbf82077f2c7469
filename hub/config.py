"""The configuration model: one pydantic tree, misspelt keys are errors, never silent defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Iterator, Literal, get_args

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from hub import kinds
from hub.errors import ConfigError
from hub.sensor_kinds import sensor_kind

EXAMPLE_FILE = "config/porchlight.example.yaml"

ArmMode = Literal["disarmed", "home", "night", "away"]

def _known_sensor_kind(name: str) -> str:
    sensor_kind(name)  # raises "must be one of ..." for a kind hub/sensor_kinds.py does not define
    return name


# A name from hub/sensor_kinds.py, which alone lists the kinds of sensor.
SensorKindName = Annotated[str, AfterValidator(_known_sensor_kind)]
MqttFormat = Literal["zigbee2mqtt", "tasmota", "homeassistant", "plain"]
PinFactoryName = Literal["auto", "mock", "lgpio", "rpigpio", "pigpio", "native"]
# A config id is used as event source, MQTT topic segment and evidence file-name part.
SensorId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]{0,39}$")]
# No wildcards, no control characters (a newline would be a new line in the broker's ACL file), and no
# leading "$" (the broker's own topics).
Topic = Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=r"^[^#+$\x00-\x1f\x7f][^#+\x00-\x1f\x7f]*$")]
# GPIO0 and GPIO1 are reserved for HAT EEPROMs; BCM numbers above 27 are not on the header.
Pin = Annotated[int, Field(ge=2, le=27)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutputConfig(_Model):
    """A GPIO output: siren relay, buzzer or status LED."""

    pin: Pin
    active_high: bool = True


class GpioConfig(_Model):
    """Which pin library gpiozero uses, and the hub's own outputs."""

    pin_factory: PinFactoryName = "auto"
    siren: OutputConfig | None = None
    buzzer: OutputConfig | None = None
    led: OutputConfig | None = None


class MqttConfig(_Model):
    """The MQTT broker the hub listens to (sensors) and publishes its state on."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: Path | None = None
    # None: a random id made once per install (data_dir/keys/mqtt-client-id). A fixed, guessable id lets
    # anyone on the LAN connect under it and take over the hub's session and its messages.
    lost_after_seconds: int = Field(60, ge=2, le=3600)  # broker out of reach this long: an alarm
    client_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    keepalive_seconds: int = Field(30, ge=5, le=3600)
    reconnect_min_seconds: int = Field(1, ge=1, le=60)
    reconnect_max_seconds: int = Field(60, ge=1, le=3600)
    topic_prefix: Topic = "porchlight"
    publish_events: bool = True
    discovery: bool = True
    discovery_prefix: Topic = "homeassistant"


class MqttBinding(_Model):
    """How one sensor reports over MQTT."""

    topic: Topic
    format: MqttFormat
    availability_topic: Topic | None = None
    extra_topics: list[Topic] = []
    switch: str = "Switch1"
    on_means: Literal["open", "closed"] = "open"
    open_payload: str = "open"
    closed_payload: str = "closed"
    heartbeat_seconds: int | None = Field(None, ge=10, le=7 * 24 * 3600)

    def default_availability_topic(self) -> str | None:
        """The availability topic in use: the configured one, or the format's usual one."""
        if self.availability_topic:
            return self.availability_topic
        if self.format == "zigbee2mqtt":
            return f"{self.topic}/availability"
        if self.format == "tasmota":
            parts = self.topic.split("/")
            if len(parts) == 3 and parts[0] == "tele":
                return f"tele/{parts[1]}/LWT"
        return None

    def all_topics(self) -> list[str]:
        """Every topic this sensor's messages may arrive on."""
        topics = [self.topic, *self.extra_topics]
        if self.format == "tasmota":
            parts = self.topic.split("/")
            if len(parts) == 3 and parts[0] == "tele":
                topics.append(f"stat/{parts[1]}/RESULT")
        availability = self.default_availability_topic()
        if availability:
            topics.append(availability)
        return list(dict.fromkeys(topics))


class GpioBinding(_Model):
    """How one sensor is wired to the Pi's GPIO header (BCM numbering, switch to ground)."""

    pin: Pin
    normally: Literal["closed", "open"] = "closed"
    pull_up: bool = True
    debounce_ms: int = Field(50, ge=0, le=5000)


class SatelliteBinding(_Model):
    """A sensor wired to a satellite Pi, which forwards its events to this hub."""

    id: SensorId


class SensorConfig(_Model):
    """A door/window contact, PIR, panic button or enclosure tamper switch."""

    kind: SensorKindName
    label: str | None = None
    mqtt: MqttBinding | None = None
    gpio: GpioBinding | None = None
    satellite: SatelliteBinding | None = None
    alert_modes: list[ArmMode] | None = None
    entry_delay: bool | None = None

    @model_validator(mode="after")
    def _one_binding(self) -> "SensorConfig":
        if sum(b is not None for b in (self.mqtt, self.gpio, self.satellite)) != 1:
            raise ValueError("give exactly one of 'mqtt', 'gpio' or 'satellite'")
        return self

    def modes_that_alert(self) -> list[ArmMode]:
        """The arm modes in which this sensor raises an alarm."""
        if self.alert_modes is not None:
            return list(self.alert_modes)
        return [mode for mode in get_args(ArmMode) if mode in sensor_kind(self.kind).alert_modes]

    def uses_entry_delay(self) -> bool:
        """Whether opening this sensor starts the entry delay instead of alarming at once."""
        if self.entry_delay is not None:
            return self.entry_delay
        return sensor_kind(self.kind).entry_delay


class ArmingConfig(_Model):
    """Entry and exit delays."""

    entry_delay_seconds: int = Field(30, ge=0, le=600)
    exit_delay_seconds: int = Field(60, ge=0, le=600)
    entry_delay_modes: list[ArmMode] = ["away"]
    pin: str | None = None
    duress_pin: str | None = None


class LogConfig(_Model):
    """When the incident log signs a checkpoint of its chain head."""

    checkpoint_every_rows: int = Field(100, ge=1, le=1_000_000)
    checkpoint_every_minutes: int = Field(60, ge=1, le=7 * 24 * 60)


_HHMM = r"([01]\d|2[0-3]):[0-5]\d"
CLOCK_TIME = rf"^{_HHMM}$"  # a local time of day, 00:00 to 23:59 (25:99 would stop every delivery pass)
CLOCK_SPAN = rf"^{_HHMM}-{_HHMM}$"

Point = tuple[Annotated[float, Field(ge=0, le=1)], Annotated[float, Field(ge=0, le=1)]]
Polygon = Annotated[list[Point], Field(min_length=3)]


class MotionConfig(_Model):
    """Motion detection: the gate in front of every costly analysis."""

    analysis_width: int = Field(320, ge=80, le=1920)
    threshold: int = Field(25, ge=1, le=255)
    min_area: float = Field(0.002, gt=0, le=1)


class TamperConfig(_Model):
    """When a covered, blurred or turned camera counts as sabotage."""

    enabled: bool = True
    dark_level: int = Field(25, ge=0, le=255)
    blur_ratio: float = Field(0.2, gt=0, lt=1)
    moved_similarity: float = Field(0.35, gt=0, lt=1)
    seconds: float = Field(2.0, ge=0, le=60)
    relearn_seconds: float = Field(5.0, ge=1, le=600)


class CameraConfig(_Model):
    """One camera: where its frames come from and what to look for in them."""

    source: Annotated[str, StringConstraints(min_length=1)]
    label: str | None = None
    fps: float = Field(5.0, gt=0, le=30)
    loop: bool = False
    faces: bool = True
    vehicles: bool = False
    zones: list[Polygon] = []
    masks: list[Polygon] = []
    record_motion: bool = False
    pre_seconds: float = Field(3.0, ge=0, le=30)
    post_seconds: float = Field(5.0, ge=0, le=120)
    motion: MotionConfig = MotionConfig()
    tamper: TamperConfig = TamperConfig()


class RecognitionConfig(_Model):
    """Face matching policy."""

    tolerance: float = Field(0.55, gt=0, le=1)
    frames_required: int = Field(3, ge=1, le=30)
    cooldown_seconds: float = Field(120.0, ge=0, le=3600)
    window_seconds: float = Field(10.0, gt=0, le=120)
    max_detections_per_second: float = Field(5.0, gt=0, le=30)
    sweep_seconds: float = Field(3.0, ge=0.2, le=60)
    upsample_below_px: int = Field(480, ge=0, le=4000)
    plate_max_errors: int = Field(1, ge=0, le=3)
    vehicle_min_score: float = Field(0.6, gt=0, le=1)
    plate_reads_per_second: float = Field(2.0, gt=0, le=10)
    plate_sweep_seconds: float = Field(10.0, ge=1, le=600)
    pass_gap_seconds: float = Field(30.0, ge=1, le=3600)
    loitering_seconds: float = Field(120.0, ge=1, le=86400)


class ContactConfig(_Model):
    """A trusted person: how to reach them, when, and about what."""

    name: str | None = None
    tier: int = Field(1, ge=1, le=9)
    notify: Annotated[list[Annotated[str, StringConstraints(min_length=3)]], Field(min_length=1)]
    events: list[str] = [kinds.PANIC, kinds.DURESS, kinds.FACE_MATCH, kinds.VEHICLE_MATCH, kinds.VEHICLE_LOITERING,
                         kinds.ALARM_TRIGGERED, kinds.CHECKIN_MISSED]
    quiet_hours: Annotated[str, StringConstraints(pattern=CLOCK_SPAN)] | None = None
    can_acknowledge: bool = True
    evidence_keeper: bool = False
    digest: bool = False


class AlertsConfig(_Model):
    """How alerts are worded, retried and escalated."""

    discreet: bool = False
    dashboard_url: str = "https://porchlight.local:8443"
    escalate_after_minutes: float = Field(5.0, gt=0, le=24 * 60)
    cooldown_seconds: float = Field(300.0, ge=0, le=86400)
    retry_min_seconds: float = Field(5.0, gt=0, le=3600)
    retry_max_seconds: float = Field(300.0, gt=0, le=86400)
    heartbeat_url: str | None = None
    heartbeat_minutes: float = Field(5.0, gt=0, le=1440)
    digest_time: Annotated[str, StringConstraints(pattern=CLOCK_TIME)] = "20:00"


class SatelliteConfig(_Model):
    """On the main hub: a satellite Pi it expects to hear from."""

    heartbeat_seconds: int = Field(60, ge=5, le=3600)
    cameras: list[SensorId] = []  # the satellite's own cameras: only these may report what a camera sees


class SatelliteSelf(_Model):
    """On a satellite Pi: its own id (a key of the main hub's satellites section)."""

    id: SensorId
    heartbeat_seconds: int = Field(20, ge=2, le=1200)
    # The key from pairing ('porchlight satellite-pair <id>' on the hub), e.g. file:/etc/porchlight/satellite.key
    key: str | None = None


class BackupConfig(_Model):
    """Nightly encrypted backups (the key is in data_dir/keys/backup.key; print it with backup --show-key)."""

    destination: Path | None = None
    time: Annotated[str, StringConstraints(pattern=CLOCK_TIME)] = "02:30"


class TimeAuthority(_Model):
    """An RFC 3161 time-stamping authority: its address, and the certificate its tokens are checked against."""

    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$", max_length=500)]
    root: Path | None = None  # the authority's root certificate (PEM); without it a token is kept, not checked


class TimestampsConfig(_Model):
    """Independent timestamps on the log's signed checkpoints, asked of these authorities in turn."""

    authorities: list[TimeAuthority] = []  # none: checkpoints carry only the device's own signature
    timeout_seconds: float = Field(10.0, ge=1, le=120)

    def checkable(self) -> list[TimeAuthority]:
        """The authorities whose root she gave, in her order, where the hub can read it."""
        return [a for a in self.authorities if a.root is not None and a.root.is_file()]


class RetentionConfig(_Model):
    """How long routine footage is kept. Evidence linked to an incident is kept until she deletes it."""

    routine_days: int = Field(30, ge=1, le=3650)


class WebConfig(_Model):
    """The LAN dashboard, served by ``porchlight run``."""

    enabled: bool = True
    host: str = "0.0.0.0"
    port: int = Field(8443, ge=1, le=65535)
    # false: plain HTTP, for tests and for a reverse proxy of her own that terminates TLS.
    tls: bool = True
    idle_minutes: int = Field(15, ge=1, le=240)
    max_upload_mb: int = Field(25, ge=1, le=500)
    # Where quick exit goes: a dull, common site that looks like ordinary browsing.
    exit_url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$")] = "https://www.bbc.com/weather"


class Config(_Model):
    """The whole hub configuration."""

    data_dir: Path = Path("./data")
    device_name: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "porchlight"
    gpio: GpioConfig = GpioConfig()
    mqtt: MqttConfig = MqttConfig()
    sensors: dict[SensorId, SensorConfig] = {}
    arming: ArmingConfig = ArmingConfig()
    log: LogConfig = LogConfig()
    cameras: dict[SensorId, CameraConfig] = {}
    recognition: RecognitionConfig = RecognitionConfig()
    contacts: dict[SensorId, ContactConfig] = {}
    alerts: AlertsConfig = AlertsConfig()
    retention: RetentionConfig = RetentionConfig()
    backup: BackupConfig = BackupConfig()
    timestamps: TimestampsConfig = TimestampsConfig()
    satellites: dict[SensorId, SatelliteConfig] = {}
    satellite: SatelliteSelf | None = None
    web: WebConfig = WebConfig()


def resolve_secret(value: str | None) -> str | None:
    """Read a secret given as ``env:NAME``, ``file:/path`` or (discouraged) plain text."""
    if value is None:
        return None
    if value.startswith("env:"):
        name = value[4:]
        if name not in os.environ:
            raise ConfigError([f"secret env:{name}: environment variable {name} is not set"])
        return os.environ[name]
    if value.startswith("file:"):
        path = Path(value[5:])
        try:
            return path.read_text().strip()
        except OSError as err:
            raise ConfigError([f"secret file:{path}: cannot read it ({err.strerror})"]) from err
    return value


def _is_secret(loc: tuple[Any, ...]) -> bool:
    """Values never echoed in an error: passwords, PINs, channel URLs (they carry credentials)."""
    names = [str(part) for part in loc]
    return bool(names) and ("password" in names or "notify" in names or "duress_pin" in names
                            or names[:2] == ["arming", "pin"])


def _describe(err: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"unknown key; check its spelling against {EXAMPLE_FILE}"
    if kind == "missing":
        return "required key is missing"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    if kind == "string_pattern_mismatch":
        return "must be lower-case letters, digits and _ (at most 40), starting with a letter or digit" \
            if "a-z0-9" in str(ctx.get("pattern", "")) else "must not contain MQTT wildcards (# or +)"
    if kind in ("model_type", "dict_type"):
        return "must be a mapping of keys to values"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return str(err["msg"])


def _path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def format_validation_errors(error: ValidationError) -> list[str]:
    """One ``key.path: message (found value)`` line per problem, secrets never echoed."""
    lines = []
    for err in error.errors():
        loc = tuple(err["loc"])
        line = f"{_path(loc)}: {_describe(err)}"
        if err["type"] != "missing":
            found = err.get("input")
            if _is_secret(loc):
                found = "<hidden>"
            if not isinstance(found, (dict, list)):
                line += f" (found {found!r})"
        lines.append(line)
    return lines


def _gpio_pins(config: Config) -> Iterator[tuple[str, int]]:
    for sensor_id, sensor in config.sensors.items():
        if sensor.gpio is not None:
            yield f"sensors.{sensor_id}.gpio.pin", sensor.gpio.pin
    for name in ("siren", "buzzer", "led"):
        output = getattr(config.gpio, name)
        if output is not None:
            yield f"gpio.{name}.pin", output.pin


def semantic_problems(config: Config) -> list[str]:
    """Problems no single field shows: a pin or topic used twice, MQTT needed but disabled."""
    problems: list[str] = []
    pins: dict[int, str] = {}
    for path, pin in _gpio_pins(config):
        if pin in pins:
            problems.append(f"{path}: GPIO{pin} is already used by {pins[pin]}")
        else:
            pins[pin] = path
    topics: dict[str, str] = {}
    for sensor_id, sensor in config.sensors.items():
        if sensor.mqtt is None:
            continue
        if not config.mqtt.enabled:
            problems.append(
                f"sensors.{sensor_id}.mqtt: this sensor needs MQTT but mqtt.enabled is false"
            )
        for topic in sensor.mqtt.all_topics():
            if topic in topics and topics[topic] != sensor_id:
                problems.append(
                    f"sensors.{sensor_id}.mqtt.topic: topic {topic!r} is already used by "
                    f"sensors.{topics[topic]}"
                )
            topics.setdefault(topic, sensor_id)
    for sensor_id, sensor in config.sensors.items():
        if sensor.satellite is not None and sensor.satellite.id not in config.satellites:
            problems.append(f"sensors.{sensor_id}.satellite.id: no satellite {sensor.satellite.id!r} in the "
                            "satellites section")
    for camera_id in config.cameras:
        if camera_id in config.sensors:
            problems.append(f"cameras.{camera_id}: the id {camera_id!r} is already used by sensors.{camera_id}")
    if config.arming.duress_pin is not None and config.arming.pin is None:
        problems.append("arming.duress_pin: set arming.pin too; a duress PIN needs a normal PIN to stand beside")
    if config.arming.duress_pin is not None and config.arming.duress_pin == config.arming.pin:
        problems.append("arming.duress_pin: must differ from arming.pin")
    if config.mqtt.reconnect_min_seconds > config.mqtt.reconnect_max_seconds:
        problems.append(
            "mqtt.reconnect_min_seconds: must not exceed mqtt.reconnect_max_seconds "
            f"(found {config.mqtt.reconnect_min_seconds} > {config.mqtt.reconnect_max_seconds})"
        )
    return problems


def parse_config(data: Any, base_dir: Path | None = None) -> Config:
    """Validate already-loaded YAML data; raise ConfigError listing every problem."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"(top level): must be a mapping of keys to values (found {type(data).__name__})"])
    try:
        config = Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_errors(err)) from err
    problems = semantic_problems(config)
    if problems:
        raise ConfigError(problems)
    if base_dir is not None and not config.data_dir.is_absolute():
        config = config.model_copy(update={"data_dir": (base_dir / config.data_dir).resolve()})
    return config


def load_config(path: Path) -> Config:
    """Read and validate a YAML config file; relative data_dir is relative to the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise ConfigError([f"{path}: no such file; copy {EXAMPLE_FILE} to start one"]) from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError([f"{path}: cannot read it ({err})"]) from err
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError([f"{path}: {where}invalid YAML: {problem}"]) from err
    return parse_config(data, base_dir=path.parent.resolve())


def summary(config: Config) -> str:
    """A one-paragraph description of a valid config, for check-config."""
    gpio = sum(1 for s in config.sensors.values() if s.gpio is not None)
    mqtt = sum(1 for s in config.sensors.values() if s.mqtt is not None)
    remote = len(config.sensors) - gpio - mqtt
    return (
        f"config OK: {len(config.sensors)} sensors ({gpio} GPIO, {mqtt} MQTT"
        + (f", {remote} on satellites" if remote else "") + "), "
        f"pin factory {config.gpio.pin_factory}, "
        f"broker {config.mqtt.host}:{config.mqtt.port}" + ("" if config.mqtt.enabled else " (disabled)")
        + f", data in {config.data_dir}"
    )


def field_paths(model: type[BaseModel] = Config, prefix: str = "") -> Iterator[str]:
    """Every key path of the model tree; dict entries appear as ``<id>``."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        yield path
        for sub in _nested_models(info.annotation):
            yield from field_paths(sub, path + ".")
        if _is_dict_of_models(info.annotation):
            for sub in _nested_models(_dict_value(info.annotation)):
                yield from field_paths(sub, path + ".<id>.")


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    args = getattr(annotation, "__args__", ())
    if getattr(annotation, "__origin__", None) is dict:
        return []
    return [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]


def _is_dict_of_models(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is dict


def _dict_value(annotation: Any) -> Any:
    return annotation.__args__[1]
