"""VehicleService: a tenant's known vehicles, on an allow, a deny or a watch list.

Plates are normalised (``gatepost.domain.plates``) and must match one of the default
grammars of the given region (any region when none is given); the grammar's region is
stored. The plate text and the description are sealed with the tenant's data key, bound
to (tenant, table, column, row); exact lookup goes through a blind index of the
normalised plate, which is unique per tenant (SECURITY.md 6-8). Plates are not masked:
authorised readers see them in clear.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import MappingProxyType

from gatepost.domain.plates import DEFAULT_GRAMMARS, PlateRegion, match_grammar, normalise_plate
from gatepost.domain.ports import Clock
from gatepost.domain.vehicles import AccessList, VehicleView
from gatepost.errors import Conflict, KeyShredded, NotFound, ValidationFailed
from gatepost.security.crypto import TenantKeys
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord
from gatepost.services.caches import VersionedCache
from gatepost.services.pages import Page, page_by_id
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id
from gatepost.store.repositories.vehicles import StoredVehicle

__all__ = [
    "PLATE_INDEX_PURPOSE",
    "KnownVehicles",
    "VehicleDraft",
    "VehicleService",
    "plate_of",
]

PLATE_INDEX_PURPOSE = "plate"
_TABLE = "vehicles"

KnownVehicles = Mapping[str, VehicleView]
"""Every known vehicle of a tenant by its (normalised) plate; read-only."""


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


def plate_of(raw: str, region: str | None) -> tuple[str, PlateRegion]:
    """The normalised plate and its grammar's region, or ValidationFailed (``plate``)."""
    text = normalise_plate(raw)
    grammars = DEFAULT_GRAMMARS
    if region is not None:
        try:
            wanted = PlateRegion(region)
        except ValueError as exc:
            allowed = ", ".join(r.value for r in PlateRegion)
            raise ValidationFailed(
                "region must be one of: %(allowed)s", field="region", params={"allowed": allowed}
            ) from exc
        grammars = tuple(g for g in DEFAULT_GRAMMARS if g.region is wanted)
    grammar = match_grammar(text, grammars) if 1 <= len(text) <= 16 else None
    if grammar is None:
        if region is None:
            raise ValidationFailed(
                "the plate matches no plate format of any known region", field="plate"
            )
        raise ValidationFailed(
            "the plate matches no plate format of region %(region)s",
            field="plate",
            params={"region": region},
        )
    return text, grammar.region


class VehicleService:
    def __init__(self, *, tx: Transactions, clock: Clock) -> None:
        self._tx = tx
        self._clock = clock
        self._known: VersionedCache[KnownVehicles] = VersionedCache()

    # -- sealing ----------------------------------------------------------------

    @staticmethod
    def _view(keys: TenantKeys, vehicle: StoredVehicle) -> VehicleView:
        def opened(column: str, value: bytes | None) -> str | None:
            if value is None:
                return None
            return keys.open_text(value, table=_TABLE, column=column, row_id=vehicle.id)

        return VehicleView(
            id=vehicle.id,
            plate=opened("plate", vehicle.plate_sealed) or "",
            region=vehicle.region,
            list=vehicle.list,
            person_id=vehicle.person_id,
            site_id=vehicle.site_id,
            valid_from=vehicle.valid_from,
            valid_until=vehicle.valid_until,
            description=opened("description", vehicle.description_sealed),
            created_at=vehicle.created_at,
            updated_at=vehicle.updated_at,
        )

    @staticmethod
    def _stored(
        uow: UnitOfWork,
        keys: TenantKeys,
        *,
        tenant_id: str,
        vehicle_id: str,
        created_at: datetime,
        updated_at: datetime,
        draft: VehicleDraft,
    ) -> StoredVehicle:
        """The record ``draft`` describes, checked (fields, references, plate clash)."""
        plate, region = plate_of(draft.plate, draft.region)
        try:
            access_list = AccessList(draft.list)
        except ValueError as exc:
            allowed = ", ".join(access.value for access in AccessList)
            raise ValidationFailed(
                "list must be one of: %(allowed)s", field="list", params={"allowed": allowed}
            ) from exc
        if (
            draft.site_id is not None
            and uow.sites.get(tenant_id=tenant_id, site_id=draft.site_id) is None
        ):
            raise ValidationFailed("no such site", field="site_id")
        if draft.person_id is not None and not uow.persons.exists(
            tenant_id=tenant_id, person_id=draft.person_id
        ):
            raise ValidationFailed("no such person", field="person_id")
        valid_from = _utc(draft.valid_from, "valid_from")
        valid_until = _utc(draft.valid_until, "valid_until")
        if valid_from is not None and valid_until is not None and valid_until <= valid_from:
            raise ValidationFailed("valid_until must be after valid_from", field="valid_until")
        description = (draft.description or "").strip()
        if len(description) > 500:
            raise ValidationFailed(
                "description must have at most 500 characters", field="description"
            )
        index = keys.blind_index(plate, purpose=PLATE_INDEX_PURPOSE)
        clash = uow.vehicles.by_plate_index(tenant_id=tenant_id, index=index)
        if clash is not None and clash.id != vehicle_id:
            raise Conflict("another vehicle has this plate")
        return StoredVehicle(
            tenant_id=tenant_id,
            id=vehicle_id,
            plate_sealed=keys.seal_text(plate, table=_TABLE, column="plate", row_id=vehicle_id),
            plate_index=index,
            region=region.value,
            list=access_list,
            person_id=draft.person_id,
            site_id=draft.site_id,
            valid_from=valid_from,
            valid_until=valid_until,
            description_sealed=keys.seal_text(
                description, table=_TABLE, column="description", row_id=vehicle_id
            )
            if description
            else None,
            created_at=created_at,
            updated_at=updated_at,
        )

    @staticmethod
    def _changed(uow: UnitOfWork, principal: Principal, record: AuditRecord) -> None:
        """Every change: audited, and the tenant's known-vehicle version bumped."""
        uow.vehicles.bump_version(tenant_id=principal.tenant_id)
        uow.audit(principal.tenant_id, record)

    # -- use cases --------------------------------------------------------------

    def create(self, principal: Principal, draft: VehicleDraft) -> VehicleView:
        now = self._clock.now()
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            keys = uow.keys(tenant_id)
            vehicle = self._stored(
                uow,
                keys,
                tenant_id=tenant_id,
                vehicle_id=new_id(),
                created_at=now,
                updated_at=now,
                draft=draft,
            )
            uow.vehicles.save(vehicle)
            self._changed(
                uow,
                principal,
                AuditRecord(
                    actor=principal.actor,
                    action="vehicle.created",
                    target=f"vehicle:{vehicle.id}",
                    details={"list": vehicle.list.value},
                ),
            )
            return self._view(keys, vehicle)

    def get(self, principal: Principal, vehicle_id: str) -> VehicleView:
        with self._tx.read() as uow:
            vehicle = _vehicle(uow, principal, vehicle_id)
            return self._view(uow.keys(principal.tenant_id), vehicle)

    def update(
        self, principal: Principal, vehicle_id: str, changes: dict[str, object]
    ) -> VehicleView:
        """Apply a partial update; ``changes`` holds only the fields the client sent."""
        now = self._clock.now()
        with self._tx.write() as uow:
            stored = _vehicle(uow, principal, vehicle_id)
            keys = uow.keys(principal.tenant_id)
            current = self._view(keys, stored)
            draft = VehicleDraft(
                plate=current.plate,
                region=current.region,
                list=current.list.value,
                person_id=current.person_id,
                site_id=current.site_id,
                valid_from=current.valid_from,
                valid_until=current.valid_until,
                description=current.description,
            )
            if "plate" in changes and "region" not in changes:
                draft = replace(draft, region=None)
            draft = replace(draft, **changes)  # type: ignore[arg-type]
            vehicle = self._stored(
                uow,
                keys,
                tenant_id=stored.tenant_id,
                vehicle_id=stored.id,
                created_at=stored.created_at,
                updated_at=now,
                draft=draft,
            )
            uow.vehicles.save(vehicle)
            self._changed(
                uow,
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
        access_list: AccessList | None = None,
    ) -> Page[VehicleView]:
        """Keyset pages; ``plate`` finds the exact (normalised) plate through its index."""
        with self._tx.read() as uow:
            keys = uow.keys(principal.tenant_id)
            plate_index = (
                keys.blind_index(normalise_plate(plate), purpose=PLATE_INDEX_PURPOSE)
                if plate
                else None
            )
            rows = uow.vehicles.list(
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
        with self._tx.read() as uow:
            return self.find_in(uow, principal.tenant_id, plate)

    def find_in(self, uow: UnitOfWork, tenant_id: str, plate: str) -> VehicleView | None:
        """:meth:`find` inside the caller's unit of work."""
        keys = uow.keys(tenant_id)
        index = keys.blind_index(normalise_plate(plate), purpose=PLATE_INDEX_PURPOSE)
        row = uow.vehicles.by_plate_index(tenant_id=tenant_id, index=index)
        return self._view(keys, row) if row is not None else None

    def known_in(self, uow: UnitOfWork, tenant_id: str) -> KnownVehicles:
        """Every vehicle of the tenant by plate, opened (for fuzzy matching), inside the
        caller's unit of work. Opened once per version of the tenant's vehicles and
        process (``services.caches``), not once per read."""
        try:
            uow.keys(tenant_id)  # a shredded tenant's plates leave this process too
        except KeyShredded:
            self._known.forget(tenant_id)
            raise
        version = uow.vehicles.version(tenant_id=tenant_id)
        return self._known.get(tenant_id, version, lambda: self._open_all(uow, tenant_id))

    def _open_all(self, uow: UnitOfWork, tenant_id: str) -> KnownVehicles:
        keys = uow.keys(tenant_id)
        views: dict[str, VehicleView] = {}
        after: str | None = None
        while True:
            rows = uow.vehicles.list(tenant_id=tenant_id, limit=1000, after=after)
            for row in rows:
                view = self._view(keys, row)
                views[view.plate] = view
            if len(rows) < 1000:
                return MappingProxyType(views)
            after = rows[-1].id

    @property
    def known_builds(self) -> int:
        """How often this process opened a tenant's plates (the cache's misses)."""
        return self._known.builds

    def delete(self, principal: Principal, vehicle_id: str) -> None:
        with self._tx.write() as uow:
            _vehicle(uow, principal, vehicle_id)
            uow.vehicles.delete(tenant_id=principal.tenant_id, vehicle_id=vehicle_id)
            self._changed(
                uow,
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


def _vehicle(uow: UnitOfWork, principal: Principal, vehicle_id: str) -> StoredVehicle:
    """The vehicle in the caller's tenant, or NotFound (never another tenant's)."""
    vehicle = uow.vehicles.get(tenant_id=principal.tenant_id, vehicle_id=vehicle_id)
    if vehicle is None:
        raise NotFound("vehicle")
    return vehicle
