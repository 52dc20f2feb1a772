"""The live event feed: a page that shows events as devices report them, and its
Server-Sent Events stream.

``GET /ui/live/stream`` polls the events table every :data:`POLL_SECONDS` (so it sees
what every process stored) through ``services.event_feed`` and sends each new event as
one SSE message whose ``data`` is a JSON object of display text (times, names, the
outcome, the reasons in words, alerts), with the event's position as its ``id``. A
browser that reconnects sends ``Last-Event-ID`` and resumes after it (at most
``services.event_feed.MAX_RESUME``, 10 minutes, back). Times are shown in UTC, as the
page's column header says. A comment every :data:`HEARTBEAT_SECONDS` keeps proxies
from closing an idle stream; the stream ends
when the client goes, or after :data:`STREAM_SECONDS`, when the browser reconnects and
the request is authenticated afresh (a signed-out session stops getting events). A
request that does not accept ``text/event-stream`` gets 406, not an endless body.

The page's script (``static/live.js``, same-origin, no inline code) renders the
messages with ``textContent`` only.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.domain.decisions import Reason
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.event_feed import FeedCursor, FeedItem, parse_position
from gatepost.store.ids import is_id
from gatepost.web.i18n import N_, current_locale, gettext, use_locale
from gatepost.web.labels import label
from gatepost.web.lookups import site_names
from gatepost.web.rendering import can, render

__all__ = ["HEARTBEAT_SECONDS", "POLL_SECONDS", "REASON_TEXT", "STREAM_SECONDS", "router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0
STREAM_SECONDS = 300.0
RETRY_MS = 2000

REASON_TEXT: dict[str, str] = {
    Reason.GRANTED: N_("Access granted"),
    Reason.EXIT_REQUEST: N_("Exit button"),
    Reason.DOOR_UNLOCKED: N_("Door held open by its mode"),
    Reason.LOCKDOWN: N_("Lockdown in force"),
    Reason.UNKNOWN_CREDENTIAL: N_("Unknown card, PIN or QR code"),
    Reason.FACE_NOT_RECOGNISED: N_("Face not recognised"),
    Reason.UNKNOWN_PLATE: N_("Unknown plate"),
    Reason.FACTORS_DISAGREE: N_("Card and face belong to different people"),
    Reason.FACE_UNCERTAIN: N_("Face match uncertain"),
    Reason.BLOCKED: N_("Person is blocked"),
    Reason.CREDENTIAL_REVOKED: N_("Credential revoked"),
    Reason.CREDENTIAL_NOT_YET_VALID: N_("Credential not valid yet"),
    Reason.CREDENTIAL_EXPIRED: N_("Credential expired"),
    Reason.VEHICLE_OUTSIDE_VALIDITY: N_("Vehicle pass not valid now"),
    Reason.PERSON_INACTIVE: N_("Person is inactive"),
    Reason.PERSON_OUTSIDE_VALIDITY: N_("Person's access not valid now"),
    Reason.CONSENT_WITHDRAWN: N_("Face consent withdrawn"),
    Reason.FACTOR_NOT_ACCEPTED: N_("This kind of credential is not accepted here"),
    Reason.SECOND_FACTOR_REQUIRED: N_("Second factor required"),
    Reason.NO_ACCESS_LEVEL: N_("No access level for this door"),
    Reason.OUTSIDE_SCHEDULE: N_("Outside the allowed hours"),
    Reason.HOLIDAY: N_("Closed for a holiday"),
    Reason.DOOR_LOCKED: N_("Door locked by an operator"),
    Reason.FIRST_PERSON_NOT_IN: N_("Waiting for the first person in"),
    Reason.ANTI_PASSBACK: N_("Anti-passback: already inside"),
    Reason.ANTI_PASSBACK_SOFT: N_("Anti-passback warning"),
    Reason.DURESS: N_("Duress PIN"),
    Reason.WATCHLISTED: N_("Person is on the watch list"),
    "remote_open": N_("Opened remotely by an operator"),
    "remote_lockdown": N_("Locked down remotely by an operator"),
    "remote_release": N_("Lockdown released by an operator"),
}
"""What each reason code means, for people (the feed shows these, never raw codes)."""

_OUTCOME_TEXT = {
    "grant": N_("Granted"),
    "deny": N_("Denied"),
    "second_factor": N_("Second factor"),
    "alert_only": N_("Alert"),
}
_ALERT_TEXT = {
    "duress": N_("Duress"),
    "blocked": N_("Blocked person"),
    "watchlist": N_("Watch list"),
    "anti_passback": N_("Anti-passback"),
    "forced": N_("Door forced"),
}


def _utc(moment: datetime) -> str:
    """``moment`` in UTC, as the page's "Time (UTC)" column says (a time without a zone
    is taken as UTC, as the store keeps it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _text(texts: dict[str, str], code: str) -> str:
    known = texts.get(code)
    return gettext(known) if known else label(code)


def _message(item: FeedItem, principal: Principal) -> dict[str, object]:
    """What the browser shows for one event (text only; names as the viewer may see)."""
    where = []
    if can(principal, Permission.ACCESS_RULES_READ) and item.access_point_name:
        where.append(item.access_point_name)
    if can(principal, Permission.DEVICES_READ):
        where.append(item.device_name)
    remote = item.command is not None and item.outcome is None
    outcome = _OUTCOME_TEXT.get(item.outcome or "", N_("Command sent") if remote else "")
    return {
        "id": item.id,
        "time": _utc(item.occurred_at),
        "site": item.site_name if can(principal, Permission.SITES_READ) else "",
        "where": " · ".join(where),
        "event": label(item.kind.value),
        "arrival": label(item.arrival) if item.arrival else "",
        "outcome": gettext(outcome) if outcome else "",
        "outcome_code": item.outcome or ("remote" if remote else ""),
        "reasons": [_text(REASON_TEXT, code) for code in item.reasons],
        "alerts": [_text(_ALERT_TEXT, code) for code in item.alerts],
    }


def _sse(item: FeedItem, principal: Principal, locale: str) -> str:
    """One SSE message, worded in ``locale`` (the request's, taken when the stream
    opened: the stream's body is sent outside the request's handler)."""
    with use_locale(locale):
        message = _message(item, principal)
    data = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    return f"id: {item.position}\ndata: {data}\n\n"


def _site_filter(site: str) -> str | None:
    return site if is_id(site) else None


@router.get("/live", dependencies=[require(Permission.EVENTS_READ)])
def live(
    request: Request, principal: CurrentPrincipal, container: ContainerDep, site: str = ""
) -> Response:
    site_id = _site_filter(site)
    sites = site_names(container, principal)
    stream = "/ui/live/stream" + (f"?site={site_id}" if site_id else "")
    context = {
        "active": "live",
        "sites": sites,
        "site": site_id or "",
        "stream_url": stream,
    }
    return render(request, "pages/live.html", context)


@router.get("/live/stream", dependencies=[require(Permission.EVENTS_READ)])
async def live_stream(
    request: Request, principal: CurrentPrincipal, container: ContainerDep, site: str = ""
) -> Response:
    """The feed as ``text/event-stream`` (see the module doc). Only for a client that
    asks for an event stream (``Accept: text/event-stream``, as EventSource does):
    anything else gets 406 at once instead of a response that never ends."""
    if "text/event-stream" not in request.headers.get("accept", ""):
        return PlainTextResponse(
            gettext("This is a live event stream: open /ui/live to watch it."), status_code=406
        )
    site_id = _site_filter(site)
    locale = current_locale()
    feed = container.event_feed
    resumed = parse_position(request.headers.get("last-event-id"))
    backlog: list[FeedItem] = []
    if resumed is not None:
        cursor = feed.resume(resumed)
    else:
        backlog, cursor = await run_in_threadpool(feed.opening, principal, site_id=site_id)

    async def events() -> AsyncIterator[str]:
        started = last_sent = time.monotonic()
        yield f"retry: {RETRY_MS}\n\n"
        for item in backlog:
            yield _sse(item, principal, locale)
        while time.monotonic() - started < STREAM_SECONDS:
            if await request.is_disconnected():
                return
            items = await run_in_threadpool(_poll, container, principal, cursor, site_id)
            for item in items:
                yield _sse(item, principal, locale)
                last_sent = time.monotonic()
            if time.monotonic() - last_sent >= HEARTBEAT_SECONDS:
                yield ": heartbeat\n\n"
                last_sent = time.monotonic()
            await asyncio.sleep(POLL_SECONDS)

    headers = {"X-Accel-Buffering": "no"}  # a proxy must not hold the stream back
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


def _poll(
    container: Container, principal: Principal, cursor: FeedCursor, site_id: str | None
) -> list[FeedItem]:
    return container.event_feed.poll(principal, cursor, site_id=site_id)
