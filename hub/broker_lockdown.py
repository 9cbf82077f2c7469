"""The MQTT broker locked down: a mosquitto config with a password per client and ACLs, from the hub's config.

Each client gets its own account and may publish only what it is for: a sensor bridge its own topics,
a keypad the command topics, Home Assistant the arm command, a satellite its own topics; only the hub
may publish the hub's state under ``porchlight/``. Nobody but the hub reads the command topics, where
PINs travel. Re-running keeps every password that exists and makes new ones only for new accounts.
"""

from __future__ import annotations

import base64
import grp
import hashlib
import os
import pwd
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from hub.config import Config
from hub.files import write_atomic
from hub.tls import ensure_certificate, fingerprint

HUB_ACCOUNT = "porchlight-hub"
KEYPAD_ACCOUNT = "keypad"
HOME_ASSISTANT_ACCOUNT = "homeassistant"
# mosquitto's own "$7$" format (PBKDF2-HMAC-SHA512), at its tool's 101 rounds: the passwords are 144 random
# bits, so stretching adds nothing, while every round is work anyone can make the broker's one thread do.
HASH_ROUNDS = 101
BROKER_CERT, BROKER_KEY = "porchlight-broker-cert.pem", "porchlight-broker-key.pem"


@dataclass(frozen=True)
class Account:
    """One client of the broker: its name, what it is, and the ACL lines that say what it may do."""

    name: str
    what: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class BrokerPaths:
    """Where the files go: mosquitto's folder, and the hub's own (its password and the broker's certificate)."""

    mosquitto_dir: Path = Path("/etc/mosquitto")
    hub_dir: Path = Path("/etc/porchlight/mqtt")
    # What the files will be called on the running system (they differ when installing into a prefix).
    live_mosquitto_dir: Path = Path("/etc/mosquitto")

    @property
    def conf(self) -> Path:
        """mosquitto reads every file in conf.d."""
        return self.mosquitto_dir / "conf.d" / "porchlight.conf"

    @property
    def passwords(self) -> Path:
        """The password file, hashes only."""
        return self.mosquitto_dir / "porchlight.passwd"

    @property
    def acl(self) -> Path:
        """The access control list."""
        return self.mosquitto_dir / "porchlight.acl"

    @property
    def hub_password(self) -> Path:
        """The hub's own password, for mqtt.password: file:..."""
        return self.hub_dir / "hub.password"


@dataclass
class Lockdown:
    """What a run did: the new accounts and their passwords (to give to each device once), and the rest."""

    new: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    tls_fingerprint: str | None = None
    hub_password_changed: bool = False


# A topic root or prefix that becomes an account name and an ACL line: plain letters, digits and _.- only.
_SIMPLE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _refuse_unsafe(config: Config, roots: set[str]) -> None:
    prefix, discovery = config.mqtt.topic_prefix, config.mqtt.discovery_prefix
    for what, value in (("mqtt.topic_prefix", prefix), ("mqtt.discovery_prefix", discovery)):
        if not _SIMPLE.fullmatch(value):
            raise ValueError(f"{what} {value!r} must be one topic level of letters, digits, _ . or - "
                             "to be locked down")
    if prefix == discovery:
        raise ValueError("mqtt.topic_prefix and mqtt.discovery_prefix must differ: Home Assistant and the "
                         "sensor bridges may write discovery topics, never the hub's")
    reserved = {HUB_ACCOUNT, KEYPAD_ACCOUNT, HOME_ASSISTANT_ACCOUNT}
    for root in sorted(roots):
        if not _SIMPLE.fullmatch(root) or root in reserved or root.startswith("satellite-"):
            raise ValueError(f"the sensor topic root {root!r} cannot be its bridge's account name: use topics "
                             "whose first level is letters, digits, _ . or - and not "
                             + ", ".join(sorted(reserved)) + " or satellite-...")


def accounts_for(config: Config) -> list[Account]:
    """Every client the hub's config implies, with what each may read and publish (ValueError: unsafe names)."""
    prefix, discovery = config.mqtt.topic_prefix, config.mqtt.discovery_prefix
    found_roots = {topic.split("/", 1)[0] for sensor in config.sensors.values()
                   if sensor.mqtt is not None and sensor.satellite is None
                   for topic in (sensor.mqtt.topic, sensor.mqtt.availability_topic, *sensor.mqtt.extra_topics)
                   if topic} - {prefix, discovery}
    _refuse_unsafe(config, found_roots)
    roots = sorted(found_roots)
    state = (f"{prefix}/status", f"{prefix}/arm_mode", f"{prefix}/alarm/state", f"{prefix}/event", f"{prefix}/sensor/#")
    found = [Account(HUB_ACCOUNT, "the hub itself",
                     ("topic read #", f"topic readwrite {prefix}/#", f"topic readwrite {discovery}/#"))]
    # The hub's own discovery topics (under its node id) are the hub's: others may write the rest of discovery.
    not_hubs = f"topic deny {discovery}/+/{prefix}/#"
    found += [Account(root, f"the sensor bridge that publishes {root}/... (Zigbee2MQTT, Tasmota...)",
                      (f"topic readwrite {root}/#", not_hubs, f"topic readwrite {discovery}/#")) for root in roots]
    found.append(Account(KEYPAD_ACCOUNT, "keypads and panic buttons that send commands",
                         tuple(f"topic write {prefix}/command/{name}" for name in ("arm", "panic", "checkin"))
                         + (f"topic read {prefix}/command/result", f"topic read {prefix}/arm_mode",
                            f"topic read {prefix}/status")))
    found.append(Account(HOME_ASSISTANT_ACCOUNT, "Home Assistant (reads the hub's state, can arm and disarm)",
                         tuple(f"topic read {t}" for t in state) + (f"topic write {prefix}/command/arm",
                                                                    f"topic read {prefix}/command/result",
                                                                    not_hubs, f"topic readwrite {discovery}/#")
                         + tuple(f"topic read {root}/#" for root in roots)))
    found += [Account(f"satellite-{sid}", f"the satellite Pi {sid}", (f"topic readwrite {prefix}/satellite/{sid}/#",))
              for sid in sorted(config.satellites)]
    return found


def password_hash(password: str, salt: bytes | None = None, rounds: int = HASH_ROUNDS) -> str:
    """A password in mosquitto's PBKDF2-SHA512 password-file format."""
    salt = salt if salt is not None else os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, rounds, 64)
    return f"$7${rounds}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def _existing(passwords: Path) -> dict[str, str]:
    if not passwords.exists():
        return {}
    found = {}
    for line in passwords.read_text().splitlines():
        name, sep, hashed = line.partition(":")
        if sep and name and not name.startswith("#"):
            found[name] = hashed
    return found


def _acl(accounts: list[Account]) -> str:
    blocks = [f"# {a.what}\nuser {a.name}\n" + "".join(f"{rule}\n" for rule in a.rules) for a in accounts]
    return "# Written by Porchlight (porchlight broker-setup); re-run it rather than editing.\n\n" + "\n".join(blocks)


def _conf(paths: BrokerPaths, port: int, bind: str | None, tls_port: int | None) -> str:
    live = paths.live_mosquitto_dir
    lines = ["# Written by Porchlight (porchlight broker-setup): every client needs its own password,",
             "# and may publish only what the ACL gives it.",
             "per_listener_settings false",
             "allow_anonymous false",
             f"password_file {live / paths.passwords.name}",
             f"acl_file {live / paths.acl.name}",
             # With TLS on, the plain port is for the hub on this machine only; the LAN gets TLS.
             f"listener {port}" + (f" {bind}" if bind else " 127.0.0.1" if tls_port else ""),
             # A client's id is its account (a listener's setting: before any listener line it would open
             # the default one): nobody with another device's password can take over the hub's session,
             # and its queued door openings, by connecting under the hub's id.
             "use_username_as_clientid true"]
    if tls_port:
        lines += [f"listener {tls_port}" + (f" {bind}" if bind else ""), "use_username_as_clientid true",
                  f"certfile {live / 'certs' / BROKER_CERT}", f"keyfile {live / 'certs' / BROKER_KEY}",
                  "tls_version tlsv1.2"]
    return "\n".join(lines) + "\n"


def lock_down(config: Config, paths: BrokerPaths = BrokerPaths(), *, port: int = 1883, bind: str | None = None,
              tls_port: int | None = None, reset: tuple[str, ...] = ()) -> Lockdown:
    """Write mosquitto's config, password file and ACL for ``config``; return the passwords it made."""
    wanted = accounts_for(config)
    unknown = set(reset) - {a.name for a in wanted}
    if unknown:
        raise ValueError(f"no broker account named {', '.join(sorted(unknown))}; the accounts are "
                         + ", ".join(a.name for a in wanted))
    existing = _existing(paths.passwords)
    result = Lockdown(accounts=wanted, removed=sorted(set(existing) - {a.name for a in wanted}))
    lines = []
    for account in wanted:
        if account.name in existing and account.name not in reset and not (
                account.name == HUB_ACCOUNT and not paths.hub_password.exists()):
            lines.append(f"{account.name}:{existing[account.name]}")
            result.kept.append(account.name)
            continue
        password = secrets.token_urlsafe(18)
        lines.append(f"{account.name}:{password_hash(password)}")
        if account.name == HUB_ACCOUNT:
            paths.hub_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
            write_atomic(paths.hub_password, (password + "\n").encode(), mode=0o640)
            result.hub_password_changed = True
        else:
            result.new[account.name] = password
    (paths.mosquitto_dir / "conf.d").mkdir(parents=True, exist_ok=True)
    write_atomic(paths.passwords, ("\n".join(lines) + "\n").encode(), mode=0o600)
    write_atomic(paths.acl, _acl(wanted).encode(), mode=0o644)
    if tls_port:
        cert, _ = ensure_certificate(paths.mosquitto_dir / "certs", config.device_name,
                                     cert_name=BROKER_CERT, key_name=BROKER_KEY)
        # Clients pin this certificate (mqtt.ca_file); the hub keeps a copy they can be given.
        paths.hub_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
        write_atomic(paths.hub_dir / BROKER_CERT, cert.read_bytes(), mode=0o644)
        result.tls_fingerprint = fingerprint(cert)
    write_atomic(paths.conf, _conf(paths, port, bind, tls_port).encode(), mode=0o644)
    return result


def set_owners(paths: BrokerPaths, hub_group: str = "porchlight", broker_user: str = "mosquitto") -> None:
    """On the live system: mosquitto owns its files (it refuses world-readable ones), the hub's group its password."""
    if os.geteuid() != 0:
        return
    try:
        broker = pwd.getpwnam(broker_user)
        certs = paths.mosquitto_dir / "certs"
        for path in (paths.passwords, paths.acl, certs, certs / BROKER_KEY, certs / BROKER_CERT):
            if path.exists():
                os.chown(path, broker.pw_uid, broker.pw_gid)
    except KeyError:
        pass  # no mosquitto user (a prefix, or another broker): root keeps them
    try:
        gid = grp.getgrnam(hub_group).gr_gid
        for path in (paths.hub_dir, paths.hub_password):
            if path.exists():
                os.chown(path, 0, gid)
    except KeyError:
        pass


def hand_out(result: Lockdown, paths: BrokerPaths) -> str:
    """What to tell her: each new password once, and where each one goes."""
    what = {a.name: a.what for a in result.accounts}
    out = [f"Broker locked down: {paths.conf} (no anonymous clients), {paths.acl}."]
    if result.new:
        out.append("New broker accounts. Give each device its own; they are shown only now (re-run with "
                   "--reset NAME for a new one):")
        out += [f"  {name:<24} {password}   {what[name]}" for name, password in result.new.items()]
    if result.kept:
        out.append("Kept, passwords unchanged: " + ", ".join(result.kept))
    if result.removed:
        out.append("Removed (no longer in the hub's config): " + ", ".join(result.removed))
    if result.hub_password_changed:
        out.append(f"{HUB_ACCOUNT}: a new password was written to {paths.hub_password}; restart the hub after "
                   "mosquitto (sudo systemctl restart mosquitto porchlight), or it cannot log in.")
    out.append(f"The hub logs in as {HUB_ACCOUNT}: set mqtt.username: {HUB_ACCOUNT} and "
               f"mqtt.password: file:{paths.hub_password} in porchlight.yaml.")
    if result.tls_fingerprint:
        out.append(f"TLS: devices on the LAN connect on the TLS port and pin {paths.hub_dir / BROKER_CERT} "
                   f"(SHA-256 {result.tls_fingerprint}).")
    out.append("Restart mosquitto to apply: sudo systemctl restart mosquitto")
    return "\n".join(out)
