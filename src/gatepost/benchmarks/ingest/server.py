"""The server for the latency runs: the real app under uvicorn in a child process.

Owns :func:`serve` (start uvicorn on a free 127.0.0.1 port, wait for ``/health``, stop
it afterwards) and the factory the child runs, :func:`app_from_environment`, which
starts the composition root (:class:`gatepost.app.Gatepost`) from the ``GATEPOST_*``
variables set here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import httpx

from gatepost.benchmarks.ingest.instance import Instance
from gatepost.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["app_from_environment", "serve"]

#: How the child server process learns which instance to serve.
_ENV_PREFIX = "GATEPOST_"


def app_from_environment() -> FastAPI:
    """The uvicorn factory run in the child process: settings come from GATEPOST_*.

    The child runs until :func:`serve` terminates it; what the steps opened (the
    database pool) ends with the process.
    """
    from gatepost.app import Gatepost

    return Gatepost(Settings()).start().app


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _child_environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ENV_PREFIX)}
    env.update(
        {
            "GATEPOST_ENV": settings.env.value,
            "GATEPOST_DATA_DIR": str(settings.data_dir),
            "GATEPOST_DB__URL": settings.database_url,
            "GATEPOST_SECURITY__ARGON2_MEMORY_KIB": str(settings.security.argon2_memory_kib),
            "GATEPOST_SECURITY__ARGON2_TIME_COST": str(settings.security.argon2_time_cost),
        }
    )
    return env


@contextmanager
def serve(instance: Instance) -> Iterator[str]:
    """The real app under uvicorn in a child process on 127.0.0.1; yields its base URL.

    A child process, not a thread: on a 2-core machine the load generator and the
    server then each get a core and do not share one GIL, as in production.
    """
    port = _free_port()
    log_path = instance.settings.data_dir / "uvicorn.log"
    command = [
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
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            command, env=_child_environment(instance.settings), stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if child.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.1)
        yield base_url
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
