"""Policies (``/ui/policies``) and Privacy and retention (``/ui/privacy``).

The policies page holds the tenant's settings that are not a site's: the time zone its
dates and times are shown in, and how long plate reads and their frames are kept, with a
link to the face policy (``/ui/faces``). Whoever may read the tenant sees them; whoever
may change its settings changes them (a refusal is shown next to its field, nothing
changed).

The privacy page lists every data class the tenant keeps, generated from the retention
registry (``services.retention.DATA_CLASSES``) and the tenant's current policy: how long
each is kept, and which roles may read it (the roles whose permissions include the one
guarding it). Nothing in it is written per class by hand except the class's words here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.errors import ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.plate_log import MAX_DAYS
from gatepost.services.retention import Retained
from gatepost.services.sites import time_zones
from gatepost.web.forms import FormText, field_errors, whole_number
from gatepost.web.i18n import N_, gettext, ngettext
from gatepost.web.rendering import can, render
from gatepost.web.roles import ROLE_LABELS

__all__ = ["DATA_CLASS_WORDS", "PrivacyRow", "privacy_rows", "router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

READ = [require(Permission.TENANT_READ)]
WRITE = [require(Permission.TENANT_SETTINGS_WRITE)]
_PLATE_FIELDS = ("read_days", "stranger_days", "image_days")
_NOT_DAYS = N_("Enter a whole number of days from 0 to 3650.")

DATA_CLASS_WORDS: dict[str, tuple[str, str]] = {
    "persons": (
        N_("People"),
        N_("Names, kind, site, status and masked identity numbers and phones, sealed."),
    ),
    "identity_numbers": (
        N_("Full identity numbers and phones"),
        N_("Shown in full only when revealed with a reason, which the audit log records."),
    ),
    "enrolment_photos": (
        N_("Enrolment photos"),
        N_("Photos a face was enrolled from, sealed (0: discarded once the template exists)."),
    ),
    "face_templates": (
        N_("Face templates"),
        N_("Sealed and rotated per tenant; deleted when consent is withdrawn."),
    ),
    "face_strangers": (
        N_("Unknown faces"),
        N_("Faces that match nobody are not stored."),
    ),
    "vehicles": (N_("Vehicles"), N_("Known plates with their lists and validity, sealed.")),
    "events": (N_("Events"), N_("Access decisions, door and device events (append-only).")),
    "event_images": (N_("Event images"), N_("Snapshots taken with events, sealed.")),
    "plate_reads_known": (
        N_("Plate reads of known vehicles"),
        N_("The gate log's reads of plates on a list."),
    ),
    "plate_reads_unknown": (
        N_("Plate reads of unknown plates"),
        N_("Reads of plates on no list (0: not stored)."),
    ),
    "plate_frames": (
        N_("Plate frames"),
        N_("The camera frame of a stored read, sealed (0: not kept)."),
    ),
    "presence": (N_("Presence"), N_("Who is inside which zone, for the muster list.")),
    "arrival_marks": (
        N_("Arrival marks"),
        N_("Keyed hashes of what a device last decided on; transient."),
    ),
    "webhook_deliveries": (
        N_("Notification deliveries"),
        N_("The webhook outbox: delivered and failed deliveries."),
    ),
    "audit_log": (N_("Audit log"), N_("Who did what, when and why (append-only, chained).")),
}


@dataclass(frozen=True)
class PrivacyRow:
    """One row of the privacy page, in the request's language."""

    key: str
    name: str
    what: str
    kept: str
    roles: tuple[str, ...]


def _kept(kept: timedelta | None) -> str:
    if kept is None:
        return gettext("Until erased")
    if kept <= timedelta(0):
        return gettext("Not stored")
    if kept < timedelta(days=1):
        hours = max(1, round(kept.total_seconds() / 3600))
        return ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours}
    return ngettext("%(num)d day", "%(num)d days", kept.days) % {"num": kept.days}


def privacy_rows(retained: Sequence[Retained]) -> list[PrivacyRow]:
    """The page's rows: one per data class, in the registry's order."""
    rows = []
    for item in retained:
        name, what = DATA_CLASS_WORDS.get(item.key, (item.key, ""))
        rows.append(
            PrivacyRow(
                key=item.key,
                name=gettext(name),
                what=gettext(what) if what else "",
                kept=_kept(item.kept),
                roles=tuple(gettext(ROLE_LABELS.get(r.value, r.value)) for r in item.roles),
            )
        )
    return rows


@router.get("/privacy", dependencies=READ)
def privacy(request: Request, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    context = {
        "active": "privacy",
        "rows": privacy_rows(container.retention.retained(principal)),
    }
    return render(request, "pages/privacy.html", context)


def _policies(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    plates: Mapping[str, str] | None = None,
    plate_errors: Mapping[str, str] | None = None,
    zone: str | None = None,
    zone_errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    policy = container.plate_log.policy(principal)
    tenant = container.tenants.get(tenant_id=principal.tenant_id)
    context: dict[str, Any] = {
        "active": "policies",
        "plates": dict(
            plates
            or {
                "read_days": str(policy.read_days),
                "stranger_days": str(policy.stranger_days),
                "image_days": str(policy.image_days),
            }
        ),
        "plate_errors": dict(plate_errors or {}),
        "zone": tenant.timezone if zone is None else zone,
        "zone_errors": dict(zone_errors or {}),
        "time_zones": time_zones(),
        "can_write": can(principal, Permission.TENANT_SETTINGS_WRITE),
        "can_faces": can(principal, Permission.PERSONS_READ),
    }
    return render(request, "pages/policies.html", context, status_code=status_code)


@router.get("/policies", dependencies=READ)
def policies(request: Request, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    return _policies(request, principal, container)


def _days(raw: str) -> int | None:
    """A retention field in days (0..MAX_DAYS), or None when it is not one."""
    try:
        days = whole_number(raw, field="days", message=_NOT_DAYS)
    except ValidationFailed:
        return None
    return days if days is not None and 0 <= days <= MAX_DAYS else None


@router.post("/policies/plates", dependencies=WRITE)
def save_plate_policy(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    read_days: FormText = "",
    stranger_days: FormText = "",
    image_days: FormText = "",
) -> Response:
    """Set how long plate reads (known vehicles, unknown plates) and frames are kept."""
    form = {
        "read_days": read_days[:8],
        "stranger_days": stranger_days[:8],
        "image_days": image_days[:8],
    }
    days = {field: _days(form[field]) for field in _PLATE_FIELDS}
    errors = {field: gettext(_NOT_DAYS) for field, value in days.items() if value is None}
    if not errors:
        try:
            container.plate_log.set_policy(
                principal,
                read_days=days["read_days"],
                stranger_days=days["stranger_days"],
                image_days=days["image_days"],
            )
        except ValidationFailed as exc:
            errors = field_errors(exc, known=set(_PLATE_FIELDS))
        else:
            return RedirectResponse("/ui/policies?notice=plate_policy_saved", status_code=303)
    return _policies(
        request, principal, container, plates=form, plate_errors=errors, status_code=422
    )


@router.post("/policies/timezone", dependencies=WRITE)
def save_timezone(
    request: Request, principal: CurrentPrincipal, container: ContainerDep, timezone: FormText = ""
) -> Response:
    """Set the time zone the tenant's dates and times are shown in."""
    try:
        container.tenants.set_timezone(principal, timezone)
    except ValidationFailed as exc:
        errors = field_errors(exc, known={"timezone"})
        return _policies(
            request, principal, container, zone=timezone[:100], zone_errors=errors, status_code=422
        )
    return RedirectResponse("/ui/policies?notice=tenant_timezone_saved", status_code=303)
