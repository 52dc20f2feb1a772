"""The stages every arrival shares after recognition: where it happened (the access
point and its site's calendar), whether it repeats one decided a moment ago, the event
that records the decision (with its alerts as records of their own and the
``access.decided`` / ``alert.raised`` notifications, in the same transaction), and the
command sent once that event is durable.

Used by :class:`~gatepost.services.arrivals.ArrivalPipeline` inside its units of work.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gatepost.domain.access_points import AccessPoint
from gatepost.domain.alerts import AlertRecord
from gatepost.domain.arrivals import Arrival, ArrivalKind, RecentFactor, factors_to_remember
from gatepost.domain.decisions import Decision, Outcome
from gatepost.domain.devices import Direction, EventKind
from gatepost.domain.ports import Clock
from gatepost.domain.rule_sets import RuleSet
from gatepost.domain.schedules import SiteCalendar
from gatepost.domain.webhooks import NotificationType
from gatepost.domain.zones import Presence
from gatepost.security.policy import Principal
from gatepost.services.access_rules import AccessRuleService
from gatepost.services.commands import CommandSink, DeviceCommand
from gatepost.services.notifications import Notifications, access_decided_data, alert_data
from gatepost.services.uow import UnitOfWork
from gatepost.store.ids import new_id

__all__ = ["ArrivalSteps", "Where"]

_MARK_PURPOSE = "arrival"


@dataclass(frozen=True)
class Where:
    """The access point an arrival is decided for, and its site's calendar."""

    point: AccessPoint
    calendar: SiteCalendar
    rules: RuleSet


class ArrivalSteps:
    def __init__(
        self,
        *,
        clock: Clock,
        rules: AccessRuleService,
        commands: CommandSink,
        repeat_window: timedelta,
        notifications: Notifications | None = None,
    ) -> None:
        self._clock = clock
        self._rules = rules
        self.commands = commands
        self._repeat_window = repeat_window
        self._notifications = notifications or Notifications(clock=clock, mqtt=False)

    def where(self, uow: UnitOfWork, principal: Principal, *, barrier: bool) -> Where:
        """The device's access point from the tenant's (cached) rules; a device bound to
        none is its own point, with no zone and the default rules (``domain.access``)."""
        rules = self._rules.rules_in(uow, principal.tenant_id)
        point = rules.access_point(principal.access_point_id or "")
        if point is not None:
            calendar = rules.calendar_of(point.id)
        else:
            point = AccessPoint(
                id=principal.id, into_zone=None, direction=Direction.IN, barrier=barrier
            )
            calendar = rules.calendar(principal.site_id or "")
        if calendar is None:  # a site with no rules yet: its time zone, no holidays
            site = uow.sites.get(tenant_id=principal.tenant_id, site_id=principal.site_id or "")
            calendar = SiteCalendar(ZoneInfo(site.timezone if site else "UTC"))
        return Where(point, calendar, rules)

    @staticmethod
    def placement(
        uow: UnitOfWork, tenant_id: str, point: AccessPoint, person_id: str | None
    ) -> tuple[Presence | None, bool]:
        """The person's presence (anti-passback) and whether a first-in privileged person
        is in the zone the point leads into (first person in)."""
        presence = (
            uow.presence.of_person(tenant_id=tenant_id, person_id=person_id)
            if person_id is not None
            else None
        )
        first_in = bool(
            point.first_person_in
            and point.into_zone is not None
            and uow.presence.privileged_present(tenant_id=tenant_id, zone_id=point.into_zone)
        )
        return presence, first_in

    @staticmethod
    def recent_factors(
        uow: UnitOfWork, tenant_id: str, point: AccessPoint, person_id: str | None, at: datetime
    ) -> tuple[RecentFactor, ...]:
        """The factors the person showed at the point within its multi-factor window."""
        if person_id is None:
            return ()
        return uow.recent_factors.of(
            tenant_id=tenant_id,
            access_point_id=point.id,
            person_id=person_id,
            since=at - point.multi_factor_window,
        )

    @staticmethod
    def remember_factors(
        uow: UnitOfWork,
        principal: Principal,
        arrival: Arrival,
        decision: Decision,
        *,
        recent: tuple[RecentFactor, ...],
    ) -> None:
        """Keep this arrival's factors when the decision asks for another one (the second
        step completes them within the window); any other decision uses up the
        ``recent`` ones it was decided with (nothing to do when there were none)."""
        if arrival.person_id is None:
            return
        if decision.outcome is Outcome.SECOND_FACTOR:
            uow.recent_factors.remember(
                tenant_id=principal.tenant_id,
                access_point_id=arrival.access_point_id,
                factors=factors_to_remember(arrival),
            )
        elif recent:
            uow.recent_factors.forget(
                tenant_id=principal.tenant_id,
                access_point_id=arrival.access_point_id,
                person_id=arrival.person_id,
            )

    @staticmethod
    def place(
        uow: UnitOfWork, principal: Principal, decision: Decision, *, point_id: str, event_id: str
    ) -> None:
        """Apply the decision's presence changes (a granted passage into or out of a
        zone) in the transaction that stores its event."""
        for change in decision.presence_changes:
            uow.presence.place(
                tenant_id=principal.tenant_id,
                person_id=change.person_id,
                zone_id=change.to_zone,
                since=change.at,
                access_point_id=point_id,
                event_id=event_id,
            )

    def is_repeat(
        self, uow: UnitOfWork, principal: Principal, subject: str, decision: Decision
    ) -> bool:
        """Whether this device decided the same on the same subject within the repeat
        window (one arrival, however many frames); marks it otherwise. Runs under a lock
        on the device's row, so two frames posted at once cannot both pass, across
        processes too. Marks are keyed hashes, kept for the window only."""
        tenant_id, device_id = principal.tenant_id, principal.id
        now = self._clock.now()
        mark = uow.keys(tenant_id).blind_index(
            f"{subject}|{decision.outcome.value}|{decision.reason.value}", purpose=_MARK_PURPOSE
        )
        uow.devices.lock(tenant_id=tenant_id, device_id=device_id)
        since = now - self._repeat_window
        if self._repeat_window > timedelta(0) and uow.arrival_marks.seen_since(
            tenant_id=tenant_id, device_id=device_id, mark=mark, since=since
        ):
            return True
        uow.arrival_marks.forget_before(tenant_id=tenant_id, device_id=device_id, before=since)
        uow.arrival_marks.set(tenant_id=tenant_id, device_id=device_id, mark=mark, at=now)
        return False

    def add_event(
        self,
        uow: UnitOfWork,
        principal: Principal,
        *,
        event_id: str,
        decision: Decision,
        kind: ArrivalKind,
        data: dict[str, Any],
        idempotency_key: str | None = None,
        occurred_at: datetime | None = None,
    ) -> bool:
        """Store the decision as an access event (codes and ids only, no personal data).
        ``idempotency_key``: the device's own; False when the device's event with that
        key is stored already (a redelivery), True when this one was stored."""
        now = self._clock.now()
        granted = decision.outcome in (Outcome.GRANT, Outcome.ALERT_ONLY)
        person_id = decision.person_id
        if person_id and not uow.persons.exists(tenant_id=principal.tenant_id, person_id=person_id):
            person_id = None  # erased since the facts were read
        key = idempotency_key or f"gp:{event_id}"
        alerts = ",".join(alert.kind.value for alert in decision.alerts)
        stored = uow.events.insert(
            tenant_id=principal.tenant_id,
            site_id=principal.site_id or "",
            device_id=principal.id,
            received_at=now,
            events=[
                {
                    "id": event_id,
                    "kind": (
                        EventKind.ACCESS_GRANTED if granted else EventKind.ACCESS_DENIED
                    ).value,
                    "occurred_at": occurred_at or now,
                    "idempotency_key": key,
                    "person_id": person_id,
                    "snapshot_id": None,
                    "data": {
                        "arrival": kind.value,
                        "outcome": decision.outcome.value,
                        "reasons": ",".join(r.value for r in decision.reasons),
                        **({"alerts": alerts} if alerts else {}),
                        **data,
                    },
                }
            ],
        )
        if key not in stored:
            return False
        self._record_alerts(uow, principal, event_id, decision, person_id)
        self._notifications.enqueue(
            uow,
            principal.tenant_id,
            NotificationType.ACCESS_DECIDED,
            access_decided_data(
                event_id=event_id,
                site_id=principal.site_id or "",
                device_id=principal.id,
                access_point_id=principal.access_point_id or principal.id,
                decision=replace(decision, person_id=person_id),
                arrival=kind.value,
                occurred_at=occurred_at or now,
            ),
        )
        return True

    def _record_alerts(
        self,
        uow: UnitOfWork,
        principal: Principal,
        event_id: str,
        decision: Decision,
        person_id: str | None,
    ) -> None:
        """Store the decision's alerts as records of their own, in the event's
        transaction, and queue ``alert.raised`` for each. ``person_id``: the decision's
        person unless erased since the facts were read."""
        for alert in decision.alerts:
            record = AlertRecord(
                tenant_id=principal.tenant_id,
                id=new_id(),
                site_id=principal.site_id or "",
                access_point_id=alert.access_point_id,
                event_id=event_id,
                kind=alert.kind,
                severity=alert.severity,
                silent=alert.silent,
                person_id=alert.person_id if alert.person_id in (person_id, None) else None,
                vehicle_id=alert.vehicle_id,
                raised_at=alert.at,
                acknowledged_at=None,
                acknowledged_by=None,
                acknowledged_note=None,
            )
            uow.alerts.add(record)
            self._notifications.enqueue(
                uow, principal.tenant_id, NotificationType.ALERT_RAISED, alert_data(record)
            )

    def send(
        self,
        principal: Principal,
        event_id: str,
        decision: Decision,
        *,
        arrival_key: str | None = None,
    ) -> None:
        """Hand the decision's command to the device's transport (after the commit);
        ``arrival_key``: the idempotency key of the arrival it answers, if it had one."""
        command = decision.command
        if command is not None:
            self.commands.send(
                DeviceCommand(
                    principal.tenant_id, principal.id, event_id, command, arrival_key=arrival_key
                )
            )
