"""`gatepost init`: data directory, key file, schema, and a first-run setup token."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gatepost.cli.context import cli_state, console, fail, prepare_data_dir
from gatepost.errors import GatepostError


def init(
    tenant_name: Annotated[
        str | None, typer.Option(help="Complete setup now: the operator's organisation name.")
    ] = None,
    tenant_slug: Annotated[
        str | None, typer.Option(help="Organisation slug used at login.")
    ] = None,
    admin: Annotated[str | None, typer.Option(help="First administrator's username.")] = None,
    password_file: Annotated[
        Path | None,
        typer.Option(help="File holding the administrator's password (never on the command line)."),
    ] = None,
) -> None:
    """Create the data directory, the key file (mode 0600) and the database schema.

    Without options, prints a one-time setup token (valid up to 30 minutes) to finish
    setup in the browser at /ui/setup. With --tenant-name, --tenant-slug, --admin and
    --password-file it completes setup at once.
    """
    settings = cli_state.settings()
    created = prepare_data_dir(settings)
    if settings.keys.source == "file":
        console.print(
            f"{'created' if created else 'kept   '} key file {settings.key_file} (mode 0600)"
        )
    container = cli_state.ready()
    console.print("schema   up to date")
    if not container.setup.needed():
        console.print("setup    already complete: an administrator exists")
        return
    try:
        token = container.setup.issue_token()
        if tenant_name and tenant_slug and admin and password_file:
            password = password_file.read_text().rstrip("\n")
            result = container.setup.complete(
                token=token,
                tenant_name=tenant_name,
                tenant_slug=tenant_slug,
                username=admin,
                password=password,
            )
            console.print(
                f"setup    complete: tenant {tenant_slug} ({result.tenant_id}), "
                f"administrator {admin}"
            )
            return
    except GatepostError as exc:
        raise fail(exc.message) from exc
    minutes = settings.security.setup_token_minutes
    console.print(f"setup    token (valid {minutes} min, use once):")
    typer.echo(f"\n  {token}\n")
    console.print(
        "Run `gatepost serve` and open http://127.0.0.1:"
        f"{settings.server.port}/ui/setup to create the first administrator."
    )
