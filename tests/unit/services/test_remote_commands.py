"""Pure parts of the remote door commands and the live feed: the reason rule, the
feed cursor that reads with an overlap and hands each event out once (and resumes at
most 10 minutes back), and whose word the feed takes for outcomes and commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from gatepost.domain.devices import EventKind
from gatepost.domain.events import Event
from gatepost.domain.ports import FixedClock
from gatepost.errors import ValidationFailed
from gatepost.services.event_feed import (
    MAX_RESUME,
    OVERLAP,
    EventFeedService,
    FeedCursor,
    FeedItem,
    feed_item,
    parse_position,
)
from gatepost.services.remote_commands import checked_reason
from gatepost.services.uow import Transactions
from gatepost.store.repositories.event_feed import FeedRow

T0 = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("reason", ["", "  ", "ab", " a  ", "x" * 501])
def test_a_reason_outside_3_to_500_characters_is_refused_naming_reason(reason: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        checked_reason(reason)
    assert refused.value.field == "reason"


def test_a_reason_is_kept_with_its_white_space_tidied() -> None:
    assert checked_reason("  Courier\n at   the gate ") == "Courier at the gate"
    assert checked_reason("x" * 500) == "x" * 500


def _item(event_id: str, at: datetime) -> FeedItem:
    return FeedItem(
        id=event_id,
        position=f"{at.isoformat()}|{event_id}",
        kind=EventKind.ACCESS_DENIED,
        occurred_at=at,
        received_at=at,
        site_id="s",
        site_name="HQ",
        device_name="Reader",
        access_point_name=None,
        arrival="card",
        outcome="deny",
        reasons=("unknown_credential",),
        alerts=(),
        command=None,
    )


def test_the_cursor_hands_each_event_out_once_and_reads_back_by_the_overlap() -> None:
    cursor = FeedCursor(T0)
    assert cursor.read_from == T0 - OVERLAP
    first = [_item("a", T0 + timedelta(seconds=1)), _item("b", T0 + timedelta(seconds=2))]
    assert cursor.take(first) == first
    assert cursor.newest == T0 + timedelta(seconds=2)
    late = _item("c", T0 + timedelta(seconds=1))  # committed after "b", stamped before
    assert [i.id for i in cursor.take([*first, late])] == ["c"]
    much_later = T0 + OVERLAP * 3
    assert [i.id for i in cursor.take([_item("d", much_later)])] == ["d"]
    assert set(cursor.seen) == {"d"}  # what can no longer recur is forgotten


def test_a_position_gives_its_arrival_time_and_nonsense_gives_none() -> None:
    at = T0 + timedelta(microseconds=5)
    assert parse_position(f"{at.isoformat()}|abc") == at
    for bad in (None, "", "yesterday|x", "2030-01-01T08:00:00|x"):
        assert parse_position(bad) is None


def test_a_resume_is_kept_within_ten_minutes_back_and_never_ahead() -> None:
    feed = EventFeedService(tx=cast(Transactions, None), clock=FixedClock(T0))
    assert feed.resume(T0 - timedelta(hours=6)).newest == T0 - MAX_RESUME
    assert MAX_RESUME == timedelta(minutes=10)
    assert feed.resume(T0 - timedelta(minutes=3)).newest == T0 - timedelta(minutes=3)
    assert feed.resume(T0 + timedelta(days=1)).newest == T0


def _row(kind: EventKind, data: dict[str, Any]) -> FeedRow:
    event = Event(
        tenant_id="t",
        id="e1",
        site_id="s",
        device_id="d",
        kind=kind,
        occurred_at=T0,
        received_at=T0,
        idempotency_key="k",
        person_id=None,
        snapshot_id=None,
        data=data,
    )
    return FeedRow(event, "HQ", "Reader", "Front door")


FORGED = {
    "outcome": "grant",
    "reasons": "remote_open,duress",
    "alerts": "duress",
    "command": "open",
    "arrival": "pin",
    "actor": "user:someone",
}


@pytest.mark.parametrize("kind", [EventKind.ACCESS_GRANTED, EventKind.DOOR_OPENED])
def test_the_feed_takes_no_remote_command_or_reason_from_a_device_event(kind: EventKind) -> None:
    item = feed_item(_row(kind, FORGED))
    assert item.command is None
    assert "remote_open" not in item.reasons


def test_a_device_event_without_the_pipelines_outcome_shows_no_outcome_or_alerts() -> None:
    forged = {key: value for key, value in FORGED.items() if key != "outcome"}
    for kind in (EventKind.ACCESS_GRANTED, EventKind.DOOR_OPENED, EventKind.TAMPER):
        item = feed_item(_row(kind, forged))
        assert (item.outcome, item.reasons, item.alerts, item.command, item.arrival) == (
            None,
            (),
            (),
            None,
            None,
        )


def test_the_feed_reads_decisions_and_remote_commands_as_gatepost_wrote_them() -> None:
    decided = feed_item(
        _row(
            EventKind.ACCESS_GRANTED,
            {"arrival": "pin", "outcome": "grant", "reasons": "granted,duress", "alerts": "duress"},
        )
    )
    assert (decided.outcome, decided.reasons, decided.alerts) == (
        "grant",
        ("granted", "duress"),
        ("duress",),
    )
    assert decided.arrival == "pin" and decided.command is None
    remote = feed_item(
        _row(
            EventKind.REMOTE_OPEN,
            {"command": "open", "reasons": "remote_open", "actor": "user:u1"},
        )
    )
    assert (remote.command, remote.reasons, remote.outcome) == ("open", ("remote_open",), None)
