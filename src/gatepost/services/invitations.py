"""InvitationService: one-time, expiring links that let someone join a tenant with a role.

A platform administrator (over HTTP, in the admin UI, or ``gatepost tenants invite``)
creates an invitation for a tenant and gets its token once, inside a link; only the
token's SHA-256 is stored. The invitee opens the link, sees the organisation and the
role (``inspect``), and chooses a username and password (``accept``): the user is
created and the invitation spent in one transaction. A used, revoked or expired
invitation is refused with its reason and changes nothing; unknown tokens count as
failures of the login throttle for the client. A suspended or shredded tenant gets no
new invitations (Conflict), and its pending links open nothing until it is resumed.

A tenant's own administrators (USERS_WRITE) invite into their own tenant
(``create_in_own_tenant``: the tenant is the caller's, never an input); nobody invites
with a role above their own (``services.users.grantable_role``). Creating, using and revoking are
audited in the invited tenant's chain (creation also in the platform administrator's).

The link carries the token in its fragment (``/ui/invite#<token>``): browsers never
send a fragment to the server, so it is not in access logs, proxies or Referer headers
(docs/security.md, "Invitations").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from gatepost.domain.accounts import User
from gatepost.domain.errors import InvitationRefused
from gatepost.domain.invitations import (
    Invitation,
    InvitationState,
    invitation_lifetime,
    refuse_unless_pending,
    state_of,
)
from gatepost.domain.ports import Clock
from gatepost.domain.tenants import Tenant, normalise_slug
from gatepost.errors import Conflict, NotFound
from gatepost.security.password_policy import check_password_policy
from gatepost.security.passwords import Passwords
from gatepost.security.policy import Principal
from gatepost.security.tokens import ParsedToken, TokenKind, issue_token, parse_token
from gatepost.services.audit import AuditRecord
from gatepost.services.pages import Page, page_by_id
from gatepost.services.tenants import tenant_by_slug, tenant_of
from gatepost.services.throttle import LoginThrottleService
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.services.users import grantable_role, normalise_username, user_role
from gatepost.store.ids import new_id

__all__ = [
    "INVITE_PATH",
    "AcceptedInvitation",
    "InvitationService",
    "InvitationView",
    "IssuedInvitation",
]

INVITE_PATH = "/ui/invite"


@dataclass(frozen=True, repr=False)
class IssuedInvitation:
    """A new invitation with its token and link: shown once, never stored."""

    invitation: Invitation
    token: str
    link: str

    def __repr__(self) -> str:
        return f"IssuedInvitation(id={self.invitation.id})"


@dataclass(frozen=True)
class InvitationView:
    """What the invitee may see before accepting: where, as what, until when."""

    tenant_name: str
    tenant_slug: str
    role: str
    expires_at: datetime


@dataclass(frozen=True)
class AcceptedInvitation:
    tenant_slug: str
    user: User


def _throttle_key(client: str) -> str:
    return f"invitation:{client}"


class InvitationService:
    def __init__(
        self,
        *,
        tx: Transactions,
        passwords: Passwords,
        clock: Clock,
        throttle: LoginThrottleService,
        public_url: str | None,
        fallback_url: str,
        default_hours: int,
        max_hours: int,
        password_min_length: int,
    ) -> None:
        self._tx = tx
        self._passwords = passwords
        self._clock = clock
        self._throttle = throttle
        self._public_url = public_url.rstrip("/") if public_url else None
        self._fallback_url = fallback_url.rstrip("/")
        self._default_hours = default_hours
        self._max_hours = max_hours
        self._min_length = password_min_length

    @property
    def default_hours(self) -> int:
        return self._default_hours

    @property
    def max_hours(self) -> int:
        return self._max_hours

    def link_for(self, token: str, *, origin: str | None = None) -> str:
        """The invitation link: ``server.public_url``, else the address the request came
        to (``origin``), else the one ``serve`` listens on. The token rides in the
        fragment, which browsers never send to a server."""
        base = self._public_url or (origin.rstrip("/") if origin else self._fallback_url)
        return f"{base}{INVITE_PATH}#{token}"

    # -- platform administrators ------------------------------------------------------

    def create(
        self,
        principal: Principal,
        *,
        tenant_id: str,
        role: str = "admin",
        hours: int | None,
        origin: str | None = None,
    ) -> IssuedInvitation:
        """A platform administrator invites someone into ``tenant_id`` with ``role``;
        ``origin``: the address the administrator reached the server at (for the link)."""
        return self._create(
            actor=principal.actor,
            actor_tenant_id=principal.tenant_id,
            find=lambda uow: tenant_of(uow, tenant_id),
            role=grantable_role(principal, role).value,
            hours=hours,
            origin=origin,
        )

    # -- a tenant's own administrators ------------------------------------------------

    def create_in_own_tenant(
        self, principal: Principal, *, role: str, hours: int | None, origin: str | None = None
    ) -> IssuedInvitation:
        """Invite someone into the caller's own tenant with ``role`` (at most the
        caller's own: ValidationFailed ``role`` otherwise)."""
        return self._create(
            actor=principal.actor,
            actor_tenant_id=principal.tenant_id,
            find=lambda uow: tenant_of(uow, principal.tenant_id),
            role=grantable_role(principal, role).value,
            hours=hours,
            origin=origin,
        )

    def create_for_slug(
        self, *, actor: str, slug: str, role: str = "admin", hours: int | None
    ) -> IssuedInvitation:
        """The same, by tenant slug, for the operator's command line (``actor``)."""
        normalise_slug(slug)  # a malformed slug is refused before anything is read

        return self._create(
            actor=actor,
            actor_tenant_id=None,
            find=lambda uow: tenant_by_slug(uow, slug),
            role=role,
            hours=hours,
            origin=None,
        )

    def _create(
        self,
        *,
        actor: str,
        actor_tenant_id: str | None,
        find: Callable[[UnitOfWork], Tenant],
        role: str,
        hours: int | None,
        origin: str | None,
    ) -> IssuedInvitation:
        parsed_role = user_role(role)
        lifetime = invitation_lifetime(
            self._default_hours if hours is None else hours, max_hours=self._max_hours
        )
        now = self._clock.now()
        with self._tx.write() as uow:
            tenant = find(uow)
            if tenant.shredded:
                raise Conflict("this tenant's keys were destroyed")
            if tenant.suspended:
                raise Conflict("this tenant is suspended")
            token = issue_token(TokenKind.INVITATION, tenant.id)
            parsed = parse_token(token, expect=TokenKind.INVITATION)
            assert parsed is not None  # noqa: S101 - issue_token makes well-formed tokens
            invitation = Invitation(
                tenant_id=tenant.id,
                id=new_id(),
                role=parsed_role.value,
                created_by=actor,
                created_at=now,
                expires_at=now + lifetime,
            )
            uow.invitations.add(invitation, token_hash=parsed.token_hash)
            record = AuditRecord(
                actor=actor,
                action="invitation.created",
                target=f"invitation:{invitation.id}",
                details={
                    "tenant_id": tenant.id,
                    "role": invitation.role,
                    "expires_at": invitation.expires_at.isoformat(),
                },
            )
            uow.audit(tenant.id, record)
            if actor_tenant_id is not None and actor_tenant_id != tenant.id:
                uow.audit(actor_tenant_id, record)
        link = self.link_for(token, origin=origin)
        return IssuedInvitation(invitation=invitation, token=token, link=link)

    def list(self, *, tenant_id: str, limit: int, after: str | None) -> Page[Invitation]:
        with self._tx.read() as uow:
            tenant_of(uow, tenant_id)
            rows = uow.invitations.list(tenant_id=tenant_id, limit=limit + 1, after=after)
        return page_by_id(rows, limit)

    def list_pending(self, *, tenant_id: str, limit: int, after: str | None) -> Page[Invitation]:
        """The tenant's pending invitations only (not used, revoked or expired), a page
        at a time in id order."""
        now = self._clock.now()
        with self._tx.read() as uow:
            tenant_of(uow, tenant_id)
            rows = uow.invitations.list_pending(
                tenant_id=tenant_id, now=now, limit=limit + 1, after=after
            )
        return page_by_id(rows, limit)

    def revoke(self, principal: Principal, *, tenant_id: str, invitation_id: str) -> Invitation:
        """Revoke a pending (or expired) invitation; a used one cannot be taken back."""
        now = self._clock.now()
        with self._tx.write() as uow:
            invitation = uow.invitations.get(tenant_id=tenant_id, invitation_id=invitation_id)
            if invitation is None:
                raise NotFound("invitation")
            if invitation.used_at is not None:
                raise Conflict("this invitation has already been used")
            if invitation.revoked_at is None:
                if not uow.invitations.revoke(
                    tenant_id=tenant_id, invitation_id=invitation.id, at=now
                ):  # accepted (or revoked) since it was read: re-read, say what it is
                    return self._settled_meanwhile(uow, tenant_id, invitation_id)
                invitation = replace(invitation, revoked_at=now)
                record = AuditRecord(
                    actor=principal.actor,
                    action="invitation.revoked",
                    target=f"invitation:{invitation.id}",
                    details={"tenant_id": tenant_id},
                )
                uow.audit(tenant_id, record)
                if principal.tenant_id != tenant_id:
                    uow.audit(principal.tenant_id, record)
        return invitation

    @staticmethod
    def _settled_meanwhile(uow: UnitOfWork, tenant_id: str, invitation_id: str) -> Invitation:
        """An invitation that a concurrent transaction used or revoked after this one
        read it (READ COMMITTED): a used one cannot be revoked; a revoked one is."""
        again = uow.invitations.get(tenant_id=tenant_id, invitation_id=invitation_id)
        if again is None:
            raise NotFound("invitation")
        if again.used_at is not None:
            raise Conflict("this invitation has already been used")
        return again

    def state(self, invitation: Invitation) -> InvitationState:
        return state_of(invitation, self._clock.now())

    # -- the invitee (public) -------------------------------------------------------

    def _parsed(self, token: str, client: str) -> ParsedToken:
        """The well-formed token, or a counted failure (throttled like login)."""
        self._throttle.check(account=_throttle_key(client), client=client)
        parsed = parse_token(token.strip(), expect=TokenKind.INVITATION)
        if parsed is None:
            raise self._unknown(client)
        return parsed

    def _unknown(self, client: str) -> InvitationRefused:
        """Count a token that opens nothing against the client (outside any transaction)."""
        self._throttle.failed(account=_throttle_key(client), client=client)
        return InvitationRefused("invalid")

    def _lookup(self, uow: UnitOfWork, parsed: ParsedToken) -> tuple[Invitation, Tenant] | None:
        """The invitation (locked when writing) and its tenant; None if the token opens
        nothing."""
        invitation = uow.invitations.by_token(
            tenant_id=parsed.tenant_id, token_hash=parsed.token_hash, lock=uow.writable
        )
        tenant = uow.tenants.get(tenant_id=parsed.tenant_id) if invitation else None
        if invitation is None or tenant is None or tenant.shredded or tenant.suspended:
            return None
        return invitation, tenant

    def _pending(self, parsed: ParsedToken, client: str) -> tuple[Invitation, Tenant]:
        """A pending invitation and its tenant, or InvitationRefused saying why not."""
        with self._tx.read() as uow:
            found = self._lookup(uow, parsed)
        if found is None:
            raise self._unknown(client)
        refuse_unless_pending(found[0], self._clock.now())
        return found

    def inspect(self, *, token: str, client: str) -> InvitationView:
        """The organisation and role of a pending invitation (nothing else about it)."""
        invitation, tenant = self._pending(self._parsed(token, client), client)
        return InvitationView(
            tenant_name=tenant.name,
            tenant_slug=tenant.slug,
            role=invitation.role,
            expires_at=invitation.expires_at,
        )

    def accept(
        self, *, token: str, username: str, password: str, client: str
    ) -> AcceptedInvitation:
        """Spend the invitation: a new user of its tenant with its role, one transaction."""
        parsed = self._parsed(token, client)
        _, invited_to = self._pending(parsed, client)  # refuse a dead link before hashing
        username = normalise_username(username)
        check_password_policy(
            password,
            min_length=self._min_length,
            username=username,
            organisation=(invited_to.name, invited_to.slug),
        )
        password_hash = self._passwords.hash(password)
        now = self._clock.now()
        with self._tx.write() as uow:
            found = self._lookup(uow, parsed)
            if found is None:  # gone since the check above (its tenant shredded)
                raise InvitationRefused("invalid")
            invitation, tenant = found
            refuse_unless_pending(invitation, now)
            if uow.accounts.user_by_username(tenant_id=tenant.id, username=username):
                raise Conflict("this username is taken")
            user = User(
                tenant_id=tenant.id,
                id=new_id(),
                username=username,
                role=invitation.role,
                created_at=now,
                password_changed_at=now,
            )
            uow.accounts.add_user(user, password_hash=password_hash)
            if not uow.invitations.mark_used(
                tenant_id=tenant.id, invitation_id=invitation.id, user_id=user.id, at=now
            ):
                raise InvitationRefused(InvitationState.USED.value)
            uow.audit(
                tenant.id,
                AuditRecord(
                    actor=f"user:{user.id}",
                    action="invitation.used",
                    target=f"invitation:{invitation.id}",
                    purpose="joined by invitation",
                    details={"user_id": user.id, "role": user.role},
                ),
            )
        return AcceptedInvitation(tenant_slug=tenant.slug, user=user)
