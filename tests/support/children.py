"""A gatepost server as a child process, and the broker's process, for kill/restart tests.

:class:`ServerChild` runs the composition root under uvicorn (API and, with
``mqtt.enabled``, the MQTT gateway step) on a fixed free port, configured by
``GATEPOST_*`` variables as ``gatepost bench access`` runs its workers; it can be
SIGKILLed and started again on the same port. :func:`kill_broker` SIGKILLs a broker
that scripts/mosquitto.sh started (its pid file); :func:`broker_script` runs the script
for a broker directory and port (``start`` after a kill starts it afresh).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

from gatepost.benchmarks.children import child_environment, free_port, uvicorn_command
from gatepost.settings import Settings
from tests.support.services import REPO_ROOT, missing

__all__ = ["ServerChild", "broker_script", "kill_broker", "need_mosquitto"]


def need_mosquitto() -> None:
    """Skip (fail in CI) when the mosquitto binary is not installed."""
    if not (shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists()):
        missing("the mosquitto binary (scripts/install-system-deps.sh)")


def broker_script(command: str, directory: Path, port: int, gateway_user: str) -> None:
    """scripts/mosquitto.sh ``command`` for the broker in ``directory`` on ``port``."""
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "GATEPOST_MQTT_DIR": str(directory),
        "GATEPOST_TEST_MQTT_PORT": str(port),
        "GATEPOST_MQTT_GATEWAY_USER": gateway_user,
    }
    subprocess.run(  # noqa: S603 - our own script, fixed arguments
        ["bash", str(REPO_ROOT / "scripts" / "mosquitto.sh"), command],  # noqa: S607
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )


def kill_broker(directory: Path) -> None:
    """SIGKILL the broker whose pid file is in ``directory`` and wait until it is gone."""
    pid = int((directory / "mosquitto.pid").read_text(encoding="ascii").strip())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    raise AssertionError(f"mosquitto {pid} survived SIGKILL")


class ServerChild:
    """``gatepost`` under uvicorn in a child process (see the module doc)."""

    def __init__(self, settings: Settings, *, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log
        mqtt = settings.mqtt
        self._env = child_environment(
            settings,
            {
                "GATEPOST_MQTT__ENABLED": "true" if mqtt.enabled else "false",
                "GATEPOST_MQTT__HOST": mqtt.host,
                "GATEPOST_MQTT__PORT": str(mqtt.port),
                "GATEPOST_MQTT__DIR": str(mqtt.dir),
                "GATEPOST_MQTT__GATEWAY_USERNAME": mqtt.gateway_username,
                "GATEPOST_FACES__ENGINE__TYPE": "fake",
                "GATEPOST_PLATES__READER__TYPE": "fake",
            },
        )
        self._child: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 60) -> None:
        """Start the child and wait until /health answers."""
        with self._log.open("ab") as out:
            self._child = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
                uvicorn_command(self.port), env=self._env, stdout=out, stderr=out
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while True:
            if self._child.poll() is not None:
                raise AssertionError(f"gatepost exited: {self._log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"gatepost did not start: {self._log.read_text()[-2000:]}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown, nothing flushed or said goodbye."""
        if self._child is not None:
            self._child.kill()
            self._child.wait(timeout=10)
            self._child = None

    def stop(self) -> None:
        if self._child is not None:
            self._child.terminate()
            try:
                self._child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait()
            self._child = None
