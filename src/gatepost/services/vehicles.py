"""VehicleService: a tenant's known vehicles, on an allow or a deny list.

Plates are normalised (``gatepost.domain.plates``) and must match one of the default
grammars of the given region (any region when none is given); the grammar's region is
stored. The plate text and the description are sealed with the tenant's data key, bound
to (tenant, table, column, row); exact lookup goes through a blind index of the
normalised plate, which is unique per tenant (SECURITY.md 6-8). Plates are not masked:
authorised readers see them in clear.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from gatepost.domain.plates import DEFAULT_GRAMMARS, PlateRegion, match_grammar, normalise_plate
from gatepost.domain.ports import Clock
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.crypto import TenantKeys
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord, AuditService
from gatepost.services.keys import KeyService
from gatepost.services.pages import Page, page_by_id
from gatepost.store.db import Database
from gatepost.store.ids import new_id
from gatepost.store.repositories import persons as person_repo
from gatepost.store.repositories import sites as site_repo
from gatepost.store.repositories import vehicles as vehicle_repo
from gatepost.store.tables import Vehicle

__all__ = [
    "AccessList",
    "VehicleDraft",
    "VehicleService",
    "VehicleView",
    "plate_of",
    "vehicle_in_tenant",
]

PLATE_INDEX_PURPOSE = "plate"
_TABLE = "vehicles"


class AccessList(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


@dataclass(frozen=True, repr=False)
class VehicleDraft:
    """Fields of a vehicle as given by a client (create or update); ``region`` limits
    the grammars the plate is checked against (None: any)."""

    plate: str
    region: str | None = None
    list: str = AccessList.ALLOW.value
    person_id: str | None = None
    site_id: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    description: str | None = None

    def __repr__(self) -> str:
        return "VehicleDraft(<plate>)"


@dataclass(frozen=True, repr=False)
class VehicleView:
    id: str
    plate: str
    region: str
    list: str
    person_id: str | None
    site_id: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    description: str | None
    created_at: datetime
    updated_at: datetime

    def __repr__(self) -> str:
        return f"VehicleView(id={self.id})"

    def validity_at(self, now: datetime) -> str:
        """``pending`` before ``valid_from``, ``expired`` after ``valid_until``, else
        ``valid``; outside its validity a gate treats the vehicle as unknown."""
        if self.valid_from is not None and now < self.valid_from:
            return "pending"
        if self.valid_until is not None and now > self.valid_until:
            return "expired"
        return "valid"


def plate_of(raw: str, region: str | None) -> tuple[str, PlateRegion]:
    """The normalised plate and its grammar's region, or ValidationFailed (``plate``)."""
    text = normalise_plate(raw)
    grammars = DEFAULT_GRAMMARS
    if region is not None:
        try:
            wanted = PlateRegion(region)
        except ValueError as exc:
            allowed = ", ".join(r.value for r in PlateRegion)
            raise ValidationFailed(f"region must be one of: {allowed}", field="region") from exc
        grammars = tuple(g for g in DEFAULT_GRAMMARS if g.region is wanted)
    grammar = match_grammar(text, grammars) if 1 <= len(text) <= 16 else None
    if grammar is None:
        where = f"of region {region}" if region is not None else "of any known region"
        raise ValidationFailed(f"the plate matches no plate format {where}", field="plate")
    return text, grammar.region


class VehicleService:
    def __init__(
        self, *, db: Database, keys: KeyService, audit: AuditService, clock: Clock
    ) -> None:
        self._db = db
        self._keys = keys
        self._audit = audit
        self._clock = clock

    # -- sealing ----------------------------------------------------------------

    @staticmethod
    def _open(keys: TenantKeys, vehicle: Vehicle, column: str, value: bytes | None) -> str | None:
        if value is None:
            return None
        return keys.open_text(value, table=_TABLE, column=column, row_id=vehicle.id)

    def _view(self, keys: TenantKeys, vehicle: Vehicle) -> VehicleView:
        return VehicleView(
            id=vehicle.id,
            plate=self._open(keys, vehicle, "plate", vehicle.plate_sealed) or "",
            region=vehicle.region,
            list=vehicle.list,
            person_id=vehicle.person_id,
            site_id=vehicle.site_id,
            valid_from=vehicle.valid_from,
            valid_until=vehicle.valid_until,
            description=self._open(keys, vehicle, "description", vehicle.description_sealed),
            created_at=vehicle.created_at,
            updated_at=vehicle.updated_at,
        )

    def _apply(
        self, session: Session, keys: TenantKeys, vehicle: Vehicle, draft: VehicleDraft
    ) -> None:
        plate, region = plate_of(draft.plate, draft.region)
        try:
            vehicle.list = AccessList(draft.list).value
        except ValueError as exc:
            raise ValidationFailed("list must be one of: allow, deny", field="list") from exc
        tenant_id = vehicle.tenant_id
        if (
            draft.site_id is not None
            and site_repo.get_site(session, tenant_id=tenant_id, site_id=draft.site_id) is None
        ):
            raise ValidationFailed("no such site", field="site_id")
        if (
            draft.person_id is not None
            and person_repo.get_person(session, tenant_id=tenant_id, person_id=draft.person_id)
            is None
        ):
            raise ValidationFailed("no such person", field="person_id")
        valid_from = _utc(draft.valid_from, "valid_from")
        valid_until = _utc(draft.valid_until, "valid_until")
        if valid_from is not None and valid_until is not None and valid_until <= valid_from:
            raise ValidationFailed("valid_until must be after valid_from", field="valid_until")
        index = keys.blind_index(plate, purpose=PLATE_INDEX_PURPOSE)
        clash = vehicle_repo.by_plate_index(session, tenant_id=tenant_id, index=index)
        if clash is not None and clash.id != vehicle.id:
            raise Conflict("another vehicle has this plate")
        vehicle.plate_sealed = keys.seal_text(
            plate, table=_TABLE, column="plate", row_id=vehicle.id
        )
        vehicle.plate_index = index
        vehicle.region = region.value
        vehicle.person_id = draft.person_id
        vehicle.site_id = draft.site_id
        vehicle.valid_from = valid_from
        vehicle.valid_until = valid_until
        description = (draft.description or "").strip()
        if len(description) > 500:
            raise ValidationFailed(
                "description must have at most 500 characters", field="description"
            )
        vehicle.description_sealed = (
            keys.seal_text(description, table=_TABLE, column="description", row_id=vehicle.id)
            if description
            else None
        )

    def _record(self, session: Session, principal: Principal, record: AuditRecord) -> None:
        self._audit.record(session, tenant_id=principal.tenant_id, record=record)

    # -- use cases --------------------------------------------------------------

    def create(self, principal: Principal, draft: VehicleDraft) -> VehicleView:
        now = self._clock.now()
        with self._db.session() as session:
            keys = self._keys.keys_for(session, tenant_id=principal.tenant_id)
            vehicle = Vehicle(
                tenant_id=principal.tenant_id, id=new_id(), created_at=now, updated_at=now
            )
            self._apply(session, keys, vehicle, draft)
            vehicle_repo.add_vehicle(session, vehicle)
            self._record(
                session,
                principal,
                AuditRecord(
                    actor=principal.actor,
                    action="vehicle.created",
                    target=f"vehicle:{vehicle.id}",
                    details={"list": vehicle.list},
                ),
            )
            return self._view(keys, vehicle)

    def get(self, principal: Principal, vehicle_id: str) -> VehicleView:
        with self._db.session() as session:
            vehicle = vehicle_in_tenant(session, principal, vehicle_id)
            keys = self._keys.keys_for(session, tenant_id=principal.tenant_id)
            return self._view(keys, vehicle)

    def update(
        self, principal: Principal, vehicle_id: str, changes: dict[str, object]
    ) -> VehicleView:
        """Apply a partial update; ``changes`` holds only the fields the client sent."""
        now = self._clock.now()
        with self._db.session() as session:
            vehicle = vehicle_in_tenant(session, principal, vehicle_id)
            keys = self._keys.keys_for(session, tenant_id=principal.tenant_id)
            current = self._view(keys, vehicle)
            draft = VehicleDraft(
                plate=current.plate,
                region=current.region,
                list=current.list,
                person_id=current.person_id,
                site_id=current.site_id,
                valid_from=current.valid_from,
                valid_until=current.valid_until,
                description=current.description,
            )
            if "plate" in changes and "region" not in changes:
                draft = replace(draft, region=None)
            draft = replace(draft, **changes)  # type: ignore[arg-type]
            self._apply(session, keys, vehicle, draft)
            vehicle.updated_at = now
            self._record(
                session,
                principal,
                AuditRecord(
                    actor=principal.actor,
                    action="vehicle.updated",
                    target=f"vehicle:{vehicle.id}",
                    details={"fields": ",".join(sorted(changes))},
                ),
            )
            return self._view(keys, vehicle)

    def list(
        self,
        principal: Principal,
        *,
        limit: int,
        after: str | None,
        plate: str | None = None,
        site_id: str | None = None,
        person_id: str | None = None,
        access_list: str | None = None,
    ) -> Page[VehicleView]:
        """Keyset pages; ``plate`` finds the exact (normalised) plate through its index."""
        with self._db.session() as session:
            keys = self._keys.keys_for(session, tenant_id=principal.tenant_id)
            plate_index = (
                keys.blind_index(normalise_plate(plate), purpose=PLATE_INDEX_PURPOSE)
                if plate
                else None
            )
            rows = vehicle_repo.list_vehicles(
                session,
                tenant_id=principal.tenant_id,
                limit=limit + 1,
                after=after,
                site_id=site_id,
                person_id=person_id,
                plate_index=plate_index,
                access_list=access_list,
            )
            return page_by_id(rows, limit, lambda row: self._view(keys, row))

    def find(self, principal: Principal, plate: str) -> VehicleView | None:
        """The vehicle with exactly this (normalised) plate, through the blind index."""
        with self._db.reading() as session:
            keys = self._keys.keys_for(session, tenant_id=principal.tenant_id)
            index = keys.blind_index(normalise_plate(plate), purpose=PLATE_INDEX_PURPOSE)
            row = vehicle_repo.by_plate_index(session, tenant_id=principal.tenant_id, index=index)
            return self._view(keys, row) if row is not None else None

    def known(self, principal: Principal) -> tuple[VehicleView, ...]:
        """Every vehicle of the tenant with its plate opened (for fuzzy matching)."""
        views: tuple[VehicleView, ...] = ()
        after: str | None = None
        with self._db.reading() as session:
            keys = self._keys.keys_for(session, tenant_id=principal.tenant_id)
            while True:
                rows = vehicle_repo.list_vehicles(
                    session, tenant_id=principal.tenant_id, limit=1000, after=after
                )
                views += tuple(self._view(keys, row) for row in rows)
                if len(rows) < 1000:
                    return views
                after = rows[-1].id

    def delete(self, principal: Principal, vehicle_id: str) -> None:
        with self._db.session() as session:
            vehicle_in_tenant(session, principal, vehicle_id)
            vehicle_repo.delete_vehicle(
                session, tenant_id=principal.tenant_id, vehicle_id=vehicle_id
            )
            self._record(
                session,
                principal,
                AuditRecord(
                    actor=principal.actor,
                    action="vehicle.deleted",
                    target=f"vehicle:{vehicle_id}",
                ),
            )


def _utc(moment: datetime | None, field: str) -> datetime | None:
    """``moment`` in UTC; a time without a time zone is refused (checked before any
    comparison, which would fail on it)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValidationFailed("times need a time zone", field=field)
    return moment.astimezone(UTC)


def vehicle_in_tenant(session: Session, principal: Principal, vehicle_id: str) -> Vehicle:
    """The vehicle in the caller's tenant, or NotFound (never another tenant's)."""
    vehicle = vehicle_repo.get_vehicle(
        session, tenant_id=principal.tenant_id, vehicle_id=vehicle_id
    )
    if vehicle is None:
        raise NotFound("vehicle")
    return vehicle
