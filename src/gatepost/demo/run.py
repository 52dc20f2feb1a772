"""The demo scenario: an operator sets up a site, people and doors; devices report.

Everything goes through the real HTTP API of a real server on loopback, backed by the
embedded default (SQLite + local sealed media) in a fresh data directory, and through
the real MQTT gateway and gatepost's own Mosquitto broker (started on a free loopback
port with its files in the data directory, :mod:`gatepost.ingest.broker_process`). The
instance runs on the real clock; the schedules are drawn around the site's time now
(:mod:`gatepost.demo.hours`), the arrivals over MQTT are :mod:`gatepost.demo.morning`,
``--serve`` is :mod:`gatepost.demo.serve`.
"""

from __future__ import annotations

import io
import secrets
import shutil
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from PIL import Image, ImageDraw
from rich.console import Console
from rich.panel import Panel
from rich.progress import Progress, SpinnerColumn, TextColumn

from gatepost.app import container_for
from gatepost.demo.faces import face_scenario, report_faces
from gatepost.demo.hours import DemoHours, demo_hours
from gatepost.demo.morning import FACE_PERSON, morning_scenario, report_morning
from gatepost.demo.plates import REGISTERED as REGISTERED_PLATE
from gatepost.demo.plates import gate_scenario, report_gate
from gatepost.demo.report import report
from gatepost.demo.serve import newcomer_login, serve_until_stopped
from gatepost.demo.server import BackgroundServer
from gatepost.demo.site_rules import CARDS, set_up_rules
from gatepost.ingest.broker_process import BrokerUnavailable, OwnBroker, broker_problem, own_broker
from gatepost.security.kek import create_key_file
from gatepost.services.container import build_container
from gatepost.settings import Environment, MqttSettings, Settings
from gatepost.store.db import migrate

__all__ = ["run_demo"]

console = Console(highlight=False)

SITE_TIMEZONE = "Asia/Shanghai"
SITE_ZONE = ZoneInfo(SITE_TIMEZONE)
TENANT_SLUG = "harbour"

PEOPLE = [
    {
        "name": "Li Wei",
        "kind": "employee",
        "identity_kind": "cn_resident",
        "identity_number": "11010519491231002X",
        "phone": "+86 138 0013 8000",
    },
    {
        "name": "Ana Souza",
        "kind": "contractor",
        "identity_kind": "generic",
        "identity_number": "BR4417736",
        "phone": "+55 11 91234 5678",
    },
    {
        "name": "Chen Jing",
        "kind": "employee",
        "identity_kind": "cn_resident",
        "identity_number": "440308199901010012",
        "phone": "+86 139 2222 3333",
    },
]
DEVICES = [
    {
        "name": "Lobby turnstile (in)",
        "kind": "turnstile",
        "direction": "in",
        "roles": ["access_point", "attendance_point"],
    },
    {
        "name": "Lobby turnstile (out)",
        "kind": "turnstile",
        "direction": "out",
        "roles": ["access_point", "attendance_point"],
    },
    {
        "name": "Car park barrier",
        "kind": "barrier_gate",
        "direction": "in",
        "roles": ["parking_entry"],
    },
]


def _frame(now: datetime) -> bytes:
    """A synthetic camera frame (the demo ships no personal images)."""
    image = Image.new("RGB", (640, 480), (38, 50, 56))
    draw = ImageDraw.Draw(image)
    draw.rectangle((220, 120, 420, 420), outline=(200, 200, 200), width=4)
    draw.text((20, 20), f"CAM-01 {now:%Y-%m-%d %H:%M:%S}", fill=(255, 255, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _hours_note(hours: DemoHours) -> str:
    """The two schedules in words, for under the arrivals table."""
    return (
        f"Drawn around the site's time when the demo started ({SITE_TIMEZONE}): staff hours "
        f"{hours.staff_window} on weekdays and on today, whatever day it is; the cleaner's hours "
        f"{hours.cleaner_window} every day."
    )


class _Api:
    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.request(method, path, headers=headers, **kw)
        return response


def _check(response: httpx.Response, expected: int) -> Any:
    if response.status_code != expected:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} -> "
            f"{response.status_code}: {response.text}"
        )
    return response.json() if response.content else None


def _prepare(data_dir: Path, broker: OwnBroker) -> tuple[Settings, str]:
    mqtt = MqttSettings(
        enabled=True,
        host=broker.host,
        port=broker.port,
        dir=broker.dir,
        gateway_username=broker.gateway_username,
    )
    settings = Settings(env=Environment.PRODUCTION, data_dir=data_dir, mqtt=mqtt)
    create_key_file(settings.key_file)
    container = build_container(settings)
    migrate(container.db)
    token = container.setup.issue_token()
    container.close()
    return settings, token


def run_demo(
    data_dir: Path | None = None,
    *,
    keep: bool = False,
    serve: bool = False,
    port: int | None = None,
) -> None:
    """Run the demo (see the module doc); ``serve``: then keep the instance up until
    Ctrl-C. Exits 1 when a check fails, 2 when gatepost's MQTT broker cannot run here."""
    problem = broker_problem()
    if problem is not None:
        console.print(f"[red]gatepost demo runs its own MQTT broker, and cannot:[/] {problem}")
        raise SystemExit(2)
    owned = data_dir is None
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="gatepost-demo-"))
    console.print(
        Panel.fit(
            "[bold]gatepost demo[/] — an embedded instance (SQLite + sealed local media) "
            "with its own MQTT broker\n"
            f"data directory: {data_dir}",
            border_style="cyan",
        )
    )
    try:
        passed = _run(data_dir, serve=serve, port=port)
    except BrokerUnavailable as exc:
        console.print(f"[red]gatepost's MQTT broker did not start:[/] {exc}")
        raise SystemExit(2) from exc
    finally:
        if owned and not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    if not passed:
        raise SystemExit(1)


def _run(data_dir: Path, *, serve: bool, port: int | None) -> bool:
    """Start the broker and the instance, run the scenario, report, and (``serve``) wait;
    everything stops in reverse order on the way out. Whether every check passed."""
    with ExitStack() as running:
        broker = running.enter_context(own_broker(data_dir / "mosquitto"))
        settings, setup_token = _prepare(data_dir, broker)
        container = container_for(settings)
        running.callback(container.close)
        server = BackgroundServer(container, port=port)
        base = running.enter_context(server)
        api = _Api(base)
        running.callback(api.http.close)
        admin, passed = _scenario(api, setup_token, data_dir, broker, server)
        if serve:
            login = newcomer_login(api.call, _check, admin, base=base, tenant=TENANT_SLUG)
            serve_until_stopped(console, login)
    return passed


def _scenario(
    api: _Api,
    setup_token: str,
    data_dir: Path,
    broker: OwnBroker,
    server: BackgroundServer,
) -> tuple[str, bool]:
    """Everything the demo does over HTTP and MQTT, then the report; the administrator's
    API token and whether every check passed."""
    admin_password = "Demo-" + secrets.token_urlsafe(12)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True
    ) as progress:
        step = progress.add_task("first-run setup with the one-time token")
        _check(
            api.call(
                "POST",
                "/api/v1/setup",
                json={
                    "token": setup_token,
                    "tenant_name": "Harbour Facilities Ltd",
                    "tenant_slug": TENANT_SLUG,
                    "username": "admin",
                    "password": admin_password,
                },
            ),
            201,
        )
        unauthenticated = api.call("GET", "/api/v1/persons").status_code
        admin = _check(
            api.call(
                "POST",
                "/api/v1/auth/login",
                json={"tenant": TENANT_SLUG, "username": "admin", "password": admin_password},
            ),
            200,
        )["token"]
        progress.update(step, description="creating site, staff, people and devices")
        site = _check(
            api.call(
                "POST",
                "/api/v1/sites",
                admin,
                json={"name": "Harbour Tower", "timezone": SITE_TIMEZONE},
            ),
            201,
        )
        guard_password = "Guard-" + secrets.token_urlsafe(12)
        _check(
            api.call(
                "POST",
                "/api/v1/users",
                admin,
                json={"username": "guard.zhou", "password": guard_password, "role": "guard"},
            ),
            201,
        )
        guard = _check(
            api.call(
                "POST",
                "/api/v1/auth/login",
                json={"tenant": TENANT_SLUG, "username": "guard.zhou", "password": guard_password},
            ),
            200,
        )["token"]
        people = [
            _check(
                api.call("POST", "/api/v1/persons", admin, json={**p, "site_id": site["id"]}), 201
            )
            for p in PEOPLE
        ]
        bad_id = api.call(
            "POST",
            "/api/v1/persons",
            admin,
            json={
                "name": "Typo Person",
                "identity_kind": "cn_resident",
                "identity_number": "110105194912310021",
            },
        )
        devices = [
            _check(
                api.call("POST", "/api/v1/devices", admin, json={**d, "site_id": site["id"]}), 201
            )
            for d in DEVICES
        ]
        lobby_in, lobby_out, barrier = (d["credential"] for d in devices)
        progress.update(step, description="face enrolment (with consent) and a door camera")
        faces = face_scenario(api.call, _check, admin, lobby_in, site["id"])
        progress.update(step, description="car-park barrier reading plates")
        gate = gate_scenario(api.call, _check, admin, barrier)
        progress.update(step, description="devices reporting events over HTTPS")
        snapshot = _check(
            api.call(
                "POST",
                "/api/v1/device/snapshots",
                barrier,
                files={"file": ("frame.jpg", _frame(datetime.now(UTC)), "image/jpeg")},
            ),
            201,
        )
        now = datetime.now(UTC)
        batch = [
            {
                "idempotency_key": "lobby-in-0001",
                "kind": "access.granted",
                "occurred_at": (now - timedelta(minutes=42)).isoformat(),
                "person_id": people[0]["id"],
                "data": {"credential": "card"},
            },
            {
                "idempotency_key": "lobby-in-0002",
                "kind": "access.granted",
                "occurred_at": (now - timedelta(minutes=40)).isoformat(),
                "person_id": people[2]["id"],
                "data": {"credential": "qr"},
            },
            {
                "idempotency_key": "lobby-in-0003",
                "kind": "access.denied",
                "occurred_at": (now - timedelta(minutes=12)).isoformat(),
                "data": {"reason": "unknown_card"},
            },
        ]
        first = _check(
            api.call("POST", "/api/v1/device/events", lobby_in, json={"events": batch}), 200
        )
        retry = _check(
            api.call("POST", "/api/v1/device/events", lobby_in, json={"events": batch}), 200
        )
        _check(
            api.call(
                "POST",
                "/api/v1/device/events",
                lobby_out,
                json={
                    "events": [
                        {
                            "idempotency_key": "lobby-out-0001",
                            "kind": "access.granted",
                            "occurred_at": (now - timedelta(minutes=5)).isoformat(),
                            "person_id": people[0]["id"],
                        }
                    ]
                },
            ),
            200,
        )
        _check(
            api.call(
                "POST",
                "/api/v1/device/events",
                barrier,
                json={
                    "events": [
                        {
                            "idempotency_key": "gate-0001",
                            "kind": "plate.read",
                            "occurred_at": (now - timedelta(minutes=2)).isoformat(),
                            "snapshot_id": snapshot["id"],
                            "data": {"lane": 1},
                        }
                    ]
                },
            ),
            200,
        )
        progress.update(step, description="guard and administrator at work")
        guard_reveal = api.call(
            "POST",
            f"/api/v1/persons/{people[0]['id']}/reveal",
            guard,
            json={"reason": "visitor dispute at lobby"},
        ).status_code
        revealed = _check(
            api.call(
                "POST",
                f"/api/v1/persons/{people[0]['id']}/reveal",
                admin,
                json={"reason": "payroll correction ticket HR-1042"},
            ),
            200,
        )
        device_reads_people = api.call("GET", "/api/v1/persons", barrier).status_code
        events = _check(api.call("GET", "/api/v1/events?limit=10", guard), 200)["items"]
        gate_event = next(e for e in events if e["kind"] == "plate.read")
        signed = _check(
            api.call("GET", f"/api/v1/events/{gate_event['id']}/snapshot-url", guard), 200
        )
        image = api.call("GET", signed["url"], guard)
        stolen = api.call("GET", signed["url"], admin).status_code
        progress.update(step, description="arrivals at the site over the MQTT gateway")
        staff = {p["name"]: p["id"] for p in people} | {FACE_PERSON: faces.enrolled[FACE_PERSON]}
        hours = demo_hours(datetime.now(SITE_ZONE))
        rules = set_up_rules(api.call, _check, admin, site["id"], staff, hours=hours)
        names = {person_id: name for name, person_id in staff.items()}
        morning = morning_scenario(
            api.call,
            _check,
            admin,
            site_id=site["id"],
            rules=rules,
            broker=broker,
            gateway=server.gateway,
            zone=SITE_ZONE,
            names=names,
        )
        verify = _check(api.call("POST", "/api/v1/audit/verify", admin), 200)
        audit = _check(api.call("GET", "/api/v1/audit?limit=8", admin), 200)["items"]
    report_faces(console, faces)
    report_gate(console, gate)
    report_morning(console, morning, names=names, hours=_hours_note(hours))
    passed = report(
        console,
        people,
        devices,
        events,
        first,
        retry,
        revealed,
        audit,
        verify,
        data_dir,
        checks={
            "unauthenticated GET /api/v1/persons": (unauthenticated, 401),
            "invalid resident ID (bad check digit)": (bad_id.status_code, 422),
            "guard reveals an ID number": (guard_reveal, 403),
            "device reads the people list": (device_reads_people, 403),
            "snapshot via the guard's signed URL": (image.status_code, 200),
            "same URL used by another user": (stolen, 404),
            **faces.checks,
            **gate.checks,
            **morning.checks,
        },
        extra_names=[*faces.enrolled, REGISTERED_PLATE, *CARDS.values()],
    )
    return admin, passed
