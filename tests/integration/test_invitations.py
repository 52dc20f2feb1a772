"""Invitations: a platform administrator gives a new tenant its first administrator
through a one-time, expiring link (API, service and ``gatepost tenants invite``).

Driven over HTTP against the real app on SQLite and PostgreSQL: the link works once,
expires (a FixedClock moves past it), can be revoked, only platform administrators
make one, its token is stored only as a hash and never reaches a log.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from gatepost.domain.ports import FixedClock
from gatepost.security.passwords import Passwords
from gatepost.security.tokens import hash_token
from gatepost.services.container import Container
from gatepost.services.invitations import InvitationService
from gatepost.services.throttle import LoginThrottleService
from gatepost.store import tables
from gatepost.store.repositories.invitations import InvitationRepository
from gatepost.store.tables import Base
from tests.support.api import STRONG_PASSWORD, Actor, add_user, login
from tests.support.cli import run_cli
from tests.support.leaks import remember
from tests.support.routes import anonymous_client

NEW_PASSWORD = "Marmalade-Orchestra-93"


# -- helpers -----------------------------------------------------------------------------


def _tenant(admin: Actor, slug: str = "globex") -> str:
    response = admin.post("/api/v1/tenants", json={"name": slug.title() + " Inc", "slug": slug})
    assert response.status_code == 201, response.text
    tenant_id: str = response.json()["id"]
    return tenant_id


def _invite(admin: Actor, tenant_id: str, **body: Any) -> dict[str, Any]:
    response = admin.post(f"/api/v1/tenants/{tenant_id}/invitations", json=body)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    remember(issued["token"], issued["token"].split("_", 2)[2], issued["link"])
    return issued


def _accept(admin: Actor, token: str, username: str = "globex-admin", **kw: Any) -> Any:
    anon = anonymous_client(admin.client.app)
    body = {"token": token, "username": username, "password": NEW_PASSWORD, **kw}
    return anon.post("/api/v1/invitations/accept", json=body)


def _check(admin: Actor, token: str) -> Any:
    return anonymous_client(admin.client.app).post(
        "/api/v1/invitations/check", json={"token": token}
    )


def _signed_in_again(admin: Actor) -> Actor:
    token = login(admin.client, "acme", "admin", STRONG_PASSWORD)
    return Actor(admin.client, token, admin.tenant_id, id=admin.id, role=admin.role)


def _users(container: Container, tenant_id: str) -> int:
    with container.db.session() as session:
        count = session.scalar(
            select(func.count()).select_from(tables.User).where(tables.User.tenant_id == tenant_id)
        )
    return int(count or 0)


def _refused(response: Any, reason_words: str) -> None:
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "invitation_refused"
    assert error["field"] == "token"
    assert reason_words in error["message"], error["message"]


def _stored_bytes(container: Container) -> bytes:
    """Everything the database holds: the SQLite files, or every PostgreSQL row as text."""
    if container.db.url.startswith("sqlite"):
        path = Path(container.db.url.removeprefix("sqlite:///"))
        return b"\n".join(
            candidate.read_bytes()
            for suffix in ("", "-wal", "-journal")
            if (candidate := path.with_name(path.name + suffix)).exists()
        )
    lines: list[str] = []
    with container.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            query = f'SELECT t::text FROM "{table.name}" t'  # noqa: S608 - our own table names
            lines.extend(row for (row,) in conn.execute(text(query)))
    return "\n".join(lines).encode()


# -- the flow ----------------------------------------------------------------------------


def test_invited_first_administrator_joins_and_signs_in_when_accepted(
    admin: Actor, container: Container
) -> None:
    tenant_id = _tenant(admin)
    issued = _invite(admin, tenant_id)
    assert issued["role"] == "admin" and issued["state"] == "pending"
    assert issued["tenant_id"] == tenant_id
    token = issued["token"]
    assert token.startswith(f"gpi_{tenant_id}_")
    # The token travels in the link's fragment only, never in its path or query.
    assert issued["link"] == f"https://testserver/ui/invite#{token}"
    assert issued["expires_at"] > issued["created_at"]
    preview = _check(admin, token)
    assert preview.status_code == 200, preview.text
    assert preview.json() == {
        "tenant_name": "Globex Inc",
        "tenant_slug": "globex",
        "role": "admin",
        "expires_at": issued["expires_at"],
    }
    accepted = _accept(admin, token, username="  Wile.E ")
    assert accepted.status_code == 201, accepted.text
    body = accepted.json()
    assert (body["tenant_slug"], body["username"], body["role"]) == ("globex", "wile.e", "admin")
    # The new administrator signs in to the new tenant and runs it (not the platform).
    session = login(admin.client, "globex", "wile.e", NEW_PASSWORD)
    new_admin = Actor(admin.client, session, tenant_id, id=body["user_id"], role="admin")
    me = new_admin.get("/api/v1/auth/me").json()
    assert (me["tenant_id"], me["role"], me["platform_admin"]) == (tenant_id, "admin", False)
    assert new_admin.post("/api/v1/sites", json={"name": "Globex HQ"}).status_code == 201
    assert new_admin.get("/api/v1/tenants").status_code == 403
    # The listing shows the invitation used, by whom; never the token or its hash.
    listing = admin.get(f"/api/v1/tenants/{tenant_id}/invitations").json()["items"]
    assert [(i["id"], i["state"], i["used_by_user_id"]) for i in listing] == [
        (issued["id"], "used", body["user_id"])
    ]
    assert "token" not in listing[0] and token not in str(listing)
    # Audited: made (in both tenants' chains) and used (in the new tenant's).
    actions = [e["action"] for e in new_admin.get("/api/v1/audit").json()["items"]]
    assert "invitation.created" in actions and "invitation.used" in actions
    own = [e["action"] for e in admin.get("/api/v1/audit").json()["items"]]
    assert "invitation.created" in own


def test_accepting_twice_is_refused_and_changes_nothing(admin: Actor, container: Container) -> None:
    tenant_id = _tenant(admin)
    token = _invite(admin, tenant_id)["token"]
    assert _accept(admin, token).status_code == 201
    again = _accept(admin, token, username="second-admin")
    _refused(again, "already been used")
    _refused(_check(admin, token), "already been used")
    assert _users(container, tenant_id) == 1


def test_expired_invitation_is_refused_when_its_hours_have_passed(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    tenant_id = _tenant(admin)
    issued = _invite(admin, tenant_id, hours=2)
    clock.advance(timedelta(hours=2) - timedelta(seconds=1))
    assert _check(admin, issued["token"]).status_code == 200  # still valid a second before
    clock.advance(timedelta(seconds=1))
    _refused(_check(admin, issued["token"]), "expired")
    _refused(_accept(admin, issued["token"]), "expired")
    assert _users(container, tenant_id) == 0
    platform = _signed_in_again(admin)  # the session idled out meanwhile
    listing = platform.get(f"/api/v1/tenants/{tenant_id}/invitations").json()["items"]
    assert [i["state"] for i in listing] == ["expired"]


def test_default_lifetime_is_the_setting_when_hours_not_given(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    issued = _invite(admin, _tenant(admin))
    hours = container.settings.security.invitation_hours
    assert hours == 72
    clock.advance(timedelta(hours=hours))
    _refused(_check(admin, issued["token"]), "expired")


def test_revoked_invitation_is_refused_and_revoking_is_audited(
    admin: Actor, container: Container
) -> None:
    tenant_id = _tenant(admin)
    issued = _invite(admin, tenant_id)
    url = f"/api/v1/tenants/{tenant_id}/invitations/{issued['id']}/revoke"
    revoked = admin.post(url)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["state"] == "revoked" and revoked.json()["revoked_at"]
    assert admin.post(url).json()["revoked_at"] == revoked.json()["revoked_at"]  # idempotent
    _refused(_accept(admin, issued["token"]), "revoked")
    _refused(_check(admin, issued["token"]), "revoked")
    assert _users(container, tenant_id) == 0
    actions = [e["action"] for e in admin.get("/api/v1/audit").json()["items"]]
    assert actions.count("invitation.revoked") == 1
    # A used invitation cannot be revoked (the account it made stays).
    used = _invite(admin, tenant_id)
    assert _accept(admin, used["token"]).status_code == 201
    late = admin.post(f"/api/v1/tenants/{tenant_id}/invitations/{used['id']}/revoke")
    assert late.status_code == 409, late.text


def test_an_invitation_accepted_while_being_revoked_is_not_reported_revoked(
    admin: Actor, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race of PostgreSQL's READ COMMITTED: the invitation is accepted (and
    committed) after revoke read it and before its update. Here the acceptance is
    written in revoke's own transaction right after the read, which the update then
    sees as a concurrent commit would: revoking answers 409 and audits nothing."""
    tenant_id = _tenant(admin)
    issued = _invite(admin, tenant_id)
    read = InvitationRepository.get

    def read_then_accepted(repo: InvitationRepository, **key: Any) -> Any:
        found = read(repo, **key)
        repo.mark_used(**key, user_id="u-meanwhile", at=container.clock.now())
        return found

    monkeypatch.setattr(InvitationRepository, "get", read_then_accepted)
    url = f"/api/v1/tenants/{tenant_id}/invitations/{issued['id']}/revoke"
    late = admin.post(url)
    monkeypatch.undo()
    assert late.status_code == 409, late.text
    assert "already been used" in late.json()["error"]["message"]
    actions = [e["action"] for e in admin.get("/api/v1/audit").json()["items"]]
    assert "invitation.revoked" not in actions
    # Not revoked. (The simulated acceptance was in the refused transaction, so it
    # was rolled back with it; a real concurrent one stays committed.)
    listed = admin.get(f"/api/v1/tenants/{tenant_id}/invitations").json()["items"]
    assert [i["state"] for i in listed if i["id"] == issued["id"]] == ["pending"]


# -- who may invite ------------------------------------------------------------------------


def test_only_platform_administrators_create_list_and_revoke_invitations(
    admin: Actor, container: Container
) -> None:
    globex = _tenant(admin)
    issued = _invite(admin, globex)
    assert _accept(admin, issued["token"]).status_code == 201
    globex_admin = Actor(
        admin.client, login(admin.client, "globex", "globex-admin", NEW_PASSWORD), globex
    )
    acme_admin = add_user(admin, "admin", username="acme-second-admin")
    pending = _invite(admin, globex)
    for actor in (globex_admin, acme_admin):
        for tenant_id in (globex, admin.tenant_id):
            base = f"/api/v1/tenants/{tenant_id}/invitations"
            assert actor.post(base, json={}).status_code == 403
            assert actor.get(base).status_code == 403
            assert actor.post(f"{base}/{pending['id']}/revoke").status_code == 403
    assert _users(container, globex) == 1
    listing = admin.get(f"/api/v1/tenants/{globex}/invitations").json()["items"]
    assert sorted(i["state"] for i in listing) == ["pending", "used"]


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"hours": 0}, "hours"),
        ({"hours": 24 * 7 + 1}, "hours"),  # over security.invitation_max_hours
        ({"hours": "soon"}, "hours"),
        ({"role": "device"}, "role"),
        ({"role": "root"}, "role"),
        ({"token": "x"}, "token"),
    ],
)
def test_bad_invitation_requests_get_422_naming_the_field(
    admin: Actor, container: Container, body: dict[str, Any], field: str
) -> None:
    tenant_id = _tenant(admin)
    response = admin.post(f"/api/v1/tenants/{tenant_id}/invitations", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field or any(d["field"] == field for d in error.get("details", []))
    assert admin.get(f"/api/v1/tenants/{tenant_id}/invitations").json()["items"] == []


def test_unknown_tenant_gets_404_when_invited(admin: Actor) -> None:
    response = admin.post("/api/v1/tenants/" + "f" * 32 + "/invitations", json={})
    assert response.status_code == 404, response.text


def test_weak_password_or_bad_username_leaves_the_invitation_pending(
    admin: Actor, container: Container
) -> None:
    tenant_id = _tenant(admin)
    token = _invite(admin, tenant_id)["token"]
    weak = _accept(admin, token, password="password1234")
    assert weak.status_code == 422 and weak.json()["error"]["field"] == "password", weak.text
    spaced = _accept(admin, token, username="two words")
    assert spaced.status_code == 422 and spaced.json()["error"]["field"] == "username"
    short = _accept(admin, token, username="ab")
    assert short.status_code == 422
    assert _users(container, tenant_id) == 0
    assert _check(admin, token).status_code == 200
    assert _accept(admin, token).status_code == 201


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # another secret, same tenant
        lambda t: "gpi_" + "0" * 32 + "_" + t.split("_", 2)[2],  # another tenant
        lambda t: "gpt" + t[3:],  # a setup token's kind
        lambda t: "not-a-token",
    ],
)
def test_unknown_tokens_are_refused_as_invalid(
    admin: Actor, container: Container, mangle: Any
) -> None:
    tenant_id = _tenant(admin)
    token = _invite(admin, tenant_id)["token"]
    _refused(_check(admin, mangle(token)), "not valid")
    _refused(_accept(admin, mangle(token)), "not valid")
    assert _users(container, tenant_id) == 0


def test_guessing_tokens_is_throttled_like_login(admin: Actor, container: Container) -> None:
    limit = container.settings.security.login_max_failures
    bogus = "gpi_" + "0" * 32 + "_" + "A" * 43
    for _ in range(limit):
        _refused(_check(admin, bogus), "not valid")
    throttled = _check(admin, bogus)
    assert throttled.status_code == 429, throttled.text
    assert int(throttled.headers["Retry-After"]) > 0


# -- secrets ---------------------------------------------------------------------------


def test_token_is_stored_only_as_its_hash(admin: Actor, container: Container) -> None:
    tenant_id = _tenant(admin)
    issued = _invite(admin, tenant_id)
    token = issued["token"]
    secret = token.split("_", 2)[2]
    stored = _stored_bytes(container)
    assert token.encode() not in stored
    assert secret.encode() not in stored
    with container.db.session() as session:
        row = session.get(tables.InvitationRow, (tenant_id, issued["id"]))
        assert row is not None
        assert row.token_hash == hash_token(token)


def test_token_never_reaches_the_logs(
    admin: Actor, container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tenant_id = _tenant(admin)
    issued = _invite(admin, tenant_id)
    token = issued["token"]
    _check(admin, token)
    _accept(admin, token, password="password1234")  # refused first: errors are logged too
    assert _accept(admin, token).status_code == 201
    _accept(admin, token)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records, "the requests were logged"
    assert token not in logged and token.split("_", 2)[2] not in logged
    assert NEW_PASSWORD not in logged


# -- command line -------------------------------------------------------------------------


def test_cli_invite_prints_a_working_link_once(admin: Actor, container: Container) -> None:
    tenant_id = _tenant(admin)
    result = run_cli(container.settings, "tenants", "invite", "globex", "--hours", "5")
    assert result.exit_code == 0, result.output
    (link,) = [line for line in result.output.splitlines() if "/ui/invite#" in line]
    link = link.strip()
    # No public_url set: the link points at the address `serve` listens on.
    server = container.settings.server
    assert link.startswith(f"http://{server.host}:{server.port}/ui/invite#gpi_{tenant_id}_")
    assert "server.public_url is not set" in result.output  # and the operator is told
    token = link.split("#", 1)[1]
    remember(token)
    listed = admin.get(f"/api/v1/tenants/{tenant_id}/invitations").json()["items"]
    assert [(i["role"], i["created_by"]) for i in listed] == [("admin", "cli:operator")]
    assert _accept(admin, token).status_code == 201
    listing = run_cli(container.settings, "tenants", "list")
    assert listing.exit_code == 0 and "globex" in listing.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch"], "tenant not found"),
        (["globex", "--hours", "1000"], "hours must be between 1 and"),
        (["globex", "--role", "device"], "device role"),
        (["Not A Slug!"], "slug must be"),
    ],
)
def test_cli_invite_refuses_bad_input_with_a_message(
    admin: Actor, container: Container, args: list[str], message: str
) -> None:
    tenant_id = _tenant(admin)
    result = run_cli(container.settings, "tenants", "invite", *args)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert admin.get(f"/api/v1/tenants/{tenant_id}/invitations").json()["items"] == []


def test_links_use_public_url_when_set_else_the_request_address(container: Container) -> None:
    throttle = LoginThrottleService(
        tx=container.tx, clock=container.clock, max_failures=5, window_seconds=60
    )
    service = InvitationService(
        tx=container.tx,
        passwords=Passwords(time_cost=2, memory_kib=19_456),
        clock=container.clock,
        throttle=throttle,
        public_url="https://gate.example.com/",
        fallback_url="http://127.0.0.1:8000",
        default_hours=72,
        max_hours=168,
        password_min_length=12,
    )
    assert (
        service.link_for("gpi_x", origin="https://testserver/")
        == "https://gate.example.com/ui/invite#gpi_x"
    )
    assert container.invitations.link_for("gpi_x", origin="https://testserver/") == (
        "https://testserver/ui/invite#gpi_x"
    )
