"""The demo's schedules let the staff in and keep the cleaner out whenever the demo runs:
at any time of day and on any day of the week, midnight and weekends included."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gatepost.demo import hours
from gatepost.demo.hours import DemoHours, demo_hours
from gatepost.domain.schedules import WeeklySchedule

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZONES = st.sampled_from(
    [SHANGHAI, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("UTC")]
)
MOMENTS = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2030, 12, 31),
    timezones=ZONES,
    allow_imaginary=False,
)
STAFF = hours.STAFF_MARGIN_HOURS
"""Hours either side of now in which the staff must be let in (the demo takes under a minute)."""


def _schedules(found: DemoHours) -> tuple[WeeklySchedule, WeeklySchedule]:
    """Both schedules as the domain builds them (this raises if either is invalid)."""
    staff = WeeklySchedule.from_mapping("staff", found.staff)
    cleaner = WeeklySchedule.from_mapping("cleaner", found.cleaner)
    return staff, cleaner


def test_all_is_sorted_and_complete() -> None:
    assert hours.__all__ == sorted(hours.__all__)
    assert all(hasattr(hours, name) for name in hours.__all__)


@given(local_now=MOMENTS, minutes=st.integers(-STAFF * 60, STAFF * 60))
@example(local_now=datetime(2026, 3, 2, 0, 0, tzinfo=SHANGHAI), minutes=0)  # Monday 00:00
@example(local_now=datetime(2026, 3, 2, 0, 0, tzinfo=SHANGHAI), minutes=-STAFF * 60)
@example(local_now=datetime(2026, 3, 6, 23, 59, tzinfo=SHANGHAI), minutes=0)  # Friday 23:59
@example(local_now=datetime(2026, 3, 6, 23, 59, tzinfo=SHANGHAI), minutes=STAFF * 60)
@example(local_now=datetime(2026, 3, 7, 23, 30, tzinfo=SHANGHAI), minutes=45)  # Sat -> Sun
@example(local_now=datetime(2026, 3, 8, 12, 59, tzinfo=SHANGHAI), minutes=0)  # Sunday noon
def test_staff_hours_cover_now_and_the_hours_around_it(local_now: datetime, minutes: int) -> None:
    staff, _ = _schedules(demo_hours(local_now))
    assert staff.covers(local_now + timedelta(minutes=minutes), holiday=False)


@given(local_now=MOMENTS, minutes=st.integers(-8 * 60, 8 * 60))
@example(local_now=datetime(2026, 3, 2, 0, 0, tzinfo=SHANGHAI), minutes=0)
@example(local_now=datetime(2026, 3, 6, 23, 59, tzinfo=SHANGHAI), minutes=0)
@example(local_now=datetime(2026, 3, 6, 11, 59, tzinfo=SHANGHAI), minutes=0)  # window fitted
@example(local_now=datetime(2026, 3, 6, 12, 59, tzinfo=SHANGHAI), minutes=8 * 60)
def test_cleaner_hours_stay_hours_away_from_now(local_now: datetime, minutes: int) -> None:
    _, cleaner = _schedules(demo_hours(local_now))
    assert not cleaner.covers(local_now + timedelta(minutes=minutes), holiday=False)


@given(local_now=MOMENTS)
def test_cleaner_hours_are_one_window_inside_the_day_every_day(local_now: datetime) -> None:
    found = demo_hours(local_now)
    assert all(days == [found.cleaner_window] for days in found.cleaner.values())
    start, _, end = found.cleaner_window.partition("-")
    assert start < end or end == "24:00"


@pytest.mark.parametrize(
    ("local_now", "staff", "staff_window", "cleaner_window"),
    [
        ("2026-03-04T14:20", ["11:00-18:00"], "11:00-18:00", "01:00-04:00"),  # Wednesday
        ("2026-03-04T11:05", ["08:00-15:00"], "08:00-15:00", "21:00-24:00"),  # fitted
        ("2026-03-04T23:59", ["00:00-03:00", "20:00-24:00"], "20:00-03:00", "10:00-13:00"),
        ("2026-03-04T00:00", ["00:00-04:00", "21:00-24:00"], "21:00-04:00", "11:00-14:00"),
    ],
)
def test_windows_read_as_whole_hours(
    local_now: str, staff: list[str], staff_window: str, cleaner_window: str
) -> None:
    found = demo_hours(datetime.fromisoformat(local_now).replace(tzinfo=SHANGHAI))
    assert found.staff["wed"] == staff and found.staff_window == staff_window
    assert found.cleaner_window == cleaner_window


def test_staff_hours_include_a_weekend_day_only_when_the_demo_runs_then() -> None:
    saturday = demo_hours(datetime(2026, 3, 7, 10, 0, tzinfo=SHANGHAI))
    assert saturday.staff["sat"] == ["07:00-14:00"] and saturday.staff["sun"] == []
    wednesday = demo_hours(datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI))
    assert wednesday.staff["sat"] == [] and wednesday.staff["mon"] == ["07:00-14:00"]
