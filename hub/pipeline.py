"""The one consumer: log every event first, then update arm state, decide, and fill the outbox."""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Sequence, TypeVar

from hub.arming import ArmState, ArmStore
from hub.bus import Bus, Envelope
from hub.clock import Clock
from hub.errors import EventRefused, LogError
from hub.events import Event, Severity
from hub.alerts.outbox import AlertRequest
from hub.log import IncidentLog
from hub.rules import Action, RaiseAlarm, RecordEntryDelay, Rules, SetState
from hub import kinds

logger = logging.getLogger(__name__)

Listener = Callable[[int, Event], None]
_RETRY_SECONDS = 1.0
_T = TypeVar("_T")


class Pipeline:
    """Runs on its own thread; the only place where events become rows and rows become alerts."""

    def __init__(self, bus: Bus, log: IncidentLog, rules: Rules, clock: Clock, arm: ArmStore) -> None:
        self.bus = bus
        self.log = log
        self.rules = rules
        self.clock = clock
        self.arm_store = arm
        self.state = arm.load()
        self._listeners: list[Listener] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state_lock = threading.Lock()
        self.last_beat = 0.0  # monotonic time of the consumer loop's last turn (the watchdog reads it)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(seq, event)`` after each event is committed and the arm state it implies is set
        (on the pipeline thread)."""
        self._listeners.append(listener)

    @property
    def arm_state(self) -> ArmState:
        """The current arm state."""
        with self._state_lock:
            return self.state

    def start(self) -> None:
        """Start the consumer thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="pipeline", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Finish what is queued (within ``timeout``), then stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while True:
            self.last_beat = time.monotonic()
            try:
                batch = self.bus.take(timeout=0.1)
                if batch:
                    self._commit_with_retry(batch)
                elif self._stop.is_set():
                    return
                self.tick()
            except Exception:
                # The thread must not die: a bug here would leave the hub deaf while looking alive.
                logger.exception("the pipeline hit an unexpected error; it goes on with the next events")

    def _commit_with_retry(self, batch: Sequence[Envelope]) -> None:
        try:
            seqs = self._retry(lambda: self.log.append_many([(e.event, e.also) for e in batch]))
        except EventRefused:
            # One event in the batch can never be recorded: commit the others one by one.
            for envelope in batch:
                self._commit_one(envelope)
            return
        if seqs is not None:
            self._after_commit(batch, seqs)

    def _commit_one(self, envelope: Envelope) -> None:
        try:
            seq = self._retry(lambda: self.log.append(envelope.event, envelope.also))
        except EventRefused as err:
            # Set aside and reported, never retried forever; its sender is answered (an MQTT message is
            # acknowledged) by the report's row, so it is not redelivered either.
            logger.warning("set aside an event the log cannot take: %s", err)
            event = envelope.event
            report = Event(kinds.LOG_EVENT_REFUSED, "hub", Severity.WARNING,
                           {"kind": str(event.kind)[:80], "source": str(event.source)[:80], "problem": str(err)[:300]},
                           at=self.clock.now())
            seq = self._retry(lambda: self.log.append(report))
            if seq is not None and envelope.on_committed is not None:
                try:
                    envelope.on_committed(seq)
                except Exception:
                    logger.exception("acknowledging a set-aside %s failed", event.kind)
            return
        if seq is not None:
            self._after_commit([envelope], [seq])

    def _retry(self, write: Callable[[], _T]) -> _T | None:
        """Run a log write until it succeeds; None only when stopping with the disk still failing."""
        while True:
            try:
                return write()
            except EventRefused:
                raise
            except LogError:
                # Nothing was acknowledged: sources keep their messages until the disk recovers.
                logger.exception("could not write to the incident log; retrying in %.0f s", _RETRY_SECONDS)
                if self._stop.wait(_RETRY_SECONDS):
                    return None

    def _after_commit(self, batch: Sequence[Envelope], seqs: Sequence[int]) -> None:
        for envelope, seq in zip(batch, seqs):
            try:
                actions = self.rules.decide(envelope.event, seq, self.arm_state, self.clock.now())
            except Exception:
                # A rule bug must not stop the log: the event is already committed.
                logger.exception("rules failed on %s (seq %d)", envelope.event.kind, seq)
                actions = []
            # The new arm state first, so listeners (LED, MQTT, ...) read what the rules decided instead of
            # each working out what an arm.set means; then the event; then the rows it causes.
            self._apply([a for a in actions if isinstance(a, SetState)])
            self._notify(seq, envelope.event)
            self._apply([a for a in actions if not isinstance(a, SetState)])
        # Acknowledged once what each event causes is done too: a page waiting on its command then shows
        # the new arm mode, and a panic's answer is given once its alarm row (and alerts) exist.
        for envelope, seq in zip(batch, seqs):
            if envelope.on_committed is not None:
                try:
                    envelope.on_committed(seq)
                except Exception:
                    logger.exception("acknowledging %s (seq %d) failed", envelope.event.kind, seq)

    def tick(self) -> None:
        """Let time-based rules run (entry delay expiry, exit delay end)."""
        try:
            actions = self.rules.tick(self.arm_state, self.clock.now())
        except Exception:
            logger.exception("rules.tick failed")
            return
        self._apply(actions)

    def _apply(self, actions: Sequence[Action]) -> None:
        for action in actions:
            if isinstance(action, SetState):
                with self._state_lock:
                    self.state = action.state
                self.arm_store.save(action.state)
            elif isinstance(action, RecordEntryDelay):
                self._append(Event(
                    kinds.ARM_ENTRY_DELAY, "hub", Severity.WARNING,
                    detail={"until": action.until.isoformat(), "cause_seq": action.cause_seq,
                            "sensor": action.source},
                    at=self.clock.now(),
                ))
            elif isinstance(action, RaiseAlarm):
                about_access = action.kind.startswith(kinds.ACCESS_FAMILY + ".")
                self._append(
                    Event(
                        kinds.ALERT_RAISED if about_access else kinds.ALARM_TRIGGERED, action.source, action.priority,
                        detail={"reason": action.reason, "cause_seq": action.cause_seq,
                                **({"silent": True} if action.silent else {})},
                        at=self.clock.now(),
                    ),
                    [AlertRequest(action.priority, action.reason, action.kind, action.source)],
                )

    def _append(self, event: Event, alerts: Sequence[AlertRequest] = ()) -> None:
        seq = self._retry(lambda: self.log.append(event, alerts))
        if seq is not None:
            self._notify(seq, event)

    def _notify(self, seq: int, event: Event) -> None:
        for listener in self._listeners:
            try:
                listener(seq, event)
            except Exception:
                logger.exception("listener %r failed on seq %d", listener, seq)
