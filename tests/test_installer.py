"""The installer against a temporary root: every file, mode and owner; a second run changes nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("useradd") is None,
                                reason="the installer creates a system user: needs root and useradd")


def _install(root: Path, *extra: str, passphrase: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PORCHLIGHT_PASSPHRASE"}
    if passphrase is not None:
        env["PORCHLIGHT_PASSPHRASE"] = passphrase
    result = subprocess.run([sys.executable, "-m", "hub.installer", "--root", str(root), "--no-apt", "--no-venv",
                             *extra], cwd=REPO, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A prefix with a copy of this machine's user database (useradd --root edits it)."""
    prefix = tmp_path / "root"
    (prefix / "etc").mkdir(parents=True)
    for name in ("passwd", "group", "shadow", "gshadow"):
        if Path("/etc", name).exists():
            shutil.copy2(Path("/etc", name), prefix / "etc" / name)
    return prefix


def _owner(root: Path, path: Path) -> tuple[str, str, str]:
    users = {int(l.split(":")[2]): l.split(":")[0] for l in (root / "etc/passwd").read_text().splitlines() if l}
    groups = {int(l.split(":")[2]): l.split(":")[0] for l in (root / "etc/group").read_text().splitlines() if l}
    stat = path.lstat()
    return f"{stat.st_mode & 0o7777:04o}", users.get(stat.st_uid, "?"), groups.get(stat.st_gid, "?")


def test_install_creates_everything_with_the_right_modes_and_owners(root: Path) -> None:
    out = _install(root)
    assert "created user porchlight (groups gpio, video)" in out
    assert _owner(root, root / "var/lib/porchlight") == ("0750", "porchlight", "porchlight")
    assert _owner(root, root / "etc/porchlight") == ("0750", "root", "porchlight")
    assert _owner(root, root / "etc/porchlight/porchlight.yaml") == ("0640", "root", "porchlight")
    assert _owner(root, root / "etc/systemd/system/porchlight.service") == ("0644", "root", "root")
    wants = root / "etc/systemd/system/multi-user.target.wants/porchlight.service"
    assert os.readlink(wants) == "/etc/systemd/system/porchlight.service"
    config = (root / "etc/porchlight/porchlight.yaml").read_text()
    assert "data_dir: /var/lib/porchlight" in config
    members = {l.split(":")[0]: l.split(":")[3] for l in (root / "etc/group").read_text().splitlines() if l}
    assert "porchlight" in members["gpio"].split(",") and "porchlight" in members["video"].split(",")
    assert [l for l in (root / "etc/passwd").read_text().splitlines() if l.startswith("porchlight:")] != []
    result = subprocess.run([sys.executable, "-m", "hub", "check-config",
                             str(root / "etc/porchlight/porchlight.yaml")], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_second_run_changes_nothing_and_keeps_her_config(root: Path) -> None:
    _install(root)
    config = root / "etc/porchlight/porchlight.yaml"
    config.write_text(config.read_text() + "\n# her own edit\n")
    (root / "var/lib/porchlight/porchlight.db").write_bytes(b"evidence")
    assert _install(root) == "nothing to change: Porchlight is installed and up to date\n"
    assert config.read_text().endswith("# her own edit\n")


def test_install_seals_the_data_directory_with_her_passphrase(root: Path) -> None:
    out = _install(root, passphrase="blue kettle under the stairs")
    assert "sealed /var/lib/porchlight" in out and "RECOVERY KEY" in out
    keys = root / "var/lib/porchlight/keys"
    assert _owner(root, keys) == ("0700", "porchlight", "porchlight")
    assert _owner(root, keys / "sealing.json") == ("0600", "porchlight", "porchlight")
    assert b"blue kettle" not in (keys / "sealing.json").read_bytes()
    assert _install(root) == "nothing to change: Porchlight is installed and up to date\n"


def test_unattended_install_leaves_sealing_to_the_first_run_setup_and_says_so(root: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "hub.installer", "--root", str(root), "--no-apt", "--no-venv"],
                            cwd=REPO, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                            env={k: v for k, v in os.environ.items() if k != "PORCHLIGHT_PASSPHRASE"})
    assert "not sealed yet: the dashboard's first-run setup seals it" in result.stderr
    assert not (root / "var/lib/porchlight/keys/sealing.json").exists()


def test_uninstall_removes_the_program_and_keeps_data_and_config(root: Path) -> None:
    _install(root)
    (root / "opt/porchlight/venv").mkdir()
    (root / "var/lib/porchlight/porchlight.db").write_bytes(b"evidence")
    out = _install(root, "--uninstall")
    assert "removed /opt/porchlight" in out and "removed /etc/systemd/system/porchlight.service" in out
    assert not (root / "etc/systemd/system/porchlight.service").exists()
    assert (root / "var/lib/porchlight/porchlight.db").read_bytes() == b"evidence"
    assert (root / "etc/porchlight/porchlight.yaml").exists()


def test_full_install_builds_a_working_program(root: Path) -> None:
    """The real venv step (pip install of this checkout): the installed command checks the installed config."""
    result = subprocess.run([sys.executable, "-m", "hub.installer", "--root", str(root), "--no-apt"], cwd=REPO,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "created /opt/porchlight/venv" in result.stdout
    assert "installed /etc/systemd/system/porchlight-satellite.service" in result.stdout
    assert not (root / "etc/systemd/system/multi-user.target.wants/porchlight-satellite.service").exists()
    installed = root / "opt/porchlight/venv/bin/porchlight"
    check = subprocess.run([str(installed), "check-config", str(root / "etc/porchlight/porchlight.yaml")],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and check.stdout.startswith("config OK:")
