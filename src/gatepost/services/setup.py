"""SetupService: first-run setup with a one-time, expiring token (SECURITY.md 3).

A fresh install has no accounts and no keys. ``gatepost init`` (or ``serve`` while no
administrator exists) issues a setup token valid for at most 30 minutes; completing
setup creates the operator's tenant, its keys and the first administrator, and spends
the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from gatepost.domain.accounts import User
from gatepost.domain.ports import Clock
from gatepost.domain.tenants import normalise_slug
from gatepost.errors import Conflict, SetupError
from gatepost.security.password_policy import check_password_policy
from gatepost.security.passwords import Passwords
from gatepost.security.permissions import Role
from gatepost.security.tokens import TokenKind, issue_token, parse_token, tokens_equal
from gatepost.services.audit import AuditRecord
from gatepost.services.tenants import TenantService
from gatepost.services.uow import Transactions
from gatepost.store.ids import new_id

__all__ = ["SetupResult", "SetupService"]


@dataclass(frozen=True)
class SetupResult:
    tenant_id: str
    user_id: str


class SetupService:
    def __init__(
        self,
        *,
        tx: Transactions,
        passwords: Passwords,
        clock: Clock,
        tenants: TenantService,
        token_minutes: int,
        password_min_length: int,
    ) -> None:
        self._tx = tx
        self._passwords = passwords
        self._clock = clock
        self._tenants = tenants
        self._ttl = timedelta(minutes=min(token_minutes, 30))
        self._min_length = password_min_length

    def needed(self) -> bool:
        """Whether first-run setup is still to be done (no administrator exists)."""
        with self._tx.read() as uow:
            return not uow.accounts.admin_exists()

    def issue_token(self) -> str:
        """A new one-time setup token; refused once an administrator exists."""
        now = self._clock.now()
        token_id = new_id()
        token = issue_token(TokenKind.SETUP, token_id)
        parsed = parse_token(token, expect=TokenKind.SETUP)
        assert parsed is not None  # noqa: S101 - issue_token makes well-formed tokens
        with self._tx.write() as uow:
            if uow.accounts.admin_exists():
                raise SetupError("setup is already complete")
            uow.accounts.add_setup_token(
                token_id=token_id,
                token_hash=parsed.token_hash,
                created_at=now,
                expires_at=now + self._ttl,
            )
        return token

    def complete(
        self,
        *,
        token: str,
        tenant_name: str,
        tenant_slug: str,
        username: str,
        password: str,
    ) -> SetupResult:
        """Spend the token: the operator's tenant, its keys and first administrator."""
        slug = normalise_slug(tenant_slug)
        username = username.strip().lower()
        check_password_policy(
            password,
            min_length=self._min_length,
            username=username,
            organisation=(tenant_name, slug),
        )
        parsed = parse_token(token.strip(), expect=TokenKind.SETUP)
        now = self._clock.now()
        with self._tx.write() as uow:
            if uow.accounts.admin_exists():
                raise SetupError("setup is already complete")
            stored = uow.accounts.lock_setup_token(parsed.token_hash) if parsed else None
            if (
                stored is None
                or parsed is None
                or not tokens_equal(stored.token_hash, parsed.token_hash)
                or stored.used_at is not None
                or stored.expires_at <= now
            ):
                raise SetupError("the setup token is invalid, used or expired")
            if uow.tenants.by_slug(slug) is not None:
                raise Conflict("a tenant with this slug exists")
            uow.accounts.spend_setup_token(token_id=stored.id, at=now)
            tenant = self._tenants.create_in(uow, name=tenant_name, slug=slug)
            user = User(
                tenant_id=tenant.id,
                id=new_id(),
                username=username,
                role=Role.ADMIN.value,
                created_at=now,
                password_changed_at=now,
                platform_admin=True,
            )
            uow.accounts.add_user(user, password_hash=self._passwords.hash(password))
            uow.audit(
                tenant.id,
                AuditRecord(
                    actor=f"user:{user.id}",
                    action="setup.completed",
                    target=f"user:{user.id}",
                    purpose="first-run setup",
                ),
            )
        return SetupResult(tenant_id=tenant.id, user_id=user.id)
