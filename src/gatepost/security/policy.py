"""The authorisation decision as a pure function of principal and permission.

Tenant isolation is not decided here: every repository filters by the principal's
tenant in SQL, so an object of another tenant is simply not found (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gatepost.security.permissions import ROLE_PERMISSIONS, Permission, Role

__all__ = ["Decision", "Principal", "PrincipalKind", "authorize"]


class PrincipalKind(StrEnum):
    USER = "user"
    API_KEY = "api_key"
    DEVICE = "device"


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved from a session, API key or device credential."""

    kind: PrincipalKind
    id: str
    tenant_id: str
    role: Role
    name: str
    platform_admin: bool = False
    session_id: str | None = None
    tenant_name: str = ""
    # IANA time zone in which the tenant's dates and times are shown.
    tenant_timezone: str = "UTC"
    totp_pending: bool = False
    # Devices only: where the device stands, so a device's request needs no second
    # look at its row (the access point is None until it is bound to one).
    site_id: str | None = None
    access_point_id: str | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this principal (ids only, no personal data)."""
        return f"{self.kind.value}:{self.id}"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def authorize(principal: Principal, permission: Permission) -> Decision:
    """Deny by default; allow only what the principal's role (or platform flag) grants."""
    if principal.kind is PrincipalKind.DEVICE and principal.role is not Role.DEVICE:
        return Decision(False, "device credentials carry only the device role")
    if principal.kind is not PrincipalKind.DEVICE and principal.role is Role.DEVICE:
        return Decision(False, "the device role belongs to devices only")
    if principal.totp_pending and permission is not Permission.ACCOUNT_SELF:
        return Decision(False, "TOTP enrolment is required first")
    if permission is Permission.PLATFORM_TENANTS_MANAGE:
        if principal.kind is PrincipalKind.USER and principal.platform_admin:
            return Decision(True, "platform administrator")
        return Decision(False, "only platform administrators manage tenants")
    if permission in ROLE_PERMISSIONS[principal.role]:
        return Decision(True, f"role {principal.role.value}")
    return Decision(False, f"role {principal.role.value} lacks {permission.value}")
