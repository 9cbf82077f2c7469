"""What every command reads from its arguments: the config (from --config, $PORCHLIGHT_CONFIG or /etc) and the log."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from hub.devices import with_dashboard_devices
from hub.config import Config, load_config, parse_config
from hub.errors import ConfigError
from hub.log import IncidentLog
from hub.sealing import Locked, WrongPassphrase
from hub.store import Store

SYSTEM_CONFIG = Path("/etc/porchlight/porchlight.yaml")


def config_from(args: argparse.Namespace) -> Config:
    """The config from --config (or $PORCHLIGHT_CONFIG, or /etc), with --data applied."""
    path = args.config or os.environ.get("PORCHLIGHT_CONFIG")
    if path is None and args.data is None and SYSTEM_CONFIG.exists():
        path = str(SYSTEM_CONFIG)
    if path is not None:
        config = load_config(Path(path))
    elif args.data is not None:
        config = parse_config({})
    else:
        raise ConfigError(["give --config FILE, or --data DIR to use the defaults with that data directory"])
    if args.data is not None:
        config = config.model_copy(update={"data_dir": Path(args.data).resolve()})
    return with_dashboard_devices(config)  # the sensors and cameras she added on the dashboard


PASSPHRASE_VARIABLE = "PORCHLIGHT_PASSPHRASE"


def read_passphrase(prompt: str = "Passphrase: ") -> str | None:
    """Her passphrase from $PORCHLIGHT_PASSPHRASE, else asked on a terminal; None when neither is there."""
    given = os.environ.get(PASSPHRASE_VARIABLE)
    if given is not None:
        return given
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return None


def unlock_for_reading(log: IncidentLog) -> None:
    """Open a sealed log for a command that shows what it holds; Locked or WrongPassphrase, named, if not."""
    if not log.locked:
        return
    passphrase = read_passphrase()
    if passphrase is None:
        raise Locked(f"{log.data_dir} is sealed: reading it needs the passphrase "
                     f"(set {PASSPHRASE_VARIABLE}, or run this on a terminal to be asked)")
    try:
        log.unlock(passphrase)
    except WrongPassphrase as err:
        raise WrongPassphrase(f"the passphrase (from {PASSPHRASE_VARIABLE} or the terminal) is wrong: "
                              "it does not open this hub's sealed data; nothing was shown") from err


@contextmanager
def open_log(args: argparse.Namespace, reading: bool = False) -> Iterator[IncidentLog]:
    """The incident log of the config from the arguments, closed afterwards; ``reading``: unlocked first."""
    config = config_from(args)
    log = IncidentLog(config.data_dir, checkpoint_every_rows=config.log.checkpoint_every_rows)
    try:
        if reading:
            unlock_for_reading(log)
        yield log
    finally:
        log.close()


@contextmanager
def open_store(args: argparse.Namespace) -> Iterator[Store]:
    """The hub's database (the log, the command queue, the outbox) of the config from the arguments."""
    config = config_from(args)
    with Store(config.data_dir, checkpoint_every_rows=config.log.checkpoint_every_rows) as store:
        yield store
