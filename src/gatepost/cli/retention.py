"""`gatepost retention purge`: delete what outlived its retention, in every tenant."""

from __future__ import annotations

import typer
from rich.table import Table

from gatepost.cli.context import cli_state, console, fail

app = typer.Typer(help="Retention: purge expired data.", no_args_is_help=True)


@app.command("purge")
def purge() -> None:
    """Delete expired plate reads and frames, and old delivered or failed notifications
    (webhooks.keep_delivered_days, keep_failed_days), in every tenant (SECURITY.md 28).

    Each tenant's audit log gets a receipt with the counts (no personal data). Safe to
    run at any time, e.g. daily from cron or a systemd timer.
    """
    container = cli_state.ready()
    now = container.clock.now()
    receipts = container.retention.purge_expired(now)
    if not receipts:
        raise fail("no tenants yet")
    table = Table(
        "tenant",
        "plate reads",
        "plate frames",
        "notifications",
        "note",
        title=f"expired before {now:%Y-%m-%d %H:%M:%S %Z}",
    )
    for receipt in receipts:
        table.add_row(
            receipt.slug,
            str(receipt.plate_reads),
            str(receipt.plate_frames),
            str(receipt.deliveries),
            f"[dim]skipped: {receipt.skipped}[/]" if receipt.skipped else "",
        )
    console.print(table)
    total = sum(r.removed for r in receipts)
    console.print(f"[green]purged[/] {total} expired record(s)" if total else "nothing expired")
