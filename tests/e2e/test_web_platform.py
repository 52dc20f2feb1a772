"""The platform operator's console (``/ui/tenants``): tenants with their state and
users, create -> invite first administrator -> suspend -> resume -> shred.

The browser test runs in headless Debian Chromium against uvicorn (strict CSP), in
English and in Simplified Chinese: suspend and resume go through their confirmation
dialogs, and the shred page takes a wrong slug (refused, nothing changed) and then the
right one. The refusals (a mismatched slug, the operator's own tenant) are driven
through the forms over HTTP on both databases.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from gatepost.security.permissions import Role
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.services.container import Container
from gatepost.store.tables import TenantKey
from gatepost.web.i18n import LANG_COOKIE
from tests.e2e.conftest import LiveServer, UiSession, browser_login, set_up_acme
from tests.support.api import STRONG_PASSWORD, Actor, login
from tests.support.browser import shown as _t
from tests.support.leaks import remember
from tests.support.routes import anonymous_client

LANGUAGES = ("en", "zh_Hans")
NEW_PASSWORD = "Marmalade-Orchestra-93"


def _keys(container: Container, tenant_id: str) -> int:
    with container.db.session() as session:
        query = select(func.count()).select_from(TenantKey).where(TenantKey.tenant_id == tenant_id)
        return int(session.scalar(query) or 0)


def _beta(admin: Actor, container: Container) -> Actor:
    """Tenant ``beta`` with an administrator, signed in on a client of its own (the
    operator's UI session keeps its cookie)."""
    created = admin.post("/api/v1/tenants", json={"name": "Beta Works", "slug": "beta"})
    assert created.status_code == 201, created.text
    tenant_id = created.json()["id"]
    acting = Principal(
        kind=PrincipalKind.USER, id="bootstrap", tenant_id=tenant_id, role=Role.ADMIN, name="b"
    )
    user = container.users.create(acting, username="admin", password=STRONG_PASSWORD, role="admin")
    client = anonymous_client(admin.client.app)
    return Actor(client, login(client, "beta", "admin", STRONG_PASSWORD), tenant_id, id=user.id)


# -- over HTTP (both databases) -------------------------------------------------------


def test_shred_form_refuses_a_mismatched_slug_and_changes_nothing(
    ui_admin: UiSession, admin: Actor, container: Container
) -> None:
    beta = _beta(admin, container)
    person = beta.post("/api/v1/persons", json={"name": "Grace Hopper"})
    assert person.status_code == 201, person.text
    form = ui_admin.client.get(f"/ui/tenants/{beta.tenant_id}/shred")
    assert form.status_code == 200
    assert 'id="shred-confirm"' in form.text and 'id="shred-counts"' in form.text
    for typed in ("Beta", "bet", "acme", ""):
        refused = ui_admin.client.post(
            f"/ui/tenants/{beta.tenant_id}/shred",
            data={"confirm": typed, "csrf_token": ui_admin.csrf},
            follow_redirects=False,
        )
        assert refused.status_code == 422, refused.text
        assert 'id="shred-confirm-error"' in refused.text
        assert 'aria-describedby="shred-confirm-error shred-confirm-help"' in refused.text
    assert _keys(container, beta.tenant_id) == 4
    assert beta.get(f"/api/v1/persons/{person.json()['id']}").json()["name"] == "Grace Hopper"

    done = ui_admin.client.post(
        f"/ui/tenants/{beta.tenant_id}/shred",
        data={"confirm": "beta", "csrf_token": ui_admin.csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/ui/tenants?notice=tenant_shredded"
    assert _keys(container, beta.tenant_id) == 0
    assert beta.get("/api/v1/auth/me").status_code == 401


def test_operators_own_tenant_cannot_be_suspended_or_shredded_from_the_ui(
    ui_admin: UiSession, admin: Actor, container: Container
) -> None:
    own = ui_admin.client.get(f"/ui/tenants/{admin.tenant_id}/shred")
    assert own.status_code == 200
    assert 'id="shred-confirm"' not in own.text  # no form to fill
    shred = ui_admin.client.post(
        f"/ui/tenants/{admin.tenant_id}/shred",
        data={"confirm": "acme", "csrf_token": ui_admin.csrf},
        follow_redirects=False,
    )
    assert shred.status_code == 409 and "own tenant" in shred.text
    suspend = ui_admin.client.post(
        f"/ui/tenants/{admin.tenant_id}/suspend",
        data={"csrf_token": ui_admin.csrf},
        follow_redirects=False,
    )
    assert suspend.status_code == 409 and 'id="tenants-problem"' in suspend.text
    assert "own tenant" in suspend.text
    assert _keys(container, admin.tenant_id) == 4
    assert admin.get("/api/v1/auth/me").status_code == 200


def test_suspend_and_resume_forms_lock_out_and_restore_the_tenants_session(
    ui_admin: UiSession, admin: Actor, container: Container
) -> None:
    beta = _beta(admin, container)
    for action, status in (("suspend", 401), ("resume", 200)):
        answer = ui_admin.client.post(
            f"/ui/tenants/{beta.tenant_id}/{action}",
            data={"csrf_token": ui_admin.csrf},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"].endswith(f"notice=tenant_{action}ed".replace("ee", "e"))
        assert beta.get("/api/v1/auth/me").status_code == status
        row = ui_admin.client.get("/ui/tenants").text
        state = re.search(rf'id="tenant-{beta.tenant_id}-state">(.*?)</td>', row, re.S)
        assert state, row
        assert ("Suspended" in state.group(1)) is (action == "suspend")
    no_csrf = ui_admin.client.post(f"/ui/tenants/{beta.tenant_id}/suspend", follow_redirects=False)
    assert no_csrf.status_code == 403
    assert beta.get("/api/v1/auth/me").status_code == 200


# -- in a real browser -----------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("locale", LANGUAGES)
def test_browser_operator_creates_invites_suspends_resumes_and_shreds_a_tenant(
    live_server: LiveServer, page: Page, locale: str, accessible: Callable[..., Any]
) -> None:
    base = live_server.url
    container = live_server.container
    with set_up_acme(live_server):
        pass
    browser_login(page, base)
    page.context.add_cookies([{"name": LANG_COOKIE, "value": locale, "url": base}])
    page.goto(f"{base}/ui/tenants")
    expect(page.locator("h1")).to_have_text(_t(locale, "Tenants"))

    # Create, then invite its first administrator (the link is shown once).
    page.locator("#tenant-name").fill("Globex Inc")
    page.locator("#tenant-slug").fill("globex")
    page.get_by_role("button", name=_t(locale, "Add tenant"), exact=True).click()
    expect(page.locator(".flash")).to_contain_text(
        _t(locale, "Tenant created. Invite its first administrator to hand it over.")
    )
    row = page.locator("tr", has_text="globex")
    expect(row).to_contain_text(_t(locale, "Active"))
    accessible(page)
    invite = _t(locale, "Invite first administrator of %(name)s", name="Globex Inc")
    page.get_by_role("button", name=invite).click()
    link = page.locator("#invitation-link").input_value()
    remember(link.split("#", 1)[1])
    expect(page.get_by_role("button", name=_t(locale, "Copy link"))).to_be_visible()
    page.get_by_role("link", name=_t(locale, "Done")).click()
    tenant_id = (row.get_attribute("id") or "").removeprefix("tenant-")
    assert re.fullmatch(r"[0-9a-f]{32}", tenant_id), tenant_id

    # Suspend through the confirmation dialog; the invitation cannot be accepted now.
    page.get_by_role("button", name=_t(locale, "Suspend %(name)s", name="Globex Inc")).click()
    dialog = page.locator(f"#tenant-{tenant_id}-suspend")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text(_t(locale, "Suspend %(name)s?", name="Globex Inc"))
    accessible(page)
    dialog.get_by_role("button", name=_t(locale, "Suspend tenant")).click()
    expect(page.locator(".flash")).to_contain_text(
        _t(locale, "Tenant suspended. Its users, keys and devices are refused until resumed.")
    )
    expect(page.locator(f"#tenant-{tenant_id}-state")).to_have_text(_t(locale, "Suspended"))
    assert container.tenants.get(tenant_id=tenant_id).suspended
    with pytest.raises(Exception, match="not valid"):
        container.invitations.accept(
            token=link.split("#", 1)[1], username="wile", password=NEW_PASSWORD, client="t"
        )

    # Resume through its dialog.
    page.get_by_role("button", name=_t(locale, "Resume %(name)s", name="Globex Inc")).click()
    dialog = page.locator(f"#tenant-{tenant_id}-resume")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=_t(locale, "Resume tenant")).click()
    expect(page.locator(".flash")).to_contain_text(
        _t(locale, "Tenant resumed. Its users, keys and devices work again.")
    )
    expect(page.locator(f"#tenant-{tenant_id}-state")).to_have_text(_t(locale, "Active"))
    assert not container.tenants.get(tenant_id=tenant_id).suspended

    # Shred: a wrong slug is refused with the reason next to the field, then the right one.
    page.get_by_role("link", name=_t(locale, "Shred %(name)s", name="Globex Inc")).click()
    expect(page).to_have_url(f"{base}/ui/tenants/{tenant_id}/shred")
    expect(page.locator("h1")).to_have_text(_t(locale, "Shred %(name)s", name="Globex Inc"))
    expect(page.locator("#shred-counts")).to_contain_text(_t(locale, "Face templates"))
    accessible(page)
    field = page.locator("#shred-confirm")
    field.fill("globex-inc")
    page.get_by_role("button", name=_t(locale, "Shred this tenant")).click()
    expect(page.locator("#shred-confirm-error")).to_have_text(
        _t(locale, "type the tenant's short name exactly to confirm")
        if locale != "en"
        else "Type the tenant's short name exactly to confirm."
    )
    expect(page.locator("#shred-confirm")).to_have_attribute("aria-invalid", "true")
    assert _keys(container, tenant_id) == 4
    page.locator("#shred-confirm").fill("globex")
    page.get_by_role("button", name=_t(locale, "Shred this tenant")).click()
    expect(page).to_have_url(f"{base}/ui/tenants?notice=tenant_shredded")
    expect(page.locator(".flash")).to_contain_text(
        _t(locale, "Tenant shredded. Its keys are destroyed; its sealed data is unreadable.")
    )
    expect(page.locator(f"#tenant-{tenant_id}-state")).to_have_text(_t(locale, "Shredded"))
    assert _keys(container, tenant_id) == 0
