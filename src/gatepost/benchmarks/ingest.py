"""`gatepost bench ingest`: event ingestion throughput and device API latency.

For each engine (SQLite in a temporary data directory; PostgreSQL in a temporary
database ``gatepost_bench_<pid>`` that is created and dropped here) a real instance is
built (key file, container, migrations, first-run setup, a site, a device and a few
persons, all through the services), then:

1. **raw executemany** (baseline): the DBAPI cursor of the same engine inserts the same
   rows into the same ``events`` table, one transaction per batch, with the values the
   service writes (JSON as text, naive-UTC timestamps in the engine's storage form).
   Building those rows (ids, JSON text, timestamps) is inside the timed region, since
   any writer has to do it.
2. **service, batched**: ``container.events.ingest(device, drafts)`` with ``--batch``
   events per call (validation, device and reference checks, idempotent insert).
   Baseline and service batches alternate, so both meet the same table size and the
   same background load; each side's time is summed separately.
3. the same two with one event per transaction (``single-row``).
4. **API latency**: the real app (``create_app``) under uvicorn in a child process on
   127.0.0.1, driven open-loop at ``--rate`` requests/s for ``--seconds``: first
   ``GET /health`` (framework and transport overhead), then single-event
   ``POST /api/v1/device/events`` with the device's bearer credential. Latency is
   measured from each request's *scheduled* send time, so a slow server cannot hide
   its queueing by delaying the client (no coordinated omission). The load generator
   is a minimal keep-alive HTTP/1.1 client on asyncio streams (``--client httpx`` for
   httpx), because on two cores the client's own cost shows up in every latency.

Targets (from the issue): batched ingestion >= 20,000 events/s and at least half the
baseline's throughput on each engine; single-event API p99 <= 20 ms at 100 requests/s.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import sqlalchemy
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from gatepost.domain.devices import DeviceKind, EventKind
from gatepost.security.kek import create_key_file
from gatepost.security.permissions import Role
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.services.container import Container, build_container
from gatepost.services.devices import DeviceDraft
from gatepost.services.events import MAX_BATCH, EventDraft
from gatepost.services.persons import PersonDraft
from gatepost.settings import DbSettings, Environment, SecuritySettings, Settings
from gatepost.store.db import migrate
from gatepost.store.ids import new_id
from gatepost.store.tables import Event

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = [
    "CLIENTS",
    "DEFAULT_POSTGRES_URL",
    "ENGINES",
    "IngestOptions",
    "LatencyResult",
    "ThroughputResult",
    "app_from_environment",
    "make_drafts",
    "run",
]

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ENGINES = ("sqlite", "postgres")
CLIENTS = ("stream", "httpx")

TARGET_EVENTS_PER_S = 20_000.0
TARGET_RATIO = 0.5
TARGET_P99_MS = 20.0

#: argon2 at the OWASP minimum: only the benchmark's admin password is ever hashed.
_FAST_ARGON2 = SecuritySettings(argon2_memory_kib=19_456, argon2_time_cost=2)
#: How the child server process learns which instance to serve.
_ENV_PREFIX = "GATEPOST_"
_PERSONS = 8
_WARMUP_EVENTS = 200

# A gate's day: mostly grants and card reads, some door cycles, few denials and alarms.
_KIND_MIX: tuple[tuple[EventKind, int], ...] = (
    (EventKind.ACCESS_GRANTED, 52),
    (EventKind.CARD_PRESENTED, 15),
    (EventKind.DOOR_OPENED, 15),
    (EventKind.ACCESS_DENIED, 8),
    (EventKind.FACE_CAPTURED, 4),
    (EventKind.PLATE_READ, 3),
    (EventKind.DOOR_HELD, 2),
    (EventKind.DEVICE_ONLINE, 1),
)
_KIND_CYCLE: tuple[str, ...] = tuple(k.value for k, weight in _KIND_MIX for _ in range(weight))
_WITH_PERSON = {EventKind.ACCESS_GRANTED.value, EventKind.FACE_CAPTURED.value}
_DENIAL_REASONS = ("expired", "outside_schedule", "unknown_card", "anti_passback")

_COLUMNS = (
    "tenant_id",
    "id",
    "site_id",
    "device_id",
    "kind",
    "occurred_at",
    "received_at",
    "idempotency_key",
    "person_id",
    "snapshot_id",
    "data",
)


# -- options and results --------------------------------------------------------------


@dataclass(frozen=True)
class IngestOptions:
    """What to run; the CLI (``gatepost bench ingest``) fills this in."""

    engines: tuple[str, ...] = ENGINES
    events: int = 50_000
    batch: int = 500
    single_events: int = 2_000
    seconds: float = 10.0
    rate: float = 100.0
    skip_api: bool = False
    client: str = "stream"
    postgres_url: str = DEFAULT_POSTGRES_URL

    def __post_init__(self) -> None:
        if unknown := set(self.engines) - set(ENGINES):
            raise ValueError(f"unknown engine(s): {', '.join(sorted(unknown))}")
        if not 1 <= self.batch <= MAX_BATCH:
            raise ValueError(f"batch must be 1-{MAX_BATCH} (the service's limit)")
        if self.events < 1 or self.single_events < 0:
            raise ValueError("events must be positive")
        if self.seconds <= 0 or self.rate <= 0:
            raise ValueError("seconds and rate must be positive")
        if self.client not in CLIENTS:
            raise ValueError(f"client must be one of: {', '.join(CLIENTS)}")


@dataclass(frozen=True)
class ThroughputResult:
    mode: str
    events: int
    batch: int
    seconds: float
    cpu_seconds: float
    baseline: ThroughputResult | None = None
    targeted: bool = False

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else math.inf

    @property
    def ratio(self) -> float | None:
        return None if self.baseline is None else self.rate / self.baseline.rate

    @property
    def passed(self) -> bool | None:
        """The target check; None for rows that carry no target (the baselines)."""
        if not self.targeted or self.ratio is None:
            return None
        return self.rate >= TARGET_EVENTS_PER_S and self.ratio >= TARGET_RATIO


@dataclass(frozen=True)
class LatencyResult:
    mode: str
    latencies_ms: list[float]
    errors: int
    achieved_rate: float
    max_lag_ms: float
    targeted: bool = False
    first_error: str = ""

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the successful requests' latencies."""
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1]

    @property
    def passed(self) -> bool | None:
        if not self.targeted:
            return None
        return self.errors == 0 and self.percentile(99) <= TARGET_P99_MS


@dataclass
class EngineReport:
    engine: str
    throughput: list[ThroughputResult] = field(default_factory=list)
    latency: list[LatencyResult] = field(default_factory=list)
    skipped: str = ""

    @property
    def failed(self) -> bool:
        checks = [r.passed for r in self.throughput] + [r.passed for r in self.latency]
        return any(check is False for check in checks)


# -- the instance under test ----------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    """A migrated, set-up gatepost with one tenant, site and device."""

    engine: str
    settings: Settings
    container: Container
    device: Principal
    credential: str
    site_id: str
    person_ids: tuple[str, ...]


class EngineUnavailable(Exception):
    """The engine cannot be reached; the benchmark skips it."""


def _postgres_admin(url: str) -> sqlalchemy.Engine:
    return create_engine(
        make_url(url), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )


@contextmanager
def _postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh database ``gatepost_bench_<pid>``, dropped on the way out."""
    name = f"gatepost_bench_{os.getpid()}"
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin = _postgres_admin(admin_url)
    try:
        with admin.connect() as conn:
            conn.execute(drop)
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        raise EngineUnavailable(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from exc
    finally:
        admin.dispose()
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        admin = _postgres_admin(admin_url)
        try:
            with admin.connect() as conn:
                conn.execute(drop)
        finally:
            admin.dispose()


def _set_up(engine: str, settings: Settings, container: Container) -> Instance:
    """First-run setup, a site, a device and a few persons, through the services."""
    token = container.setup.issue_token()
    setup = container.setup.complete(
        token=token,
        tenant_name="Bench Ltd",
        tenant_slug="bench",
        username="bench-admin",
        password=secrets.token_urlsafe(24),
    )
    admin = Principal(
        kind=PrincipalKind.USER,
        id=setup.user_id,
        tenant_id=setup.tenant_id,
        role=Role.ADMIN,
        name="bench-admin",
        platform_admin=True,
    )
    site = container.sites.create(admin, name="Bench HQ", timezone="UTC")
    issued = container.devices.register(
        admin, DeviceDraft(site_id=site.id, name="Gate 1", kind=DeviceKind.TURNSTILE.value)
    )
    person_ids = tuple(
        container.persons.create(admin, PersonDraft(name=f"Bench Person {n}")).id
        for n in range(_PERSONS)
    )
    return Instance(
        engine=engine,
        settings=settings,
        container=container,
        device=container.auth.authenticate(issued.credential),
        credential=issued.credential,
        site_id=site.id,
        person_ids=person_ids,
    )


@contextmanager
def instance_for(engine: str, postgres_url: str) -> Iterator[Instance]:
    """Build a throw-away instance on ``engine``; raises EngineUnavailable."""
    with tempfile.TemporaryDirectory(prefix="gatepost-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        with (
            _postgres_database(postgres_url)
            if engine == "postgres"
            else _nothing(f"sqlite:///{(data_dir / 'gatepost.db').as_posix()}")
        ) as url:
            settings = Settings(
                env=Environment.TEST,
                data_dir=data_dir,
                db=DbSettings(url=url),
                security=_FAST_ARGON2,
            )
            create_key_file(settings.key_file)
            container = build_container(settings)
            try:
                migrate(container.db)
                yield _set_up(engine, settings, container)
            finally:
                container.close()


@contextmanager
def _nothing(value: str) -> Iterator[str]:
    yield value


# -- workload -------------------------------------------------------------------------


def make_drafts(
    prefix: str, count: int, *, now: datetime, person_ids: Sequence[str]
) -> list[EventDraft]:
    """``count`` events with unique keys, a realistic kind mix and small data dicts."""
    drafts = []
    for i in range(count):
        kind = _KIND_CYCLE[(i * 37) % len(_KIND_CYCLE)]
        data: dict[str, Any] = {
            "reader": i % 4,
            "door": f"D{i % 3 + 1}",
            "direction": "in" if i % 2 else "out",
            "credential": "face" if kind == EventKind.FACE_CAPTURED.value else "card",
            "latency_ms": (i * 7) % 90 + 5,
        }
        if kind == EventKind.ACCESS_DENIED.value:
            data["reason"] = _DENIAL_REASONS[i % len(_DENIAL_REASONS)]
        if kind == EventKind.FACE_CAPTURED.value:
            data["score"] = round(0.80 + (i % 19) / 100, 2)
        drafts.append(
            EventDraft(
                idempotency_key=f"{prefix}-{i:08d}",
                kind=kind,
                # spread over the last hours, well inside the offline-backlog window
                occurred_at=now - timedelta(milliseconds=(count - i) * 250),
                person_id=person_ids[i % len(person_ids)] if kind in _WITH_PERSON else None,
                data=data,
            )
        )
    return drafts


def _chunks(drafts: Sequence[EventDraft], size: int) -> list[Sequence[EventDraft]]:
    return [drafts[i : i + size] for i in range(0, len(drafts), size)]


# -- the baseline: raw DBAPI executemany ----------------------------------------------


def _placeholders(paramstyle: str, count: int) -> str:
    if paramstyle == "qmark":
        return ", ".join("?" * count)
    if paramstyle in ("format", "pyformat"):
        return ", ".join(["%s"] * count)
    if paramstyle == "numeric":
        return ", ".join(f":{n}" for n in range(1, count + 1))
    raise ValueError(f"unsupported DBAPI paramstyle {paramstyle!r}")


def _timestamp_writer(dialect: str) -> Callable[[datetime], object]:
    """How UTCDateTime stores an aware datetime on this engine (naive UTC)."""
    if dialect == "sqlite":
        # SQLAlchemy's SQLite DATETIME storage format, microseconds always present.
        return lambda value: value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return lambda value: value.astimezone(UTC).replace(tzinfo=None)


class RawWriter:
    """The baseline: one prepared INSERT, ``cursor.executemany``, one commit per batch."""

    def __init__(self, instance: Instance) -> None:
        engine = instance.container.db.engine
        self._dialect = engine.dialect.name
        self._stamp = _timestamp_writer(self._dialect)
        self._sql = (
            f"INSERT INTO events ({', '.join(_COLUMNS)}) "  # noqa: S608 - constant names
            f"VALUES ({_placeholders(engine.dialect.paramstyle, len(_COLUMNS))})"
        )
        self._tenant_id = instance.device.tenant_id
        self._device_id = instance.device.id
        self._site_id = instance.site_id
        self._raw = engine.raw_connection()
        self._cursor = self._raw.cursor()

    def write(self, drafts: Sequence[EventDraft]) -> None:
        stamp = self._stamp
        received_at = stamp(datetime.now(UTC))
        rows = [
            (
                self._tenant_id,
                new_id(),
                self._site_id,
                self._device_id,
                d.kind,
                stamp(d.occurred_at),
                received_at,
                d.idempotency_key,
                d.person_id,
                d.snapshot_id,
                json.dumps(d.data),
            )
            for d in drafts
        ]
        if self._dialect == "sqlite":
            # The engine runs pysqlite in autocommit mode and opens transactions itself
            # (BEGIN IMMEDIATE); do the same so a batch is one transaction.
            self._cursor.execute("BEGIN IMMEDIATE")
        self._cursor.executemany(self._sql, rows)
        self._raw.commit()

    def close(self) -> None:
        self._cursor.close()
        self._raw.close()


# -- throughput runs ------------------------------------------------------------------


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        refresh_per_second=4,
    )


@dataclass
class _Clock:
    """Wall and process-CPU seconds spent inside one writer."""

    wall: float = 0.0
    cpu: float = 0.0

    def run(
        self, write: Callable[[Sequence[EventDraft]], None], batch: Sequence[EventDraft]
    ) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        write(batch)
        self.cpu += time.process_time() - cpu
        self.wall += time.perf_counter() - wall


def _service_writer(instance: Instance) -> Callable[[Sequence[EventDraft]], None]:
    ingest = instance.container.events.ingest
    device = instance.device

    def write(drafts: Sequence[EventDraft]) -> None:
        results = ingest(device, drafts)
        if not all(r.stored for r in results):
            raise RuntimeError("the service reported fresh events as duplicates")

    return write


def _interleaved(
    raw: Callable[[Sequence[EventDraft]], None],
    service: Callable[[Sequence[EventDraft]], None],
    raw_batches: Sequence[Sequence[EventDraft]],
    service_batches: Sequence[Sequence[EventDraft]],
    progress: Progress,
    task: TaskID,
) -> tuple[_Clock, _Clock]:
    """Alternate baseline and service batch by batch (who goes first alternates too).

    Both then meet the same table size, page cache and background load: inserts slow
    down as the table and its random-UUID primary key outgrow the page cache, and a
    run-one-then-the-other design would hand that slowdown to whichever ran second.
    """
    raw_clock, service_clock = _Clock(), _Clock()
    for i, (raw_batch, service_batch) in enumerate(zip(raw_batches, service_batches, strict=True)):
        steps = [(raw_clock, raw, raw_batch), (service_clock, service, service_batch)]
        for clock, write, batch in steps if i % 2 == 0 else steps[::-1]:
            clock.run(write, batch)
        progress.update(task, advance=len(raw_batch))
    return raw_clock, service_clock


def measure_throughput(
    instance: Instance, options: IngestOptions, console: Console
) -> list[ThroughputResult]:
    """Baseline and service, batched and single-row, on one instance."""
    now = datetime.now(UTC)
    persons = instance.person_ids
    raw = RawWriter(instance)
    service = _service_writer(instance)
    results: list[ThroughputResult] = []
    try:
        # Warm up both paths (connections, statement caches, first pages): not timed.
        for prefix, write in (("warm-raw", raw.write), ("warm-svc", service)):
            drafts = make_drafts(prefix, _WARMUP_EVENTS, now=now, person_ids=persons)
            for batch in _chunks(drafts, options.batch):
                write(batch)
        plans = [("batched", "b", options.events, options.batch)]
        if options.single_events:
            plans.append(("single-row", "s", options.single_events, 1))
        with _progress(console) as progress:
            for label, tag, count, size in plans:
                raw_batches = _chunks(
                    make_drafts(f"raw-{tag}", count, now=now, person_ids=persons), size
                )
                service_batches = _chunks(
                    make_drafts(f"svc-{tag}", count, now=now, person_ids=persons), size
                )
                task = progress.add_task(
                    f"{instance.engine}: {label}, baseline and service interleaved",
                    total=count,
                    unit=f"{size}/batch",
                )
                raw_clock, service_clock = _interleaved(
                    raw.write, service, raw_batches, service_batches, progress, task
                )
                progress.remove_task(task)
                baseline = ThroughputResult(
                    f"raw executemany, {label}", count, size, raw_clock.wall, raw_clock.cpu
                )
                results.append(baseline)
                results.append(
                    ThroughputResult(
                        f"service ingest, {label}",
                        count,
                        size,
                        service_clock.wall,
                        service_clock.cpu,
                        baseline=baseline,
                        targeted=label == "batched",
                    )
                )
    finally:
        raw.close()
    _verify(instance, expected=2 * _WARMUP_EVENTS + 2 * (options.events + options.single_events))
    return results


def _verify(instance: Instance, *, expected: int) -> None:
    """Every event arrived, and baseline rows read back exactly like service rows."""
    with instance.container.db.session() as session:
        stored = session.scalar(select(func.count()).select_from(Event))
        if stored != expected:
            raise RuntimeError(f"expected {expected} events in the table, found {stored}")
        pair = session.scalars(
            select(Event).where(Event.idempotency_key.in_(["raw-b-00000000", "svc-b-00000000"]))
        ).all()
        shapes = {
            (type(e.occurred_at), e.occurred_at.tzinfo, type(e.received_at), type(e.data))
            for e in pair
        }
        if len(shapes) > 1:
            raise RuntimeError(f"baseline and service rows differ in shape: {shapes}")
        if instance.engine == "sqlite":
            forms = session.execute(
                text(
                    "SELECT DISTINCT typeof(occurred_at), length(occurred_at), "
                    "typeof(received_at), length(received_at), typeof(data) FROM events"
                )
            ).all()
            if len(forms) > 1:
                raise RuntimeError(f"baseline and service store values differently: {forms}")


# -- API latency ----------------------------------------------------------------------


def app_from_environment() -> FastAPI:
    """The uvicorn factory run in the child process: settings come from GATEPOST_*."""
    from gatepost.api.app import create_app

    return create_app(build_container(Settings()))


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


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    bodies: Sequence[bytes] | None
    expect: bytes = b""

    def body(self, i: int) -> bytes | None:
        return None if self.bodies is None else self.bodies[i]


class _Response:
    __slots__ = ("body", "status")

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body


Sender = Callable[[int], Awaitable[_Response]]


class StreamClient:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: the default load generator.

    On a 2-core machine the client's own cost lands in every latency it reports: against
    a do-nothing ASGI app under uvicorn, ``httpx.AsyncClient`` measured p50 5.5 ms here
    and this client 2.3 ms. Requests are encoded once; responses must carry
    Content-Length (every JSON response of the app does). Loopback use only.
    """

    #: Reuse a keep-alive connection only if it was idle for less than this; uvicorn
    #: closes idle connections after 5 s.
    IDLE_S = 2.0

    def __init__(self, base_url: str) -> None:
        url = httpx.URL(base_url)
        self._host = url.host
        self._port = url.port or 80
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self._open: list[asyncio.StreamWriter] = []

    def encode(self, request: _Request, body: bytes | None) -> bytes:
        lines = [f"{request.method} {request.path} HTTP/1.1", f"host: {self._host}:{self._port}"]
        lines += [f"{name}: {value}" for name, value in request.headers.items()]
        if body is not None:
            lines.append(f"content-length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        now = time.monotonic()
        while self._idle:
            reader, writer, since = self._idle.pop()
            if now - since < self.IDLE_S:
                return reader, writer
            writer.close()
        reader, writer = await asyncio.open_connection(self._host, self._port)
        self._open.append(writer)
        return reader, writer

    async def send(self, raw: bytes) -> _Response:
        reader, writer = await self._connection()
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in header_lines if line)
        }
        if "content-length" not in headers:
            raise RuntimeError("the load generator needs responses with Content-Length")
        body = await reader.readexactly(int(headers["content-length"]))
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self._idle.append((reader, writer, time.monotonic()))
        return _Response(int(status_line.split(" ", 2)[1]), body)

    def sender(self, request: _Request) -> Sender:
        encoded = [
            self.encode(request, request.body(i))
            for i in range(len(request.bodies) if request.bodies is not None else 1)
        ]
        return lambda i: self.send(encoded[i if request.bodies is not None else 0])

    async def aclose(self) -> None:
        for writer in self._open:
            writer.close()


class HttpxClient:
    """``httpx.AsyncClient`` as the load generator (``--client httpx``), for comparison."""

    def __init__(self, base_url: str) -> None:
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
        self._client = httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0)

    def sender(self, request: _Request) -> Sender:
        async def send(i: int) -> _Response:
            response = await self._client.request(
                request.method, request.path, headers=request.headers, content=request.body(i)
            )
            return _Response(response.status_code, response.content)

        return send

    async def aclose(self) -> None:
        await self._client.aclose()


@dataclass(frozen=True)
class _LoopResult:
    latencies_ms: list[float]
    errors: int
    achieved_rate: float
    max_lag_ms: float
    first_error: str


async def _open_loop(
    base_url: str,
    request: _Request,
    *,
    client_kind: str,
    rate: float,
    count: int,
    progress: Progress,
    task: TaskID,
) -> _LoopResult:
    """Send ``count`` requests at ``t0 + i/rate`` whatever the previous ones are doing.

    Latency runs from each request's scheduled time to its response, so when the
    server (or the client) falls behind, the wait is counted, not hidden.
    """
    client = StreamClient(base_url) if client_kind == "stream" else HttpxClient(base_url)
    latencies: list[float] = []
    errors: list[str] = []
    sent_at: list[float] = []
    try:
        send = client.sender(request)
        for i in range(5):  # open a connection and warm the route: not counted
            await send(count + i if request.bodies is not None else 0)

        async def one(i: int, due: float) -> None:
            sent_at.append(time.perf_counter())
            try:
                response = await asyncio.wait_for(send(i), timeout=30)
                finished = time.perf_counter()
                if response.status != 200 or request.expect not in response.body:
                    errors.append(f"HTTP {response.status}: {response.body[:200]!r}")
                else:
                    latencies.append((finished - due) * 1000)
            except (OSError, TimeoutError, RuntimeError, httpx.HTTPError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            except asyncio.IncompleteReadError as exc:
                errors.append(f"connection closed early: {exc}")
            progress.advance(task)

        t0 = time.perf_counter() + 0.05
        tasks = []
        max_lag = 0.0
        for i in range(count):
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            max_lag = max(max_lag, time.perf_counter() - due)
            tasks.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*tasks)
    finally:
        await client.aclose()
    span = max(sent_at) - min(sent_at) if len(sent_at) > 1 else math.nan
    achieved = (len(sent_at) - 1) / span if span and span > 0 else math.nan
    return _LoopResult(
        latencies, len(errors), achieved, max_lag * 1000, errors[0] if errors else ""
    )


def _event_bodies(count: int, person_ids: Sequence[str]) -> list[bytes]:
    now = datetime.now(UTC)
    drafts = make_drafts("api", count, now=now, person_ids=person_ids)
    return [
        json.dumps(
            {
                "events": [
                    {
                        "idempotency_key": d.idempotency_key,
                        "kind": d.kind,
                        "occurred_at": d.occurred_at.isoformat(),
                        "person_id": d.person_id,
                        "data": d.data,
                    }
                ]
            }
        ).encode()
        for d in drafts
    ]


def measure_latency(
    instance: Instance, options: IngestOptions, console: Console
) -> list[LatencyResult]:
    count = max(1, round(options.rate * options.seconds))
    requests = [
        ("GET /health (baseline)", _Request("GET", "/health", {}, None, b'"ok"'), False),
        (
            "POST /api/v1/device/events (1 event)",
            _Request(
                "POST",
                "/api/v1/device/events",
                {
                    "Authorization": f"Bearer {instance.credential}",
                    "Content-Type": "application/json",
                },
                _event_bodies(count + 5, instance.person_ids),  # 5 more for the warm-up
                b'"stored":true',
            ),
            True,
        ),
    ]
    results = []
    with serve(instance) as base_url, _progress(console) as progress:
        for mode, request, targeted in requests:
            task = progress.add_task(
                f"{instance.engine}: {mode}", total=count, unit=f"@{options.rate:g}/s"
            )
            loop = asyncio.run(
                _open_loop(
                    base_url,
                    request,
                    client_kind=options.client,
                    rate=options.rate,
                    count=count,
                    progress=progress,
                    task=task,
                )
            )
            progress.remove_task(task)
            results.append(
                LatencyResult(
                    mode,
                    loop.latencies_ms,
                    loop.errors,
                    loop.achieved_rate,
                    loop.max_lag_ms,
                    targeted,
                    loop.first_error,
                )
            )
    return results


# -- report ---------------------------------------------------------------------------


def _check(passed: bool | None, text_if_none: str = "") -> str:
    if passed is None:
        return f"[dim]{text_if_none}[/]"
    return "[green]PASS[/]" if passed else "[red]FAIL[/]"


def throughput_table(engine: str, results: Sequence[ThroughputResult]) -> Table:
    table = Table(
        title=f"{engine}: event ingestion (target: batched >= {TARGET_EVENTS_PER_S:,.0f}/s "
        f"and >= {TARGET_RATIO:.1f}x baseline)",
        title_justify="left",
    )
    for name in (
        "mode",
        "events",
        "batch",
        "seconds",
        "cpu %",
        "events/s",
        "vs baseline",
        "target",
    ):
        table.add_column(name, justify="left" if name in ("mode", "target") else "right")
    table.caption = (
        "baseline and service batches run interleaved; cpu % = this process's CPU time / "
        "wall time (PostgreSQL's own work is not in it; well under 100 on SQLite means "
        "other processes took the CPU)"
    )
    for r in results:
        ratio = "1.00 (base)" if r.baseline is None else f"{r.ratio:.2f}"
        detail = ""
        if r.passed is not None:
            detail = (
                f" ({'>=' if r.rate >= TARGET_EVENTS_PER_S else '<'} 20k/s, "
                f"ratio {'>=' if (r.ratio or 0) >= TARGET_RATIO else '<'} {TARGET_RATIO})"
            )
        table.add_row(
            r.mode,
            f"{r.events:,}",
            f"{r.batch:,}",
            f"{r.seconds:.2f}",
            f"{100 * r.cpu_seconds / r.seconds:.0f}" if r.seconds else "-",
            f"{r.rate:,.0f}",
            ratio,
            _check(r.passed, "baseline" if r.baseline is None else "info") + detail,
        )
    return table


def latency_table(engine: str, results: Sequence[LatencyResult], rate: float) -> Table:
    table = Table(
        title=f"{engine}: API latency, open loop at {rate:g} requests/s "
        f"(target: events p99 <= {TARGET_P99_MS:g} ms)",
        title_justify="left",
    )
    for name in (
        "request",
        "ok",
        "errors",
        "achieved/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "client lag ms",
        "target",
    ):
        table.add_column(name, justify="left" if name in ("request", "target") else "right")
    for r in results:
        table.add_row(
            r.mode,
            f"{len(r.latencies_ms):,}",
            f"{r.errors:,}",
            f"{r.achieved_rate:.1f}",
            f"{r.percentile(50):.2f}",
            f"{r.percentile(95):.2f}",
            f"{r.percentile(99):.2f}",
            f"{max(r.latencies_ms, default=math.nan):.2f}",
            f"{r.max_lag_ms:.2f}",
            _check(r.passed, "baseline"),
        )
    return table


def _load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load n/a"
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min)"


def _environment(console: Console, options: IngestOptions) -> None:
    import psycopg

    console.print(
        f"[bold]gatepost bench ingest[/]  cpus={os.cpu_count()}  "
        f"python={platform.python_version()}  sqlalchemy={sqlalchemy.__version__}  "
        f"sqlite={_sqlite_version()}  psycopg={psycopg.__version__}  "
        f"machine={platform.machine()}  {_load()}"
    )
    try:
        busy = os.getloadavg()[0] > 0.75 * (os.cpu_count() or 1)
    except OSError:
        busy = False
    if busy:
        console.print(
            "[yellow]the machine looks busy (the load average also counts a benchmark that "
            "just finished): if other processes compete for the CPUs, the numbers below are "
            "low and noisy; the cpu % column shows how much CPU this process got[/]"
        )


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _server_version(instance: Instance) -> str:
    with instance.container.db.engine.connect() as conn:
        if instance.engine == "sqlite":
            return f"SQLite {conn.exec_driver_sql('select sqlite_version()').scalar()}"
        version = conn.exec_driver_sql("show server_version").scalar()
        fsync = conn.exec_driver_sql("show synchronous_commit").scalar()
        return f"PostgreSQL {version} (synchronous_commit={fsync})"


# -- entry point ----------------------------------------------------------------------


def run(options: IngestOptions, console: Console | None = None) -> list[EngineReport]:
    """Run every selected engine, print its tables, and return the reports."""
    if console is None:
        console = Console(highlight=False)
        if not console.is_terminal:
            console = Console(highlight=False, width=max(console.width, 132))
    _environment(console, options)
    reports = []
    for engine in options.engines:
        report = EngineReport(engine)
        reports.append(report)
        console.rule(f"[bold]{engine}")
        try:
            with instance_for(engine, options.postgres_url) as instance:
                console.print(f"[dim]{_server_version(instance)}[/]")
                report.throughput = measure_throughput(instance, options, console)
                console.print(throughput_table(engine, report.throughput))
                if not options.skip_api:
                    report.latency = measure_latency(instance, options, console)
                    console.print(latency_table(engine, report.latency, options.rate))
                    for r in report.latency:
                        if r.first_error:
                            console.print(f"[red]{r.mode}: first error: {r.first_error}[/]")
                console.print(f"[dim]{engine} done; {_load()}[/]")
        except EngineUnavailable as exc:
            url = make_url(options.postgres_url).render_as_string(hide_password=True)
            report.skipped = f"PostgreSQL unreachable at {url} ({exc}); skipped"
            console.print(f"[yellow]{report.skipped}[/]")
    return reports
