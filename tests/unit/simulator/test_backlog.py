"""The device's backlog: order, bound, replay after a reconnect, resend after a timeout,
expiry by device time (gatepost.simulator.backlog)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatepost.simulator.backlog import Backlog, Pending, Send

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _pending(n: int, *, minutes: int = 0) -> Pending:
    return Pending(f"k-{n}", "card", b"{}", T0 + timedelta(minutes=minutes), start=0.0)


def _keys(batch: list[tuple[Pending, Send]]) -> list[tuple[str, Send]]:
    return [(p.key, why) for p, why in batch]


def test_a_full_backlog_drops_the_oldest_arrival() -> None:
    backlog = Backlog(2)
    assert backlog.add(_pending(1)) is None and backlog.add(_pending(2)) is None
    dropped = backlog.add(_pending(3))
    assert dropped is not None and dropped.key == "k-1"
    assert [p.key for p in backlog] == ["k-2", "k-3"]


def test_a_window_of_one_sends_the_next_only_after_the_head_is_answered() -> None:
    backlog = Backlog(10)
    for n in (1, 2, 3):
        backlog.add(_pending(n))
    assert _keys(backlog.due(window=1, now=0.0, resend_after=5)) == [("k-1", Send.FIRST)]
    assert backlog.due(window=1, now=1.0, resend_after=5) == []
    backlog.pop_head()
    assert _keys(backlog.due(window=1, now=1.0, resend_after=5)) == [("k-2", Send.FIRST)]


def test_an_unanswered_arrival_is_resent_after_the_timeout_with_the_same_bytes() -> None:
    backlog = Backlog(10)
    backlog.add(_pending(1))
    ((first, _),) = backlog.due(window=None, now=0.0, resend_after=2)
    assert backlog.due(window=None, now=1.9, resend_after=2) == []
    ((again, why),) = backlog.due(window=None, now=2.0, resend_after=2)
    assert again is first and why is Send.RESEND and again.sends == 2


def test_after_a_reconnect_everything_unanswered_is_replayed_in_order() -> None:
    backlog = Backlog(10)
    for n in (1, 2):
        backlog.add(_pending(n))
    backlog.due(window=None, now=0.0, resend_after=5)
    backlog.add(_pending(3))
    backlog.disconnected()
    assert _keys(backlog.due(window=None, now=0.5, resend_after=5)) == [
        ("k-1", Send.REPLAY),
        ("k-2", Send.REPLAY),
        ("k-3", Send.FIRST),
    ]


def test_a_refusal_removes_the_arrival_it_names_and_old_arrivals_expire() -> None:
    backlog = Backlog(10)
    for n in (1, 2, 3):
        backlog.add(_pending(n, minutes=n))
    assert backlog.remove("k-2") is not None and backlog.remove("k-2") is None
    expired = backlog.expire(T0 + timedelta(minutes=2))
    assert [p.key for p in expired] == ["k-1"] and [p.key for p in backlog] == ["k-3"]


def test_a_backlog_holds_at_least_one_arrival() -> None:
    with pytest.raises(ValueError, match="capacity"):
        Backlog(0)


def test_a_frame_is_sent_at_most_max_sends_times_then_given_up() -> None:
    backlog = Backlog(10)
    frame = Pending("f-1", "face", b"{}", T0, start=0.0, max_sends=2)
    backlog.add(frame)
    backlog.add(_pending(2))
    assert _keys(backlog.due(window=1, now=0.0, resend_after=2)) == [("f-1", Send.FIRST)]
    backlog.disconnected()  # replayed like any arrival: the server stores it once
    assert _keys(backlog.due(window=1, now=0.5, resend_after=2)) == [("f-1", Send.REPLAY)]
    assert backlog.due(window=1, now=1.0, resend_after=2) == []
    assert _keys(backlog.due(window=1, now=2.5, resend_after=2)) == [
        ("f-1", Send.GIVE_UP),
        ("k-2", Send.FIRST),
    ]
    assert [p.key for p in backlog] == ["k-2"]
