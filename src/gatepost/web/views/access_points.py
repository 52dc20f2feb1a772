"""Access points and zones: their state (door mode, bound devices online or not, how
many people are in each zone) and the remote commands Open, Lockdown and Release, each
a small form that requires a reason (``services.remote_commands``).

A command's form posts (htmx-boosted, CSRF-checked) and is answered Post/Redirect/Get:
303 to the page with what was sent in the query (``sent=<action>`` and the ``point`` or
``zone`` id, ``resent=1`` for a resend), so reloading the page shows the result again
instead of sending the command again. The page words the notice from what it reads
(names, devices, door modes), never from text in the query. A refused command (no
reason, nothing to open) gets the page with the reason it was refused and changes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.domain.access_points import DoorMode
from gatepost.errors import Conflict, ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.remote_commands import DoorBoard, RemoteAction, RemoteCommandService
from gatepost.store.ids import is_id
from gatepost.web.forms import FormText, sentence
from gatepost.web.i18n import N_, gettext, ngettext
from gatepost.web.lookups import site_names
from gatepost.web.rendering import Message, can, render

__all__ = ["ONLINE_WITHIN", "router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

ONLINE_WITHIN = timedelta(minutes=5)
"""A device heard from within this long is shown online (devices report at least every
minute or so while idle, as docs/devices.md asks)."""

_OPERATE = [require(Permission.ACCESS_POINTS_OPERATE)]

_VERB = {
    RemoteAction.OPEN: N_("Open"),
    RemoteAction.LOCKDOWN: N_("Lockdown"),
    RemoteAction.RELEASE: N_("Release"),
}
_MODE = {
    DoorMode.NORMALLY_LOCKED: N_("normally locked"),
    DoorMode.SCHEDULED_UNLOCK: N_("scheduled unlock"),
    DoorMode.LOCKED: N_("locked"),
    DoorMode.RELEASED: N_("released"),
    DoorMode.LOCKDOWN: N_("lockdown"),
}


def _devices(count: int) -> str:
    return ngettext("%(n)s device", "%(n)s devices", count) % {"n": count}


def _points(count: int) -> str:
    return ngettext("%(n)s access point", "%(n)s access points", count) % {"n": count}


def _sent(action: RemoteAction, *, site: str, resent: bool = False, **target: str) -> Response:
    """303 to the page, which flashes what was sent (Post/Redirect/Get)."""
    query = {"site": site} if is_id(site) else {}
    query |= {"sent": action.value, **target}
    if resent:
        query["resent"] = "1"
    return RedirectResponse(f"/ui/access-points?{urlencode(query)}", status_code=303)


def _notice(board: DoorBoard, params: Mapping[str, str]) -> Message | None:
    """The flash for a command just sent, worded from the board (the query only says
    which command and where); None when the query names nothing on the board."""
    try:
        verb = gettext(_VERB[RemoteAction(params.get("sent", ""))])
    except ValueError:
        return None
    point_id, zone_id = params.get("point", ""), params.get("zone", "")
    for state in board.points:
        if state.point.id == point_id:
            mode = state.point.door_mode
            shown = gettext(_MODE[mode]) if mode in _MODE else mode.value.replace("_", " ")
            sent = (
                gettext(
                    "%(verb)s sent again (it was in that state already)"
                    " to %(devices)s at %(point)s."
                )
                if params.get("resent")
                else gettext("%(verb)s sent to %(devices)s at %(point)s.")
            )
            where = {
                "verb": verb,
                "devices": _devices(len(state.devices)),
                "point": state.point.name,
            }
            text = sent % where + " " + gettext("Door mode: %(mode)s.") % {"mode": shown}
            return Message("success", text)
    for zone in board.zones:
        if zone.zone.id == zone_id:
            points = [
                p for p in board.points if zone_id in (p.point.into_zone_id, p.point.out_of_zone_id)
            ]
            devices = sum(len(p.devices) for p in points)
            locked = sum(1 for p in points if p.point.door_mode is DoorMode.LOCKDOWN)
            sent = gettext("%(verb)s of %(zone)s sent to %(points)s (%(devices)s).") % {
                "verb": verb,
                "zone": zone.zone.name,
                "points": _points(len(points)),
                "devices": _devices(devices),
            }
            now = gettext("In lockdown now: %(locked)s of %(n)s.") % {
                "locked": locked,
                "n": len(points),
            }
            text = f"{sent} {now}"
            return Message("success", text)
    return None


def _page(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    site: str = "",
    message: Message | None = None,
    status_code: int = 200,
) -> Response:
    site_id = site if is_id(site) else None
    board = container.remote_commands.board(principal, site_id=site_id)
    now: datetime = container.clock.now()
    online = {
        d.id
        for p in board.points
        for d in p.devices
        if d.last_seen_at is not None and now - d.last_seen_at <= ONLINE_WITHIN
    }
    zone_names = {z.zone.id: z.zone.name for z in board.zones}
    context = {
        "active": "access_points",
        "board": board,
        "sites": site_names(container, principal),
        "site": site_id or "",
        "online": online,
        "zone_names": zone_names,
        "lockdown": DoorMode.LOCKDOWN,
        "can_operate": can(principal, Permission.ACCESS_POINTS_OPERATE),
        "can_muster": can(principal, Permission.PRESENCE_READ),
    }
    message = message or _notice(board, request.query_params)
    if message is not None:
        context["messages"] = [message]
    return render(request, "pages/access_points.html", context, status_code=status_code)


@router.get("/access-points", dependencies=[require(Permission.ACCESS_RULES_READ)])
def access_points(
    request: Request, principal: CurrentPrincipal, container: ContainerDep, site: str = ""
) -> Response:
    return _page(request, principal, container, site=site)


def _run(
    request: Request,
    principal: Principal,
    container: Container,
    site: str,
    call: Callable[[], Response],
) -> Response:
    """Run a command and redirect to its notice; a refusal shows the page with it."""
    try:
        return call()
    except (ValidationFailed, Conflict) as exc:
        status = 422 if isinstance(exc, ValidationFailed) else 409
        message = Message("error", sentence(exc))
        return _page(request, principal, container, site=site, message=message, status_code=status)


_POINT_CALLS = {
    RemoteAction.OPEN: RemoteCommandService.open,
    RemoteAction.LOCKDOWN: RemoteCommandService.lockdown,
    RemoteAction.RELEASE: RemoteCommandService.release,
}
_ZONE_CALLS = {
    RemoteAction.LOCKDOWN: RemoteCommandService.lockdown_zone,
    RemoteAction.RELEASE: RemoteCommandService.release_zone,
}


def _point_command(action: RemoteAction) -> Callable[..., Response]:
    """The form handler of ``action`` on one access point."""

    def handler(
        request: Request,
        access_point_id: str,
        principal: CurrentPrincipal,
        container: ContainerDep,
        reason: FormText = "",
        site: FormText = "",
    ) -> Response:
        def call() -> Response:
            result = _POINT_CALLS[action](
                container.remote_commands, principal, access_point_id, reason=reason
            )
            return _sent(action, site=site, resent=result.resent, point=result.access_point_id)

        return _run(request, principal, container, site, call)

    handler.__name__ = f"{action.value}_point"
    return handler


def _zone_command(action: RemoteAction) -> Callable[..., Response]:
    """The form handler of ``action`` (lockdown or release) on every point of a zone."""

    def handler(
        request: Request,
        zone_id: str,
        principal: CurrentPrincipal,
        container: ContainerDep,
        reason: FormText = "",
        site: FormText = "",
    ) -> Response:
        def call() -> Response:
            result = _ZONE_CALLS[action](
                container.remote_commands, principal, zone_id, reason=reason
            )
            return _sent(action, site=site, zone=result.zone_id)

        return _run(request, principal, container, site, call)

    handler.__name__ = f"{action.value}_zone"
    return handler


for _action in _POINT_CALLS:
    router.post(f"/access-points/{{access_point_id}}/{_action.value}", dependencies=_OPERATE)(
        _point_command(_action)
    )
for _action in _ZONE_CALLS:
    router.post(f"/access-points/zones/{{zone_id}}/{_action.value}", dependencies=_OPERATE)(
        _zone_command(_action)
    )
