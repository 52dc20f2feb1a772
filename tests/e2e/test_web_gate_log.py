"""The gate log page (``/ui/plate-reads``): devices' reads, newest first, filtered by
decision, searched by plate with a POST (no plate in any URL), and only for roles that
may read the log. Frames are the gate-log tests' synthetic US plates at a US-only site.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.e2e.conftest import UiSession, ui_login
from tests.integration.test_plate_log import _gate, _known, _read, frames
from tests.support.api import STRONG_PASSWORD, Actor, add_user
from tests.support.leaks import remember


def test_gate_log_lists_filters_and_searches_reads(ui_admin: UiSession, admin: Actor) -> None:
    (known, known_frame), (other, other_frame), *_ = frames()
    remember(known, other)
    admin.put("/api/v1/plates/policy", json={"stranger_days": 7})
    vehicle = _known(admin, known)
    _, barrier = _gate(admin)
    assert _read(barrier, known_frame)["decision"] == "allow"
    assert _read(barrier, other_frame)["decision"] == "unknown"

    page = ui_admin.client.get("/ui/plate-reads")
    assert page.status_code == 200
    assert known in page.text and other in page.text
    assert f'href="/ui/vehicles/{vehicle}"' in page.text and "Gate log" in page.text

    allowed = ui_admin.client.get("/ui/plate-reads", params={"decision": "allow"})
    assert known in allowed.text and other not in allowed.text
    denied = ui_admin.client.get("/ui/plate-reads", params={"decision": "deny"})
    assert "No matching reads" in denied.text and known not in denied.text

    found = ui_admin.client.post(
        "/ui/plate-reads/search",
        data={"plate": known.lower()},
        headers=ui_admin.htmx_headers(boosted=True),
    )
    assert found.status_code == 200 and known in found.text and other not in found.text
    assert known not in str(found.url) and known.lower() not in str(found.url)
    links = re.findall(r'(?:href|hx-get|action)="([^"]*)"', found.text)
    assert links and not [link for link in links if known in link or known.lower() in link]
    none = ui_admin.client.post(
        "/ui/plate-reads/search", data={"plate": "ZZZ9999"}, headers=ui_admin.htmx_headers()
    )
    assert none.status_code == 200 and "No reads of this plate" in none.text
    for bad, message in (("", "Enter a plate"), ("X" * 40, "1-16 characters")):
        refused = ui_admin.client.post(
            "/ui/plate-reads/search", data={"plate": bad}, headers=ui_admin.htmx_headers()
        )
        assert refused.status_code == 422 and message in refused.text, refused.text[:300]
    stale = ui_admin.client.get("/ui/plate-reads", params={"cursor": "not|a cursor"})
    assert stale.status_code == 200 and "no longer valid" in stale.text


def test_gate_log_is_for_roles_that_read_it(client: TestClient, admin: Actor) -> None:
    add_user(admin, "guard", "gate-guard-2")
    ui_login(client, "acme", "gate-guard-2", STRONG_PASSWORD)
    assert client.get("/ui/plate-reads").status_code == 200
    add_user(admin, "hr", "payroll-clerk")
    csrf = ui_login(client, "acme", "payroll-clerk", STRONG_PASSWORD)
    assert client.get("/ui/plate-reads").status_code == 403
    searched = client.post(
        "/ui/plate-reads/search", data={"plate": "7ABC123"}, headers={"X-CSRF-Token": csrf}
    )
    assert searched.status_code == 403
    assert "/ui/plate-reads" not in client.get("/ui/").text  # not in the HR clerk's sidebar
