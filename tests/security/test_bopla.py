"""BOPLA: clients cannot set server-owned fields, and responses never carry secrets.

Every JSON body model of the API refuses tenant ids, roles, ids, timestamps and other
server-computed fields with a 422 naming the field; no response of any read route
contains a password hash, a token or its hash, a TOTP secret, or a full identity number
or phone number. Only the reveal route returns those, with a reason, to permitted roles,
and audited (SECURITY.md 14, 15; API3).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from pydantic import BaseModel

from gatepost.security.tokens import hash_token
from gatepost.security.totp import totp_code
from gatepost.services.container import Container
from tests.e2e.conftest import ui_login
from tests.support.api import (
    STRONG_PASSWORD,
    Actor,
    add_device,
    add_site,
    add_tenant,
    add_user,
    call,
    container_of,
)
from tests.support.routes import Operation, anonymous_client, operations, random_id
from tests.support.rows import row_counts
from tests.support.world import World, build_world

# A valid body per model: the mass-assignment probes add one field to it at a time.
VALID_BODIES: dict[str, dict[str, Any]] = {
    "SetupRequest": {
        "token": "t",
        "tenant_name": "T",
        "tenant_slug": "tee",
        "username": "abc",
        "password": "p",
    },
    "LoginRequest": {"tenant": "acme", "username": "nobody", "password": "x"},
    "PasswordChange": {"current_password": "a", "new_password": "b"},
    "TotpConfirm": {"code": "123456"},
    "UserCreate": {"username": "newbie", "password": STRONG_PASSWORD, "role": "guard"},
    "UserUpdate": {},
    "ApiKeyCreate": {"name": "k", "role": "guard"},
    "TenantCreate": {"name": "T", "slug": "tee"},
    "TenantShred": {"confirm": "tee"},
    "InvitationCreate": {"hours": 1},
    "TenantInvitationCreate": {"role": "guard", "hours": 1},
    "InvitationCheck": {"token": "t"},
    "InvitationAccept": {"token": "t", "username": "abc", "password": "p"},
    "SiteCreate": {"name": "S"},
    "SiteUpdate": {},
    "PersonCreate": {"name": "N"},
    "PersonUpdate": {},
    "PersonSearch": {"name": "N"},
    "VehicleCreate": {"plate": "京A12345"},
    "VehicleUpdate": {},
    "VehicleSearch": {"plate": "京A12345"},
    "RevealRequest": {"reason": "a good reason"},
    "ConsentCreate": {"purpose": "biometric_face", "notice_version": "v1"},
    "DeviceCreate": {"site_id": "0" * 32, "name": "d", "kind": "camera"},
    "FacePolicyUpdate": {"target_fmr": 1e-4, "max_fpir": 0.05},
    "SitePlateSettingsUpdate": {"regions": None},
    "PlatePolicyUpdate": {},
    "PlateLogSearch": {"plate": "京A12345"},
    "ZoneCreate": {"site_id": "0" * 32, "name": "Z"},
    "ZoneUpdate": {},
    "AccessPointCreate": {"site_id": "0" * 32, "name": "P"},
    "AccessPointUpdate": {},
    "DeviceAccessPointUpdate": {"access_point_id": None},
    "ScheduleCreate": {"name": "S", "intervals": {"mon": ["08:00-12:00"]}},
    "ScheduleUpdate": {},
    "HolidayCreate": {"date": "2030-01-01", "name": "H"},
    "AccessLevelCreate": {"name": "L", "schedule_id": "0" * 32},
    "AccessLevelUpdate": {},
    "LevelGrant": {},
    "PersonAccessUpdate": {},
    "CredentialCreate": {"kind": "pin", "value": "2468"},
    "AlertAcknowledge": {"note": "checked"},
    "WebhookCreate": {"url": "https://hooks.example.com/gatepost"},
    "WebhookUpdate": {},
    "NotificationSubscriberCreate": {"name": "Control room"},
    "RemoteCommandRequest": {"reason": "a good reason"},
    "DeviceArrivalIn": {
        "kind": "exit_button",
        "idempotency_key": "k",
        "device_time": "2030-01-01T00:00:00Z",
    },
    "EventBatch": {
        "events": [
            {"idempotency_key": "k", "kind": "door.opened", "occurred_at": "2030-01-01T00:00:00Z"}
        ]
    },
}

# Fields the server owns; a client sending any of them is refused, not ignored.
SERVER_FIELDS: dict[str, Any] = {
    "tenant_id": "0" * 32,
    "id": "1" * 32,
    "created_at": "2000-01-01T00:00:00Z",
    "updated_at": "2000-01-01T00:00:00Z",
    "role": "admin",
    "platform_admin": True,
    "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
    "token_hash": "00" * 32,
    "credential_hash": "00" * 32,
    "totp_secret": "JBSWY3DPEHPK3PXP",
    "totp_required": False,
    "disabled": False,
    "revoked_at": None,
    "last_used_at": "2000-01-01T00:00:00Z",
    "received_at": "2000-01-01T00:00:00Z",
    "device_id": "2" * 32,
    "site_id": "3" * 32,
    "recorded_by": "user:x",
    "granted_at": "2000-01-01T00:00:00Z",
    "withdrawn_at": None,
    "identity_masked": "1101**********0000",
    "uploaded_by": "user:x",
}

SECRET_KEYS = re.compile(r"(hash|sealed|secret|password|_index$|template|^credential$|^token$)")


def body_model(op: Operation) -> type[BaseModel] | None:
    params = op.route.dependant.body_params
    if len(params) != 1:
        return None
    annotation = params[0].field_info.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _json_ops(admin: Actor) -> list[tuple[Operation, type[BaseModel]]]:
    found = []
    for op in operations(admin.client.app):  # type: ignore[arg-type]
        model = body_model(op)
        if model is not None and not op.is_ui:
            found.append((op, model))
    return found


def _names_field(response: Any, field: str) -> bool:
    error = response.json().get("error", {})
    named = [error.get("field") or ""] + [d.get("field", "") for d in error.get("details", [])]
    return any(n == field or n.endswith("." + field) for n in named)


# -- mass assignment --------------------------------------------------------------------


def test_every_json_model_has_a_valid_sample_when_generated(admin: Actor) -> None:
    models = {model.__name__ for _, model in _json_ops(admin)}
    assert len(models) >= 12
    assert models - set(VALID_BODIES) == set()


def test_server_fields_are_refused_with_422_naming_them_on_every_body(
    admin: Actor, container: Container
) -> None:
    device = add_device(admin, add_site(admin))
    anon = anonymous_client(admin.client.app)
    before = row_counts(container)
    failures = []
    probes = 0
    for op, model in _json_ops(admin):
        base = VALID_BODIES[model.__name__]
        actor = device if op.path.startswith("/api/v1/device/") else admin
        url = op.url({name: random_id() for name in op.path_params})
        for name, value in SERVER_FIELDS.items():
            if name in model.model_fields:
                continue
            probes += 1
            if model.__name__ == "EventBatch":
                body = {"events": [{**base["events"][0], name: value}]}
            else:
                body = {**base, name: value}
            if op.is_public:
                response = anon.request(op.method, url, json=body)
            else:
                response = call(actor, op.method, url, json=body)
            if response.status_code != 422 or not _names_field(response, name):
                failures.append(f"{op} +{name} -> {response.status_code} {response.text[:120]}")
    assert probes > 200
    assert failures == [], "\n".join(failures)
    assert row_counts(container) == before


def test_ui_access_rule_forms_ignore_server_fields(admin: Actor) -> None:
    """The admin UI's forms read only their own fields: a tenant id, an id or a time added
    to a form (another tenant's, here) never reaches the object made from it."""
    other = add_tenant(admin, "globex")
    site = add_site(admin)
    schedule = admin.post("/api/v1/schedules", json=VALID_BODIES["ScheduleCreate"]).json()["id"]
    rows = [  # (form path, its fields, where the API lists what it made)
        (
            "/ui/schedules",
            {"name": "UI", "mon_start": "08:00", "mon_end": "9:00"},
            "/api/v1/schedules",
        ),
        ("/ui/access-levels", {"name": "UI", "schedule_id": schedule}, "/api/v1/access-levels"),
        (
            f"/ui/sites/{site}/holidays",
            {"day": "2031-01-01", "name": "UI"},
            f"/api/v1/sites/{site}/holidays",
        ),
    ]
    csrf = ui_login(admin.client, "acme", "admin", STRONG_PASSWORD)
    server = {key: SERVER_FIELDS[key] for key in ("id", "created_at", "updated_at")}
    for path, form, listing in rows:
        posted = admin.client.post(
            path,
            data={**form, **server, "tenant_id": other.tenant_id, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert posted.status_code == 303, (path, posted.text)
        found = admin.get(listing).json()
        items = found["items"] if isinstance(found, dict) else found
        (made,) = [item for item in items if item["name"] == "UI"]
        assert made["id"] != server["id"], path
        assert not made.get("created_at", "").startswith("2000"), path
    for listing in ("/api/v1/schedules", "/api/v1/access-levels"):
        assert other.get(listing).json()["items"] == [], listing


def test_own_role_and_status_cannot_be_changed_when_admin(admin: Actor) -> None:
    demote = admin.patch(f"/api/v1/users/{admin.id}", json={"role": "guard"})
    assert demote.status_code == 409, demote.text
    disable = admin.patch(f"/api/v1/users/{admin.id}", json={"disabled": True})
    assert disable.status_code == 409, disable.text
    flag = admin.patch(f"/api/v1/users/{admin.id}", json={"platform_admin": False})
    assert flag.status_code == 422 and _names_field(flag, "platform_admin")
    me = admin.get("/api/v1/auth/me").json()
    assert (me["role"], me["platform_admin"]) == ("admin", True)


@pytest.mark.parametrize("role", ["device", "platform_admin", "superuser", "ADMIN", ""])
def test_unknown_or_device_roles_are_refused_for_users_and_keys(admin: Actor, role: str) -> None:
    user = admin.post(
        "/api/v1/users", json={"username": "role-probe", "password": STRONG_PASSWORD, "role": role}
    )
    assert user.status_code == 422 and _names_field(user, "role"), user.text
    key = admin.post("/api/v1/api-keys", json={"name": "role probe", "role": role})
    assert key.status_code == 422 and _names_field(key, "role"), key.text
    guard = add_user(admin, "guard", username="role-target")
    change = admin.patch(f"/api/v1/users/{guard.id}", json={"role": role})
    assert change.status_code == 422 and _names_field(change, "role"), change.text
    assert admin.get(f"/api/v1/users/{guard.id}").json()["role"] == "guard"


# -- nothing secret in any response -----------------------------------------------------


def _encodings(secret: str | bytes) -> list[str]:
    raw = secret.encode() if isinstance(secret, str) else secret
    forms = [raw.hex(), base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()]
    forms = [f.rstrip("=") for f in forms]
    if isinstance(secret, str):
        forms.append(secret)
    return forms


def _json_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(_json_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_json_keys(v) for v in value)) if value else set()
    return set()


def _secrets(world: World, totp_secret: str, extra_tokens: list[str]) -> dict[str, list[str]]:
    phone = world.phone
    found: dict[str, list[str]] = {
        "card number": [world.card, world.card[:-4]],
        "password hash": ["$argon2"],
        "identity number": [world.identity_number, world.identity_number[4:14]],
        "phone": [phone, phone.lstrip("+"), phone[3:]],
        "totp secret": [totp_secret],
        "webhook secret": [world.webhook_secret, world.webhook_secret.removeprefix("whsec_")],
        "broker password": [world.subscriber_password],
        "broker password hash": ["$7$"],
    }
    for name, token in [
        *world.tokens.items(),
        *((f"token{i}", t) for i, t in enumerate(extra_tokens)),
    ]:
        # <kind>_<tenant>_<secret>: the secret may itself contain "_", so split twice
        # from the left (a right split can leave a one-letter fragment that matches
        # any page).
        found[name] = [token, token.split("_", 2)[2]]
        found[f"{name} hash"] = _encodings(hash_token(token))
    return found


def _has(text: str, forms: list[str]) -> bool:
    return any(form and form in text for form in forms)


def _stream_opening(actor: Actor, url: str) -> str:
    """The opening messages of a Server-Sent Events stream: as many as the tenant's latest
    events (the stream opens with up to 20 of them), then the stream is closed."""
    expected = min(20, len(actor.get("/api/v1/events?limit=20").json()["items"]))
    assert expected, "the world has events for the stream to show"
    lines: list[str] = []
    with actor.client.stream(
        "GET", url, headers={**actor.headers, "Accept": "text/event-stream"}
    ) as response:
        assert response.status_code == 200, url
        for line in response.iter_lines():
            lines.append(line)
            if sum(x.startswith("data: ") for x in lines) == expected:
                break
    return "\n".join(lines)


def test_no_read_response_contains_secrets_or_full_personal_numbers(admin: Actor) -> None:
    world = build_world(admin, tag="s", seq=7)
    hr = add_user(admin, "hr", username="hr-totp")
    begun = hr.post("/api/v1/auth/totp")
    assert begun.status_code == 200
    secret = begun.json()["secret"]
    code = totp_code(secret, container_of(admin).clock.now())
    assert hr.post("/api/v1/auth/totp/confirm", json={"code": code}).status_code == 204
    reveal = admin.post(
        f"/api/v1/persons/{world.ids['person_id']}/reveal", json={"reason": "badge check"}
    )
    assert reveal.status_code == 200
    invited = admin.post(f"/api/v1/tenants/{admin.tenant_id}/invitations", json={"role": "guard"})
    assert invited.status_code == 201, invited.text
    ids = dict(world.ids, user_id=hr.id, tenant_id=admin.tenant_id)
    secrets = _secrets(world, secret, [admin.token, hr.token, invited.json()["token"]])
    # The scanner recognises what it hunts for (the reveal answer and the enrolment do).
    assert any(form in reveal.text for form in secrets["identity number"])
    assert any(form in reveal.text for form in secrets["phone"])
    assert any(form in begun.text for form in secrets["totp secret"])
    failures = []
    scanned = 0
    for op in operations(admin.client.app):  # type: ignore[arg-type]
        if op.method != "GET" or op.is_public or op.path == "/api/openapi.json":
            continue
        if any(p not in ids for p in op.path_params):
            continue
        if op.path.endswith("/stream"):  # an endless event stream: scan its opening
            text = _stream_opening(admin, op.url(ids))
            scanned += 1
            failures += [
                f"{op} leaks {what}" for what, forms in secrets.items() if _has(text, forms)
            ]
            continue
        params = world.media_query if op.path.startswith("/media/") else None
        response = call(admin, "GET", op.url(ids), params=params)
        if response.status_code >= 400:
            failures.append(f"{op} -> {response.status_code}")
            continue
        if not response.headers.get("content-type", "").startswith(("application/json", "text/")):
            continue
        scanned += 1
        text = response.text
        if "json" in response.headers["content-type"]:
            text = text + "\n" + json.dumps(response.json(), ensure_ascii=False)
            bad_keys = sorted(k for k in _json_keys(response.json()) if SECRET_KEYS.search(k))
            if bad_keys:
                failures.append(f"{op} has secret-looking fields {bad_keys}")
        for what, forms in secrets.items():
            if any(form and form in text for form in forms):
                failures.append(f"{op} contains the {what}")
    assert scanned >= 15
    assert failures == [], "\n".join(failures)
    person = admin.get(f"/api/v1/persons/{world.ids['person_id']}").json()
    assert (
        person["identity_masked"]
        == world.identity_number[:4] + "*" * 10 + world.identity_number[-4:]
    )
    assert person["phone_masked"] == "*" * (len(world.phone) - 4) + world.phone[-4:]


def test_user_and_key_listings_never_show_credentials(admin: Actor) -> None:
    key = admin.post("/api/v1/api-keys", json={"name": "listing", "role": "guard"}).json()
    listed = admin.get("/api/v1/api-keys").json()
    assert all(
        set(k) == {"id", "name", "role", "created_at", "expires_at", "last_used_at", "revoked_at"}
        for k in listed
    )
    assert key["token"] not in json.dumps(listed)
    users = admin.get("/api/v1/users").json()["items"]
    assert all("password" not in json.dumps(u) and "$argon2" not in json.dumps(u) for u in users)


# -- reveal -----------------------------------------------------------------------------


def _reveal(actor: Actor, person_id: str, **kw: Any) -> Any:
    return call(actor, "POST", f"/api/v1/persons/{person_id}/reveal", **kw)


def test_reveal_requires_a_reason_when_called(admin: Actor) -> None:
    world = build_world(admin, tag="r", seq=3)
    person_id = world.ids["person_id"]
    assert _reveal(admin, person_id).status_code == 422
    for body in (
        {},
        {"reason": "     "},
        {"reason": "abc"},
        {"reason": " \t \n  x "},
        {"reason": "y" * 501},
    ):
        response = _reveal(admin, person_id, json=body)
        assert response.status_code == 422, body
        assert _names_field(response, "reason"), response.text
    actions = [
        e["action"] for e in admin.get("/api/v1/audit", params={"limit": 200}).json()["items"]
    ]
    assert "person.identity_revealed" not in actions


def test_reveal_is_limited_to_permitted_roles_and_audited(admin: Actor) -> None:
    world = build_world(admin, tag="r", seq=4)
    person_id = world.ids["person_id"]
    allowed: list[Actor] = [admin, add_user(admin, "hr", username="hr-reveal")]
    denied: list[Actor] = [
        add_user(admin, r, username=f"{r}-reveal") for r in ("guard", "operator", "auditor")
    ]
    for role in ("admin", "hr", "guard", "operator", "auditor"):
        key = admin.post("/api/v1/api-keys", json={"name": f"{role} reveal", "role": role}).json()
        actor = Actor(admin.client, key["token"], admin.tenant_id, key["id"], role)
        (allowed if role in ("admin", "hr") else denied).append(actor)
    reasons = {}
    for index, actor in enumerate(allowed):
        reason = f"visitor badge check  number {index}"
        response = _reveal(actor, person_id, json={"reason": reason})
        assert response.status_code == 200, response.text
        assert response.json() == {
            "id": person_id,
            "identity_number": world.identity_number,
            "phone": world.phone,
        }
        reasons[actor.token] = " ".join(reason.split())
    for actor in denied:
        response = _reveal(actor, person_id, json={"reason": "curious about this person"})
        assert response.status_code == 403, actor.role
        assert world.identity_number not in response.text
    entries = admin.get(
        "/api/v1/audit", params={"action": "person.identity_revealed", "limit": 200}
    ).json()["items"]
    assert len(entries) == len(allowed)
    container = container_of(admin)
    expected = {(container.auth.authenticate(a.token).actor, reasons[a.token]) for a in allowed}
    assert {(e["actor"], e["purpose"]) for e in entries} == expected
    assert {e["target"] for e in entries} == {f"person:{person_id}"}
    audit_text = admin.get("/api/v1/audit", params={"limit": 200}).text
    assert world.identity_number not in audit_text and world.phone not in audit_text
    # Still masked for everyone afterwards.
    shown = admin.get(f"/api/v1/persons/{person_id}").text
    assert world.identity_number not in shown and world.phone not in shown
