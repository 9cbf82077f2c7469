"""Debounce against an injectable clock: chatter is one change, a real change counts once settled."""

from __future__ import annotations

from hub.debounce import Debouncer


def test_chatter_settles_to_one_change() -> None:
    d = Debouncer(0.05, level=False)
    for i, level in enumerate([True, False, True, False, True]):
        d.feed(level, 10.0 + i * 0.005)
    assert d.settle(10.03) is None  # still bouncing
    assert d.due() == 10.02 + 0.05
    assert d.settle(10.07) is True
    assert d.settle(10.2) is None  # nothing pending any more


def test_a_bounce_back_to_the_old_level_is_no_change() -> None:
    d = Debouncer(0.05, level=False)
    d.feed(True, 1.0)
    d.feed(False, 1.01)
    assert d.due() is None
    assert d.settle(2.0) is None
    assert d.stable is False


def test_zero_window_accepts_at_once() -> None:
    d = Debouncer(0.0, level=True)
    d.feed(False, 5.0)
    assert d.settle(5.0) is False
