"""What every command reads from its arguments: the config (from --config, $PORCHLIGHT_CONFIG or /etc) and the log."""

from __future__ import annotations

import argparse
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from hub.config import Config, load_config, parse_config
from hub.errors import ConfigError
from hub.log import IncidentLog
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
    return config


@contextmanager
def open_log(args: argparse.Namespace) -> Iterator[IncidentLog]:
    """The incident log of the config from the arguments, closed afterwards."""
    config = config_from(args)
    log = IncidentLog(config.data_dir, checkpoint_every_rows=config.log.checkpoint_every_rows)
    try:
        yield log
    finally:
        log.close()


@contextmanager
def open_store(args: argparse.Namespace) -> Iterator[Store]:
    """The hub's database (the log, the command queue, the outbox) of the config from the arguments."""
    config = config_from(args)
    with Store(config.data_dir, checkpoint_every_rows=config.log.checkpoint_every_rows) as store:
        yield store
