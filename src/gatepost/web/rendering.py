"""The Jinja2 environment and the one function every view renders pages with.

Autoescaping is always on. ``render`` fills in what ``base.html`` expects: the signed-in
viewer, the CSRF token derived from the session, the active sidebar area and flash
messages. Flash messages after a redirect travel as a ``notice`` code in the query
string and are looked up in :data:`NOTICES`, so no user-supplied text is ever echoed.

Templates are translated with Jinja's i18n extension (``_()``, ``{% trans %}``) bound
to :mod:`gatepost.web.i18n`, so a page is in the request's language; notices and
labels are message ids translated when shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from gatepost.security.csrf import csrf_token_for
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal, authorize
from gatepost.web.i18n import LOCALES, current_locale, gettext, html_lang, ngettext
from gatepost.web.labels import label

__all__ = [
    "NOTICES",
    "TEMPLATE_DIR",
    "Message",
    "Viewer",
    "build_templates",
    "can",
    "permissions_of",
    "render",
    "viewer_of",
]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Message:
    """A flash message: ``level`` is info, success, warning or error."""

    level: str
    text: str


NOTICES: dict[str, Message] = {
    "access_level_created": Message("success", "Access level created."),
    "access_level_deleted": Message(
        "success", "Access level deleted. Nobody is let through by it any more."
    ),
    "access_level_granted": Message("success", "Access level given."),
    "access_level_removed": Message("success", "Access level taken away."),
    "access_level_saved": Message("success", "Access level saved. Devices use it at once."),
    "api_key_revoked": Message("success", "API key revoked. It no longer works."),
    "consent_withdrawn": Message("success", "Consent withdrawn."),
    "device_revoked": Message("success", "The device was revoked; its credential no longer works."),
    "face_consent_recorded": Message("success", "Consent recorded. A face can now be enrolled."),
    "face_consent_withdrawn": Message(
        "success", "Consent withdrawn. The person's face templates have been deleted."
    ),
    "face_deleted": Message("success", "Face templates deleted."),
    "face_enrolled": Message("success", "Face enrolled. The photos were discarded."),
    "face_policy_saved": Message(
        "success", "Face policy saved. Cameras use it from their next recognition."
    ),
    "holiday_added": Message("success", "Holiday added to the site's calendar."),
    "holiday_deleted": Message("success", "Holiday deleted."),
    "holidays_imported": Message(
        "success", "Public holidays imported. Dates the site already had were kept as they were."
    ),
    "invitation_accepted": Message(
        "success", "Your account is ready. Sign in with your new username and password."
    ),
    "invitation_revoked": Message("success", "Invitation revoked. Its link no longer works."),
    "password_changed": Message(
        "success", "Password changed. Every other place you were signed in has been signed out."
    ),
    "person_created": Message("success", "Person created."),
    "plate_formats_saved": Message(
        "success", "Plate formats saved. The site's cameras read with them from now on."
    ),
    "plate_policy_saved": Message(
        "success", "Plate retention saved. A shorter period applies at the next purge."
    ),
    "person_erased": Message(
        "success", "Person erased with their templates, credentials, consents and access levels."
    ),
    "person_saved": Message("success", "Person saved."),
    "schedule_created": Message("success", "Schedule created."),
    "schedule_deleted": Message("success", "Schedule deleted."),
    "schedule_saved": Message("success", "Schedule saved. Devices use it at once."),
    "session_revoked": Message("success", "That session has been signed out."),
    "sessions_revoked": Message("success", "You have been signed out everywhere else."),
    "setup_done": Message("success", "Setup is complete. Sign in with your new account."),
    "signed_out": Message("info", "You have been signed out."),
    "totp_enabled": Message("success", "Two-step verification is on for your account."),
    "site_created": Message("success", "Site created."),
    "site_saved": Message("success", "Site saved."),
    "tenant_timezone_saved": Message(
        "success", "Time zone saved. Dates and times are shown in it from now on."
    ),
    "tenant_created": Message(
        "success", "Tenant created. Invite its first administrator to hand it over."
    ),
    "tenant_resumed": Message("success", "Tenant resumed. Its users, keys and devices work again."),
    "tenant_shredded": Message(
        "success", "Tenant shredded. Its keys are destroyed; its sealed data is unreadable."
    ),
    "tenant_suspended": Message(
        "success", "Tenant suspended. Its users, keys and devices are refused until resumed."
    ),
    "user_disabled": Message("success", "User disabled and signed out everywhere."),
    "user_enabled": Message("success", "User enabled. They can sign in again."),
    "user_role_changed": Message(
        "success", "Role changed. It applies from the user's next request."
    ),
    "user_two_step_optional": Message("success", "Two-step verification is no longer required."),
    "user_two_step_required": Message(
        "success", "Two-step verification is now required of this user."
    ),
    "user_two_step_reset": Message(
        "success", "Two-step verification reset. The user was signed out everywhere."
    ),
    "vehicle_created": Message("success", "Vehicle added. Gate cameras know it from now on."),
    "vehicle_deleted": Message("success", "Vehicle deleted. Gate cameras no longer know it."),
    "vehicle_saved": Message("success", "Vehicle saved."),
}


@dataclass(frozen=True)
class Viewer:
    """What the layout shows about the signed-in user (no ids, no secrets)."""

    username: str
    tenant_name: str
    role: str


def viewer_of(principal: Principal) -> Viewer:
    return Viewer(username=principal.name, tenant_name=principal.tenant_name, role=principal.role)


def can(principal: Principal, permission: Permission) -> bool:
    """Whether to offer an action in the page (the route still enforces it)."""
    return authorize(principal, permission).allowed


def permissions_of(principal: Principal) -> frozenset[Permission]:
    """What the layout may offer: navigation shows only the areas these open."""
    return frozenset(p for p in Permission if can(principal, p))


# The time zone of the page being rendered (the viewer's tenant's): set by ``render``
# around the rendering, so filters in imported macros see it too.
_ZONE: ContextVar[str] = ContextVar("gatepost_page_zone", default="UTC")


def _local(value: datetime, zone: str | None) -> tuple[datetime, str]:
    """``value`` in ``zone`` (the tenant's unless a page names one, e.g. a site's), and
    its UTC offset to show after it, e.g. " +08:00" (abbreviations such as "CST" are
    ambiguous; none for UTC itself). Naive values are shown as they are."""
    if value.tzinfo is None:
        return value, ""
    try:
        tz = ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    local = value.astimezone(tz)
    if local.utcoffset() == timedelta(0) and tz.key in {"UTC", "Etc/UTC"}:
        return local, ""
    offset = local.isoformat(timespec="seconds")[19:]  # "+08:00", "-05:00", "+05:45"
    return local, f" {offset}"


def _when(value: datetime | None, zone: str | None = None) -> str:
    """A date and time in the tenant's time zone (or ``zone``), with its UTC offset."""
    if value is None:
        return ""
    local, suffix = _local(value, zone or _ZONE.get())
    return local.strftime("%Y-%m-%d %H:%M:%S") + suffix


def _day(value: datetime | None, zone: str | None = None) -> str:
    """The date in the tenant's time zone (or ``zone``)."""
    if value is None:
        return ""
    return _local(value, zone or _ZONE.get())[0].strftime("%Y-%m-%d")


def _tr(message: object) -> str:
    """``{{ variable|tr }}``: a message id held in a variable, translated, as a plain
    ``str`` that autoescape escapes (``_(variable)`` would mark the result safe and so
    trust whatever the variable holds)."""
    return str.__str__(gettext(str(message)))


@jinja2.pass_context
def _url_for(context: Mapping[str, Any], name: str, /, **params: Any) -> str:
    """A root-relative URL (works behind a TLS proxy without rewriting schemes)."""
    request: Request = context["request"]
    root = str(request.scope.get("root_path", ""))
    return root + str(request.app.url_path_for(name, **params))


def build_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.Undefined,
        trim_blocks=False,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=gettext, ngettext=ngettext, newstyle=True
    )
    env.globals["LOCALES"] = LOCALES
    env.globals["url_for"] = _url_for
    env.globals["Permission"] = Permission
    env.filters["when"] = _when
    env.filters["day"] = _day
    env.filters["label"] = label
    env.filters["tr"] = _tr
    return Jinja2Templates(env=env)


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render ``name`` with the layout's variables filled in from the request."""
    locale = current_locale()
    ctx: dict[str, Any] = {
        "request": request,
        "messages": [],
        "allowed": frozenset(),
        "locale": locale,
        "html_lang": html_lang(locale),
        "current_path": request.url.path,
    }
    principal = getattr(request.state, "principal", None)
    if isinstance(principal, Principal):
        ctx["principal"] = viewer_of(principal)
        ctx["allowed"] = permissions_of(principal)
        ctx["timezone"] = principal.tenant_timezone
    session_token = getattr(request.state, "session_token", None)
    if isinstance(session_token, str):
        ctx["csrf_token"] = csrf_token_for(session_token)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    if notice is not None:
        ctx["messages"] = [Message(notice.level, gettext(notice.text))]
    ctx.update(context or {})
    templates: Jinja2Templates = request.app.state.web_templates
    zone = _ZONE.set(str(ctx.get("timezone") or "UTC"))
    try:  # the response renders the template here, while the zone is set
        return templates.TemplateResponse(
            request, name, ctx, status_code=status_code, headers=dict(headers or {})
        )
    finally:
        _ZONE.reset(zone)
