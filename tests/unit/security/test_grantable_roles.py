"""``grantable_roles``: nobody hands out a role with more than their own permissions,
and the device role is never handed to people or keys (property tests over every
role and over made-up permission sets)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gatepost.security.permissions import (
    ROLE_PERMISSIONS,
    USER_ROLES,
    Permission,
    Role,
    grantable_roles,
)

ROLES = st.sampled_from(list(Role))


@given(ROLES)
def test_grantable_roles_never_exceed_own_permissions_when_any_role_grants(role: Role) -> None:
    for granted in grantable_roles(role):
        assert ROLE_PERMISSIONS[granted] <= ROLE_PERMISSIONS[role]


@given(ROLES)
def test_grantable_roles_never_include_device_when_any_role_grants(role: Role) -> None:
    assert Role.DEVICE not in grantable_roles(role)
    assert grantable_roles(role) <= USER_ROLES


@given(ROLES)
def test_grantable_roles_include_own_role_when_it_is_a_user_role(role: Role) -> None:
    assert (role in grantable_roles(role)) is (role in USER_ROLES)


@given(ROLES, ROLES)
def test_grantable_roles_include_every_role_within_own_when_compared(
    role: Role, other: Role
) -> None:
    within = ROLE_PERMISSIONS[other] <= ROLE_PERMISSIONS[role]
    assert (other in grantable_roles(role)) is (within and other in USER_ROLES)


@given(ROLES, ROLES)
def test_grantable_roles_are_transitive_when_a_granted_role_grants_on(
    role: Role, other: Role
) -> None:
    if other in grantable_roles(role):
        assert grantable_roles(other) <= grantable_roles(role)


def test_grantable_roles_give_admin_every_user_role_when_admin() -> None:
    assert grantable_roles(Role.ADMIN) == USER_ROLES


def test_grantable_roles_refuse_admin_when_role_lacks_users_write() -> None:
    for role in USER_ROLES - {Role.ADMIN}:
        assert Permission.USERS_WRITE not in ROLE_PERMISSIONS[role]
        assert Role.ADMIN not in grantable_roles(role)
