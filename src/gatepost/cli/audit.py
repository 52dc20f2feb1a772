"""`gatepost audit verify`: check every tenant's audit hash chain."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from gatepost.cli.context import cli_state, console, fail

app = typer.Typer(help="Audit log tools.", no_args_is_help=True)


@app.command("verify")
def verify(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant (slug).")] = None,
) -> None:
    """Verify the audit chain: detects edited, deleted, inserted or reordered entries.

    Exits 1 when any chain is broken.
    """
    container = cli_state.ready()
    tenants = [
        t
        for t in container.tenants.list(limit=1_000_000, after=None).items
        if tenant is None or t.slug == tenant
    ]
    if not tenants:
        raise fail("no such tenant" if tenant else "no tenants yet")
    table = Table("tenant", "entries", "chain", "problems")
    broken = False
    for row in tenants:
        if row.shredded:
            table.add_row(row.slug, "-", "[dim]shredded[/]", "keys destroyed")
            continue
        report = container.audit.verify(tenant_id=row.id)
        broken |= not report.intact
        table.add_row(
            row.slug,
            str(report.entries),
            "[green]intact[/]" if report.intact else "[red]BROKEN[/]",
            "\n".join(report.problems[:10]),
        )
    console.print(table)
    if broken:
        raise typer.Exit(1)
