"""Weekly schedules: parsing, validation naming the field, site-local time, holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatepost.domain import schedules
from gatepost.domain.errors import InvalidSchedule
from gatepost.domain.schedules import (
    MINUTES_PER_DAY,
    Interval,
    ScheduleState,
    SiteCalendar,
    Weekday,
    WeeklySchedule,
    parse_weekday,
    schedule_state,
)
from gatepost.errors import ValidationFailed

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE = WeeklySchedule.from_mapping(
    "office", {d: ["08:00-12:00", "13:00-18:00"] for d in WEEKDAYS}
)


def test_all_is_sorted_and_complete() -> None:
    assert schedules.__all__ == sorted(schedules.__all__)
    assert all(hasattr(schedules, name) for name in schedules.__all__)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [("08:00-18:00", 480, 1080), ("0:00-24:00", 0, 1440), (" 22:30 - 23:59 ", 1350, 1439)],
)
def test_interval_parses_clock_times(text: str, start: int, end: int) -> None:
    assert Interval.parse(text) == Interval(start, end)


def test_interval_prints_as_it_is_written() -> None:
    assert str(Interval.parse("08:05-24:00")) == "08:05-24:00"


@pytest.mark.parametrize(
    "text", ["18:00-08:00", "08:00-08:00", "25:00-26:00", "08:60-09:00", "24:00-24:00", "8-9", ""]
)
def test_interval_refuses_inverted_or_malformed(text: str) -> None:
    with pytest.raises(InvalidSchedule) as caught:
        Interval.parse(text, field="intervals.mon.0")
    assert caught.value.field == "intervals.mon.0"
    assert isinstance(caught.value, ValidationFailed)


def test_interval_is_half_open() -> None:
    interval = Interval.parse("08:00-18:00")
    assert interval.contains(480)
    assert interval.contains(1079)
    assert not interval.contains(1080)
    assert not interval.contains(479)


@pytest.mark.parametrize(
    ("days", "field"),
    [
        ({"mon": ["08:00-12:00", "11:00-13:00"]}, "intervals.mon.1"),
        ({"tue": ["13:00-18:00", "08:00-14:00"]}, "intervals.tue.0"),  # the later one named
        ({"wed": ["08:00-12:00", "08:00-09:00"]}, "intervals.wed.1"),
        ({"thu": ["09:00-10:00", "00:00-24:00"]}, "intervals.thu.0"),
        ({"fri": ["18:00-08:00"]}, "intervals.fri.0"),
        ({"sat": ["08:00-12:00", "nonsense"]}, "intervals.sat.1"),
        ({"funday": ["08:00-12:00"]}, "intervals.funday"),
    ],
)
def test_schedule_refuses_naming_the_field(days: dict[str, list[str]], field: str) -> None:
    with pytest.raises(InvalidSchedule) as caught:
        WeeklySchedule.from_mapping("s", days)
    assert caught.value.field == field
    assert caught.value.code == "invalid_schedule"


def test_holiday_intervals_are_validated_too() -> None:
    with pytest.raises(InvalidSchedule) as caught:
        WeeklySchedule.from_mapping("s", {}, holiday=["10:00-12:00", "11:00-11:30"])
    assert caught.value.field == "holiday_intervals.1"


def test_constructing_directly_validates_as_well() -> None:
    with pytest.raises(InvalidSchedule) as caught:
        WeeklySchedule("s", ((Interval(600, 540),), (), (), (), (), (), ()))
    assert caught.value.field == "intervals.mon.0"
    with pytest.raises(InvalidSchedule):
        WeeklySchedule("s", ((),) * 6)


def test_adjacent_intervals_are_allowed_and_sorted() -> None:
    schedule = WeeklySchedule.from_mapping("s", {"MON": ["12:00-18:00", "08:00-12:00"]})
    assert schedule.intervals_on(Weekday.MON) == (Interval(480, 720), Interval(720, 1080))


def test_weekday_parsing() -> None:
    assert parse_weekday(" Sun ") is Weekday.SUN
    assert Weekday.of(date(2026, 3, 2)) is Weekday.MON
    assert Weekday.SUN.number == 6
    with pytest.raises(InvalidSchedule) as caught:
        parse_weekday("monday")
    assert caught.value.field == "intervals.monday"


@pytest.mark.parametrize(
    ("local", "state"),
    [
        (datetime(2026, 3, 2, 7, 59), ScheduleState.CLOSED),
        (datetime(2026, 3, 2, 8, 0), ScheduleState.OPEN),
        (datetime(2026, 3, 2, 12, 30), ScheduleState.CLOSED),  # lunch
        (datetime(2026, 3, 2, 17, 59, 59), ScheduleState.OPEN),
        (datetime(2026, 3, 2, 18, 0), ScheduleState.CLOSED),
        (datetime(2026, 3, 7, 10, 0), ScheduleState.CLOSED),  # Saturday
        (datetime(2026, 3, 3, 10, 0), ScheduleState.CLOSED_FOR_HOLIDAY),
        (datetime(2026, 3, 3, 20, 0), ScheduleState.CLOSED),  # holiday, closed anyway
    ],
)
def test_schedule_state_in_site_local_time(local: datetime, state: ScheduleState) -> None:
    calendar = SiteCalendar(SHANGHAI, frozenset({date(2026, 3, 3)}))
    at = local.replace(tzinfo=SHANGHAI).astimezone(UTC)  # server time
    assert schedule_state(OFFICE, at, calendar) is state


def test_holiday_intervals_replace_the_weekday() -> None:
    schedule = WeeklySchedule.from_mapping("s", {"tue": ["08:00-18:00"]}, holiday=["10:00-12:00"])
    calendar = SiteCalendar(SHANGHAI, frozenset({date(2026, 3, 3)}))
    at_9 = datetime(2026, 3, 3, 9, 0, tzinfo=SHANGHAI)
    at_11 = datetime(2026, 3, 3, 11, 0, tzinfo=SHANGHAI)
    assert schedule_state(schedule, at_9, calendar) is ScheduleState.CLOSED_FOR_HOLIDAY
    assert schedule_state(schedule, at_11, calendar) is ScheduleState.OPEN
    # a holiday on a closed weekday opens by the holiday intervals alone
    sunday = SiteCalendar(SHANGHAI, frozenset({date(2026, 3, 8)}))
    assert schedule_state(schedule, datetime(2026, 3, 8, 11, tzinfo=SHANGHAI), sunday) is (
        ScheduleState.OPEN
    )


def test_daylight_saving_keeps_the_wall_clock() -> None:
    calendar = SiteCalendar(BERLIN)
    # 06:30 UTC is 08:30 in Berlin in summer (UTC+2) and 07:30 in winter (UTC+1).
    summer = datetime(2026, 7, 6, 6, 30, tzinfo=UTC)
    winter = datetime(2026, 1, 5, 6, 30, tzinfo=UTC)
    assert schedule_state(OFFICE, summer, calendar) is ScheduleState.OPEN
    assert schedule_state(OFFICE, winter, calendar) is ScheduleState.CLOSED


def test_holidays_are_local_dates() -> None:
    # 2026-03-02 20:00 UTC is already 2026-03-03 04:00 in Shanghai.
    calendar = SiteCalendar(SHANGHAI, frozenset({date(2026, 3, 3)}))
    assert calendar.is_holiday(datetime(2026, 3, 2, 20, 0, tzinfo=UTC))
    assert not calendar.is_holiday(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        SiteCalendar(UTC).local(datetime(2026, 3, 2, 10, 0))  # naive on purpose


def test_always_is_open_on_holidays() -> None:
    calendar = SiteCalendar(UTC, frozenset({date(2026, 3, 3)}))
    always = WeeklySchedule.always("24h")
    assert schedule_state(always, datetime(2026, 3, 3, 23, 59, tzinfo=UTC), calendar) is (
        ScheduleState.OPEN
    )


# -- properties ---------------------------------------------------------------------------

minutes = st.integers(min_value=0, max_value=MINUTES_PER_DAY)


@st.composite
def valid_intervals(draw: st.DrawFn) -> Interval:
    start = draw(st.integers(min_value=0, max_value=MINUTES_PER_DAY - 1))
    end = draw(st.integers(min_value=start + 1, max_value=MINUTES_PER_DAY))
    return Interval(start, end)


@given(st.lists(valid_intervals(), min_size=2, max_size=6))
def test_overlapping_intervals_are_always_refused(intervals: list[Interval]) -> None:
    overlapping = any(
        a.start < b.end and b.start < a.end
        for i, a in enumerate(intervals)
        for b in intervals[i + 1 :]
    )
    week = (tuple(intervals), (), (), (), (), (), ())
    if overlapping:
        with pytest.raises(InvalidSchedule) as caught:
            WeeklySchedule("s", week)
        assert caught.value.field is not None
        assert caught.value.field.startswith("intervals.mon.")
    else:
        assert len(WeeklySchedule("s", week).week[0]) == len(intervals)


@given(minutes, minutes)
def test_inverted_intervals_are_always_refused(start: int, end: int) -> None:
    valid = 0 <= start < end <= MINUTES_PER_DAY and start < MINUTES_PER_DAY
    if valid:
        Interval(start, end).check()
    else:
        with pytest.raises(InvalidSchedule):
            Interval(start, end).check()


@st.composite
def disjoint_days(draw: st.DrawFn) -> tuple[Interval, ...]:
    bounds = sorted(draw(st.sets(minutes, max_size=6)))
    return tuple(Interval(a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=False))


@given(
    st.lists(disjoint_days(), min_size=7, max_size=7),
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from([UTC, BERLIN, SHANGHAI, ZoneInfo("America/New_York")]),
)
def test_schedule_state_matches_the_wall_clock(
    week: list[tuple[Interval, ...]], at: datetime, zone: ZoneInfo
) -> None:
    schedule = WeeklySchedule("s", tuple(week))
    local = at.astimezone(zone)
    minute = local.hour * 60 + local.minute
    expected = any(i.start <= minute < i.end for i in week[local.weekday()])
    state = schedule_state(schedule, at, SiteCalendar(zone))
    assert (state is ScheduleState.OPEN) == expected
