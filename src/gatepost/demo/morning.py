"""The demo's arrivals at the site, now, over the real MQTT gateway and broker.

With the rules of :mod:`gatepost.demo.site_rules` in place (the staff's hours around the
site's time now, the cleaner's on the other side of the day), simulated devices on
gatepost's own Mosquitto send signed arrivals and obey the commands the gateway sends
back: staff badge in and are recognised by face, a stranger's card is refused, a card
passed back to someone else is stopped by anti-passback, a duress PIN opens the door as
usual and raises a silent alert, the cleaner is refused outside their hours, and a car
enters by its plate. Then messages no honest device sends: a forged MAC, a replayed
idempotency key with another body, and a message stamped long ago; the gateway refuses
each on the device's errors topic and stores nothing.

Every check compares what was observed (the command a device received, the stored
event's reasons and alerts, the refusal's reason, the gateway's acknowledgement count)
with what the rules say must happen.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from gatepost.demo.mqtt_devices import Door, Wire
from gatepost.demo.site_rules import CARDS, CLEANER, DURESS_PIN, STRANGER_CARD, SiteRules
from gatepost.ingest.broker_process import OwnBroker
from gatepost.ingest.gateway import MqttGateway
from gatepost.simulator import Arrival, arrival_payload

__all__ = ["FACE_PERSON", "MorningDemo", "Passage", "morning_scenario", "report_morning"]

Call = Callable[..., Any]
Check = Callable[[Any, int], Any]

_ASSETS: Final = Path(__file__).parent / "assets"
FACE_PERSON: Final = "Portrait O. (demo)"
"""Enrolled by the face part of the demo; given the staff level here."""
_STALE: Final = timedelta(days=15)  # older than the accepted offline backlog (14 days)
_SAME_TIME: Final = timedelta(minutes=1)


@dataclass(frozen=True)
class Passage:
    """One arrival at a door or barrier, and what came of it."""

    label: str
    at: str
    """Site-local time of the stored event (or of the send, when none came)."""
    door: str
    who: str
    presented: str
    command: dict[str, Any]
    event: dict[str, Any]
    answered_at: datetime
    """When the device had its command, by this machine's real clock."""

    @property
    def kind(self) -> str:
        return str(self.command.get("kind", "none"))

    @property
    def reasons(self) -> list[str]:
        return [r for r in str(self.event.get("data", {}).get("reasons", "")).split(",") if r]

    @property
    def alerts(self) -> str:
        return str(self.event.get("data", {}).get("alerts", ""))

    def verdict(self) -> str:
        """``<command>: <first reason>``, e.g. ``deny: anti_passback``."""
        return f"{self.kind}: {self.reasons[0] if self.reasons else 'no event'}"


@dataclass
class MorningDemo:
    passages: list[Passage] = field(default_factory=list)
    refusals: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """What was sent on the wire, and the refusal that came back."""
    counters: dict[str, int] = field(default_factory=dict)
    presence: dict[str, list[str]] = field(default_factory=dict)
    """Zone name -> who the muster list places there."""
    duress_alert: dict[str, Any] | None = None
    """The duress PIN's alert record (GET /api/v1/alerts); None where this build keeps
    alerts only in the event's ``data.alerts``."""
    checks: dict[str, tuple[int | str, int | str]] = field(default_factory=dict)


def _asset(path: str) -> bytes:
    return (_ASSETS / path).read_bytes()


def _plan() -> list[tuple[str, str, str, str, Arrival]]:
    """(label, door, who, what they present, the arrival), in the order they arrive."""
    li, chen = CARDS["Li Wei"], CARDS["Chen Jing"]
    face = Arrival("face", frame=_asset("faces/obama_door.jpg"))
    plate = Arrival("plate", frame=_asset("plates/registered_car.jpg"))
    return [
        ("li-lobby", "lobby", "Li Wei", "card", Arrival("card", li)),
        ("li-office", "office", "Li Wei", "card", Arrival("card", li)),
        ("chen-lobby", "lobby", "Chen Jing", "card", Arrival("card", chen)),
        ("stranger", "lobby", "a stranger", "unknown card", Arrival("card", STRANGER_CARD)),
        ("passback", "office", "a visitor", "Li Wei's card, passed back", Arrival("card", li)),
        ("duress", "office", "Chen Jing", "duress PIN", Arrival("pin", DURESS_PIN)),
        ("face", "lobby", FACE_PERSON, "face", face),
        ("cleaner", "lobby", CLEANER, "card (cleaner)", Arrival("card", CARDS[CLEANER])),
        ("car", "barrier", "registered car", "plate", plate),
    ]  # fmt: skip


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _passages(
    call: Call, check: Check, admin: str, doors: dict[str, Door], zone: ZoneInfo, plan: Any
) -> tuple[list[Passage], list[str]]:
    passages, keys = [], []
    for label, door, who, presented, arrival in plan:
        key, command = doors[door].present(arrival)
        answered_at = datetime.now(UTC)
        keys.append(key)
        event: dict[str, Any] = {}
        if command.get("event_id"):
            event = check(call("GET", f"/api/v1/events/{command['event_id']}", admin), 200)
        stamp = datetime.fromisoformat(event["occurred_at"]) if event else datetime.now(UTC)
        at = f"{stamp.astimezone(zone):%H:%M:%S}"
        passages.append(
            Passage(label, at, doors[door].name, who, presented, command, event, answered_at)
        )
    return passages, keys


def _refusals(
    wire: Wire, mac_key: bytes, used_key: str, card: str
) -> list[tuple[str, dict[str, Any]]]:
    """A forged MAC, a reused key with another body, and a stale time, on the wire."""
    now = datetime.now(UTC)
    badge = Arrival("card", card)
    fresh = f"wire-{secrets.token_hex(6)}"
    forged = arrival_payload(badge, key=fresh, device_time=now)
    replayed = arrival_payload(badge, key=used_key, device_time=now)
    stale = arrival_payload(badge, key=f"{fresh}-old", device_time=now - _STALE)
    return [
        ("forged: a card message with a MAC made without the device's key",
         wire.send(forged, mac_key=secrets.token_bytes(32))),
        ("replayed: an earlier message's idempotency key, with a new time",
         wire.send(replayed, mac_key=mac_key)),
        ("stale: a correctly signed message stamped 15 days ago",
         wire.send(stale, mac_key=mac_key)),
    ]  # fmt: skip


def _presence(call: Call, check: Check, admin: str, site_id: str) -> dict[str, list[str]]:
    muster = check(call("GET", f"/api/v1/sites/{site_id}/presence", admin), 200)
    return {zone["name"]: [p["name"] for p in zone["people"]] for zone in muster["zones"]}


def _alert_of(call: Call, check: Check, admin: str, event_id: str) -> dict[str, Any] | None:
    """The alert record raised with ``event_id`` ({} if none), or None without alert records."""
    response = call("GET", "/api/v1/alerts?kind=duress&limit=50", admin)
    if response.status_code == 404:
        return None
    alerts: list[dict[str, Any]] = check(response, 200)["items"]
    return next((alert for alert in alerts if alert["event_id"] == event_id), {})


def _on_the_real_clock(passage: Passage) -> str:
    """Whether the server stored the arrival at the time this machine's clock read."""
    if not passage.event:
        return "no event"
    drift = datetime.fromisoformat(passage.event["occurred_at"]) - passage.answered_at
    return "within a minute" if abs(drift) < _SAME_TIME else f"{drift} off"


def _checks(
    demo: MorningDemo, *, acked: bool, names: dict[str, str]
) -> dict[str, tuple[int | str, int | str]]:
    by = {p.label: p for p in demo.passages}
    first, duress, face = by["li-lobby"], by["duress"], by["face"]
    alert = demo.duress_alert
    raised = alert.get("kind", "no") if alert is not None else duress.alerts or "no"
    silent = not duress.command.get("display") and (alert is None or alert.get("silent") is True)
    seen = names.get(str(face.event.get("person_id") or ""), "nobody")
    reasons = {what.partition(":")[0]: body.get("reason", "none") for what, body in demo.refusals}
    return {
        "door opened over MQTT": (f"{first.kind}, {'acked' if acked else 'no ack'}", "open, acked"),
        "event stored at the real time": (_on_the_real_clock(first), "within a minute"),
        "staff member enters the office": (by["li-office"].verdict(), "open: granted"),
        "stranger's card refused over MQTT": (by["stranger"].verdict(), "deny: unknown_credential"),
        "anti-passback blocks a shared card": (by["passback"].verdict(), "deny: anti_passback"),
        "duress PIN opens with a silent alert": (
            f"{duress.kind}, {'silent' if silent else 'shown'} {raised} alert",
            "open, silent duress alert",
        ),
        "face recognised at a door over MQTT": (f"{face.kind}: {seen}", f"open: {FACE_PERSON}"),
        "cleaner refused outside their hours": (by["cleaner"].verdict(), "deny: outside_schedule"),
        "car enters by plate over MQTT": (by["car"].kind, "raise_barrier"),
        "forged message refused": (reasons["forged"], "forged"),
        "replayed message refused": (reasons["replayed"], "reused_key"),
        "stale message refused": (reasons["stale"], "stale"),
    }


def morning_scenario(
    call: Call,
    check: Check,
    admin: str,
    *,
    site_id: str,
    rules: SiteRules,
    broker: OwnBroker,
    gateway: MqttGateway | None,
    zone: ZoneInfo,
    names: dict[str, str],
) -> MorningDemo:
    """Run the arrivals (see the module doc) and return what was observed (``zone``: the
    site's time zone, for the times shown; ``names``: person id -> name, to say whom the
    face camera recognised)."""
    demo = MorningDemo()
    doors: dict[str, Door] = {}
    try:
        for key, identity in rules.devices.items():
            name = rules.device_names[identity.device_id]
            doors[key] = Door(identity, broker, name=name).connect()
        wire = Wire(rules.devices["lobby"], broker)
        try:
            passages, keys = _passages(call, check, admin, doors, zone, _plan())
            demo.passages = passages
            demo.refusals = _refusals(
                wire, rules.devices["lobby"].mac_key, keys[0], CARDS["Li Wei"]
            )
        finally:
            wire.close()
        commands = sum(1 for p in passages if p.command)
        acked = gateway is not None and _wait_for(
            lambda: gateway.counters.get("command.acked", 0) >= commands
        )
        demo.counters = dict(gateway.counters) if gateway is not None else {}
    finally:
        for door in doors.values():
            door.close()
    demo.presence = _presence(call, check, admin, site_id)
    duress = next(p for p in demo.passages if p.label == "duress")
    if duress.event:
        demo.duress_alert = _alert_of(call, check, admin, duress.event["id"])
    demo.checks = _checks(demo, acked=acked, names=names)
    return demo


def report_morning(
    console: Console, demo: MorningDemo, *, names: dict[str, str], hours: str = ""
) -> None:
    """Print the passages, refusals and who is on site (``names``: person id -> name, for
    the event's person; ``hours``: the schedules in words, printed under the table)."""
    table = Table(title="Arrivals at Harbour Tower now, over MQTT (site time)")
    for column in ("time", "device", "who", "presented", "command", "reasons", "alerts", "as"):
        table.add_column(column)
    for p in demo.passages:
        colour = "green" if p.kind in ("open", "raise_barrier") else "yellow"
        table.add_row(
            p.at,
            p.door,
            p.who,
            p.presented,
            f"[{colour}]{p.kind}[/]",
            ", ".join(p.reasons),
            p.alerts or "—",
            names.get(str(p.event.get("person_id") or ""), "—"),
        )
    console.print(table)
    if hours:
        console.print(hours, soft_wrap=True)
    table = Table(title="Messages no honest device sends (refused on the device's errors topic)")
    for column in ("sent", "refusal", "detail"):
        table.add_column(column)
    for what, body in demo.refusals:
        table.add_row(what, str(body.get("reason", "none")), str(body.get("detail", "")))
    console.print(table)
    on_site = "; ".join(f"{zone}: {', '.join(people)}" for zone, people in demo.presence.items())
    counted = {k: v for k, v in sorted(demo.counters.items()) if v}
    alert = demo.duress_alert
    if alert:
        console.print(
            f"The duress PIN's alert (GET /api/v1/alerts): {alert['kind']}, severity "
            f"{alert['severity']}, {'silent' if alert['silent'] else 'shown'} at the door, "
            f"{'open' if alert['acknowledged_at'] is None else 'acknowledged'}."
        )
    console.print(
        f"On site now (the muster list): {on_site or 'nobody'}\n"
        f"The gateway counted: {json.dumps(counted)}\n"
    )
