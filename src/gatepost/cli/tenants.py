"""`gatepost tenants list|invite|suspend|resume`: the operator's tenants, invitations
into them, and suspending or resuming one (``services.tenants``).

``invite`` closes the bootstrap gap: a tenant made over HTTP gets its first
administrator through a one-time, expiring link printed here once (only its hash is
stored). The invitee opens it, chooses a username and password, and signs in.
"""

from __future__ import annotations

from typing import Annotated

import typer

from gatepost.cli.context import cli_state, console, fail
from gatepost.errors import GatepostError

__all__ = ["app"]

app = typer.Typer(help="Tenants and invitations.", no_args_is_help=True)

_ACTOR = "cli:operator"
_ALL = 1_000_000  # tenants listed at once: every one


@app.command("list")
def list_tenants() -> None:
    """Every tenant: slug, name and id."""
    container = cli_state.ready()
    for tenant in container.tenants.list(limit=_ALL, after=None).items:
        shredded = " [red](keys shredded)[/]" if tenant.shredded else ""
        suspended = " [yellow](suspended)[/]" if tenant.suspended else ""
        console.print(
            f"{tenant.slug}\t{tenant.name}\t{tenant.id}{shredded}{suspended}", soft_wrap=True
        )


@app.command("suspend")
def suspend(slug: Annotated[str, typer.Argument(help="The tenant's slug.")]) -> None:
    """Suspend a tenant: its users cannot sign in, its sessions, API keys and devices
    are refused, its invitations cannot be accepted. Its data stays; `resume` undoes it."""
    _set_suspended(slug, suspend=True)


@app.command("resume")
def resume(slug: Annotated[str, typer.Argument(help="The tenant's slug.")]) -> None:
    """Resume a suspended tenant: everything it had works again."""
    _set_suspended(slug, suspend=False)


def _set_suspended(slug: str, *, suspend: bool) -> None:
    container = cli_state.ready()
    try:
        tenant = container.tenants.set_suspended_by_slug(actor=_ACTOR, slug=slug, suspend=suspend)
    except GatepostError as exc:
        raise fail(exc.message) from exc
    state = "[yellow]suspended[/]" if tenant.suspended else "[green]active[/]"
    console.print(f"{state} tenant {tenant.slug}", soft_wrap=True)


@app.command("invite")
def invite(
    slug: Annotated[str, typer.Argument(help="The tenant's slug.")],
    role: Annotated[
        str, typer.Option(help="Role of the invited user: admin, operator, guard, hr, auditor.")
    ] = "admin",
    hours: Annotated[
        int | None,
        typer.Option(help="Hours the link stays valid (default: security.invitation_hours)."),
    ] = None,
) -> None:
    """Print a one-time link that lets someone join the tenant (its first administrator).

    The link is shown only now; give it to the invitee over a channel you trust. It
    expires, works once, and can be revoked by a platform administrator.
    """
    container = cli_state.ready()
    try:
        issued = container.invitations.create_for_slug(
            actor=_ACTOR, slug=slug, role=role, hours=hours
        )
    except GatepostError as exc:
        raise fail(exc.message) from exc
    invitation = issued.invitation
    console.print(
        f"[green]invited[/] a new {invitation.role} of {slug.strip().lower()}; the link "
        f"works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC (shown only now):",
        soft_wrap=True,
    )
    typer.echo(issued.link)
    server = container.settings.server
    if not server.public_url:
        console.print(
            "[yellow]note:[/] server.public_url is not set, so the link names the address "
            f"gatepost listens on ({server.base_url}); set server.public_url to the "
            "address invitees reach (https) and invite again if that is not it.",
            soft_wrap=True,
        )
