"""Two-tenant worlds: one real object of every kind an id route can name, per tenant.

:func:`build_world` creates, through the API as the given tenant admin, a site, a
person (with a consent, an identity number and a phone), a vehicle of that person, a
device, a user, an API key, a snapshot, an event and a gate-log plate read (the demo's
registered car at the device), the access rules (a zone, a schedule, an access point the
device is bound to, an access level the person holds, a site holiday), a card of the
person, an alert (a duress PIN at the device) and a webhook endpoint with a delivery, and
returns their ids by
path-parameter name (``site_id``, ``person_id``, ...) with the secrets and personal
values a leak check looks for. The isolation tests build one world per tenant and aim
one tenant's calls at the other's.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from gatepost.demo.plates import ASSETS, REGISTERED
from tests.support.api import (
    STRONG_PASSWORD,
    Actor,
    add_device,
    add_site,
    add_user,
    call,
    login,
    now_iso,
)
from tests.support.faces import enrol, photos
from tests.support.identities import cn_identity
from tests.support.leaks import remember

__all__ = ["World", "build_world", "jpeg_bytes", "post_snapshot"]


def jpeg_bytes(
    size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    """A small, valid JPEG image."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def post_snapshot(
    device: Actor, data: bytes | None = None, content_type: str = "image/jpeg"
) -> Any:
    """Upload a snapshot as ``device`` (a fresh JPEG unless ``data`` is given)."""
    return call(
        device,
        "POST",
        "/api/v1/device/snapshots",
        files={"file": ("frame.jpg", data if data is not None else jpeg_bytes(), content_type)},
    )


@dataclass
class World:
    """One tenant's admin and one real object of every kind an id route can name."""

    admin: Actor
    device: Actor
    ids: dict[str, str]
    identity_number: str
    phone: str
    plate: str
    media_url: str
    image: bytes
    tokens: dict[str, str] = field(default_factory=dict)
    card: str = ""  # the person's card number (only its last 4 characters may show)
    webhook_secret: str = ""  # shown once, when the endpoint was created
    subscriber_password: str = ""  # a notification subscriber's, shown once

    @property
    def media_query(self) -> dict[str, str]:
        query = parse_qs(urlsplit(self.media_url).query)
        return {name: values[0] for name, values in query.items()}


def build_world(admin: Actor, *, tag: str, seq: int) -> World:
    """Create a site, person (with consent and an enrolled face), vehicle, device, user,
    API key, snapshot and event."""
    site_id = add_site(admin, f"Site {tag}")
    identity, phone = cn_identity(seq), f"+86139{seq:08d}"
    person = admin.post(
        "/api/v1/persons",
        json={
            "name": f"Person {tag}",
            "identity_kind": "cn_resident",
            "identity_number": identity,
            "phone": phone,
            "site_id": site_id,
        },
    )
    assert person.status_code == 201, person.text
    person_id = person.json()["id"]
    consent = admin.post(
        f"/api/v1/persons/{person_id}/consents",
        json={"purpose": "biometric_face", "notice_version": "v1"},
    )
    assert consent.status_code == 201, consent.text
    plate = f"京A{seq % 100000:05d}"
    vehicle = admin.post(
        "/api/v1/vehicles", json={"plate": plate, "person_id": person_id, "site_id": site_id}
    )
    assert vehicle.status_code == 201, vehicle.text
    enrolled = enrol(admin, person_id, photos("obama")[0])
    assert enrolled.status_code == 201, enrolled.text
    device = add_device(admin, site_id, name=f"Gate {tag}")
    user = add_user(admin, "guard", username=f"guard-{tag}")
    key = admin.post("/api/v1/api-keys", json={"name": f"key {tag}", "role": "auditor"})
    assert key.status_code == 201, key.text
    invitation = admin.post("/api/v1/invitations", json={"role": "guard"})
    assert invitation.status_code == 201, invitation.text
    remember(invitation.json()["token"])
    image = jpeg_bytes(color=(seq % 256, 80, 160))
    snapshot = post_snapshot(device, image)
    assert snapshot.status_code == 201, snapshot.text
    media_id = snapshot.json()["id"]
    batch = {
        "events": [
            {
                "idempotency_key": f"{tag}-1",
                "kind": "access.granted",
                "occurred_at": now_iso(admin),
                "person_id": person_id,
                "snapshot_id": media_id,
                "data": {"door": 1},
            }
        ]
    }
    ingested = device.post("/api/v1/device/events", json=batch)
    assert ingested.status_code == 200, ingested.text
    event_id = ingested.json()[0]["event_id"]
    signed = admin.get(f"/api/v1/events/{event_id}/snapshot-url")
    assert signed.status_code == 200, signed.text
    car = admin.post("/api/v1/vehicles", json={"plate": REGISTERED, "site_id": site_id})
    assert car.status_code == 201, car.text
    frame = (ASSETS / "registered_car.jpg").read_bytes()
    read = device.post("/api/v1/plates/read", files={"file": ("gate.jpg", frame, "image/jpeg")})
    assert read.status_code == 200 and read.json()["read_id"], read.text
    rules, card = _access_rules(admin, tag=tag, seq=seq, site_id=site_id, person_id=person_id)
    bound = admin.put(
        f"/api/v1/devices/{device.id}/access-point",
        json={"access_point_id": rules["access_point_id"]},
    )
    assert bound.status_code == 200, bound.text
    notifications, webhook_secret = _notifications(admin, device, person_id=person_id, seq=seq)
    subscriber = admin.post("/api/v1/notification-subscribers", json={"name": f"Room {tag}"})
    assert subscriber.status_code == 201, subscriber.text
    # A second sign-in of the administrator: a session of theirs to revoke, not the one
    # the tests use.
    slug = admin.get("/api/v1/tenant").json()["slug"]
    second = login(admin.client, slug, "admin", STRONG_PASSWORD)
    sessions = admin.client.get(
        "/api/v1/auth/sessions", headers={"Authorization": f"Bearer {second}"}
    )
    assert sessions.status_code == 200, sessions.text
    return World(
        admin=admin,
        device=device,
        ids={
            "site_id": site_id,
            "person_id": person_id,
            "vehicle_id": vehicle.json()["id"],
            "consent_id": consent.json()["id"],
            "device_id": device.id,
            "user_id": user.id,
            "key_id": key.json()["id"],
            "invitation_id": invitation.json()["id"],
            "event_id": event_id,
            "media_id": media_id,
            "template_id": enrolled.json()["faces"][0]["id"],
            "plate_read_id": read.json()["read_id"],
            **rules,
            **notifications,
            "subscriber_id": subscriber.json()["id"],
            "session_id": next(s["id"] for s in sessions.json() if s["current"]),
        },
        identity_number=identity,
        phone=phone,
        plate=plate,
        media_url=signed.json()["url"],
        image=image,
        tokens={"device": device.token, "user": user.token, "api_key": key.json()["token"]},
        card=card,
        webhook_secret=webhook_secret,
        subscriber_password=subscriber.json()["password"],
    )


def _access_rules(
    admin: Actor, *, tag: str, seq: int, site_id: str, person_id: str
) -> tuple[dict[str, str], str]:
    """A zone, a schedule, an access point into the zone, an access level with it held
    by the person, a site holiday and a card of the person: their ids, and the card."""

    def created(url: str, body: dict[str, Any]) -> str:
        response = admin.post(url, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    zone_id = created("/api/v1/zones", {"site_id": site_id, "name": f"Zone {tag}"})
    schedule_id = created(
        "/api/v1/schedules", {"name": f"Hours {tag}", "intervals": {"mon": ["08:00-18:00"]}}
    )
    access_point_id = created(
        "/api/v1/access-points",
        {
            "site_id": site_id,
            "name": f"Door {tag}",
            "into_zone_id": zone_id,
            "unlock_schedule_id": schedule_id,
        },
    )
    access_level_id = created(
        "/api/v1/access-levels",
        {"name": f"Staff {tag}", "schedule_id": schedule_id, "access_point_ids": [access_point_id]},
    )
    held = admin.put(f"/api/v1/persons/{person_id}/access-levels/{access_level_id}", json={})
    assert held.status_code == 200, held.text
    holiday_id = created(
        f"/api/v1/sites/{site_id}/holidays", {"date": "2030-10-01", "name": "National Day"}
    )
    card = f"C0FFEE{seq:06d}"
    credential_id = created(
        f"/api/v1/persons/{person_id}/credentials", {"kind": "card", "value": card}
    )
    ids = {
        "zone_id": zone_id,
        "schedule_id": schedule_id,
        "access_point_id": access_point_id,
        "access_level_id": access_level_id,
        "holiday_id": holiday_id,
        "credential_id": credential_id,
    }
    return ids, card


def _notifications(
    admin: Actor, device: Actor, *, person_id: str, seq: int
) -> tuple[dict[str, str], str]:
    """An alert (the person's duress PIN at the device), a webhook endpoint and one of
    its deliveries: their ids, and the endpoint's secret."""
    pin = f"9{seq:05d}"
    issued = admin.post(
        f"/api/v1/persons/{person_id}/credentials",
        json={"kind": "pin", "value": pin, "duress": True},
    )
    assert issued.status_code == 201, issued.text
    arrival = {
        "kind": "pin",
        "value": pin,
        "idempotency_key": f"duress-{seq}",
        "device_time": now_iso(admin),
    }
    decided = device.post("/api/v1/device/arrivals", json=arrival)
    assert decided.status_code == 200, decided.text
    alerts = admin.get("/api/v1/alerts").json()["items"]
    assert len(alerts) == 1, alerts
    # Tests allow private targets (tests/support/settings.py); nothing listens there.
    hook = admin.post("/api/v1/webhooks", json={"url": f"http://127.0.0.1:9/hook-{seq}"})
    assert hook.status_code == 201, hook.text
    test = admin.post(f"/api/v1/webhooks/{hook.json()['id']}/test")
    assert test.status_code == 202, test.text
    ids = {
        "alert_id": alerts[0]["id"],
        "webhook_id": hook.json()["id"],
        "delivery_id": test.json()["id"],
    }
    return ids, str(hook.json()["secret"])
