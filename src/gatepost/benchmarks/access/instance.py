"""The instance under test: a broker, a migrated and set-up gatepost, devices bound to a door.

Owns building and removing it: gatepost's own Mosquitto (``scripts/mosquitto.sh`` on a
free port in the temporary directory, :mod:`gatepost.ingest.broker_process`) or the
running one named by the environment
(``GATEPOST_MQTT_DIR``, ``GATEPOST_TEST_MQTT_PORT``, ``GATEPOST_MQTT_GATEWAY_USER``, as
the tests find it, held under the tests' lock because its accounts are rewritten); a
temporary data directory with a key file and an SQLite file, or a temporary PostgreSQL
database ``gatepost_bench_access_<pid>`` on ``--db``'s server; then, all through the
services: first-run setup, a site, a zone, one access point with a level open all week,
N persons each with a card and the level, and M devices with MQTT secrets bound to the
access point (the broker's accounts are rewritten and reloaded as each registers).
"""

from __future__ import annotations

import fcntl
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gatepost.domain.arrivals import CredentialKind
from gatepost.domain.devices import DeviceKind
from gatepost.ingest.broker_accounts import BrokerFiles, broker_accounts_for
from gatepost.ingest.broker_process import BrokerUnavailable, own_broker
from gatepost.security.device_mqtt import decode_key
from gatepost.security.kek import create_key_file
from gatepost.security.permissions import Role
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.services.access_levels import AccessLevelDraft
from gatepost.services.access_rules import AccessPointDraft, ZoneDraft
from gatepost.services.container import Container, build_container
from gatepost.services.credentials import CredentialDraft
from gatepost.services.devices import DeviceDraft
from gatepost.services.persons import PersonDraft
from gatepost.services.schedules import ScheduleDraft
from gatepost.settings import Settings
from gatepost.simulator import DeviceIdentity
from gatepost.store.db import migrate

__all__ = ["Broker", "Instance", "card_number", "instance"]

_REPO_ROOT = Path(__file__).resolve().parents[4]
_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def card_number(n: int) -> str:
    """Person ``n``'s card number."""
    return f"BE{n:08X}"


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    dir: Path
    gateway_username: str
    own: bool


@dataclass(frozen=True)
class Instance:
    settings: Settings
    container: Container
    admin: Principal
    broker: Broker
    devices: tuple[DeviceIdentity, ...]
    floor_device: DeviceIdentity
    cards: tuple[str, ...]


@contextmanager
def _broker(own: bool, tmp: Path) -> Iterator[Broker]:
    if own:
        try:
            with own_broker(tmp / "mosquitto") as started:
                yield Broker(
                    started.host, started.port, started.dir, started.gateway_username, own=True
                )
        except BrokerUnavailable as exc:
            raise RuntimeError(f"{exc} (or --broker running)") from exc
        return
    directory = Path(os.environ.get("GATEPOST_MQTT_DIR", _REPO_ROOT / ".cache" / "mosquitto"))
    port = int(os.environ.get("GATEPOST_TEST_MQTT_PORT", "18830"))
    user = os.environ.get("GATEPOST_MQTT_GATEWAY_USER", "gatepost-gateway")
    if not BrokerFiles.in_dir(directory).gateway_secret_file.exists():
        raise RuntimeError(
            f"no running gatepost broker in {directory} (scripts/mosquitto.sh start)"
        )
    with open(directory / "tests.lock", "a") as lock:  # the tests' lock: same accounts
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield Broker("127.0.0.1", port, directory, user, own=False)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def _database(db: str, data_dir: Path) -> Iterator[str]:
    if db == "sqlite":
        yield f"sqlite:///{(data_dir / 'gatepost.db').as_posix()}"
        return
    name = f"gatepost_bench_access_{os.getpid()}"
    admin = create_engine(make_url(db), isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    try:
        with admin.connect() as conn:
            conn.execute(drop)
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(db).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(drop)
        admin.dispose()


def _settings(data_dir: Path, url: str, broker: Broker) -> Settings:
    return Settings.model_validate(
        {
            "env": "test",
            "data_dir": str(data_dir),
            "db": {"url": url},
            # argon2 at the OWASP minimum: only the benchmark's admin password is hashed.
            "security": {"argon2_memory_kib": 19_456, "argon2_time_cost": 2},
            "mqtt": {
                "enabled": True,
                "host": broker.host,
                "port": broker.port,
                "dir": str(broker.dir),
                "gateway_username": broker.gateway_username,
            },
            "faces": {"engine": {"type": "fake"}},
            # Every frame is its own arrival (no repeat suppression): each gets a command.
            "plates": {"reader": {"type": "fake"}, "repeat_window_seconds": 0},
        }
    )


def _admin(container: Container) -> Principal:
    done = container.setup.complete(
        token=container.setup.issue_token(),
        tenant_name="Bench Ltd",
        tenant_slug="bench",
        username="bench-admin",
        password=secrets.token_urlsafe(24),
    )
    return Principal(
        kind=PrincipalKind.USER,
        id=done.user_id,
        tenant_id=done.tenant_id,
        role=Role.ADMIN,
        name="bench-admin",
        platform_admin=True,
    )


def _device(container: Container, admin: Principal, site_id: str, name: str) -> DeviceIdentity:
    kind = DeviceKind.DOOR_CONTROLLER.value
    issued = container.devices.register(admin, DeviceDraft(site_id=site_id, name=name, kind=kind))
    return DeviceIdentity(
        tenant_id=admin.tenant_id,
        device_id=issued.device.id,
        mqtt_username=issued.mqtt_username,
        mqtt_password=issued.mqtt_password,
        mac_key=decode_key(issued.mac_key),
        credential=issued.credential,
    )


@contextmanager
def instance(*, db: str, own_broker: bool, persons: int, devices: int) -> Iterator[Instance]:
    """A broker and a set-up gatepost (see the module doc), removed on the way out."""
    with tempfile.TemporaryDirectory(prefix="gatepost-bench-access-") as name, ExitStack() as stack:
        tmp = Path(name)
        broker = stack.enter_context(_broker(own_broker, tmp))
        data_dir = tmp / "data"
        url = stack.enter_context(_database(db, data_dir))
        settings = _settings(data_dir, url, broker)
        create_key_file(settings.key_file)
        container = build_container(settings, broker_accounts=broker_accounts_for(settings))
        stack.callback(container.close)
        migrate(container.db)
        admin = _admin(container)
        site = container.sites.create(admin, name="Bench HQ", timezone="UTC")
        zone = container.access_rules.create_zone(admin, ZoneDraft(site_id=site.id, name="Hall"))
        point = container.access_rules.create_access_point(
            admin, AccessPointDraft(site_id=site.id, name="Front door", into_zone_id=zone.id)
        )
        always = ScheduleDraft(name="Always", intervals={day: ["00:00-24:00"] for day in _WEEK})
        schedule = container.schedules.create(admin, always)
        level = container.access_levels.create(
            admin,
            AccessLevelDraft(name="Staff", schedule_id=schedule.id, access_point_ids=[point.id]),
        )
        cards = tuple(card_number(n) for n in range(persons))
        for n, card in enumerate(cards):
            person = container.persons.create(admin, PersonDraft(name=f"Bench Person {n}"))
            container.credentials.issue(
                admin, person.id, CredentialDraft(kind=CredentialKind.CARD, value=card)
            )
            container.access_levels.assign(admin, person.id, level.id)
        identities = []
        for n in range(devices):
            identity = _device(container, admin, site.id, f"Reader {n + 1}")
            container.access_rules.bind_device(admin, identity.device_id, point.id)
            identities.append(identity)
        floor = _device(container, admin, site.id, "Floor probe")
        yield Instance(settings, container, admin, broker, tuple(identities), floor, cards)
