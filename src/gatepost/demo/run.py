"""The demo scenario: an operator sets up a site, people and doors; devices report.

Everything goes through the real HTTP API of a real server on loopback, backed by the
embedded default (SQLite + local sealed media) in a fresh data directory.
"""

from __future__ import annotations

import io
import secrets
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageDraw
from rich.console import Console
from rich.panel import Panel
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from gatepost.demo.faces import face_scenario, report_faces
from gatepost.demo.plates import REGISTERED as REGISTERED_PLATE
from gatepost.demo.plates import gate_scenario, report_gate
from gatepost.demo.server import BackgroundServer
from gatepost.security.kek import create_key_file
from gatepost.services.container import build_container
from gatepost.settings import Environment, Settings
from gatepost.store.db import migrate

__all__ = ["run_demo"]

console = Console(highlight=False)

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


def _frame() -> bytes:
    """A synthetic camera frame (the demo ships no personal images)."""
    image = Image.new("RGB", (640, 480), (38, 50, 56))
    draw = ImageDraw.Draw(image)
    draw.rectangle((220, 120, 420, 420), outline=(200, 200, 200), width=4)
    draw.text((20, 20), f"CAM-01 {datetime.now(UTC):%Y-%m-%d %H:%M:%S}", fill=(255, 255, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


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


def _prepare(data_dir: Path) -> tuple[Settings, str]:
    settings = Settings(env=Environment.PRODUCTION, data_dir=data_dir)
    create_key_file(settings.key_file)
    container = build_container(settings)
    migrate(container.db)
    token = container.setup.issue_token()
    container.close()
    return settings, token


def run_demo(data_dir: Path | None = None, *, keep: bool = False) -> None:
    owned = data_dir is None
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="gatepost-demo-"))
    console.print(
        Panel.fit(
            "[bold]gatepost demo[/] — an embedded instance (SQLite + sealed local media)\n"
            f"data directory: {data_dir}",
            border_style="cyan",
        )
    )
    try:
        _scenario(data_dir)
    finally:
        if owned and not keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def _scenario(data_dir: Path) -> None:
    settings, setup_token = _prepare(data_dir)
    container = build_container(settings)
    admin_password = "Demo-" + secrets.token_urlsafe(12)
    with (
        BackgroundServer(container) as base,
        Progress(
            SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True
        ) as progress,
    ):
        api = _Api(base)
        step = progress.add_task("first-run setup with the one-time token")
        _check(
            api.call(
                "POST",
                "/api/v1/setup",
                json={
                    "token": setup_token,
                    "tenant_name": "Harbour Facilities Ltd",
                    "tenant_slug": "harbour",
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
                json={"tenant": "harbour", "username": "admin", "password": admin_password},
            ),
            200,
        )["token"]
        progress.update(step, description="creating site, staff, people and devices")
        site = _check(
            api.call(
                "POST",
                "/api/v1/sites",
                admin,
                json={"name": "Harbour Tower", "timezone": "Asia/Shanghai"},
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
                json={"tenant": "harbour", "username": "guard.zhou", "password": guard_password},
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
                files={"file": ("frame.jpg", _frame(), "image/jpeg")},
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
        verify = _check(api.call("POST", "/api/v1/audit/verify", admin), 200)
        audit = _check(api.call("GET", "/api/v1/audit?limit=8", admin), 200)["items"]
    container.close()
    report_faces(console, faces)
    report_gate(console, gate)
    _report(
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
        },
        extra_names=[*faces.enrolled, REGISTERED_PLATE],
    )


def _report(
    people: list[Any],
    devices: list[Any],
    events: list[Any],
    first: list[Any],
    retry: list[Any],
    revealed: Any,
    audit: list[Any],
    verify: Any,
    data_dir: Path,
    *,
    checks: dict[str, tuple[int | str, int | str]],
    extra_names: list[str],
) -> None:
    table = Table(title="People (as the API shows them: identity numbers masked)")
    for column in ("name", "kind", "identity number", "phone"):
        table.add_column(column)
    for p in people:
        table.add_row(p["name"], p["kind"], p["identity_masked"], p["phone_masked"])
    console.print(table)
    console.print(f"Revealed with a reason (audited): {revealed['identity_number']}\n")
    names = {d["id"]: d["name"] for d in devices}
    who = {p["id"]: p["name"] for p in people}
    table = Table(title="Events (newest first, read by the guard)")
    for column in ("time (UTC)", "device", "event", "person", "data"):
        table.add_column(column)
    for e in events:
        table.add_row(
            e["occurred_at"][11:19],
            names.get(e["device_id"], "?"),
            e["kind"],
            who.get(e["person_id"] or "", "—"),
            ", ".join(f"{k}={v}" for k, v in e["data"].items()),
        )
    console.print(table)
    stored = sum(r["stored"] for r in first)
    duplicates = sum(not r["stored"] for r in retry)
    console.print(
        f"Idempotency: first delivery stored {stored}; redelivery of the same "
        f"{len(retry)} events stored 0 ({duplicates} recognised as duplicates).\n"
    )
    table = Table(title="Security checks performed over HTTP")
    for column in ("check", "status", "expected", ""):
        table.add_column(column)
    for name, (got, want) in checks.items():
        table.add_row(name, str(got), str(want), "[green]ok[/]" if got == want else "[red]FAIL[/]")
    console.print(table)
    table = Table(title="Audit log (latest entries)")
    for column in ("#", "actor", "action", "purpose", "outcome"):
        table.add_column(column)
    for entry in audit:
        table.add_row(
            str(entry["seq"]),
            entry["actor"][:20],
            entry["action"],
            entry["purpose"],
            entry["outcome"],
        )
    console.print(table)
    console.print(
        f"Audit chain: {verify['entries']} entries, "
        f"{'[green]intact[/]' if verify['intact'] else '[red]BROKEN[/]'}"
    )
    raw = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    leaked = [n for n in [p["name"] for p in people] + extra_names if n.encode() in raw]
    console.print(
        f"Plain names or plates found in the data directory's raw bytes: "
        f"{'[red]' + ', '.join(leaked) + '[/]' if leaked else '[green]none[/]'}"
    )
    failed = [name for name, (got, want) in checks.items() if got != want]
    if failed or leaked or not verify["intact"]:
        raise SystemExit(1)
