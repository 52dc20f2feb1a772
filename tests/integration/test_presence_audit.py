"""Reading the muster list is audited (``presence.mustered``) once per reader and site
per audit window (``presence.muster_audit_window_seconds``, 300 s here, the default):
a reading within the window of that reader's last entry for the site writes nothing
new, the first one after it writes the next; another reader, another site, each get
their own entry; the chain stays intact. Through the API
(``GET /api/v1/sites/{id}/presence``), on the suite's fixed clock moved by hand.
"""

from __future__ import annotations

from datetime import timedelta

from gatepost.domain.ports import FixedClock
from gatepost.security.audit_chain import ChainEntry
from gatepost.services.container import Container
from gatepost.services.presence import MUSTERED, PresenceService
from tests.support.api import Actor, add_site, add_user, admin_principal

WINDOW = timedelta(seconds=300)


def _read(actor: Actor, site: str) -> None:
    response = actor.get(f"/api/v1/sites/{site}/presence")
    assert response.status_code == 200, response.text


def _mustered(container: Container, admin: Actor) -> list[ChainEntry]:
    """The tenant's ``presence.mustered`` entries, oldest first."""
    entries = container.audit.list(admin_principal(admin), limit=100, action=MUSTERED)
    return list(reversed(entries))


def _audit_name(user: Actor) -> str:
    """How the audit log names a user (``user:<id>``)."""
    return admin_principal(user).actor


def _intact(container: Container, admin: Actor) -> None:
    report = container.audit.verify(tenant_id=admin.tenant_id)
    assert report.intact, report.problems


def test_the_default_window_is_five_minutes(container: Container) -> None:
    assert container.settings.presence.muster_audit_window_seconds == 300


def test_readings_within_the_window_write_one_entry_and_the_next_after_it(
    container: Container, clock: FixedClock, admin: Actor
) -> None:
    site = add_site(admin, "Plant 1")
    started = clock.now()
    _read(admin, site)
    clock.advance(timedelta(seconds=10))
    _read(admin, site)  # a screen's refresh
    clock.advance(WINDOW - timedelta(seconds=11))
    _read(admin, site)  # 299 s after the entry: still within
    (entry,) = _mustered(container, admin)
    assert entry.at == started and entry.target == f"site:{site}"
    assert entry.actor == _audit_name(admin)

    clock.advance(timedelta(seconds=1))  # the window counts from the entry, not the readings
    _read(admin, site)
    first, second = _mustered(container, admin)
    assert second.at == started + WINDOW and second.seq > first.seq
    clock.advance(timedelta(seconds=10))
    _read(admin, site)
    assert len(_mustered(container, admin)) == 2
    _intact(container, admin)


def test_another_reader_and_another_site_each_get_their_own_entry(
    container: Container, clock: FixedClock, admin: Actor
) -> None:
    site, annex = add_site(admin, "Plant 1"), add_site(admin, "Annex")
    guard = add_user(admin, "guard", "night-guard")
    _read(admin, site)
    _read(guard, site)  # another reader, same site: its own entry
    _read(admin, annex)  # same reader, another site: its own entry
    clock.advance(timedelta(seconds=30))
    for actor, where in ((admin, site), (guard, site), (admin, annex), (guard, annex)):
        _read(actor, where)
    readers = {_audit_name(admin): "admin", _audit_name(guard): "guard"}
    read = [(readers[e.actor], e.target) for e in _mustered(container, admin)]
    assert read == [
        ("admin", f"site:{site}"),
        ("guard", f"site:{site}"),
        ("admin", f"site:{annex}"),
        ("guard", f"site:{annex}"),  # the guard's first reading of the annex
    ]
    _intact(container, admin)


def test_a_zero_window_audits_every_reading(
    container: Container, clock: FixedClock, admin: Actor
) -> None:
    site = add_site(admin)
    every = PresenceService(tx=container.tx, clock=clock, audit_window=timedelta(0))
    principal = admin_principal(admin)
    every.muster(principal, site)
    every.muster(principal, site)
    assert len(_mustered(container, admin)) == 2
    _intact(container, admin)


def test_a_refused_reading_writes_nothing(container: Container, admin: Actor) -> None:
    _read(admin, add_site(admin))
    missing = admin.get(f"/api/v1/sites/{'0' * 32}/presence")
    assert missing.status_code == 404
    assert len(_mustered(container, admin)) == 1
