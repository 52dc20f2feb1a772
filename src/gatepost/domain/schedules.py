"""Weekly schedules in site-local time, the site calendar (time zone and holidays), and
their validation.

A :class:`WeeklySchedule` is what ZKBio calls a *time zone* and HikCentral a *schedule
template*: for each weekday, a few half-open intervals ``[start, end)`` of local clock
time, at minute resolution, ``24:00`` allowed as an end. An interval never crosses
midnight: "22:00 to 06:00" is written as ``22:00-24:00`` on one day and ``00:00-06:00`` on
the next, so every interval reads the same whichever day it is evaluated on.

Holidays come from the site's calendar (:class:`SiteCalendar`). On a holiday a schedule's
``holiday`` intervals *replace* the weekday's intervals; they are empty unless set, so a
schedule is closed on holidays unless its holiday intervals say otherwise.

Times are always evaluated in the site's local time, converted from the aware server
time of the arrival, so daylight-saving changes move nothing: 08:00 is 08:00 on the wall
clock of the site in summer and in winter. The calendar takes a ready ``tzinfo`` (the
caller builds ``zoneinfo.ZoneInfo``), so nothing here reads the time-zone database.

Validation raises :class:`~gatepost.domain.errors.InvalidSchedule` naming the field:
``intervals.<day>`` for an unknown weekday, ``intervals.<day>.<n>`` for the n-th interval
(0-based, in the order given) that is malformed, inverted or overlaps an earlier one, and
``holiday_intervals.<n>`` for the holiday intervals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from enum import StrEnum

from gatepost.domain.errors import InvalidSchedule

__all__ = [
    "Interval",
    "MINUTES_PER_DAY",
    "ScheduleState",
    "SiteCalendar",
    "Weekday",
    "WeeklySchedule",
    "parse_weekday",
    "schedule_state",
]

MINUTES_PER_DAY = 24 * 60

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class Weekday(StrEnum):
    """Days of the week, in ``date.weekday()`` order (Monday first)."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @classmethod
    def of(cls, day: date) -> Weekday:
        return _WEEK[day.weekday()]

    @property
    def number(self) -> int:
        """0 for Monday ... 6 for Sunday, as ``date.weekday()``."""
        return _WEEK.index(self)


_WEEK: tuple[Weekday, ...] = tuple(Weekday)


def parse_weekday(text: str, *, field: str = "intervals") -> Weekday:
    """The weekday named ``mon`` ... ``sun`` (any case); refuses anything else."""
    try:
        return Weekday(text.strip().lower())
    except ValueError:
        raise InvalidSchedule(
            "unknown weekday %(day)r: use one of %(days)s",
            field=f"{field}.{text}",
            params={"day": text, "days": ", ".join(_WEEK)},
        ) from None


@dataclass(frozen=True, order=True)
class Interval:
    """Local clock time ``[start, end)`` in minutes after midnight (``end`` may be 1440)."""

    start: int
    end: int

    @classmethod
    def parse(cls, text: str, *, field: str = "interval") -> Interval:
        """``"08:00-18:00"`` (``24:00`` allowed as an end); refuses inverted intervals."""
        found = _CLOCK.match(text)
        if found is None:
            raise InvalidSchedule("%(text)r is not HH:MM-HH:MM", field=field, params={"text": text})
        start_h, start_m, end_h, end_m = (int(part) for part in found.groups())
        if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
            raise InvalidSchedule(
                "%(text)r is not a time of day", field=field, params={"text": text}
            )
        interval = cls(start_h * 60 + start_m, end_h * 60 + end_m)
        interval.check(field=field)
        return interval

    def check(self, *, field: str = "interval") -> None:
        """Refuse an interval outside the day, or one that ends before or when it starts."""
        if not 0 <= self.start < MINUTES_PER_DAY or not 0 < self.end <= MINUTES_PER_DAY:
            raise InvalidSchedule(
                "%(interval)s is outside the day", field=field, params={"interval": str(self)}
            )
        if self.end <= self.start:
            raise InvalidSchedule(
                "%(interval)s ends before it starts: split a night across two days",
                field=field,
                params={"interval": str(self)},
            )

    def contains(self, minute: int) -> bool:
        return self.start <= minute < self.end

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _checked(intervals: Sequence[Interval], *, field: str) -> tuple[Interval, ...]:
    """The intervals sorted by start, after refusing inverted and overlapping ones.

    The field named is the offending interval's position in the order given; of two
    overlapping intervals, the one that starts later (or, at the same start, comes later)
    is named.
    """
    for position, interval in enumerate(intervals):
        interval.check(field=f"{field}.{position}")
    ordered = sorted(range(len(intervals)), key=lambda i: (intervals[i].start, i))
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if intervals[earlier].overlaps(intervals[later]):
            raise InvalidSchedule(
                "%(later)s overlaps %(earlier)s",
                field=f"{field}.{later}",
                params={"later": str(intervals[later]), "earlier": str(intervals[earlier])},
            )
    return tuple(intervals[i] for i in ordered)


@dataclass(frozen=True)
class WeeklySchedule:
    """Intervals per weekday (``week[0]`` is Monday) and the intervals used on holidays.

    Construction validates and sorts the intervals, so a schedule that exists is valid.
    """

    id: str
    week: tuple[tuple[Interval, ...], ...]
    holiday: tuple[Interval, ...] = ()
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if len(self.week) != len(_WEEK):
            raise InvalidSchedule("a week has seven days", field="intervals")
        week = tuple(
            _checked(day, field=f"intervals.{weekday}")
            for weekday, day in zip(_WEEK, self.week, strict=True)
        )
        object.__setattr__(self, "week", week)
        object.__setattr__(self, "holiday", _checked(self.holiday, field="holiday_intervals"))

    @classmethod
    def from_mapping(
        cls,
        schedule_id: str,
        days: Mapping[str, Iterable[str]],
        *,
        holiday: Iterable[str] = (),
        name: str = "",
    ) -> WeeklySchedule:
        """Parse ``{"mon": ["08:00-12:00", "13:00-18:00"], ...}``; absent days are closed."""
        week: list[tuple[Interval, ...]] = [() for _ in _WEEK]
        for day, texts in days.items():
            weekday = parse_weekday(day)
            week[weekday.number] = tuple(
                Interval.parse(text, field=f"intervals.{weekday}.{n}")
                for n, text in enumerate(texts)
            )
        holidays = tuple(
            Interval.parse(text, field=f"holiday_intervals.{n}") for n, text in enumerate(holiday)
        )
        return cls(id=schedule_id, week=tuple(week), holiday=holidays, name=name)

    @classmethod
    def always(cls, schedule_id: str) -> WeeklySchedule:
        """Open all day every day, holidays included (ZKBio's default "24 hours" zone)."""
        whole_day = (Interval(0, MINUTES_PER_DAY),)
        return cls(id=schedule_id, week=tuple(whole_day for _ in _WEEK), holiday=whole_day)

    def intervals_on(self, weekday: Weekday, *, holiday: bool = False) -> tuple[Interval, ...]:
        return self.holiday if holiday else self.week[weekday.number]

    def covers(self, local: datetime, *, holiday: bool) -> bool:
        """Whether the site-local wall-clock time ``local`` is inside an interval."""
        minute = local.hour * 60 + local.minute
        weekday = Weekday.of(local.date())
        return any(i.contains(minute) for i in self.intervals_on(weekday, holiday=holiday))


@dataclass(frozen=True)
class SiteCalendar:
    """A site's time zone and holiday dates (local dates)."""

    time_zone: tzinfo
    holidays: frozenset[date] = frozenset()

    def local(self, at: datetime) -> datetime:
        """The site's wall-clock time at the aware instant ``at``."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("at must be an aware datetime")
        return at.astimezone(self.time_zone)

    def is_holiday(self, at: datetime) -> bool:
        return self.local(at).date() in self.holidays


class ScheduleState(StrEnum):
    """Whether a schedule lets someone through at a given instant."""

    OPEN = "open"
    CLOSED = "closed"
    CLOSED_FOR_HOLIDAY = "closed_for_holiday"
    """Closed only because the day is a holiday: the weekday's intervals would cover it."""


def schedule_state(schedule: WeeklySchedule, at: datetime, calendar: SiteCalendar) -> ScheduleState:
    """The schedule's state at the aware instant ``at``, in the site's local time."""
    local = calendar.local(at)
    holiday = local.date() in calendar.holidays
    if schedule.covers(local, holiday=holiday):
        return ScheduleState.OPEN
    if holiday and schedule.covers(local, holiday=False):
        return ScheduleState.CLOSED_FOR_HOLIDAY
    return ScheduleState.CLOSED
