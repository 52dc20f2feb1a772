"""Test a gate frame (``/ui/plates/test``): what a gate camera would decide for a photo.

The frame goes through the plate read service, as a gate's ``POST /api/v1/plates/read``
does, and the page shows the decision (allow, deny or unknown), why, and each plate read
with its confidence, colour and region and the known vehicle it matched. Nothing is
stored: the upload is read into memory, decided on and dropped. A refusal (not an image,
too large) is shown where the result would be, never as an error page.

Users only (``tenant:plates:test``, like the face recognition test): the answer names
known vehicles, and gate devices have the API.

With htmx the test answers with its result fragment (``partials/plate_test.html``);
without JavaScript it renders the whole page around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import read_upload
from gatepost.errors import NotFound, ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.plate_arrivals import PlateResultView
from gatepost.web.errors import is_htmx
from gatepost.web.forms import sentence
from gatepost.web.i18n import N_, gettext
from gatepost.web.lookups import site_names
from gatepost.web.recognitions import Frame
from gatepost.web.rendering import can, render
from gatepost.web.vehicle_forms import region_label

__all__ = ["PlateRow", "PlateTest", "plate_test", "router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

_NO_FRAME = N_("Choose a camera frame to test.")
_NO_SITE = N_("Choose a site from the list.")


@dataclass(frozen=True)
class PlateRow:
    """One plate read in the frame and the known vehicle it matched, if any."""

    text: str
    confidence: float
    color: str
    region: str
    vehicle_id: str | None = None
    vehicle_plate: str = ""
    vehicle_list: str = ""
    cost: float = 0.0


@dataclass(frozen=True)
class PlateTest:
    """What ``partials/plate_test.html`` shows: a decision, or why there is none."""

    decision: str = ""
    reason: str = ""
    plates: tuple[PlateRow, ...] = ()
    error: str | None = None


def plate_test(
    container: Container,
    principal: Principal,
    frame: Sequence[UploadFile],
    *,
    site_id: str | None = None,
) -> PlateTest:
    """Read the first chosen file as a gate camera's frame and decide on it, with the
    plate formats of ``site_id``'s cameras (None: every format)."""
    if not frame:
        return PlateTest(error=gettext(_NO_FRAME))
    try:
        data = read_upload(container, frame[0])
        result = container.arrivals.plate_frame(principal, data, site_id=site_id)
    except ValidationFailed as exc:
        return PlateTest(error=sentence(exc))
    except NotFound:
        return PlateTest(error=gettext(_NO_SITE))
    return PlateTest(
        decision=str(result.gate),
        reason=sentence(result.reason),
        plates=tuple(_row(found) for found in result.plates),
    )


def _row(found: PlateResultView) -> PlateRow:
    reading, match = found.reading, found.match
    return PlateRow(
        text=reading.text,
        confidence=reading.confidence,
        color=str(reading.color),
        region=region_label(reading.region) if reading.region else "",
        vehicle_id=match.vehicle.id if match else None,
        vehicle_plate=match.vehicle.plate if match else "",
        vehicle_list=match.vehicle.list if match else "",
        cost=match.cost if match else 0.0,
    )


def _page(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    test: PlateTest | None = None,
    site_id: str = "",
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "active": "vehicles",
        "test": test,
        "sites": site_names(container, principal),
        "site_id": site_id,
        "max_upload_mb": max(1, container.settings.media.max_upload_bytes // (1024 * 1024)),
        "can_see_vehicles": can(principal, Permission.VEHICLES_READ),
    }
    return render(request, "pages/plate_test.html", context, status_code=status_code)


@router.get("/plates/test", dependencies=[require(Permission.PLATES_TEST)])
def plate_test_page(
    request: Request, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    return _page(request, principal, container)


def _test(
    request: Request,
    principal: Principal,
    container: Container,
    frame: Sequence[UploadFile],
    site_id: str,
) -> Response:
    test = plate_test(container, principal, frame, site_id=site_id.strip() or None)
    status = 422 if test.error else 200
    if is_htmx(request):
        context: dict[str, Any] = {
            "test": test,
            "can_see_vehicles": can(principal, Permission.VEHICLES_READ),
        }
        return render(request, "partials/plate_test.html", context, status_code=status)
    return _page(request, principal, container, test=test, site_id=site_id, status_code=status)


@router.post("/plates/test", dependencies=[require(Permission.PLATES_TEST)])
async def test_frame(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    frame: Frame,
    site_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Read a frame the way a gate camera at ``site_id`` reads it; nothing is stored."""
    return await run_in_threadpool(_test, request, principal, container, frame, site_id)
