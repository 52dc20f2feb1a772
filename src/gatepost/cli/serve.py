"""`gatepost serve`: run the API and admin UI, refusing unsafe exposure."""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import typer

from gatepost.cli.context import cli_state, console, fail, prepare_data_dir
from gatepost.logs import uvicorn_log_config
from gatepost.settings import Settings


def transport_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's TLS and proxy options: TLS when a certificate is set, and the
    ``X-Forwarded-*`` headers (client address, ``https``) believed only from
    ``server.trusted_proxy``. The app reads the result as the request's scheme (HSTS
    on HTTPS only, see :mod:`gatepost.api.middleware`)."""
    certfile, keyfile = settings.server.tls_certfile, settings.server.tls_keyfile
    return {
        "ssl_certfile": str(certfile) if certfile else None,
        "ssl_keyfile": str(keyfile) if keyfile else None,
        "proxy_headers": settings.server.trusted_proxy is not None,
        "forwarded_allow_ips": settings.server.trusted_proxy or "127.0.0.1",
    }


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port (default 8000).")] = None,
) -> None:
    """Serve the API (/api/v1, /docs) and the admin UI (/ui).

    Binds 127.0.0.1 unless told otherwise. A non-loopback bind is refused without TLS
    (server.tls_certfile/keyfile) or an explicit trusted proxy, and before an
    administrator exists.
    """
    import uvicorn

    from gatepost.app import Gatepost

    settings = cli_state.settings()
    if host or port:
        server = settings.server.model_copy(
            update={k: v for k, v in (("host", host), ("port", port)) if v is not None}
        )
        settings = settings.model_copy(update={"server": server})
        cli_state._settings = settings
    early = settings.exposure_problems(admin_exists=True)
    if early:
        _refuse(early)
    prepare_data_dir(settings)
    container = cli_state.ready()
    admin_exists = not container.setup.needed()
    problems = settings.exposure_problems(admin_exists=admin_exists)
    if problems:
        _refuse(problems)
    if not admin_exists:
        token = container.setup.issue_token()
        console.print(
            f"First run: open http://{settings.server.host}:{settings.server.port}"
            "/ui/setup with this one-time token:",
            soft_wrap=True,
        )
        typer.echo(f"\n  {token}\n")
    with Gatepost.with_container(container) as gatepost:
        uvicorn.run(
            gatepost.app,
            host=settings.server.host,
            port=settings.server.port,
            **transport_options(settings),
            server_header=False,
            log_config=uvicorn_log_config(),
        )


def _refuse(problems: list[str]) -> NoReturn:
    for problem in problems:
        console.print(f"[red]refused[/] {problem}", soft_wrap=True)
    raise fail("not starting: the bind would expose gatepost unsafely", code=2)
