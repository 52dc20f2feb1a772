"""Pure parts of the remote door commands and the live feed: the reason rule, and the
feed cursor that reads with an overlap and hands each event out once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatepost.domain.devices import EventKind
from gatepost.errors import ValidationFailed
from gatepost.services.event_feed import OVERLAP, FeedCursor, FeedItem, parse_position
from gatepost.services.remote_commands import checked_reason

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
