"""The instance under test: a throw-away, migrated, set-up gatepost on one engine.

Owns creating and removing it: a temporary data directory with a key file, on SQLite a
database file inside it, on PostgreSQL a temporary database ``gatepost_bench_<pid>``
(created and dropped here), the container, migrations, and first-run setup with a
site, a device and a few persons, all through the services.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from gatepost.domain.devices import DeviceKind
from gatepost.security.kek import create_key_file
from gatepost.security.permissions import Role
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.services.container import Container, build_container
from gatepost.services.devices import DeviceDraft
from gatepost.services.persons import PersonDraft
from gatepost.settings import DbSettings, Environment, SecuritySettings, Settings
from gatepost.store.db import migrate

__all__ = ["EngineUnavailable", "Instance", "instance_for"]

#: argon2 at the OWASP minimum: only the benchmark's admin password is ever hashed.
_FAST_ARGON2 = SecuritySettings(argon2_memory_kib=19_456, argon2_time_cost=2)
_PERSONS = 8


@dataclass(frozen=True)
class Instance:
    """A migrated, set-up gatepost with one tenant, site and device."""

    engine: str
    settings: Settings
    container: Container
    device: Principal
    credential: str
    site_id: str
    person_ids: tuple[str, ...]


class EngineUnavailable(Exception):
    """The engine cannot be reached; the benchmark skips it."""


def _postgres_admin(url: str) -> sqlalchemy.Engine:
    return create_engine(
        make_url(url), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )


@contextmanager
def _postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh database ``gatepost_bench_<pid>``, dropped on the way out."""
    name = f"gatepost_bench_{os.getpid()}"
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin = _postgres_admin(admin_url)
    try:
        with admin.connect() as conn:
            conn.execute(drop)
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        raise EngineUnavailable(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from exc
    finally:
        admin.dispose()
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        admin = _postgres_admin(admin_url)
        try:
            with admin.connect() as conn:
                conn.execute(drop)
        finally:
            admin.dispose()


def _set_up(engine: str, settings: Settings, container: Container) -> Instance:
    """First-run setup, a site, a device and a few persons, through the services."""
    token = container.setup.issue_token()
    setup = container.setup.complete(
        token=token,
        tenant_name="Bench Ltd",
        tenant_slug="bench",
        username="bench-admin",
        password=secrets.token_urlsafe(24),
    )
    admin = Principal(
        kind=PrincipalKind.USER,
        id=setup.user_id,
        tenant_id=setup.tenant_id,
        role=Role.ADMIN,
        name="bench-admin",
        platform_admin=True,
    )
    site = container.sites.create(admin, name="Bench HQ", timezone="UTC")
    issued = container.devices.register(
        admin, DeviceDraft(site_id=site.id, name="Gate 1", kind=DeviceKind.TURNSTILE.value)
    )
    person_ids = tuple(
        container.persons.create(admin, PersonDraft(name=f"Bench Person {n}")).id
        for n in range(_PERSONS)
    )
    return Instance(
        engine=engine,
        settings=settings,
        container=container,
        device=container.auth.authenticate(issued.credential),
        credential=issued.credential,
        site_id=site.id,
        person_ids=person_ids,
    )


@contextmanager
def instance_for(engine: str, postgres_url: str) -> Iterator[Instance]:
    """Build a throw-away instance on ``engine``; raises EngineUnavailable."""
    with tempfile.TemporaryDirectory(prefix="gatepost-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        with (
            _postgres_database(postgres_url)
            if engine == "postgres"
            else _nothing(f"sqlite:///{(data_dir / 'gatepost.db').as_posix()}")
        ) as url:
            settings = Settings(
                env=Environment.TEST,
                data_dir=data_dir,
                db=DbSettings(url=url),
                security=_FAST_ARGON2,
            )
            create_key_file(settings.key_file)
            container = build_container(settings)
            try:
                migrate(container.db)
                yield _set_up(engine, settings, container)
            finally:
                container.close()


@contextmanager
def _nothing(value: str) -> Iterator[str]:
    yield value
