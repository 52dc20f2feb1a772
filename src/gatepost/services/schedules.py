"""ScheduleService: weekly schedules (ZKBio's "time zones") and site holidays.

A schedule is validated by the domain (``domain.schedules``): an unknown weekday, a
malformed, inverted or overlapping interval is refused naming the field
(``intervals.mon.1``, ``holiday_intervals.0``). Holidays belong to a site's calendar, one
per local date. Every change bumps the tenant's rules version (``access_rules``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from gatepost.domain.ports import Clock
from gatepost.domain.schedules import Weekday, WeeklySchedule
from gatepost.errors import Conflict, NotFound
from gatepost.security.policy import Principal
from gatepost.services.access_rules import checked_name, rule_change, rules_changed
from gatepost.services.pages import Page, page_by_id
from gatepost.services.sites import site_in_tenant
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id
from gatepost.store.repositories.schedules import StoredHoliday, StoredSchedule

__all__ = ["ScheduleDraft", "ScheduleService"]


@dataclass(frozen=True)
class ScheduleDraft:
    """``intervals`` maps weekdays (``mon`` ... ``sun``) to ``"HH:MM-HH:MM"`` strings;
    absent days are closed. ``holiday_intervals`` apply on a site holiday."""

    name: str
    intervals: Mapping[str, Sequence[str]]
    holiday_intervals: Sequence[str] = ()


def _schedule(uow: UnitOfWork, principal: Principal, schedule_id: str) -> StoredSchedule:
    stored = uow.schedules.get(tenant_id=principal.tenant_id, schedule_id=schedule_id)
    if stored is None:
        raise NotFound("schedule")
    return stored


class ScheduleService:
    def __init__(self, *, tx: Transactions, clock: Clock) -> None:
        self._tx = tx
        self._clock = clock

    @staticmethod
    def _parsed(schedule_id: str, draft: ScheduleDraft) -> WeeklySchedule:
        return WeeklySchedule.from_mapping(
            schedule_id,
            draft.intervals,
            holiday=draft.holiday_intervals,
            name=checked_name(draft.name),
        )

    @staticmethod
    def _unique(uow: UnitOfWork, principal: Principal, schedule: WeeklySchedule) -> None:
        clash = uow.schedules.by_name(tenant_id=principal.tenant_id, name=schedule.name)
        if clash is not None and clash.id != schedule.id:
            raise Conflict("another schedule has this name")

    def create(self, principal: Principal, draft: ScheduleDraft) -> StoredSchedule:
        schedule = self._parsed(new_id(), draft)
        now = self._clock.now()
        with self._tx.write() as uow:
            self._unique(uow, principal, schedule)
            stored = StoredSchedule(principal.tenant_id, schedule, now, now)
            uow.schedules.save(stored)
            target = f"schedule:{schedule.id}"
            rules_changed(uow, principal, rule_change(principal, "schedule.created", target))
            return stored

    def get(self, principal: Principal, schedule_id: str) -> StoredSchedule:
        with self._tx.read() as uow:
            return _schedule(uow, principal, schedule_id)

    def list(self, principal: Principal, *, limit: int, after: str | None) -> Page[StoredSchedule]:
        with self._tx.read() as uow:
            rows = uow.schedules.list(tenant_id=principal.tenant_id, limit=limit + 1, after=after)
        return page_by_id(rows, limit)

    def update(
        self,
        principal: Principal,
        schedule_id: str,
        *,
        name: str | None = None,
        intervals: Mapping[str, Sequence[str]] | None = None,
        holiday_intervals: Sequence[str] | None = None,
    ) -> StoredSchedule:
        """Rename the schedule or replace its week or holiday intervals (None: kept)."""
        with self._tx.write() as uow:
            stored = _schedule(uow, principal, schedule_id)
            current = stored.schedule
            week = {day.value: [str(i) for i in current.intervals_on(day)] for day in Weekday}
            draft = ScheduleDraft(
                name=name if name is not None else current.name,
                intervals=intervals if intervals is not None else week,
                holiday_intervals=(
                    holiday_intervals
                    if holiday_intervals is not None
                    else [str(i) for i in current.holiday]
                ),
            )
            schedule = self._parsed(schedule_id, draft)
            self._unique(uow, principal, schedule)
            updated = StoredSchedule(
                stored.tenant_id, schedule, stored.created_at, self._clock.now()
            )
            uow.schedules.save(updated)
            target = f"schedule:{schedule_id}"
            rules_changed(uow, principal, rule_change(principal, "schedule.updated", target))
            return updated

    def delete(self, principal: Principal, schedule_id: str) -> None:
        with self._tx.write() as uow:
            stored = _schedule(uow, principal, schedule_id)
            if uow.schedules.in_use(tenant_id=stored.tenant_id, schedule_id=stored.id):
                raise Conflict("access levels or access points still use this schedule")
            uow.schedules.delete(tenant_id=stored.tenant_id, schedule_id=stored.id)
            target = f"schedule:{schedule_id}"
            rules_changed(uow, principal, rule_change(principal, "schedule.deleted", target))

    # -- holidays -----------------------------------------------------------------------

    def add_holiday(
        self, principal: Principal, site_id: str, *, day: date, name: str
    ) -> StoredHoliday:
        with self._tx.write() as uow:
            site = site_in_tenant(uow, principal, site_id)
            if uow.schedules.holiday_on(tenant_id=site.tenant_id, site_id=site.id, day=day):
                raise Conflict("this site already has a holiday on this date")
            holiday = StoredHoliday(
                tenant_id=site.tenant_id,
                id=new_id(),
                site_id=site.id,
                date=day,
                name=checked_name(name),
                created_at=self._clock.now(),
            )
            uow.schedules.add_holiday(holiday)
            target = f"site:{site.id}"
            rules_changed(uow, principal, rule_change(principal, "holiday.added", target))
            return holiday

    def import_holidays(
        self, principal: Principal, site_id: str, days: Sequence[tuple[date, str]]
    ) -> Sequence[StoredHoliday]:
        """Add the ``(date, name)`` holidays the site does not have yet, all in one unit
        of work (one audit entry, one rules change); returns those added. A bad name
        refuses the whole import."""
        with self._tx.write() as uow:
            site = site_in_tenant(uow, principal, site_id)
            kept = {
                h.date for h in uow.schedules.holidays(tenant_id=site.tenant_id, site_id=site.id)
            }
            now = self._clock.now()
            added: list[StoredHoliday] = []
            for day, name in days:
                if day in kept:
                    continue
                kept.add(day)
                holiday = StoredHoliday(
                    tenant_id=site.tenant_id,
                    id=new_id(),
                    site_id=site.id,
                    date=day,
                    name=checked_name(name),
                    created_at=now,
                )
                uow.schedules.add_holiday(holiday)
                added.append(holiday)
            if added:
                target = f"site:{site.id}"
                rules_changed(uow, principal, rule_change(principal, "holiday.imported", target))
            return added

    def holidays(self, principal: Principal, site_id: str) -> Sequence[StoredHoliday]:
        with self._tx.read() as uow:
            site = site_in_tenant(uow, principal, site_id)
            return uow.schedules.holidays(tenant_id=site.tenant_id, site_id=site.id)

    def delete_holiday(self, principal: Principal, site_id: str, holiday_id: str) -> None:
        with self._tx.write() as uow:
            holiday = uow.schedules.get_holiday(
                tenant_id=principal.tenant_id, holiday_id=holiday_id
            )
            if holiday is None or holiday.site_id != site_id:
                raise NotFound("holiday")  # one answer whichever id names nothing
            uow.schedules.delete_holiday(tenant_id=principal.tenant_id, holiday_id=holiday.id)
            target = f"site:{site_id}"
            rules_changed(uow, principal, rule_change(principal, "holiday.deleted", target))
