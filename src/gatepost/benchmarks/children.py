"""Server child processes of the benchmarks: uvicorn running the composition root with
settings passed through ``GATEPOST_*`` (each benchmark's ``serve`` starts and stops them)."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from gatepost.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["app_from_environment", "child_environment", "free_port", "uvicorn_command"]

_ENV_PREFIX = "GATEPOST_"


def app_from_environment() -> FastAPI:
    """The uvicorn factory run in the child process: settings come from GATEPOST_*.

    The child runs until its benchmark terminates it; what the steps opened (the
    database pool, the gateway) ends with the process.
    """
    from gatepost.app import Gatepost

    return Gatepost(Settings()).start().app


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def child_environment(settings: Settings, extra: Mapping[str, str] = {}) -> dict[str, str]:  # noqa: B006 - read only
    """This process's environment without its GATEPOST_* variables, plus those that make
    a child serve the instance of ``settings`` (and ``extra``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ENV_PREFIX)}
    env.update(
        {
            "GATEPOST_ENV": settings.env.value,
            "GATEPOST_DATA_DIR": str(settings.data_dir),
            "GATEPOST_DB__URL": settings.database_url,
            "GATEPOST_SECURITY__ARGON2_MEMORY_KIB": str(settings.security.argon2_memory_kib),
            "GATEPOST_SECURITY__ARGON2_TIME_COST": str(settings.security.argon2_time_cost),
            **extra,
        }
    )
    return env


def uvicorn_command(port: int) -> list[str]:
    """The command line of a child serving :func:`app_from_environment` on ``port``."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        f"{__name__}:app_from_environment",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
