"""BOLA: tenant A's token on tenant B's objects gets 404, on every route that takes an id.

The routes come from the router (every ``{..._id}`` path parameter), the ids from real
objects of each kind in two tenants, mapped by parameter name; a route with an id kind
this test cannot fill fails the test instead of being skipped (SECURITY.md 12, API1).
The world builder lives in ``tests/support/world.py``, shared with the other
``tests/security`` modules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gatepost.security.permissions import Permission
from gatepost.services.container import Container
from tests.e2e.conftest import ui_login
from tests.support.api import STRONG_PASSWORD, Actor, add_tenant, call, now_iso
from tests.support.faces import photo_bytes, photos
from tests.support.forms import form_fields
from tests.support.leaks import remember
from tests.support.routes import Operation, body_model_name, operations, random_id
from tests.support.rows import row_counts
from tests.support.world import World, build_world

# -- request parts ----------------------------------------------------------------------

# A valid request body per body model, for routes that need one to reach their handler.
SAMPLE_BODIES: dict[str, dict[str, Any]] = {
    "PersonUpdate": {"notes": "checked by the isolation test"},
    "RevealRequest": {"reason": "checking tenant isolation"},
    "ConsentCreate": {"purpose": "biometric_face", "notice_version": "v1"},
    "UserUpdate": {},
    "VehicleUpdate": {"description": "checked by the isolation test"},
    "SitePlateSettingsUpdate": {"regions": ["cn"]},
    "SiteUpdate": {"address": "checked by the isolation test"},
    "ZoneUpdate": {"name": "checked by the isolation test"},
    "AccessPointUpdate": {"name": "checked by the isolation test"},
    "DeviceAccessPointUpdate": {"access_point_id": None},
    "ScheduleUpdate": {"name": "checked by the isolation test"},
    "HolidayCreate": {"date": "2031-05-01", "name": "Labour Day"},
    "AccessLevelUpdate": {"name": "checked by the isolation test"},
    "LevelGrant": {"valid_until": "2040-01-01T00:00:00Z"},
    "PersonAccessUpdate": {"watchlisted": True},
    "CredentialCreate": {"kind": "qr"},
    "AlertAcknowledge": {"note": "checked by the isolation test"},
    "WebhookUpdate": {"description": "checked by the isolation test"},
    "RemoteCommandRequest": {"reason": "checking tenant isolation"},
}
_FACE = photo_bytes(photos("obama")[1])
# Multipart uploads, by the type of the route's file parameter (a list: several files).
SAMPLE_UPLOADS: dict[str, Any] = {
    "list": [("files", ("face.jpg", _FACE, "image/jpeg"))],
    "UploadFile": {"file": ("face.jpg", _FACE, "image/jpeg")},
}


def request_parts(op: Operation, world: World) -> dict[str, Any]:
    """Body and required query parameters that let ``op`` reach its handler."""
    parts: dict[str, Any] = {}
    model = body_model_name(op)
    if model in SAMPLE_UPLOADS:
        parts["files"] = SAMPLE_UPLOADS[model]
    elif model is not None:
        parts["json"] = SAMPLE_BODIES[model]
    required = {q.name for q in op.route.dependant.query_params if q.field_info.is_required()}
    if required:
        query = world.media_query
        parts["params"] = {name: query[name] for name in required}
    return parts


def _order(op: Operation) -> tuple[int, int, str]:
    """Reads first, then edits, then revocations, then deletions (own-world sanity);
    deeper paths first, so a person's faces go before the person."""
    if op.method == "DELETE":
        rank = 4
    elif op.path.endswith(("/revoke", "/withdraw")):
        rank = 3
    elif op.method == "GET":
        rank = 0
    else:
        rank = 1
    return rank, -op.path.count("/"), op.path


def _platform(op: Operation) -> bool:
    """A platform administrator's route: it names the tenant it acts on, by design
    (every tenant's), so tenant isolation is checked for it on its own, below."""
    return op.permission is Permission.PLATFORM_TENANTS_MANAGE


def id_operations(admin: Actor) -> list[Operation]:
    return [
        op
        for op in operations(admin.client.app)  # type: ignore[arg-type]
        if op.path_params and not op.is_public and not op.is_ui and not _platform(op)
    ]


# -- the admin UI's forms ----------------------------------------------------------------

_UI_REASON = {"reason": "checking tenant isolation"}
_UI_RENAME = {"name": "checked by the isolation test"}
#: A valid form per UI POST route with an id (merged over the form on the route's own
#: GET page when the route is in UI_FORM_PAGES). ``{name}`` values take the call's ids.
UI_FORMS: dict[str, dict[str, str]] = {
    "/ui/access-levels/{access_level_id}/delete": {},
    "/ui/account/sessions/{session_id}/revoke": {},
    "/ui/access-levels/{access_level_id}/edit": _UI_RENAME,
    "/ui/api-keys/{key_id}/revoke": {},
    "/ui/access-points/zones/{zone_id}/lockdown": _UI_REASON,
    "/ui/access-points/zones/{zone_id}/release": _UI_REASON,
    "/ui/access-points/{access_point_id}/lockdown": _UI_REASON,
    "/ui/access-points/{access_point_id}/open": _UI_REASON,
    "/ui/access-points/{access_point_id}/release": _UI_REASON,
    "/ui/alerts/{alert_id}/acknowledge": {"note": "checked by the isolation test"},
    "/ui/devices/{device_id}/revoke": {},
    "/ui/people/{person_id}/access-levels": {"access_level_id": "{access_level_id}"},
    "/ui/people/{person_id}/access-levels/{access_level_id}/remove": {},
    "/ui/people/{person_id}/consents/{consent_id}/withdraw": {},
    "/ui/people/{person_id}/edit": {"notes": "checked by the isolation test"},
    "/ui/people/{person_id}/erase": {"confirm_name": "not the name"},
    "/ui/people/{person_id}/faces": {"replace": "1"},
    "/ui/people/{person_id}/faces/consent": {"notice_version": "v2", "agreed": "yes"},
    "/ui/people/{person_id}/faces/delete": {},
    "/ui/people/{person_id}/faces/identify": {},
    "/ui/people/{person_id}/reveal": _UI_REASON,
    "/ui/schedules/{schedule_id}/delete": {},
    "/ui/schedules/{schedule_id}/edit": _UI_RENAME,
    "/ui/sites/{site_id}": {"name": "checked by the isolation test", "timezone": "UTC"},
    "/ui/sites/{site_id}/plate-formats": {"regions": "cn"},
    "/ui/sites/{site_id}/holidays": {"day": "2031-05-01", "name": "Labour Day"},
    "/ui/sites/{site_id}/holidays/import": {"country": "CN", "year": "2031"},
    "/ui/sites/{site_id}/holidays/{holiday_id}/delete": {},
    "/ui/users/invitations/{invitation_id}/revoke": {},
    "/ui/users/{user_id}/disabled": {"disabled": "false"},
    "/ui/users/{user_id}/reset-two-step": {},
    "/ui/users/{user_id}/role": {"role": "guard"},
    "/ui/users/{user_id}/two-step-required": {"required": "false"},
    "/ui/vehicles/{vehicle_id}/delete": {},
    "/ui/vehicles/{vehicle_id}/edit": {"description": "checked by the isolation test"},
    "/ui/webhooks/deliveries/{delivery_id}/retry": {},
    "/ui/webhooks/{webhook_id}/delete": {},
    "/ui/webhooks/{webhook_id}/enabled": {"enabled": "false"},
    "/ui/webhooks/{webhook_id}/rotate-secret": {},
    "/ui/webhooks/{webhook_id}/test": {},
}
#: Edit forms: their fields come from the edit page itself (GET on the same path).
UI_FORM_PAGES = {path for path in UI_FORMS if path.endswith("/edit")}
#: Upload forms: the files they send.
UI_UPLOADS: dict[str, dict[str, Any]] = {
    "/ui/people/{person_id}/faces": {"files": ("face.jpg", _FACE, "image/jpeg")},
    "/ui/people/{person_id}/faces/identify": {"file": ("face.jpg", _FACE, "image/jpeg")},
}


def ui_id_operations(admin: Actor) -> list[Operation]:
    """Every admin UI page and form that takes an id (not the catch-all ``{rest}``)."""
    return [op for op in id_operations_all(admin) if op.is_ui]


def ui_form_parts(op: Operation, ids: dict[str, str], page: Callable[[str], str]) -> dict[str, Any]:
    """The form (and files) ``op`` takes, valid for the object ``ids`` names."""
    if op.method != "POST":
        return {}
    fields: dict[str, Any] = {}
    if op.path in UI_FORM_PAGES:
        fields.update(form_fields(page(op.url(ids)), op.url(ids)))
    fields.update({name: value.format(**ids) for name, value in UI_FORMS[op.path].items()})
    parts: dict[str, Any] = {"data": fields}
    if op.path in UI_UPLOADS:
        parts["files"] = UI_UPLOADS[op.path]
    return parts


def _ui_order(op: Operation) -> tuple[int, int, str]:
    """Like :func:`_order`, for the UI's verbs-in-the-path forms."""
    if op.path.endswith("/delete"):
        rank = 4
    elif op.path.endswith(("/revoke", "/withdraw", "/remove", "/rotate-secret")):
        rank = 3
    elif op.method == "GET":
        rank = 0
    else:
        rank = 1
    return rank, -op.path.count("/"), op.path


def world_snapshot(world: World) -> dict[str, tuple[int, str]]:
    """What the world's admin reads on every API route that takes an id (status, body)."""
    return {
        str(op): (response.status_code, response.text)
        for op in id_operations(world.admin)
        if op.method == "GET"
        for response in [call(world.admin, "GET", op.url(world.ids), **request_parts(op, world))]
    }


# -- tests -----------------------------------------------------------------------------


def test_id_routes_use_only_known_id_kinds_when_generated(admin: Actor) -> None:
    ops = id_operations(admin)
    assert len(ops) >= 15
    world_keys = {
        "site_id",
        "person_id",
        "vehicle_id",
        "consent_id",
        "device_id",
        "user_id",
        "key_id",
        "invitation_id",
        "event_id",
        "media_id",
        "template_id",
        "plate_read_id",
        "zone_id",
        "schedule_id",
        "access_point_id",
        "access_level_id",
        "holiday_id",
        "credential_id",
        "alert_id",
        "webhook_id",
        "delivery_id",
        "subscriber_id",
        "session_id",
    }
    unknown = sorted({p for op in ops for p in op.path_params} - world_keys)
    assert unknown == [], "extend build_world with an object of each new id kind"
    missing_bodies = sorted(
        {m for op in ops if (m := body_model_name(op)) is not None}
        - set(SAMPLE_BODIES)
        - set(SAMPLE_UPLOADS)
    )
    assert missing_bodies == []


def test_foreign_ids_answer_404_on_every_id_route_and_method(
    admin: Actor, container: Container
) -> None:
    b_admin = add_tenant(admin, "globex")
    world_a = build_world(admin, tag="a", seq=1)
    world_b = build_world(b_admin, tag="b", seq=2)
    ops = id_operations(admin)
    b_before = world_snapshot(world_b)
    rows_before = row_counts(container)
    failures = []
    for op in ops:
        ghost = dict(world_a.ids, **{name: random_id() for name in op.path_params})
        expected = call(admin, op.method, op.url(ghost), **request_parts(op, world_a))
        if expected.status_code != 404:
            failures.append(f"{op} with unknown ids -> {expected.status_code}")
            continue
        # Every id from B, then each id from B in turn with A's others.
        combos = [dict(world_b.ids)]
        if len(op.path_params) > 1:
            combos += [dict(world_a.ids, **{name: world_b.ids[name]}) for name in op.path_params]
        for ids in combos:
            response = call(admin, op.method, op.url(ids), **request_parts(op, world_b))
            if response.status_code != 404:
                failures.append(
                    f"{op} with B's ids -> {response.status_code} {response.text[:100]}"
                )
            elif response.json() != expected.json():
                failures.append(f"{op}: B's object answers unlike a missing one: {response.text}")
    assert failures == [], "\n".join(failures)
    assert row_counts(container) == rows_before, "a refused request wrote rows"
    assert world_snapshot(world_b) == b_before, "a refused request changed B's objects"
    _assert_world_untouched(world_b)
    # Sanity: the same calls with A's own ids work, so the 404s above are isolation.
    own_failures = []
    for op in sorted(ops, key=_order):
        response = call(admin, op.method, op.url(world_a.ids), **request_parts(op, world_a))
        if not 200 <= response.status_code < 300:
            own_failures.append(f"{op} on A's own object -> {response.status_code} {response.text}")
    assert own_failures == [], "\n".join(own_failures)


def test_foreign_ids_answer_like_missing_ones_on_every_ui_id_route(
    admin: Actor, container: Container
) -> None:
    """The admin UI (cookie session and CSRF token, as a browser sends them): every page
    and form that takes an id answers B's objects exactly as objects that do not exist,
    and changes nothing. Each form is posted with valid fields (an edit page's own form,
    taken from A's object), so the refusal is the id's, not the form's."""
    b_admin = add_tenant(admin, "globex")
    world_a = build_world(admin, tag="a", seq=1)
    world_b = build_world(b_admin, tag="b", seq=2)
    client = admin.client
    headers = {"X-CSRF-Token": ui_login(client, "acme", "admin", STRONG_PASSWORD)}
    ops = ui_id_operations(admin)
    assert len(ops) >= 40, "the walk lost UI routes: fix ui_id_operations"
    unknown = sorted({p for op in ops for p in op.path_params} - set(world_a.ids))
    assert unknown == [], "extend build_world with an object of each new id kind"
    unformed = sorted(op.path for op in ops if op.method == "POST" and op.path not in UI_FORMS)
    assert unformed == [], "add a valid form for each new UI POST route to UI_FORMS"

    def page(url: str) -> str:
        return str(client.get(url, headers=headers).text)

    # Valid forms, read from A's own pages where a page holds the form.
    forms = {op.path: ui_form_parts(op, world_a.ids, page) for op in ops if op.method == "POST"}

    def send(op: Operation, ids: dict[str, str]) -> Any:
        return client.request(op.method, op.url(ids), headers=headers, **forms.get(op.path, {}))

    b_before = world_snapshot(world_b)
    rows_before = row_counts(container)
    failures = []
    for op in ops:
        ghost = dict(world_a.ids, **{name: random_id() for name in op.path_params})
        expected = send(op, ghost)
        if expected.status_code != 404:
            failures.append(f"{op} with unknown ids -> {expected.status_code}")
            continue
        combos = [dict(world_b.ids)]
        if len(op.path_params) > 1:
            combos += [dict(world_a.ids, **{name: world_b.ids[name]}) for name in op.path_params]
        for ids in combos:
            response = send(op, ids)
            if response.status_code != 404:
                failures.append(f"{op} with B's ids -> {response.status_code}")
            elif response.text != expected.text:
                failures.append(f"{op}: B's object answers unlike a missing one")
    assert failures == [], "\n".join(failures)
    assert row_counts(container) == rows_before, "a refused UI request wrote rows"
    assert world_snapshot(world_b) == b_before, "a refused UI request changed B's objects"
    _assert_world_untouched(world_b)
    # Sanity: the same pages and forms find A's own objects, so the 404s above are
    # isolation (deletions last, deeper paths first).
    own_failures = []
    for op in sorted(ops, key=_ui_order):
        own = send(op, world_a.ids)
        if own.status_code == 404 or own.status_code >= 500:
            own_failures.append(f"{op} on A's own object -> {own.status_code}")
    assert own_failures == [], "\n".join(own_failures)


def id_operations_all(admin: Actor) -> list[Operation]:
    """Every non-public route that takes an id, API and admin UI alike."""
    return [
        op
        for op in operations(admin.client.app)  # type: ignore[arg-type]
        if op.path_params
        and all(name.endswith("_id") for name in op.path_params)
        and not op.is_public
        and not _platform(op)
    ]


def test_platform_routes_keep_each_tenants_invitations_apart(admin: Actor) -> None:
    """The platform routes take a tenant id; an invitation of tenant B named under
    tenant A's path answers exactly as a missing one, and B's stays pending."""
    b_admin = add_tenant(admin, "globex")
    ops = [op for op in operations(admin.client.app) if _platform(op)]  # type: ignore[arg-type]
    assert {p for op in ops for p in op.path_params} == {"tenant_id", "invitation_id"}
    b_invitation = admin.post(f"/api/v1/tenants/{b_admin.tenant_id}/invitations", json={})
    assert b_invitation.status_code == 201, b_invitation.text
    remember(b_invitation.json()["token"])
    b_id = b_invitation.json()["id"]
    for op in ops:
        if "invitation_id" not in op.path_params:
            continue
        ghost = call(
            admin, op.method, op.url({"tenant_id": admin.tenant_id, "invitation_id": random_id()})
        )
        foreign = call(
            admin, op.method, op.url({"tenant_id": admin.tenant_id, "invitation_id": b_id})
        )
        assert ghost.status_code == 404, f"{op}: {ghost.status_code}"
        assert (foreign.status_code, foreign.json()) == (404, ghost.json()), op
    listing = admin.get(f"/api/v1/tenants/{b_admin.tenant_id}/invitations").json()["items"]
    assert [(i["id"], i["state"]) for i in listing] == [(b_id, "pending")]
    assert admin.get(f"/api/v1/tenants/{admin.tenant_id}/invitations").json()["items"] == []
    # A tenant's own administrator is no platform administrator: refused everywhere.
    for op in ops:
        url = op.url({"tenant_id": b_admin.tenant_id, "invitation_id": b_id})
        assert call(b_admin, op.method, url, json={}).status_code == 403, op


def _assert_world_untouched(world: World) -> None:
    admin, ids = world.admin, world.ids
    person = admin.get(f"/api/v1/persons/{ids['person_id']}")
    assert person.status_code == 200
    assert person.json()["notes"] is None
    consents = admin.get(f"/api/v1/persons/{ids['person_id']}/consents").json()
    assert [c["withdrawn_at"] for c in consents] == [None]
    vehicle = admin.get(f"/api/v1/vehicles/{ids['vehicle_id']}")
    assert vehicle.status_code == 200
    assert vehicle.json()["description"] is None
    assert admin.get(f"/api/v1/devices/{ids['device_id']}").json()["revoked_at"] is None
    plates = admin.get(f"/api/v1/sites/{ids['site_id']}/plate-settings").json()
    assert plates["regions"] is None
    for kind, path in (
        ("zone", "zones"),
        ("schedule", "schedules"),
        ("access_point", "access-points"),
        ("access_level", "access-levels"),
    ):
        name = admin.get(f"/api/v1/{path}/{ids[kind + '_id']}").json()["name"]
        assert "isolation" not in name, kind
    device = admin.get(f"/api/v1/devices/{ids['device_id']}").json()
    assert device["access_point_id"] == ids["access_point_id"]
    person_id = ids["person_id"]
    held = admin.get(f"/api/v1/persons/{person_id}/access-levels").json()
    assert [(h["access_level_id"], h["valid_until"]) for h in held] == [
        (ids["access_level_id"], None)
    ]
    assert admin.get(f"/api/v1/persons/{person_id}/access").json()["watchlisted"] is False
    cards = admin.get(f"/api/v1/persons/{person_id}/credentials").json()
    card_rows = [(c["id"], c["revoked_at"]) for c in cards if c["kind"] == "card"]
    assert card_rows == [(ids["credential_id"], None)]  # (the PIN: the world's duress alert)
    alert = admin.get(f"/api/v1/alerts/{ids['alert_id']}").json()
    assert alert["acknowledged_at"] is None
    hook = admin.get(f"/api/v1/webhooks/{ids['webhook_id']}").json()
    assert hook["enabled"] is True and "isolation" not in hook["description"]
    subscribers = admin.get("/api/v1/notification-subscribers").json()
    assert [(s["id"], s["rotated_at"]) for s in subscribers] == [(ids["subscriber_id"], None)]
    holidays = admin.get(f"/api/v1/sites/{ids['site_id']}/holidays").json()
    assert [h["id"] for h in holidays] == [ids["holiday_id"]]
    keys = {k["id"]: k for k in admin.get("/api/v1/api-keys").json()}
    assert keys[ids["key_id"]]["revoked_at"] is None
    assert admin.get(f"/api/v1/users/{ids['user_id']}").json()["role"] == "guard"
    invitations = admin.get("/api/v1/invitations").json()["items"]
    assert [(i["id"], i["state"]) for i in invitations] == [(ids["invitation_id"], "pending")]
    assert (
        world.device.post(
            "/api/v1/device/events",
            json={
                "events": [
                    {
                        "idempotency_key": "still-mine",
                        "kind": "door.opened",
                        "occurred_at": now_iso(admin),
                    }
                ]
            },
        ).status_code
        == 200
    ), "B's device credential must not have been rotated or revoked"
    actions = {
        e["action"] for e in admin.get("/api/v1/audit", params={"limit": 200}).json()["items"]
    }
    foreign = actions & {
        "person.updated",
        "person.erased",
        "person.identity_revealed",
        "vehicle.updated",
        "vehicle.deleted",
        "consent.withdrawn",
        "device.revoked",
        "device.credential_rotated",
        "api_key.revoked",
        "invitation.revoked",
        "user.updated",
        "user.two_step_reset",
        "site.plate_settings_changed",
        "zone.updated",
        "zone.deleted",
        "access_point.updated",
        "access_point.deleted",
        "schedule.updated",
        "schedule.deleted",
        "holiday.deleted",
        "access_level.updated",
        "access_level.deleted",
        "person.access_level_removed",
        "person.access_flags_changed",
        "credential.revoked",
    }
    assert foreign == set()


def test_foreign_ids_in_filters_return_nothing_of_the_other_tenant(admin: Actor) -> None:
    b_admin = add_tenant(admin, "globex")
    build_world(admin, tag="a", seq=1)
    world_b = build_world(b_admin, tag="b", seq=2)
    b_ids = set(world_b.ids.values())
    failures = []
    for op in operations(admin.client.app):  # type: ignore[arg-type]
        if op.method != "GET" or op.path_params or op.is_public or op.is_ui:
            continue
        names = {q.name for q in op.route.dependant.query_params}
        params = {name: world_b.ids[name] for name in names if name in world_b.ids}
        params["tenant_id"] = b_admin.tenant_id  # must be ignored: the tenant is the caller's
        response = admin.get(op.path, params=params)
        if response.status_code != 200:
            failures.append(f"{op} -> {response.status_code}")
            continue
        leaked = sorted(i for i in b_ids | {b_admin.tenant_id} if i in response.text)
        if op.path in ("/api/v1/tenants", "/api/v1/audit"):
            # The platform admin lists tenants, and A's audit names the tenant A created.
            leaked = [i for i in leaked if i != b_admin.tenant_id]
        if leaked:
            failures.append(f"{op} {params} leaks {leaked}")
    assert failures == [], "\n".join(failures)


def test_other_tenant_personal_values_find_nothing_when_searched(admin: Actor) -> None:
    b_admin = add_tenant(admin, "globex")
    world_a = build_world(admin, tag="a", seq=1)
    world_b = build_world(b_admin, tag="b", seq=2)
    searches = [
        {"identity_kind": "cn_resident", "identity_number": world_b.identity_number},
        {"phone": world_b.phone},
        {"name": "Person b"},
        {"site_id": world_b.ids["site_id"]},
    ]
    for terms in searches:
        # Personal values go in the body only (a URL would carry them into logs).
        if set(terms) == {"site_id"}:
            listed = admin.get("/api/v1/persons", params=terms)
            assert listed.status_code == 200, listed.text
            assert listed.json()["items"] == [], terms
        searched = admin.post("/api/v1/persons/search", json=terms)
        assert searched.status_code == 200, searched.text
        assert searched.json()["items"] == [], terms
    # Sanity: the same searches find B's person for B, and A's own person for A.
    own = admin.post("/api/v1/persons/search", json={"phone": world_a.phone}).json()["items"]
    assert [p["id"] for p in own] == [world_a.ids["person_id"]]
    theirs = b_admin.post("/api/v1/persons/search", json=searches[0]).json()["items"]
    assert [p["id"] for p in theirs] == [world_b.ids["person_id"]]
    # Plates: B's plate finds nothing for A, and B's own vehicle for B.
    for plate_terms in ({"plate": world_b.plate}, {"person_id": world_b.ids["person_id"]}):
        if "plate" not in plate_terms:
            listed = admin.get("/api/v1/vehicles", params=plate_terms)
            assert listed.status_code == 200, listed.text
            assert listed.json()["items"] == [], plate_terms
        searched = admin.post("/api/v1/vehicles/search", json=plate_terms)
        assert searched.status_code == 200, searched.text
        assert searched.json()["items"] == [], plate_terms
    mine = b_admin.post("/api/v1/vehicles/search", json={"plate": world_b.plate}).json()
    assert [v["id"] for v in mine["items"]] == [world_b.ids["vehicle_id"]]
    # The gate log: both tenants saw the same car; each finds only its own read.
    for actor, world in ((admin, world_a), (b_admin, world_b)):
        reads = actor.post("/api/v1/plate-reads/search", json={"plate": "沪Y60132"}).json()
        assert [r["id"] for r in reads["items"]] == [world.ids["plate_read_id"]]


def test_foreign_ids_in_bodies_are_refused_when_creating(admin: Actor) -> None:
    b_admin = add_tenant(admin, "globex")
    world_a = build_world(admin, tag="a", seq=1)
    world_b = build_world(b_admin, tag="b", seq=2)
    b = world_b.ids
    person = admin.post("/api/v1/persons", json={"name": "Li Si", "site_id": b["site_id"]})
    assert person.status_code == 422, person.text
    assert person.json()["error"]["field"] == "site_id"
    moved = admin.patch(
        f"/api/v1/persons/{world_a.ids['person_id']}", json={"site_id": b["site_id"]}
    )
    assert moved.status_code == 422, moved.text
    device = admin.post(
        "/api/v1/devices", json={"site_id": b["site_id"], "name": "Gate X", "kind": "turnstile"}
    )
    assert device.status_code == 422, device.text
    for name in ("person_id", "site_id"):
        vehicle = admin.post("/api/v1/vehicles", json={"plate": "京B99999", name: b[name]})
        assert vehicle.status_code == 422, vehicle.text
        assert vehicle.json()["error"]["field"] == name
        relinked = admin.patch(
            f"/api/v1/vehicles/{world_a.ids['vehicle_id']}", json={name: b[name]}
        )
        assert relinked.status_code == 422, relinked.text
    before = admin.get("/api/v1/events").json()["items"]
    for name, value in (("person_id", b["person_id"]), ("snapshot_id", b["media_id"])):
        event = {
            "idempotency_key": f"foreign-{name}",
            "kind": "access.granted",
            "occurred_at": now_iso(admin),
            name: value,
        }
        response = world_a.device.post("/api/v1/device/events", json={"events": [event]})
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"] == name
    assert admin.get("/api/v1/events").json()["items"] == before


def test_other_tenant_device_credential_cannot_reach_this_tenant(admin: Actor) -> None:
    b_admin = add_tenant(admin, "globex")
    world_a = build_world(admin, tag="a", seq=1)
    world_b = build_world(b_admin, tag="b", seq=2)
    # B's device posting an event naming A's person and snapshot is refused, not linked.
    event = {
        "idempotency_key": "cross",
        "kind": "access.granted",
        "occurred_at": now_iso(admin),
        "person_id": world_a.ids["person_id"],
        "snapshot_id": world_a.ids["media_id"],
    }
    response = world_b.device.post("/api/v1/device/events", json={"events": [event]})
    assert response.status_code == 422, response.text
    events_a = admin.get("/api/v1/events").json()["items"]
    assert all(e["device_id"] == world_a.ids["device_id"] for e in events_a)
    # A's signed media URL presented by B's admin is not found.
    assert call(b_admin, "GET", world_a.media_url).status_code == 404
    assert call(admin, "GET", world_a.media_url).status_code == 200
