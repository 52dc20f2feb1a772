"""Permissions (``scope:resource:action``) and which roles hold them.

Roles are fixed and small. A user has one role within their tenant; a device
principal has the ``device`` role only. Platform administrators (the operator who
runs gatepost for many tenants) additionally hold ``platform:tenants:manage``.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Permission", "ROLE_PERMISSIONS", "Role", "USER_ROLES", "grantable_roles"]


class Permission(StrEnum):
    ACCESS_POINTS_OPERATE = "tenant:access_points:operate"
    ACCESS_RULES_READ = "tenant:access_rules:read"
    ACCESS_RULES_WRITE = "tenant:access_rules:write"
    ACCOUNT_SELF = "tenant:account:self"
    ALERTS_READ = "tenant:alerts:read"
    ALERTS_WRITE = "tenant:alerts:write"
    AUDIT_READ = "tenant:audit:read"
    CREDENTIALS_READ = "tenant:credentials:read"
    CREDENTIALS_WRITE = "tenant:credentials:write"
    DEVICE_COMMANDS_READ = "device:commands:read"
    DEVICE_EVENTS_WRITE = "device:events:write"
    DEVICES_READ = "tenant:devices:read"
    DEVICES_WRITE = "tenant:devices:write"
    EVENTS_READ = "tenant:events:read"
    FACES_ENROL = "tenant:faces:enrol"
    FACES_IDENTIFY = "tenant:faces:identify"
    FACES_TEST = "tenant:faces:test"
    KEYS_MANAGE = "tenant:keys:manage"
    MEDIA_READ = "tenant:media:read"
    PERSON_ACCESS_READ = "tenant:person_access:read"
    PERSON_ACCESS_WRITE = "tenant:person_access:write"
    PERSONS_READ = "tenant:persons:read"
    PERSONS_REVEAL = "tenant:persons:reveal"
    PERSONS_WRITE = "tenant:persons:write"
    PLATE_READS_READ = "tenant:plate_reads:read"
    PLATES_READ = "tenant:plates:read"
    PLATES_TEST = "tenant:plates:test"
    PLATFORM_TENANTS_MANAGE = "platform:tenants:manage"
    PRESENCE_READ = "tenant:presence:read"
    SITES_READ = "tenant:sites:read"
    SITES_WRITE = "tenant:sites:write"
    TENANT_READ = "tenant:tenant:read"
    TENANT_SETTINGS_WRITE = "tenant:settings:write"
    USERS_READ = "tenant:users:read"
    USERS_WRITE = "tenant:users:write"
    VEHICLES_READ = "tenant:vehicles:read"
    VEHICLES_WRITE = "tenant:vehicles:write"
    WEBHOOKS_READ = "tenant:webhooks:read"
    WEBHOOKS_WRITE = "tenant:webhooks:write"


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    GUARD = "guard"
    HR = "hr"
    AUDITOR = "auditor"
    DEVICE = "device"


USER_ROLES = frozenset(Role) - {Role.DEVICE}

_P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {
            _P.ACCESS_POINTS_OPERATE,
            _P.ACCESS_RULES_READ,
            _P.ACCESS_RULES_WRITE,
            _P.ACCOUNT_SELF,
            _P.ALERTS_READ,
            _P.ALERTS_WRITE,
            _P.AUDIT_READ,
            _P.CREDENTIALS_READ,
            _P.CREDENTIALS_WRITE,
            _P.DEVICES_READ,
            _P.DEVICES_WRITE,
            _P.EVENTS_READ,
            _P.FACES_ENROL,
            _P.FACES_IDENTIFY,
            _P.FACES_TEST,
            _P.KEYS_MANAGE,
            _P.MEDIA_READ,
            _P.PERSON_ACCESS_READ,
            _P.PERSON_ACCESS_WRITE,
            _P.PERSONS_READ,
            _P.PERSONS_REVEAL,
            _P.PERSONS_WRITE,
            _P.PRESENCE_READ,
            _P.SITES_READ,
            _P.SITES_WRITE,
            _P.TENANT_READ,
            _P.TENANT_SETTINGS_WRITE,
            _P.USERS_READ,
            _P.USERS_WRITE,
            _P.PLATES_READ,
            _P.PLATE_READS_READ,
            _P.PLATES_TEST,
            _P.VEHICLES_READ,
            _P.VEHICLES_WRITE,
            _P.WEBHOOKS_READ,
            _P.WEBHOOKS_WRITE,
        }
    ),
    Role.OPERATOR: frozenset(
        {
            _P.ACCESS_RULES_READ,
            _P.ACCOUNT_SELF,
            _P.ALERTS_READ,
            _P.ALERTS_WRITE,
            _P.CREDENTIALS_READ,
            _P.DEVICES_READ,
            _P.DEVICES_WRITE,
            _P.EVENTS_READ,
            _P.FACES_ENROL,
            _P.FACES_IDENTIFY,
            _P.FACES_TEST,
            _P.MEDIA_READ,
            _P.PERSON_ACCESS_READ,
            _P.PERSONS_READ,
            _P.PERSONS_WRITE,
            _P.PRESENCE_READ,
            _P.SITES_READ,
            _P.TENANT_READ,
            _P.PLATES_READ,
            _P.PLATE_READS_READ,
            _P.PLATES_TEST,
            _P.VEHICLES_READ,
            _P.VEHICLES_WRITE,
        }
    ),
    Role.GUARD: frozenset(
        {
            _P.ACCESS_POINTS_OPERATE,
            _P.ACCESS_RULES_READ,
            _P.ACCOUNT_SELF,
            _P.ALERTS_READ,
            _P.ALERTS_WRITE,
            _P.DEVICES_READ,
            _P.EVENTS_READ,
            _P.MEDIA_READ,
            _P.PERSON_ACCESS_READ,
            _P.PERSONS_READ,
            _P.PLATE_READS_READ,
            _P.PRESENCE_READ,
            _P.SITES_READ,
            _P.TENANT_READ,
            _P.VEHICLES_READ,
        }
    ),
    Role.HR: frozenset(
        {
            _P.ACCOUNT_SELF,
            _P.CREDENTIALS_READ,
            _P.EVENTS_READ,
            _P.FACES_ENROL,
            _P.PERSON_ACCESS_READ,
            _P.PERSONS_READ,
            _P.PERSONS_REVEAL,
            _P.PERSONS_WRITE,
            _P.SITES_READ,
            _P.TENANT_READ,
        }
    ),
    Role.AUDITOR: frozenset(
        {
            _P.ACCESS_RULES_READ,
            _P.ACCOUNT_SELF,
            _P.ALERTS_READ,
            _P.AUDIT_READ,
            _P.CREDENTIALS_READ,
            _P.DEVICES_READ,
            _P.EVENTS_READ,
            _P.PERSON_ACCESS_READ,
            _P.PERSONS_READ,
            _P.PLATE_READS_READ,
            _P.SITES_READ,
            _P.TENANT_READ,
            _P.USERS_READ,
            _P.VEHICLES_READ,
            _P.WEBHOOKS_READ,
        }
    ),
    Role.DEVICE: frozenset(
        {_P.DEVICE_COMMANDS_READ, _P.DEVICE_EVENTS_WRITE, _P.FACES_IDENTIFY, _P.PLATES_READ}
    ),
}


def grantable_roles(role: Role) -> frozenset[Role]:
    """The user roles that a holder of ``role`` may grant (to a user, an invitation or
    an API key): those whose permissions are all its own, so nobody can hand out more
    than they hold. The device role is never granted to people or keys."""
    own = ROLE_PERMISSIONS[role]
    return frozenset(r for r in USER_ROLES if ROLE_PERMISSIONS[r] <= own)
