"""`gatepost keys rotate|shred`: key-encryption key rotation and crypto-shredding."""

from __future__ import annotations

import base64
from typing import Annotated

import typer

from gatepost.cli.context import cli_state, console, fail
from gatepost.errors import GatepostError, NotFound
from gatepost.security.crypto import new_key
from gatepost.services.audit import AuditRecord

app = typer.Typer(help="Key management.", no_args_is_help=True)

_ACTOR = "cli:operator"
_ALL = 1_000_000  # tenants listed at once: every one


@app.command("rotate")
def rotate(
    data_keys: Annotated[
        bool, typer.Option("--data-keys", help="Also start a new data-key generation per tenant.")
    ] = False,
) -> None:
    """Re-wrap every tenant's data keys under a new key-encryption key (KEK).

    The new KEK is staged beside the old one before the database commits and replaces
    it after, so an interruption never loses keys (the next start finishes the job).
    With the env key source the new KEK is printed: put it in GATEPOST_KEYS__KEK
    before the next start.
    """
    container = cli_state.ready()
    new_kek = new_key()
    container.keys.stage_kek(new_kek)
    with container.tx.write() as uow:
        count = container.keys.rewrap_all(uow, new_kek)
        for tenant in uow.tenants.list(limit=_ALL, after=None):
            if not tenant.shredded:
                uow.audit(
                    tenant.id,
                    AuditRecord(
                        actor=_ACTOR, action="keys.kek_rotated", target=f"tenant:{tenant.id}"
                    ),
                )
    container.keys.adopt_kek(new_kek)
    console.print(f"[green]rotated[/] key-encryption key; re-wrapped {count} data keys")
    if container.settings.keys.source == "env":
        console.print("New GATEPOST_KEYS__KEK (set it before the next start):", soft_wrap=True)
        typer.echo(base64.b64encode(new_kek).decode())
    if data_keys:
        with container.tx.write() as uow:
            for tenant in uow.tenants.list(limit=_ALL, after=None):
                if tenant.shredded:
                    continue
                generation = container.keys.add_data_generation(uow, tenant_id=tenant.id)
                uow.audit(
                    tenant.id,
                    AuditRecord(
                        actor=_ACTOR,
                        action="keys.data_key_added",
                        target=f"tenant:{tenant.id}",
                        details={"generation": str(generation)},
                    ),
                )
        console.print("[green]added[/] a new data-key generation for every tenant")


@app.command("shred")
def shred(
    tenant: Annotated[str, typer.Option(help="Tenant slug whose keys are destroyed.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
) -> None:
    """Destroy a tenant's data keys: all its sealed data becomes unreadable for good.

    The shredding is recorded in the operator's own audit log (the shredded tenant's
    log can no longer be verified, by design).
    """
    if not yes:
        raise fail("refusing without --yes: shredding cannot be undone")
    container = cli_state.ready()
    try:
        count = container.tenants.shred_by_slug(actor=_ACTOR, slug=tenant)
    except NotFound as exc:
        raise fail("no such tenant") from exc
    except GatepostError as exc:
        raise fail(exc.message) from exc
    console.print(f"[yellow]shredded[/] {count} keys of tenant {tenant}")
