"""PresenceService: who is on a site now, zone by zone (the muster list).

The arrival pipeline places a person in the zone a granted passage leads into, and
takes them off the site when a passage leads out of every zone; this service reads
those placements. In an evacuation the list is what a guard calls out at the assembly
point, so it names people (opened from their sealed names) and is for the roles that
may read it (``tenant:presence:read``); reading it is audited, as a reveal is.

A muster screen reads the list every few seconds, so the audit keeps who read which
site's list, not every refresh: ``presence.mustered`` is written for a reader (the
principal's actor) and site at most once per ``audit_window``. A reading within the
window of that reader's last entry for the site writes nothing new; the first one after
it writes the next. Entries are only fewer: the chain itself is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gatepost.domain.ports import Clock
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord
from gatepost.services.persons import names_in
from gatepost.services.sites import site_in_tenant
from gatepost.services.uow import Transactions, UnitOfWork

__all__ = ["MUSTERED", "MusterEntry", "MusterList", "MusterZone", "PresenceService"]


@dataclass(frozen=True, repr=False)
class MusterEntry:
    person_id: str
    name: str
    since: datetime
    access_point_id: str

    def __repr__(self) -> str:
        return f"MusterEntry(person_id={self.person_id})"


@dataclass(frozen=True)
class MusterZone:
    zone_id: str
    name: str
    people: tuple[MusterEntry, ...]


@dataclass(frozen=True)
class MusterList:
    site_id: str
    site_name: str
    at: datetime
    zones: tuple[MusterZone, ...] = field(default_factory=tuple)

    @property
    def count(self) -> int:
        return sum(len(zone.people) for zone in self.zones)


MUSTERED = "presence.mustered"
"""The audit action of a muster-list reading."""


class PresenceService:
    def __init__(self, *, tx: Transactions, clock: Clock, audit_window: timedelta) -> None:
        """``audit_window``: how long a reader's ``presence.mustered`` entry for a site
        stands for their further readings of it (zero: every reading is audited)."""
        self._tx = tx
        self._clock = clock
        self._audit_window = audit_window

    def muster(self, principal: Principal, site_id: str) -> MusterList:
        """Everyone the platform places on the site now, by zone (zones in name order,
        people by arrival); audited as ``presence.mustered``, once per audit window for
        this reader and site (see the module doc)."""
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            site = site_in_tenant(uow, principal, site_id)
            placements = uow.presence.on_site(tenant_id=tenant_id, site_id=site.id)
            names = names_in(uow, tenant_id, [p.person_id for p in placements])
            zones = {
                zone.id: zone.name
                for zone in uow.access_rules.all_zones(tenant_id=tenant_id, site_id=site.id)
            }
            record = AuditRecord(
                actor=principal.actor,
                action=MUSTERED,
                target=f"site:{site.id}",
                details={"people": str(len(placements))},
            )
            if not self._audited_lately(uow, tenant_id, record):
                uow.audit(tenant_id, record)
        by_zone: dict[str, list[MusterEntry]] = {}
        for placed in placements:
            by_zone.setdefault(placed.zone_id, []).append(
                MusterEntry(
                    placed.person_id,
                    names.get(placed.person_id, ""),
                    placed.since,
                    placed.access_point_id,
                )
            )
        listed = tuple(
            MusterZone(zone_id, zones.get(zone_id, ""), tuple(people))
            for zone_id, people in sorted(by_zone.items(), key=lambda z: zones.get(z[0], ""))
        )
        return MusterList(site.id, site.name, self._clock.now(), listed)

    def _audited_lately(self, uow: UnitOfWork, tenant_id: str, record: AuditRecord) -> bool:
        """Whether the reader's last entry of this reading (same action and target) is
        less than the audit window old."""
        if self._audit_window <= timedelta(0):
            return False
        now = self._clock.now()
        last = uow.audit_log.latest(
            tenant_id=tenant_id,
            actor=record.actor,
            action=record.action,
            target=record.target,
            since=now - self._audit_window,
        )
        return last is not None and now - last.at < self._audit_window
