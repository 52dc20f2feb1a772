"""gatepost's own Mosquitto as a child of this process, on a free loopback port.

Owns starting and stopping a private broker for the demo and the benchmarks, the same
way the tests and ``make test`` run theirs: ``scripts/mosquitto.sh start|stop`` with
``GATEPOST_MQTT_DIR`` set to a directory of the caller's. The script generates the
broker's config there (one listener on 127.0.0.1, no anonymous clients, the password and
ACL files :mod:`gatepost.ingest.broker_accounts` writes, TCP_NODELAY, persistence) and
creates the gateway's account; this module only picks the port, runs the script and
says clearly what is missing when it cannot (:func:`broker_problem`).

The script lives in the source checkout (``make demo`` and ``make test`` run from one),
not in an installed wheel.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gatepost.ingest.broker_accounts import BrokerFiles

__all__ = [
    "BROKER_SCRIPT",
    "BrokerUnavailable",
    "OwnBroker",
    "broker_problem",
    "own_broker",
]

BROKER_SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "mosquitto.sh"
"""scripts/mosquitto.sh of the checkout this package runs from."""

_INSTALL = "install it with: bash scripts/install-system-deps.sh (the Debian package mosquitto)"
_SEARCH_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class BrokerUnavailable(RuntimeError):
    """The broker could not be started; the message says what is missing or what failed."""


@dataclass(frozen=True)
class OwnBroker:
    """A running broker of this process: where it listens and where its files are."""

    host: str
    port: int
    dir: Path
    gateway_username: str

    @property
    def files(self) -> BrokerFiles:
        return BrokerFiles.in_dir(self.dir)

    def pid(self) -> int | None:
        """The broker process's id while the script's pid file names one."""
        try:
            return int(self.files.pid_file.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return None


def _search_path() -> str:
    return f"{os.environ.get('PATH', '')}:{_SEARCH_PATH}"


def broker_problem() -> str | None:
    """What stops :func:`own_broker` on this machine, and how to fix it; None if nothing."""
    if not BROKER_SCRIPT.is_file():
        return f"{BROKER_SCRIPT} is missing: run gatepost from its source checkout"
    path = _search_path()
    for program in ("mosquitto", "mosquitto_passwd"):
        if shutil.which(program, path=path) is None:
            return f"{program} is not installed; {_INSTALL}"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _script(command: str, broker: OwnBroker) -> None:
    env = {
        "PATH": _search_path(),
        "GATEPOST_MQTT_DIR": str(broker.dir),
        "GATEPOST_TEST_MQTT_PORT": str(broker.port),
        "GATEPOST_MQTT_GATEWAY_USER": broker.gateway_username,
    }
    try:
        done = subprocess.run(  # noqa: S603 - our own script, fixed arguments
            [shutil.which("bash") or "/bin/bash", str(BROKER_SCRIPT), command],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BrokerUnavailable(f"scripts/mosquitto.sh {command}: {exc}") from exc
    if done.returncode != 0:
        raise BrokerUnavailable(f"scripts/mosquitto.sh {command}: {done.stderr.strip()[-500:]}")


@contextmanager
def own_broker(
    directory: Path, *, port: int | None = None, gateway_username: str = "gatepost-gateway"
) -> Iterator[OwnBroker]:
    """Start gatepost's Mosquitto with its files in ``directory`` on 127.0.0.1 (``port``
    or a free one), yield it, and stop it on the way out (BrokerUnavailable when it
    cannot start: see :func:`broker_problem`)."""
    problem = broker_problem()
    if problem is not None:
        raise BrokerUnavailable(problem)
    broker = OwnBroker("127.0.0.1", port or _free_port(), directory, gateway_username)
    _script("start", broker)
    try:
        yield broker
    finally:
        _script("stop", broker)
