"""The gatepost processes under test: the composition root under uvicorn, one per worker.

Owns :func:`serve`: ``--workers`` child processes, each the full
:class:`gatepost.app.Gatepost` (API and, since ``mqtt.enabled``, the MQTT gateway step)
on its own free 127.0.0.1 port, configured by ``GATEPOST_*`` variables written here.
The workers share the devices' arrivals through the gateway's MQTT 5 shared
subscription and one database. Child processes, not threads: the load generator and
the server must not share one GIL.
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

from gatepost.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["app_from_environment", "serve"]


def app_from_environment() -> FastAPI:
    """The uvicorn factory each child runs (settings from ``GATEPOST_*``)."""
    from gatepost.app import Gatepost

    return Gatepost(Settings()).start().app


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEPOST_")}
    mqtt = settings.mqtt
    env.update(
        {
            "GATEPOST_ENV": settings.env.value,
            "GATEPOST_DATA_DIR": str(settings.data_dir),
            "GATEPOST_DB__URL": settings.database_url,
            "GATEPOST_SECURITY__ARGON2_MEMORY_KIB": str(settings.security.argon2_memory_kib),
            "GATEPOST_SECURITY__ARGON2_TIME_COST": str(settings.security.argon2_time_cost),
            "GATEPOST_MQTT__ENABLED": "true",
            "GATEPOST_MQTT__HOST": mqtt.host,
            "GATEPOST_MQTT__PORT": str(mqtt.port),
            "GATEPOST_MQTT__DIR": str(mqtt.dir),
            "GATEPOST_MQTT__GATEWAY_USERNAME": mqtt.gateway_username,
            "GATEPOST_FACES__ENGINE__TYPE": "fake",
            "GATEPOST_PLATES__READER__TYPE": "fake",
            "GATEPOST_PLATES__REPEAT_WINDOW_SECONDS": str(settings.plates.repeat_window_seconds),
        }
    )
    return env


def _wait_healthy(child: subprocess.Popen[bytes], base_url: str, log: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        if child.poll() is not None:
            raise RuntimeError(f"the gatepost worker exited: {open(log).read()[-2000:]}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the gatepost worker did not start: {open(log).read()[-2000:]}")
        time.sleep(0.1)


@contextmanager
def serve(settings: Settings, *, workers: int) -> Iterator[list[str]]:
    """``workers`` gatepost processes (see the module doc); yields their base URLs."""
    children: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for n in range(workers):
            port = _free_port()
            log = settings.data_dir / f"worker-{n}.log"
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
            with log.open("wb") as out:
                child = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
                    command, env=_environment(settings), stdout=out, stderr=out
                )
            children.append(child)
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(child, url, str(log))
            urls.append(url)
        yield urls
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
