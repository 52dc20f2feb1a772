"""The demo's two schedules, built around the site's local time when the demo starts.

The demo runs on the real clock, so its rules are drawn around now rather than around
office hours: the staff's hours cover the whole hours from three before to three after
the current one (Monday to Friday, plus every day that window touches, so it holds on a
weekend too), and the cleaner's hours are three whole hours on the other side of the day,
at least eight hours from now, every day. Either way the staff are let in and the cleaner
is refused for the whole run, whenever it starts.

A schedule interval never crosses midnight (:mod:`gatepost.domain.schedules`): a staff
window that does is split into its evening and morning parts, each on every scheduled
day; the cleaner's window is moved to fit inside the day instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from gatepost.domain.schedules import Interval, Weekday

__all__ = ["CLEANER_HOURS", "DemoHours", "STAFF_MARGIN_HOURS", "demo_hours"]

STAFF_MARGIN_HOURS: Final = 3
"""Whole hours the staff's window reaches before and after the current hour."""
CLEANER_HOURS: Final = 3
"""The length of the cleaner's window, in hours."""
_CLEANER_OFFSET_HOURS: Final = 11
"""The cleaner's window starts this many hours after the current hour (then fitted)."""
_DAY_HOURS: Final = 24
_WORKING_DAYS: Final = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)

Week = dict[str, list[str]]


@dataclass(frozen=True)
class DemoHours:
    """The two schedules' intervals per weekday (the API's ``intervals`` shape) and their
    windows in words, e.g. ``11:00-18:00``."""

    staff: Week
    cleaner: Week
    staff_window: str
    cleaner_window: str


def _hour(hour: int) -> str:
    return f"{hour % _DAY_HOURS:02d}:00"


def _staff(local_now: datetime) -> tuple[Week, str]:
    start = local_now.hour - STAFF_MARGIN_HOURS
    end = local_now.hour + STAFF_MARGIN_HOURS + 1  # the current hour is covered whole
    pieces: list[Interval] = []
    days = set(_WORKING_DAYS)
    for offset in (-1, 0, 1):  # yesterday, today, tomorrow
        first = max(start, offset * _DAY_HOURS) - offset * _DAY_HOURS
        last = min(end, (offset + 1) * _DAY_HOURS) - offset * _DAY_HOURS
        if first < last:
            pieces.append(Interval(first * 60, last * 60))
            days.add(Weekday.of(local_now.date() + timedelta(days=offset)))
    intervals = [str(piece) for piece in sorted(pieces)]
    week = {day.value: (intervals if day in days else []) for day in Weekday}
    return week, f"{_hour(start)}-{_hour(end)}"


def _cleaner(local_now: datetime) -> tuple[Week, str]:
    start = (local_now.hour + _CLEANER_OFFSET_HOURS) % _DAY_HOURS
    start = min(start, _DAY_HOURS - CLEANER_HOURS)  # fit inside the day, never across midnight
    interval = Interval(start * 60, (start + CLEANER_HOURS) * 60)
    return {day.value: [str(interval)] for day in Weekday}, str(interval)


def demo_hours(local_now: datetime) -> DemoHours:
    """The staff's and the cleaner's schedules around ``local_now``, the site's wall-clock
    time (see the module doc)."""
    staff, staff_window = _staff(local_now)
    cleaner, cleaner_window = _cleaner(local_now)
    return DemoHours(
        staff=staff, cleaner=cleaner, staff_window=staff_window, cleaner_window=cleaner_window
    )
