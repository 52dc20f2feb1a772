"""`gatepost device simulate`: act as a door controller, turnstile or lane camera.

The device's side of the protocol lives in :mod:`gatepost.simulator` (imported when the
command runs); this module reads the options, the credentials file and the script,
prints one line per thing that happened (rich on a terminal, plain otherwise, JSON
lines with ``--json``) and exits 0 when every arrival was answered, 1 when some were
still unanswered at the end, 2 on bad input.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from gatepost.cli.context import fail

if TYPE_CHECKING:
    from gatepost.simulator import DeviceIdentity, DeviceStats, Report, Role
    from gatepost.simulator.script import Step
    from gatepost.simulator.session import Pace

__all__ = ["app"]

app = typer.Typer(
    help="Simulated devices.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

_STYLE = {
    "decision": "green",
    "command": "cyan",
    "refused": "red",
    "failed": "red",
    "dropped": "red",
    "expired": "red",
    "unanswered": "red",
    "ack": "dim",
    "buffered": "yellow",
    "replayed": "yellow",
    "resent": "yellow",
    "connected": "blue",
    "disconnected": "yellow",
}


class Transport(StrEnum):
    MQTT = "mqtt"
    HTTPS = "https"


class RoleChoice(StrEnum):
    DOOR = "door"
    TURNSTILE = "turnstile"
    LANE = "lane"


@app.callback()
def device() -> None:
    """Simulated devices (the device side of docs/devices.md)."""


def _line(report: Report) -> str:
    """One report as a line of text (rich markup; values escaped)."""
    what = f"[{_STYLE.get(report.what, 'white')}]{report.what:<12}[/]"
    parts: list[str] = []
    if report.arrival:
        parts.append(report.arrival)
    if report.key:
        parts.append(f"key={report.key}")
    if report.command:
        parts.append(f"-> {report.command}")
    if report.display:
        parts.append(repr(report.display))
    if report.latency_ms is not None:
        parts.append(f"{report.latency_ms:.1f} ms")
    if report.reason:
        parts.append(f"reason={report.reason}")
    if report.command_id and report.what in ("command", "ack"):
        parts.append(f"command_id={report.command_id}")
    if report.duplicate:
        parts.append("(again)")
    text = " ".join(parts)
    tail = report.action or report.detail
    return f"{what} {escape(text)}" + (f": {escape(tail)}" if tail else "")


class _Printer:
    """Prints reports from the device's threads, one whole line at a time."""

    def __init__(self, *, as_json: bool) -> None:
        self._lock = threading.Lock()
        self._json = as_json
        self._console = Console(highlight=False, soft_wrap=True)

    def __call__(self, report: Report) -> None:
        self._emit(report.as_json(), _line(report))

    def summary(self, stats: DeviceStats, left: int) -> None:
        counts = stats.summary() | {"left": left}
        refused = sum(stats.refused.values())
        text = (
            f"[bold]summary[/]      sent {stats.sent}, answered {stats.answered}, refused "
            f"{refused}, buffered {stats.buffered}, replayed {stats.replayed}, resent "
            f"{stats.resent}, dropped {stats.dropped}, expired {stats.expired}, frames "
            f"unanswered {stats.given_up}, unanswered {left}"
        )
        self._emit({"what": "summary", **counts}, text)

    def _emit(self, body: dict[str, object], text: str) -> None:
        with self._lock:
            if self._json:
                sys.stdout.write(json.dumps(body) + "\n")
                sys.stdout.flush()
            else:
                self._console.print(text)


def _broker(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise fail("--broker: expected HOST:PORT, e.g. 127.0.0.1:18830", code=2)
    return host.strip("[]"), int(port)


def _steps(script: Path | None, repeat: int) -> Iterator[Step]:
    """The script's steps ``repeat`` times (parsed up front, so a bad line stops the
    run before anything is sent), or stdin's lines as they come."""
    from gatepost.simulator.script import ScriptError, parse_lines

    try:
        if script is None:
            yield from parse_lines(sys.stdin, base=Path.cwd())
            return
        try:
            text = script.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"--script: cannot read {script}: {exc}", code=2) from None
        steps = list(parse_lines(text.splitlines(), base=script.parent))
    except ScriptError as exc:
        raise fail(f"script {exc}", code=2) from None
    for _ in range(repeat):
        yield from steps


def _identity(credentials: Path, transport: Transport) -> DeviceIdentity:
    from gatepost.simulator import CredentialsError, load_identity

    try:
        return load_identity(credentials, transport=transport.value)
    except CredentialsError as exc:
        raise fail(f"--credentials: {exc}", code=2) from None


@app.command("simulate")
def simulate(
    credentials: Annotated[
        Path,
        typer.Option(
            help="The device's registration answer saved as JSON (what POST /api/v1/devices "
            "or rotate-credential showed once)."
        ),
    ],
    transport: Annotated[Transport, typer.Option(help="How the device talks.")] = Transport.MQTT,
    role: Annotated[RoleChoice, typer.Option(help="The hardware simulated.")] = RoleChoice.DOOR,
    broker: Annotated[
        str, typer.Option(help="MQTT broker as HOST:PORT (gatepost's own broker).")
    ] = "127.0.0.1:18830",
    server: Annotated[
        str, typer.Option(help="gatepost's base URL, for --transport https.")
    ] = "http://127.0.0.1:8000",
    script: Annotated[
        Path | None,
        typer.Option(help="A file of steps, one per line; without it, lines are read from stdin."),
    ] = None,
    repeat: Annotated[int, typer.Option(min=1, help="Run the script this many times.")] = 1,
    rate: Annotated[
        float | None,
        typer.Option(
            min=0.01,
            help="Arrivals per second, not waiting for answers (default: one at a time, "
            "each waiting for its answer).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line instead of text.")
    ] = False,
    answer_wait: Annotated[
        float, typer.Option(min=0, help="Seconds each arrival waits for its answer.")
    ] = 5.0,
    resend_after: Annotated[
        float,
        typer.Option(min=0.1, help="Send an unanswered arrival again (same key) after this."),
    ] = 5.0,
    buffer: Annotated[
        int, typer.Option(min=1, help="Arrivals kept while offline; the oldest are dropped.")
    ] = 1000,
    max_backlog_days: Annotated[
        float,
        typer.Option(
            min=0.001,
            help="Drop kept arrivals older than this (the server's "
            "security.device_backlog_days refuses them as stale).",
        ),
    ] = 14.0,
    drain: Annotated[
        float, typer.Option(min=0, help="Seconds to wait at the end for unanswered arrivals.")
    ] = 30.0,
    connect_timeout: Annotated[
        float,
        typer.Option(min=0, help="Seconds to wait for the broker before buffering."),
    ] = 5.0,
) -> None:
    """Act as a door controller, turnstile or lane camera (docs/devices.md).

    Sends each step's arrival (signed over MQTT, or with the bearer
    credential over HTTPS), obeys and acknowledges the commands (remote open,
    lockdown and release too), and prints a line for each decision, command,
    acknowledgement and refusal. While the broker or server is unreachable,
    arrivals are kept in order (at most --buffer) with their time and
    idempotency key, and replayed once it is back; an arrival with no answer
    is sent again with the same key after --resend-after.

    [bold]Steps[/], one per line (# starts a comment):
    card 04A2B3C4D5 | pin 4711 | qr TEXT | exit | face PATH.jpg |
    plate PATH.jpg | wait 2

    [bold]Examples[/]
    gatepost device simulate --credentials reader1.json --script morning.txt
    echo "card 04A2B3C4D5" | gatepost device simulate \\
        --credentials reader1.json --broker 127.0.0.1:18830 --json
    gatepost device simulate --credentials gate.json --role lane \\
        --transport https --server http://127.0.0.1:8000 \\
        --script cards.txt --repeat 10 --rate 5

    [bold]Exit status[/]: 0 all answered, 1 some unanswered at the end,
    2 bad input (credentials, script or options).
    """
    from gatepost.simulator import Role
    from gatepost.simulator.session import Pace

    identity = _identity(credentials, transport)
    if script is not None and not script.is_file():
        raise fail(f"--script: {script} is not a file", code=2)
    steps = _steps(script, repeat)
    printer = _Printer(as_json=as_json)
    pace = Pace(rate=rate, answer_wait=answer_wait, drain=drain)
    options = _Options(
        role=Role(role.value),
        resend_after=resend_after,
        capacity=buffer,
        max_backlog=timedelta(days=max_backlog_days),
        connect_timeout=connect_timeout,
    )
    if transport is Transport.MQTT:
        host, port = _broker(broker)
        stats, left = _run_mqtt(identity, host, port, steps, pace, options, printer)
    else:
        if not server.startswith(("http://", "https://")):
            raise fail("--server: expected an http:// or https:// URL", code=2)
        stats, left = asyncio.run(_run_https(identity, server, steps, pace, options, printer))
    printer.summary(stats, left)
    if left:
        raise typer.Exit(1)


@dataclass(frozen=True)
class _Options:
    role: Role
    resend_after: float
    capacity: int
    max_backlog: timedelta
    connect_timeout: float


def _run_mqtt(
    identity: DeviceIdentity,
    host: str,
    port: int,
    steps: Iterator[Step],
    pace: Pace,
    options: _Options,
    printer: _Printer,
) -> tuple[DeviceStats, int]:
    from gatepost.simulator import MqttDevice
    from gatepost.simulator.session import run_mqtt

    first = next(steps, None)  # a bad script line stops the run before connecting
    device = MqttDevice(
        identity,
        host=host,
        port=port,
        resend_after=options.resend_after,
        capacity=options.capacity,
        max_backlog=options.max_backlog,
        role=options.role,
        on_report=printer,
    )
    try:
        device.connect(options.connect_timeout, require=False)
    except ConnectionError as exc:
        raise fail(f"--broker {host}:{port}: {exc}", code=2) from None
    try:
        left = run_mqtt(device, _chain(first, steps), pace)
    finally:
        device.close()
    return device.stats, left


async def _run_https(
    identity: DeviceIdentity,
    server: str,
    steps: Iterator[Step],
    pace: Pace,
    options: _Options,
    printer: _Printer,
) -> tuple[DeviceStats, int]:
    import httpx

    from gatepost.simulator import HttpsDevice
    from gatepost.simulator.session import run_https

    first = next(steps, None)
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        device = HttpsDevice(
            identity,
            client,
            capacity=options.capacity,
            max_backlog=options.max_backlog,
            role=options.role,
            on_report=printer,
        )
        left = await run_https(device, _chain(first, steps), pace)
    return device.stats, left


def _chain(first: Step | None, rest: Iterator[Step]) -> Iterator[Step]:
    if first is not None:
        yield first
        yield from rest
