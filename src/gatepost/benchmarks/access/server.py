"""The gatepost processes under test: the composition root under uvicorn, one per worker.

Owns :func:`serve`: ``--workers`` child processes, each the full
:class:`gatepost.app.Gatepost` (API and, since ``mqtt.enabled``, the MQTT gateway step)
on its own free 127.0.0.1 port, configured by ``GATEPOST_*`` variables written here.
The workers share the devices' arrivals through the gateway's MQTT 5 shared
subscription and one database. Child processes, not threads: the load generator and
the server must not share one GIL.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from gatepost.benchmarks.children import child_environment, free_port, uvicorn_command
from gatepost.settings import Settings

__all__ = ["serve"]


def _environment(settings: Settings) -> dict[str, str]:
    mqtt = settings.mqtt
    return child_environment(
        settings,
        {
            "GATEPOST_MQTT__ENABLED": "true",
            "GATEPOST_MQTT__HOST": mqtt.host,
            "GATEPOST_MQTT__PORT": str(mqtt.port),
            "GATEPOST_MQTT__DIR": str(mqtt.dir),
            "GATEPOST_MQTT__GATEWAY_USERNAME": mqtt.gateway_username,
            "GATEPOST_FACES__ENGINE__TYPE": "fake",
            "GATEPOST_PLATES__READER__TYPE": "fake",
            "GATEPOST_PLATES__REPEAT_WINDOW_SECONDS": str(settings.plates.repeat_window_seconds),
        },
    )


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
            port = free_port()
            log = settings.data_dir / f"worker-{n}.log"
            command = uvicorn_command(port)
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
