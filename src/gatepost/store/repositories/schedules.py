"""Weekly schedules and site holidays of a tenant.

Schedules come out as ``domain.schedules.WeeklySchedule`` inside :class:`StoredSchedule`;
their intervals are stored as JSON: ``week`` maps ``mon`` ... ``sun`` to lists of
``"HH:MM-HH:MM"`` (closed days are absent), ``holiday`` lists the holiday intervals.
Holidays are :class:`StoredHoliday` records (a local date per site).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gatepost.domain.schedules import Interval, Weekday, WeeklySchedule
from gatepost.store.repositories._rows import keyset_page, upsert
from gatepost.store.tables import AccessLevel, AccessPoint, Schedule, SiteHoliday

__all__ = ["ScheduleRepository", "StoredHoliday", "StoredSchedule"]


@dataclass(frozen=True)
class StoredSchedule:
    tenant_id: str
    schedule: WeeklySchedule
    created_at: datetime
    updated_at: datetime

    @property
    def id(self) -> str:
        return self.schedule.id

    @property
    def name(self) -> str:
        return self.schedule.name


@dataclass(frozen=True)
class StoredHoliday:
    tenant_id: str
    id: str
    site_id: str
    date: date
    name: str
    created_at: datetime


def _schedule(row: Schedule) -> StoredSchedule:
    week = tuple(
        tuple(Interval.parse(text) for text in row.week.get(day.value, [])) for day in Weekday
    )
    holiday = tuple(Interval.parse(text) for text in row.holiday)
    return StoredSchedule(
        tenant_id=row.tenant_id,
        schedule=WeeklySchedule(id=row.id, week=week, holiday=holiday, name=row.name),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _week(schedule: WeeklySchedule) -> dict[str, list[str]]:
    return {
        day.value: [str(i) for i in schedule.week[day.number]]
        for day in Weekday
        if schedule.week[day.number]
    }


def _holiday(row: SiteHoliday) -> StoredHoliday:
    return StoredHoliday(
        tenant_id=row.tenant_id,
        id=row.id,
        site_id=row.site_id,
        date=row.date,
        name=row.name,
        created_at=row.created_at,
    )


class ScheduleRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # -- schedules ----------------------------------------------------------------------

    def save(self, stored: StoredSchedule) -> None:
        """Insert the schedule, or replace every column of the one with its id."""
        schedule = stored.schedule
        values = {
            "tenant_id": stored.tenant_id,
            "id": schedule.id,
            "name": schedule.name,
            "week": _week(schedule),
            "holiday": [str(i) for i in schedule.holiday],
            "created_at": stored.created_at,
            "updated_at": stored.updated_at,
        }
        upsert(self._session, Schedule, values)

    def get(self, *, tenant_id: str, schedule_id: str) -> StoredSchedule | None:
        row = self._session.get(Schedule, (tenant_id, schedule_id))
        return _schedule(row) if row is not None else None

    def by_name(self, *, tenant_id: str, name: str) -> StoredSchedule | None:
        query = select(Schedule).where(Schedule.tenant_id == tenant_id, Schedule.name == name)
        row = self._session.scalars(query).one_or_none()
        return _schedule(row) if row is not None else None

    def list(
        self, *, tenant_id: str, limit: int, after: str | None = None
    ) -> Sequence[StoredSchedule]:
        query = select(Schedule).where(Schedule.tenant_id == tenant_id)
        page = keyset_page(query, Schedule.id, limit=limit, after=after)
        return [_schedule(row) for row in self._session.scalars(page)]

    def all(self, *, tenant_id: str) -> Sequence[StoredSchedule]:
        query = select(Schedule).where(Schedule.tenant_id == tenant_id).order_by(Schedule.id)
        return [_schedule(row) for row in self._session.scalars(query)]

    def in_use(self, *, tenant_id: str, schedule_id: str) -> bool:
        """Whether an access level or an access point's scheduled unlock uses it."""
        level = select(AccessLevel.id).where(
            AccessLevel.tenant_id == tenant_id, AccessLevel.schedule_id == schedule_id
        )
        point = select(AccessPoint.id).where(
            AccessPoint.tenant_id == tenant_id, AccessPoint.unlock_schedule_id == schedule_id
        )
        return any(
            self._session.scalars(query.limit(1)).first() is not None for query in (level, point)
        )

    def delete(self, *, tenant_id: str, schedule_id: str) -> None:
        self._session.execute(
            delete(Schedule).where(Schedule.tenant_id == tenant_id, Schedule.id == schedule_id)
        )

    # -- holidays -----------------------------------------------------------------------

    def add_holiday(self, holiday: StoredHoliday) -> None:
        self._session.add(
            SiteHoliday(
                tenant_id=holiday.tenant_id,
                id=holiday.id,
                site_id=holiday.site_id,
                date=holiday.date,
                name=holiday.name,
                created_at=holiday.created_at,
            )
        )
        self._session.flush()

    def get_holiday(self, *, tenant_id: str, holiday_id: str) -> StoredHoliday | None:
        row = self._session.get(SiteHoliday, (tenant_id, holiday_id))
        return _holiday(row) if row is not None else None

    def holiday_on(self, *, tenant_id: str, site_id: str, day: date) -> StoredHoliday | None:
        query = select(SiteHoliday).where(
            SiteHoliday.tenant_id == tenant_id,
            SiteHoliday.site_id == site_id,
            SiteHoliday.date == day,
        )
        row = self._session.scalars(query).one_or_none()
        return _holiday(row) if row is not None else None

    def holidays(self, *, tenant_id: str, site_id: str | None = None) -> Sequence[StoredHoliday]:
        """The tenant's holidays (of one site if given), by date."""
        query = select(SiteHoliday).where(SiteHoliday.tenant_id == tenant_id)
        if site_id:
            query = query.where(SiteHoliday.site_id == site_id)
        query = query.order_by(SiteHoliday.date, SiteHoliday.id)
        return [_holiday(row) for row in self._session.scalars(query)]

    def delete_holiday(self, *, tenant_id: str, holiday_id: str) -> None:
        self._session.execute(
            delete(SiteHoliday).where(
                SiteHoliday.tenant_id == tenant_id, SiteHoliday.id == holiday_id
            )
        )
