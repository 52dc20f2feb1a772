"""The authorisation decision as a full principal kind x role x permission matrix.

The expected table below is written out by hand on purpose: it does not read
``ROLE_PERMISSIONS``, so widening a role in ``security/permissions.py`` (or changing the
rules in ``security/policy.py``) fails here until this table is changed too, in review.
No database, no app: ``authorize`` is a pure function (STYLE.md 8).
"""

from __future__ import annotations

import itertools

import pytest

from gatepost.security.permissions import ROLE_PERMISSIONS, USER_ROLES, Permission, Role
from gatepost.security.policy import Principal, PrincipalKind, authorize

P = Permission

# What each role may do inside its own tenant. PLATFORM_TENANTS_MANAGE belongs to no
# role: only a user flagged as platform administrator holds it.
EXPECTED: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {
            P.ACCESS_POINTS_OPERATE,
            P.ACCESS_RULES_READ,
            P.ACCESS_RULES_WRITE,
            P.ACCOUNT_SELF,
            P.ALERTS_READ,
            P.ALERTS_WRITE,
            P.AUDIT_READ,
            P.CREDENTIALS_READ,
            P.CREDENTIALS_WRITE,
            P.DEVICES_READ,
            P.DEVICES_WRITE,
            P.EVENTS_READ,
            P.FACES_ENROL,
            P.FACES_IDENTIFY,
            P.FACES_TEST,
            P.KEYS_MANAGE,
            P.MEDIA_READ,
            P.PERSON_ACCESS_READ,
            P.PERSON_ACCESS_WRITE,
            P.PERSONS_READ,
            P.PERSONS_REVEAL,
            P.PERSONS_WRITE,
            P.PRESENCE_READ,
            P.SITES_READ,
            P.SITES_WRITE,
            P.TENANT_READ,
            P.TENANT_SETTINGS_WRITE,
            P.USERS_READ,
            P.USERS_WRITE,
            P.PLATES_READ,
            P.PLATE_READS_READ,
            P.PLATES_TEST,
            P.VEHICLES_READ,
            P.VEHICLES_WRITE,
            P.WEBHOOKS_READ,
            P.WEBHOOKS_WRITE,
        }
    ),
    Role.OPERATOR: frozenset(
        {
            P.ACCESS_RULES_READ,
            P.ACCOUNT_SELF,
            P.ALERTS_READ,
            P.ALERTS_WRITE,
            P.CREDENTIALS_READ,
            P.DEVICES_READ,
            P.DEVICES_WRITE,
            P.EVENTS_READ,
            P.FACES_ENROL,
            P.FACES_IDENTIFY,
            P.FACES_TEST,
            P.MEDIA_READ,
            P.PERSON_ACCESS_READ,
            P.PERSONS_READ,
            P.PERSONS_WRITE,
            P.PRESENCE_READ,
            P.SITES_READ,
            P.TENANT_READ,
            P.PLATES_READ,
            P.PLATE_READS_READ,
            P.PLATES_TEST,
            P.VEHICLES_READ,
            P.VEHICLES_WRITE,
        }
    ),
    Role.GUARD: frozenset(
        {
            P.ACCESS_POINTS_OPERATE,
            P.ACCESS_RULES_READ,
            P.ACCOUNT_SELF,
            P.ALERTS_READ,
            P.ALERTS_WRITE,
            P.DEVICES_READ,
            P.EVENTS_READ,
            P.MEDIA_READ,
            P.PERSON_ACCESS_READ,
            P.PERSONS_READ,
            P.PLATE_READS_READ,
            P.PRESENCE_READ,
            P.SITES_READ,
            P.TENANT_READ,
            P.VEHICLES_READ,
        }
    ),
    Role.HR: frozenset(
        {
            P.ACCOUNT_SELF,
            P.CREDENTIALS_READ,
            P.EVENTS_READ,
            P.FACES_ENROL,
            P.PERSON_ACCESS_READ,
            P.PERSONS_READ,
            P.PERSONS_REVEAL,
            P.PERSONS_WRITE,
            P.SITES_READ,
            P.TENANT_READ,
        }
    ),
    Role.AUDITOR: frozenset(
        {
            P.ACCESS_RULES_READ,
            P.ACCOUNT_SELF,
            P.ALERTS_READ,
            P.AUDIT_READ,
            P.CREDENTIALS_READ,
            P.DEVICES_READ,
            P.EVENTS_READ,
            P.PERSON_ACCESS_READ,
            P.PERSONS_READ,
            P.PLATE_READS_READ,
            P.SITES_READ,
            P.TENANT_READ,
            P.USERS_READ,
            P.VEHICLES_READ,
            P.WEBHOOKS_READ,
        }
    ),
    Role.DEVICE: frozenset(
        {P.DEVICE_COMMANDS_READ, P.DEVICE_EVENTS_WRITE, P.FACES_IDENTIFY, P.PLATES_READ}
    ),
}

TENANT = "0" * 32


def _principal(
    kind: PrincipalKind, role: Role, *, platform_admin: bool = False, totp_pending: bool = False
) -> Principal:
    return Principal(
        kind=kind,
        id="1" * 32,
        tenant_id=TENANT,
        role=role,
        name="someone",
        platform_admin=platform_admin,
        totp_pending=totp_pending,
    )


def _expected(
    kind: PrincipalKind,
    role: Role,
    platform_admin: bool,
    permission: Permission,
    totp_pending: bool = False,
) -> bool:
    """The policy, restated: deny by default; kind and role must agree; a session that
    still has to enrol TOTP may only manage its own account."""
    if kind is PrincipalKind.DEVICE and role is not Role.DEVICE:
        return False
    if kind is not PrincipalKind.DEVICE and role is Role.DEVICE:
        return False
    if totp_pending and permission is not P.ACCOUNT_SELF:
        return False
    if permission is P.PLATFORM_TENANTS_MANAGE:
        return kind is PrincipalKind.USER and platform_admin
    return permission in EXPECTED[role]


def test_expected_table_covers_every_role_and_permission_when_read() -> None:
    assert set(EXPECTED) == set(Role)
    granted = set().union(*EXPECTED.values())
    assert granted | {P.PLATFORM_TENANTS_MANAGE} == set(Permission)


def test_role_permissions_match_expected_table_when_compared() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    for role in Role:
        assert ROLE_PERMISSIONS[role] == EXPECTED[role], role


def test_platform_permission_is_in_no_role_when_granted() -> None:
    assert all(P.PLATFORM_TENANTS_MANAGE not in perms for perms in ROLE_PERMISSIONS.values())


def test_device_role_is_not_a_user_role_when_listed() -> None:
    assert Role.DEVICE not in USER_ROLES
    assert USER_ROLES == frozenset(Role) - {Role.DEVICE}


@pytest.mark.parametrize(
    ("kind", "role", "platform_admin", "totp_pending"),
    list(itertools.product(PrincipalKind, Role, (False, True), (False, True))),
)
def test_authorize_matches_expected_matrix_for_every_permission(
    kind: PrincipalKind, role: Role, platform_admin: bool, totp_pending: bool
) -> None:
    principal = _principal(kind, role, platform_admin=platform_admin, totp_pending=totp_pending)
    wrong = []
    for permission in Permission:
        decision = authorize(principal, permission)
        assert decision.reason, "every decision says why"
        if decision.allowed != _expected(kind, role, platform_admin, permission, totp_pending):
            wrong.append((permission.value, decision.allowed, decision.reason))
    assert wrong == [], f"{kind.value}/{role.value}/platform={platform_admin}: {wrong}"


@pytest.mark.parametrize("role", sorted(set(Role) - {Role.DEVICE}))
def test_totp_pending_session_may_only_manage_its_account(role: Role) -> None:
    principal = _principal(PrincipalKind.USER, role, platform_admin=True, totp_pending=True)
    assert {p for p in Permission if authorize(principal, p).allowed} == {P.ACCOUNT_SELF}


@pytest.mark.parametrize("role", sorted(set(Role) - {Role.DEVICE}))
def test_device_kind_is_denied_everything_when_role_is_not_device(role: Role) -> None:
    principal = _principal(PrincipalKind.DEVICE, role, platform_admin=True)
    assert [p for p in Permission if authorize(principal, p).allowed] == []


@pytest.mark.parametrize("kind", [PrincipalKind.USER, PrincipalKind.API_KEY])
@pytest.mark.parametrize("platform_admin", [False, True])
def test_user_with_device_role_is_denied_everything(
    kind: PrincipalKind, platform_admin: bool
) -> None:
    principal = _principal(kind, Role.DEVICE, platform_admin=platform_admin)
    assert [p for p in Permission if authorize(principal, p).allowed] == []


def test_device_may_only_post_events_read_commands_and_identify_when_genuine() -> None:
    principal = _principal(PrincipalKind.DEVICE, Role.DEVICE)
    allowed = {p for p in Permission if authorize(principal, p).allowed}
    assert allowed == {
        P.DEVICE_EVENTS_WRITE,
        P.DEVICE_COMMANDS_READ,
        P.FACES_IDENTIFY,
        P.PLATES_READ,
    }


@pytest.mark.parametrize("role", sorted(USER_ROLES))
def test_platform_permission_requires_platform_admin_user(role: Role) -> None:
    manage = P.PLATFORM_TENANTS_MANAGE
    assert authorize(_principal(PrincipalKind.USER, role, platform_admin=True), manage).allowed
    assert not authorize(_principal(PrincipalKind.USER, role), manage).allowed
    assert not authorize(
        _principal(PrincipalKind.API_KEY, role, platform_admin=True), manage
    ).allowed
    assert not authorize(
        _principal(PrincipalKind.DEVICE, Role.DEVICE, platform_admin=True), manage
    ).allowed


def test_platform_flag_grants_nothing_else_when_role_is_weak() -> None:
    principal = _principal(PrincipalKind.USER, Role.GUARD, platform_admin=True)
    allowed = {p for p in Permission if authorize(principal, p).allowed}
    assert allowed == EXPECTED[Role.GUARD] | {P.PLATFORM_TENANTS_MANAGE}


def test_api_key_gets_exactly_its_role_when_authorized() -> None:
    for role in USER_ROLES:
        principal = _principal(PrincipalKind.API_KEY, role)
        allowed = {p for p in Permission if authorize(principal, p).allowed}
        assert allowed == EXPECTED[role], role


def test_actor_names_principal_by_kind_and_id_only() -> None:
    principal = _principal(PrincipalKind.USER, Role.ADMIN)
    assert principal.actor == f"user:{'1' * 32}"
    assert "someone" not in principal.actor
