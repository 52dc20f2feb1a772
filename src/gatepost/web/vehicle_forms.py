"""The vehicle form of the admin UI: its fields, reading them, and the service's refusals.

Views take the fields as typed (:data:`Submitted`) so they can be shown again with any
error. :func:`draft` turns them into a :class:`~gatepost.services.vehicles.VehicleDraft`
or names the fields that cannot be read (an empty plate, a time that is not a time);
the service checks the rest, and :func:`refusal` puts its refusal next to the field in
the form's words. Times are ``datetime-local`` values in the tenant's time zone (the
zone the lists show times in), stored in UTC. :func:`changes` keeps only what an edit
changed, so an unchanged form writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, Form

from gatepost.domain.plates import PlateRegion, normalise_plate
from gatepost.domain.vehicles import AccessList, VehicleView
from gatepost.errors import Conflict, ValidationFailed
from gatepost.services.vehicles import VehicleDraft
from gatepost.web.forms import FormText, sentence
from gatepost.web.i18n import N_, gettext

__all__ = [
    "LISTS",
    "REGION_LABELS",
    "Submitted",
    "blank_form",
    "changes",
    "draft",
    "form_of",
    "refusal",
    "region_label",
    "regions",
]


REGION_LABELS: dict[str, str] = {
    PlateRegion.CN.value: N_("China"),
    PlateRegion.EU.value: N_("Europe"),
    PlateRegion.BR.value: N_("Brazil"),
    PlateRegion.US.value: N_("United States"),
}
LISTS = tuple(access.value for access in AccessList)
_FIELDS = {
    "plate",
    "region",
    "list",
    "valid_from",
    "valid_until",
    "person_id",
    "site_id",
    "description",
}
# The service's refusals, in the form's words (the rest are shown as the service says).
_MESSAGES = {
    "region": N_("Choose a region from the list."),
    "list": N_("Choose allow, deny or watch."),
    "person_id": N_("Choose an owner from the list."),
    "site_id": N_("Choose a site from the list."),
    "valid_until": N_("Valid until must be later than valid from."),
}
_NO_PLATE = N_("Enter the plate number.")
_TAKEN = N_("Another vehicle already has this plate. Search for it and edit that one instead.")
_UNREADABLE_TIME = N_("Enter a date and time, for example 2026-05-01 08:00.")


def region_label(region: str) -> str:
    """The region's name in the request's language (its code when it has none)."""
    label = REGION_LABELS.get(region)
    return gettext(label) if label else region.upper()


def regions() -> dict[str, str]:
    """The grammar regions a plate may be checked against, for the region select."""
    return {region.value: region_label(region.value) for region in PlateRegion}


def blank_form() -> dict[str, str]:
    """The fields of a new vehicle: all empty, on the allow list."""
    return dict.fromkeys(_FIELDS, "") | {"list": AccessList.ALLOW.value}


async def _submitted(
    plate: FormText = "",
    region: FormText = "",
    access: Annotated[str, Form(alias="list")] = "",
    valid_from: FormText = "",
    valid_until: FormText = "",
    person_id: FormText = "",
    site_id: FormText = "",
    description: FormText = "",
) -> dict[str, str]:
    """The form's fields as typed (shown again with any error)."""
    return {
        "plate": plate,
        "region": region,
        "list": access,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "person_id": person_id,
        "site_id": site_id,
        "description": description,
    }


Submitted = Annotated[dict[str, str], Depends(_submitted)]


def _zone(name: str) -> ZoneInfo:
    """The named time zone; UTC for a name this system does not know."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _moment(raw: str, zone: ZoneInfo) -> datetime | None:
    """A UTC time from a ``datetime-local`` value in ``zone`` (or any ISO 8601 text;
    one with an offset is taken as given); None when empty, ValueError when unreadable.
    A wall time that a clock change skips or repeats is read as before the change."""
    text = raw.strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)
    except OverflowError as exc:  # an offset pushing year 1 or 9999 out of range
        raise ValueError(text) from exc


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    """A ``datetime-local`` value in ``zone`` (seconds only where the time has them)."""
    if moment is None:
        return ""
    local = moment.astimezone(zone).replace(tzinfo=None, microsecond=0)
    return local.isoformat(timespec="seconds" if local.second else "minutes")


def draft(form: dict[str, str], zone: str = "UTC") -> tuple[VehicleDraft | None, dict[str, str]]:
    """The draft, or the fields that cannot be read (the service checks the rest);
    times without an offset are read in ``zone`` (the tenant's)."""
    errors: dict[str, str] = {}
    moments: dict[str, datetime | None] = {}
    tz = _zone(zone)
    for field in ("valid_from", "valid_until"):
        try:
            moments[field] = _moment(form[field], tz)
        except ValueError:
            errors[field] = gettext(_UNREADABLE_TIME)
    if not form["plate"].strip():
        errors["plate"] = gettext(_NO_PLATE)
    if errors:
        return None, errors
    proposed = VehicleDraft(
        plate=form["plate"],
        region=form["region"] or None,
        list=form["list"] or AccessList.ALLOW.value,
        person_id=form["person_id"] or None,
        site_id=form["site_id"] or None,
        valid_from=moments["valid_from"],
        valid_until=moments["valid_until"],
        description=form["description"],
    )
    return proposed, {}


def refusal(exc: ValidationFailed | Conflict, region: str | None) -> dict[str, str]:
    """The service's refusal next to its field, in the form's words."""
    if isinstance(exc, Conflict):
        return {"plate": gettext(_TAKEN)}
    field = exc.field if exc.field in _FIELDS else "_form"
    if field == "plate":
        labels = regions()
        if region in labels:
            return {
                "plate": gettext(
                    "This matches no plate format of the region %(region)s: "
                    "check the characters, or choose another region."
                )
                % {"region": labels[region]}
            }
        known = ", ".join(labels.values())
        return {
            "plate": gettext("This matches no plate format gatepost knows (%(regions)s).")
            % {"regions": known}
        }
    message = _MESSAGES.get(field)
    return {field: gettext(message) if message else sentence(exc)}


def _same_moment(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.replace(microsecond=0) == b.replace(microsecond=0)


def changes(current: VehicleView, proposed: VehicleDraft) -> dict[str, object]:
    """Only what the form changed, for ``VehicleService.update`` (its audit entry names
    these fields). A changed plate takes its region along: the service would otherwise
    check the new plate against every region."""
    changed: dict[str, object] = {}
    plate = normalise_plate(proposed.plate)
    if plate != current.plate or proposed.region not in (None, current.region):
        changed |= {"plate": proposed.plate, "region": proposed.region}
    for field in ("list", "person_id", "site_id"):
        if getattr(proposed, field) != getattr(current, field):
            changed[field] = getattr(proposed, field)
    for field in ("valid_from", "valid_until"):
        if not _same_moment(getattr(proposed, field), getattr(current, field)):
            changed[field] = getattr(proposed, field)
    if (proposed.description or "").strip() != (current.description or ""):
        changed["description"] = proposed.description
    return changed


def form_of(vehicle: VehicleView, zone: str = "UTC") -> dict[str, str]:
    """The fields of a stored vehicle, for its edit form (times in ``zone``)."""
    tz = _zone(zone)
    return {
        "plate": vehicle.plate,
        "region": vehicle.region,
        "list": vehicle.list,
        "valid_from": _local(vehicle.valid_from, tz),
        "valid_until": _local(vehicle.valid_until, tz),
        "person_id": vehicle.person_id or "",
        "site_id": vehicle.site_id or "",
        "description": vehicle.description or "",
    }
