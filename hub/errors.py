"""Porchlight's exception tree: every error the hub raises on purpose is a PorchlightError."""

from __future__ import annotations


class PorchlightError(Exception):
    """Base of every error Porchlight raises on purpose."""


class ConfigError(PorchlightError, ValueError):
    """The configuration file is missing, unreadable or invalid."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class LogError(PorchlightError, RuntimeError):
    """The incident log cannot be opened or written."""


class EventRefused(LogError):
    """This one event cannot be recorded as it is (a value JSON cannot hold, an impossible time, a reserved
    kind); retrying it would never succeed, unlike a full or failing disk."""


class EvidenceError(PorchlightError, OSError):
    """An evidence file cannot be stored or read back intact."""


class KeyFileError(PorchlightError, OSError):
    """The device signing key is missing, unreadable or has unsafe permissions."""


class InputRejected(PorchlightError, ValueError):
    """Input from outside (an MQTT payload, an upload, a command) was not understood."""


class SensorError(PorchlightError, RuntimeError):
    """A sensor could not be set up (pin in use, no GPIO access, broker refused)."""
