"""Container: wires every service from Settings, with explicit collaborators.

Nothing is built at import time. Tests pass their own clock; everything else comes from
settings (database URL, media URL, key source).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta

from gatepost.domain.ports import Clock, SystemClock
from gatepost.errors import ConfigError
from gatepost.matching.faces import FaceGalleries, FaceGallery
from gatepost.security.kek import EnvKekProvider, FileKekProvider, KekProvider
from gatepost.security.passwords import Passwords
from gatepost.services.access_levels import AccessLevelService
from gatepost.services.access_rules import AccessRuleService
from gatepost.services.alerts import AlertService
from gatepost.services.arrival_steps import ArrivalSteps
from gatepost.services.arrivals import ArrivalPipeline
from gatepost.services.audit import AuditService
from gatepost.services.auth import AuthService
from gatepost.services.broker_accounts import BrokerAccountSink
from gatepost.services.commands import CommandSink, NullCommandSink, state_sink_of
from gatepost.services.consents import ConsentService
from gatepost.services.credentials import CredentialService
from gatepost.services.devices import DeviceService
from gatepost.services.erasure import ErasureService
from gatepost.services.event_feed import EventFeedService
from gatepost.services.events import EventService
from gatepost.services.faces import FaceService
from gatepost.services.invitations import InvitationService
from gatepost.services.keys import KeyService
from gatepost.services.media import MediaService
from gatepost.services.notification_subscribers import NotificationSubscriberService
from gatepost.services.notifications import Notifications
from gatepost.services.persons import PersonService
from gatepost.services.plate_log import PlateLogService
from gatepost.services.presence import PresenceService
from gatepost.services.recognition import RecognitionService
from gatepost.services.remote_commands import RemoteCommandService
from gatepost.services.retention import RetentionService
from gatepost.services.schedules import ScheduleService
from gatepost.services.sessions import SessionService
from gatepost.services.setup import SetupService
from gatepost.services.sites import SiteService
from gatepost.services.tenants import TenantService
from gatepost.services.throttle import LoginThrottleService
from gatepost.services.two_step import TwoStepService
from gatepost.services.uow import Transactions
from gatepost.services.users import UserService
from gatepost.services.vehicles import VehicleService
from gatepost.services.webhooks import WebhookService
from gatepost.settings import (
    FaceEngineConfig,
    FaceSettings,
    PlateReaderConfig,
    PlateSettings,
    Settings,
)
from gatepost.store.db import Database
from gatepost.store.media import BlobStore, blob_store_from_url
from gatepost.vision.faces import FaceEngine
from gatepost.vision.plates import PlateReader
from gatepost.vision.registry import build_face_engine, build_plate_reader, face_dim, face_model

__all__ = [
    "Container",
    "build_container",
    "kek_provider",
    "shared_face_engine",
    "shared_plate_reader",
]

_engines: dict[FaceEngineConfig, FaceEngine] = {}
_engines_lock = threading.Lock()
_readers: dict[PlateReaderConfig, PlateReader] = {}


def shared_plate_reader(settings: PlateSettings) -> PlateReader:
    """One reader per process and configuration (``plates.reader``, built through
    ``vision.registry`` on first use): the models are large and read-only."""
    with _engines_lock:
        reader = _readers.get(settings.reader)
        if reader is None:
            reader = _readers[settings.reader] = build_plate_reader(settings.reader)
        return reader


def shared_face_engine(settings: FaceSettings) -> FaceEngine:
    """One engine per process and configuration (``faces.engine``, built through
    ``vision.registry`` on first use): the models are large and read-only."""
    with _engines_lock:
        engine = _engines.get(settings.engine)
        if engine is None:
            engine = _engines[settings.engine] = build_face_engine(settings.engine)
        return engine


def kek_provider(settings: Settings) -> KekProvider:
    if settings.keys.source == "env":
        assert settings.keys.kek is not None  # noqa: S101 - enforced by Settings
        return EnvKekProvider(settings.keys.kek.get_secret_value())
    return FileKekProvider(settings.key_file)


@dataclass
class Container:
    settings: Settings
    clock: Clock
    db: Database
    tx: Transactions
    blobs: BlobStore
    keys: KeyService
    audit: AuditService
    tenants: TenantService
    setup: SetupService
    auth: AuthService
    sessions: SessionService
    two_step: TwoStepService
    users: UserService
    invitations: InvitationService
    sites: SiteService
    persons: PersonService
    consents: ConsentService
    erasure: ErasureService
    vehicles: VehicleService
    access_rules: AccessRuleService
    access_levels: AccessLevelService
    schedules: ScheduleService
    credentials: CredentialService
    arrivals: ArrivalPipeline
    presence: PresenceService
    plate_log: PlateLogService
    retention: RetentionService
    devices: DeviceService
    events: EventService
    media: MediaService
    faces: FaceService
    recognition: RecognitionService
    notifications: Notifications
    alerts: AlertService
    webhooks: WebhookService
    notification_subscribers: NotificationSubscriberService
    remote_commands: RemoteCommandService
    event_feed: EventFeedService

    def close(self) -> None:
        self.db.dispose()


def build_container(
    settings: Settings,
    *,
    clock: Clock | None = None,
    kek: KekProvider | None = None,
    blobs: BlobStore | None = None,
    commands: CommandSink | None = None,
    broker_accounts: BrokerAccountSink | None = None,
) -> Container:
    """Every service, wired. ``commands``: where device commands go (the device gateway
    passes its own; none: nothing is sent, devices read decisions in responses).
    ``broker_accounts``: where device changes refresh the MQTT broker's accounts
    (``gatepost.ingest.broker_accounts.broker_accounts_for(settings)``; none: no broker)."""
    clock = clock or SystemClock()
    db = Database(settings.database_url, pool_size=settings.db.pool_size, echo=settings.db.echo)
    if blobs is None:
        media = settings.media
        try:
            blobs = blob_store_from_url(
                media.url,
                data_dir=settings.data_dir,
                access_key=media.s3_access_key.get_secret_value() if media.s3_access_key else None,
                secret_key=media.s3_secret_key.get_secret_value() if media.s3_secret_key else None,
            )
        except ValueError as exc:
            raise ConfigError(str(exc), key="media.url") from exc
    sec = settings.security
    passwords = Passwords(time_cost=sec.argon2_time_cost, memory_kib=sec.argon2_memory_kib)
    keys = KeyService(kek=kek or kek_provider(settings), clock=clock, db=db)
    audit = AuditService(db=db, keys=keys, clock=clock)
    tx = Transactions(db=db, keys=keys, audit=audit)
    vehicles = VehicleService(tx=tx, clock=clock)
    command_sink = commands or NullCommandSink()
    access_rules = AccessRuleService(tx=tx, clock=clock, commands=command_sink)
    access_levels = AccessLevelService(tx=tx, clock=clock, rules=access_rules)
    credentials = CredentialService(tx=tx, clock=clock)
    notifications = Notifications(clock=clock, mqtt=settings.mqtt.enabled)
    media_service = MediaService(
        tx=tx,
        blobs=blobs,
        clock=clock,
        max_bytes=settings.media.max_upload_bytes,
        max_pixels=settings.media.max_pixels,
        url_ttl=timedelta(seconds=settings.media.url_ttl_seconds),
        retention=timedelta(days=settings.media.event_image_days),
    )
    faces = FaceService(
        tx=tx,
        clock=clock,
        settings=settings.faces,
        media=media_service,
        engine=lambda: shared_face_engine(settings.faces),
        galleries=FaceGalleries(
            face_dim(settings.faces.engine),
            gallery=lambda dim: FaceGallery(dim, approximate_from=settings.faces.approximate_from),
        ),
        model=face_model(settings.faces.engine),
        max_bytes=settings.media.max_upload_bytes,
        max_pixels=settings.media.max_pixels,
    )
    tenants = TenantService(tx=tx, keys=keys, clock=clock, broker=broker_accounts)
    plate_log = PlateLogService(
        tx=tx,
        media=media_service,
        clock=clock,
        repeat_window=timedelta(seconds=settings.plates.repeat_window_seconds),
    )
    throttle = LoginThrottleService(
        tx=tx,
        clock=clock,
        max_failures=sec.login_max_failures,
        window_seconds=sec.login_window_seconds,
    )
    recognition = RecognitionService(
        tx=tx,
        faces=faces,
        settings=settings.faces,
        max_bytes=settings.media.max_upload_bytes,
        max_pixels=settings.media.max_pixels,
    )
    persons = PersonService(tx=tx, clock=clock, biometrics=faces)
    return Container(
        settings=settings,
        clock=clock,
        db=db,
        tx=tx,
        blobs=blobs,
        keys=keys,
        audit=audit,
        tenants=tenants,
        setup=SetupService(
            tx=tx,
            passwords=passwords,
            clock=clock,
            tenants=tenants,
            token_minutes=sec.setup_token_minutes,
            password_min_length=sec.password_min_length,
        ),
        auth=AuthService(
            tx=tx,
            passwords=passwords,
            clock=clock,
            audit=audit,
            throttle=throttle,
            idle=timedelta(minutes=sec.session_idle_minutes),
            absolute=timedelta(hours=sec.session_absolute_hours),
            password_min_length=sec.password_min_length,
        ),
        sessions=SessionService(
            tx=tx, clock=clock, idle=timedelta(minutes=sec.session_idle_minutes)
        ),
        two_step=TwoStepService(tx=tx, clock=clock),
        users=UserService(
            tx=tx,
            passwords=passwords,
            clock=clock,
            password_min_length=sec.password_min_length,
        ),
        invitations=InvitationService(
            tx=tx,
            passwords=passwords,
            clock=clock,
            throttle=throttle,
            public_url=settings.server.public_url,
            fallback_url=settings.server.base_url,
            default_hours=sec.invitation_hours,
            max_hours=sec.invitation_max_hours,
            password_min_length=sec.password_min_length,
        ),
        sites=SiteService(tx=tx, clock=clock),
        persons=persons,
        consents=ConsentService(tx=tx, clock=clock, biometrics=faces),
        erasure=ErasureService(tx=tx, persons=persons),
        vehicles=vehicles,
        access_rules=access_rules,
        access_levels=access_levels,
        schedules=ScheduleService(tx=tx, clock=clock),
        credentials=credentials,
        presence=PresenceService(
            tx=tx,
            clock=clock,
            audit_window=timedelta(seconds=settings.presence.muster_audit_window_seconds),
        ),
        arrivals=ArrivalPipeline(
            tx=tx,
            clock=clock,
            steps=ArrivalSteps(
                clock=clock,
                rules=access_rules,
                commands=command_sink,
                repeat_window=timedelta(seconds=settings.plates.repeat_window_seconds),
                notifications=notifications,
            ),
            vehicles=vehicles,
            plate_log=plate_log,
            recognition=recognition,
            credentials=credentials,
            access_levels=access_levels,
            reader=lambda: shared_plate_reader(settings.plates),
            max_skew=timedelta(seconds=sec.device_clock_skew_seconds),
            max_backlog=timedelta(days=sec.device_backlog_days),
            max_bytes=settings.media.max_upload_bytes,
            max_pixels=settings.media.max_pixels,
        ),
        plate_log=plate_log,
        retention=RetentionService(
            tx=tx,
            media=media_service,
            keep_delivered=timedelta(days=settings.webhooks.keep_delivered_days),
            keep_failed=timedelta(days=settings.webhooks.keep_failed_days),
        ),
        devices=DeviceService(
            tx=tx, clock=clock, broker=broker_accounts, states=state_sink_of(command_sink)
        ),
        events=EventService(
            tx=tx,
            clock=clock,
            max_skew=timedelta(seconds=sec.device_clock_skew_seconds),
            max_backlog=timedelta(days=sec.device_backlog_days),
        ),
        media=media_service,
        faces=faces,
        recognition=recognition,
        notifications=notifications,
        alerts=AlertService(tx=tx, clock=clock, notifications=notifications),
        webhooks=WebhookService(
            tx=tx,
            clock=clock,
            notifications=notifications,
            allow_private=settings.webhooks.allow_private_targets,
        ),
        notification_subscribers=NotificationSubscriberService(
            tx=tx, clock=clock, broker=broker_accounts
        ),
        remote_commands=RemoteCommandService(tx=tx, clock=clock, commands=command_sink),
        event_feed=EventFeedService(tx=tx, clock=clock),
    )
