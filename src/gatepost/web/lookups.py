"""Id-to-name lookups that let tables show names instead of ids.

Each lookup asks a service for at most one page and only when the viewer may read
that resource; an id that is not resolved is shown shortened.
"""

from __future__ import annotations

from collections.abc import Iterable

from gatepost.errors import NotFound
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.web.forms import MAX_LIMIT
from gatepost.web.rendering import can

__all__ = ["device_names", "person_names", "site_names", "user_names"]


def device_names(container: Container, principal: Principal) -> dict[str, str]:
    if not can(principal, Permission.DEVICES_READ):
        return {}
    page = container.devices.list(principal, limit=MAX_LIMIT, after=None)
    return {device.id: device.name for device in page.items}


def site_names(container: Container, principal: Principal) -> dict[str, str]:
    if not can(principal, Permission.SITES_READ):
        return {}
    page = container.sites.list(principal, limit=MAX_LIMIT, after=None)
    return {site.id: site.name for site in page.items}


def user_names(container: Container, principal: Principal) -> dict[str, str]:
    """``user:<id>`` actor strings to usernames (for the audit log)."""
    if not can(principal, Permission.USERS_READ):
        return {f"user:{principal.id}": principal.name}
    page = container.users.list(principal, limit=MAX_LIMIT, after=None)
    return {f"user:{user.id}": user.username for user in page.items}


def person_names(
    container: Container, principal: Principal, person_ids: Iterable[str | None]
) -> dict[str, str]:
    if not can(principal, Permission.PERSONS_READ):
        return {}
    names: dict[str, str] = {}
    for person_id in {pid for pid in person_ids if pid}:
        try:
            names[person_id] = container.persons.get(principal, person_id).name
        except NotFound:
            continue
    return names
