"""AccessLevelService: access levels (access points x a schedule), the levels persons
hold (each within an optional validity window), and persons' access flags (block list,
watch list, first-in privilege, validity).

Every change bumps the tenant's rules version (``access_rules``). For the arrival
pipeline, :meth:`AccessLevelService.person_access_in` loads what the decision needs of
one person in the caller's unit of work: their facts and the levels they hold then.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from gatepost.domain.access_points import PersonFacts
from gatepost.domain.ports import Clock
from gatepost.domain.rule_sets import LevelAssignment, PersonAccess, RuleSet
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.policy import Principal
from gatepost.services.access_rules import (
    AccessRuleService,
    checked_name,
    rule_change,
    rules_changed,
    validity_of,
)
from gatepost.services.pages import Page, page_by_id
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id
from gatepost.store.repositories.access_levels import StoredAccessLevel

__all__ = ["AccessLevelDraft", "AccessLevelService", "PersonFlags"]

MAX_POINTS_PER_LEVEL = 1000
_HELD = "person access level"


@dataclass(frozen=True)
class AccessLevelDraft:
    name: str
    schedule_id: str
    access_point_ids: Collection[str] = ()


@dataclass(frozen=True)
class PersonFlags:
    """A person's access flags as a client sets them (see ``PersonFacts``)."""

    blocked: bool = False
    watchlisted: bool = False
    first_in_privileged: bool = False
    valid_from: datetime | None = None
    valid_until: datetime | None = None


def _level(uow: UnitOfWork, principal: Principal, level_id: str) -> StoredAccessLevel:
    level = uow.access_levels.get(tenant_id=principal.tenant_id, access_level_id=level_id)
    if level is None:
        raise NotFound("access level")
    return level


def _person(uow: UnitOfWork, principal: Principal, person_id: str) -> PersonFacts:
    facts = uow.access_levels.person_facts(tenant_id=principal.tenant_id, person_id=person_id)
    if facts is None:
        raise NotFound("person")
    return facts


class AccessLevelService:
    def __init__(self, *, tx: Transactions, clock: Clock, rules: AccessRuleService) -> None:
        self._tx = tx
        self._clock = clock
        self._rules = rules

    # -- levels -------------------------------------------------------------------------

    @staticmethod
    def _checked(uow: UnitOfWork, level: StoredAccessLevel) -> StoredAccessLevel:
        tenant_id = level.tenant_id
        level = replace(level, name=checked_name(level.name))
        if uow.schedules.get(tenant_id=tenant_id, schedule_id=level.schedule_id) is None:
            raise ValidationFailed("no such schedule", field="schedule_id")
        wanted = sorted(level.access_point_ids)
        if len(wanted) > MAX_POINTS_PER_LEVEL:
            raise ValidationFailed(
                "a level has at most %(max)s access points",
                params={"max": MAX_POINTS_PER_LEVEL},
                field="access_point_ids",
            )
        found = uow.access_rules.existing_access_point_ids(tenant_id=tenant_id, ids=wanted)
        for point_id in wanted:
            if point_id not in found:
                raise ValidationFailed("no such access point", field="access_point_ids")
        clash = uow.access_levels.by_name(tenant_id=tenant_id, name=level.name)
        if clash is not None and clash.id != level.id:
            raise Conflict("another access level has this name")
        return level

    def create(self, principal: Principal, draft: AccessLevelDraft) -> StoredAccessLevel:
        now = self._clock.now()
        with self._tx.write() as uow:
            level = StoredAccessLevel(
                tenant_id=principal.tenant_id,
                id=new_id(),
                name=draft.name,
                schedule_id=draft.schedule_id,
                access_point_ids=frozenset(draft.access_point_ids),
                created_at=now,
                updated_at=now,
            )
            level = self._checked(uow, level)
            uow.access_levels.save(level)
            target = f"access_level:{level.id}"
            rules_changed(uow, principal, rule_change(principal, "access_level.created", target))
            return level

    def get(self, principal: Principal, access_level_id: str) -> StoredAccessLevel:
        with self._tx.read() as uow:
            return _level(uow, principal, access_level_id)

    def list(
        self,
        principal: Principal,
        *,
        limit: int,
        after: str | None,
        access_point_id: str | None = None,
    ) -> Page[StoredAccessLevel]:
        with self._tx.read() as uow:
            rows = uow.access_levels.list(
                tenant_id=principal.tenant_id,
                limit=limit + 1,
                after=after,
                access_point_id=access_point_id,
            )
        return page_by_id(rows, limit)

    def update(
        self, principal: Principal, access_level_id: str, changes: Mapping[str, object]
    ) -> StoredAccessLevel:
        """Apply a partial update (name, schedule_id, access_point_ids: the full set)."""
        with self._tx.write() as uow:
            level = _level(uow, principal, access_level_id)
            values = dict(changes)
            if "access_point_ids" in values:
                values["access_point_ids"] = frozenset(values["access_point_ids"])  # type: ignore[call-overload]
            changed = replace(level, **values, updated_at=self._clock.now())  # type: ignore[arg-type]
            changed = self._checked(uow, changed)
            uow.access_levels.save(changed)
            target = f"access_level:{level.id}"
            record = rule_change(
                principal, "access_level.updated", target, fields=",".join(sorted(changes))
            )
            rules_changed(uow, principal, record)
            return changed

    def delete(self, principal: Principal, access_level_id: str) -> None:
        """Delete the level; the persons who held it no longer do."""
        with self._tx.write() as uow:
            level = _level(uow, principal, access_level_id)
            held = uow.access_levels.delete(tenant_id=level.tenant_id, access_level_id=level.id)
            target = f"access_level:{level.id}"
            record = rule_change(principal, "access_level.deleted", target, holders=str(held))
            rules_changed(uow, principal, record)

    # -- who holds them -----------------------------------------------------------------

    def assign(
        self,
        principal: Principal,
        person_id: str,
        access_level_id: str,
        *,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
    ) -> LevelAssignment:
        """Give the person the level, or change the window in which they hold it."""
        validity = validity_of(valid_from, valid_until)
        now = self._clock.now()
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            person = uow.access_levels.person_facts(tenant_id=tenant_id, person_id=person_id)
            level = uow.access_levels.get(tenant_id=tenant_id, access_level_id=access_level_id)
            if person is None or level is None:
                raise NotFound(_HELD)  # one answer whichever id names nothing
            assignment = LevelAssignment(person_id, access_level_id, validity)
            uow.access_levels.assign(tenant_id=principal.tenant_id, assignment=assignment, at=now)
            stored = uow.access_levels.get_assignment(
                tenant_id=principal.tenant_id, person_id=person_id, access_level_id=access_level_id
            )
            record = rule_change(
                principal,
                "person.access_level_assigned",
                f"person:{person_id}",
                access_level_id=access_level_id,
            )
            rules_changed(uow, principal, record)
            return stored or assignment

    def holder_counts(self, principal: Principal) -> Mapping[str, int]:
        """How many persons hold each of the tenant's levels (absent: nobody)."""
        with self._tx.read() as uow:
            return uow.access_levels.holder_counts(tenant_id=principal.tenant_id)

    def holders(self, principal: Principal, access_level_id: str, *, limit: int) -> Sequence[str]:
        """The ids of (at most ``limit``) persons who hold the level."""
        with self._tx.read() as uow:
            level = _level(uow, principal, access_level_id)
            return uow.access_levels.holders(
                tenant_id=level.tenant_id, access_level_id=level.id, limit=limit
            )

    def assignments(self, principal: Principal, person_id: str) -> Sequence[LevelAssignment]:
        with self._tx.read() as uow:
            _person(uow, principal, person_id)
            return uow.access_levels.assignments_of(
                tenant_id=principal.tenant_id, person_id=person_id
            )

    def unassign(self, principal: Principal, person_id: str, access_level_id: str) -> None:
        with self._tx.write() as uow:
            held = uow.access_levels.get_assignment(
                tenant_id=principal.tenant_id, person_id=person_id, access_level_id=access_level_id
            )
            if held is None:
                raise NotFound(_HELD)
            uow.access_levels.unassign(
                tenant_id=principal.tenant_id, person_id=person_id, access_level_id=access_level_id
            )
            record = rule_change(
                principal,
                "person.access_level_removed",
                f"person:{person_id}",
                access_level_id=access_level_id,
            )
            rules_changed(uow, principal, record)

    # -- persons' access flags ----------------------------------------------------------

    def person_facts(self, principal: Principal, person_id: str) -> PersonFacts:
        with self._tx.read() as uow:
            return _person(uow, principal, person_id)

    def set_person_flags(
        self, principal: Principal, person_id: str, changes: Mapping[str, object]
    ) -> PersonFacts:
        """Apply a partial update of :class:`PersonFlags` to the person."""
        with self._tx.write() as uow:
            facts = _person(uow, principal, person_id)
            current = PersonFlags(
                blocked=facts.blocked,
                watchlisted=facts.watchlisted,
                first_in_privileged=facts.first_in_privileged,
                valid_from=facts.validity.valid_from,
                valid_until=facts.validity.valid_until,
            )
            flags = replace(current, **changes)  # type: ignore[arg-type]
            changed = replace(
                facts,
                blocked=flags.blocked,
                watchlisted=flags.watchlisted,
                first_in_privileged=flags.first_in_privileged,
                validity=validity_of(flags.valid_from, flags.valid_until),
            )
            uow.access_levels.set_person_flags(tenant_id=principal.tenant_id, facts=changed)
            record = rule_change(
                principal,
                "person.access_flags_changed",
                f"person:{person_id}",
                fields=",".join(sorted(changes)),
                blocked=str(changed.blocked).lower(),
                watchlisted=str(changed.watchlisted).lower(),
            )
            rules_changed(uow, principal, record)
            return changed

    # -- for the arrival pipeline -------------------------------------------------------

    def person_access_in(
        self,
        uow: UnitOfWork,
        tenant_id: str,
        person_id: str,
        at: datetime,
        *,
        rules: RuleSet | None = None,
    ) -> PersonAccess | None:
        """The person's facts and the levels they hold at ``at``, inside the caller's
        unit of work (None: no such person). Two small reads; the levels themselves come
        from the cached rule set (:meth:`AccessRuleService.rules_in`), or ``rules`` when
        the caller has it already."""
        facts = uow.access_levels.person_facts(tenant_id=tenant_id, person_id=person_id)
        if facts is None:
            return None
        assignments = uow.access_levels.assignments_of(tenant_id=tenant_id, person_id=person_id)
        rules = rules or self._rules.rules_in(uow, tenant_id)
        return rules.person_access(facts, assignments, at)
