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
from gatepost.services.audit import AuditService
from gatepost.services.auth import AuthService
from gatepost.services.devices import DeviceService
from gatepost.services.events import EventService
from gatepost.services.faces import FaceService
from gatepost.services.keys import KeyService
from gatepost.services.media import MediaService
from gatepost.services.persons import PersonService
from gatepost.services.plate_log import PlateLogService
from gatepost.services.plate_reads import PlateReadService
from gatepost.services.recognition import RecognitionService
from gatepost.services.retention import RetentionService
from gatepost.services.setup import SetupService
from gatepost.services.sites import SiteService
from gatepost.services.tenants import TenantService
from gatepost.services.throttle import LoginThrottleService
from gatepost.services.users import UserService
from gatepost.services.vehicles import VehicleService
from gatepost.settings import FaceSettings, Settings
from gatepost.store.db import Database
from gatepost.store.media import BlobStore, blob_store_from_url
from gatepost.vision.calibration import DLIB_RESNET
from gatepost.vision.faces import FaceEngine
from gatepost.vision.plates import PlateReader

__all__ = [
    "Container",
    "build_container",
    "kek_provider",
    "shared_face_engine",
    "shared_plate_reader",
]

_engines: dict[tuple[int, str], FaceEngine] = {}
_engines_lock = threading.Lock()
_readers: dict[str, PlateReader] = {}


def shared_plate_reader() -> PlateReader:
    """One reader per process (models are large and read-only), built on first use."""
    with _engines_lock:
        if "plates" not in _readers:
            from gatepost.vision.plate_reader import RapidOcrPlateReader

            _readers["plates"] = RapidOcrPlateReader()
        return _readers["plates"]


def shared_face_engine(settings: FaceSettings) -> FaceEngine:
    """One engine per process and configuration: the models are large and read-only."""
    key = (settings.detect_width, settings.detector)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            from gatepost.vision.dlib_faces import DlibFaceEngine  # dlib, onnx: on first use

            engine = _engines[key] = DlibFaceEngine(
                detect_width=settings.detect_width, detector=settings.detector
            )
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
    blobs: BlobStore
    keys: KeyService
    audit: AuditService
    tenants: TenantService
    setup: SetupService
    auth: AuthService
    users: UserService
    sites: SiteService
    persons: PersonService
    vehicles: VehicleService
    plates: PlateReadService
    plate_log: PlateLogService
    retention: RetentionService
    devices: DeviceService
    events: EventService
    media: MediaService
    faces: FaceService
    recognition: RecognitionService

    def close(self) -> None:
        self.db.dispose()


def build_container(
    settings: Settings,
    *,
    clock: Clock | None = None,
    kek: KekProvider | None = None,
    blobs: BlobStore | None = None,
) -> Container:
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
    vehicles = VehicleService(db=db, keys=keys, audit=audit, clock=clock)
    media_service = MediaService(
        db=db,
        keys=keys,
        blobs=blobs,
        audit=audit,
        clock=clock,
        max_bytes=settings.media.max_upload_bytes,
        max_pixels=settings.media.max_pixels,
        url_ttl=timedelta(seconds=settings.media.url_ttl_seconds),
        retention=timedelta(days=settings.media.event_image_days),
    )
    faces = FaceService(
        db=db,
        keys=keys,
        audit=audit,
        clock=clock,
        settings=settings.faces,
        media=media_service,
        engine=lambda: shared_face_engine(settings.faces),
        galleries=FaceGalleries(
            128,
            gallery=lambda dim: FaceGallery(dim, approximate_from=settings.faces.approximate_from),
        ),
        model=DLIB_RESNET,
        max_bytes=settings.media.max_upload_bytes,
        max_pixels=settings.media.max_pixels,
    )
    tenants = TenantService(db=db, keys=keys, audit=audit, clock=clock)
    plate_log = PlateLogService(
        db=db,
        keys=keys,
        media=media_service,
        audit=audit,
        clock=clock,
        repeat_window=timedelta(seconds=settings.plates.repeat_window_seconds),
    )
    throttle = LoginThrottleService(
        db=db,
        clock=clock,
        max_failures=sec.login_max_failures,
        window_seconds=sec.login_window_seconds,
    )
    return Container(
        settings=settings,
        clock=clock,
        db=db,
        blobs=blobs,
        keys=keys,
        audit=audit,
        tenants=tenants,
        setup=SetupService(
            db=db,
            passwords=passwords,
            clock=clock,
            tenants=tenants,
            audit=audit,
            token_minutes=sec.setup_token_minutes,
            password_min_length=sec.password_min_length,
        ),
        auth=AuthService(
            db=db,
            passwords=passwords,
            clock=clock,
            keys=keys,
            audit=audit,
            throttle=throttle,
            idle=timedelta(minutes=sec.session_idle_minutes),
            absolute=timedelta(hours=sec.session_absolute_hours),
            password_min_length=sec.password_min_length,
        ),
        users=UserService(
            db=db,
            passwords=passwords,
            clock=clock,
            audit=audit,
            password_min_length=sec.password_min_length,
        ),
        sites=SiteService(db=db, clock=clock, audit=audit),
        persons=PersonService(db=db, keys=keys, audit=audit, clock=clock, biometrics=faces),
        vehicles=vehicles,
        plates=PlateReadService(
            db=db,
            vehicles=vehicles,
            log=plate_log,
            clock=clock,
            reader=shared_plate_reader,
            max_bytes=settings.media.max_upload_bytes,
            max_pixels=settings.media.max_pixels,
        ),
        plate_log=plate_log,
        retention=RetentionService(db=db, media=media_service, audit=audit),
        devices=DeviceService(db=db, clock=clock, audit=audit),
        events=EventService(
            db=db,
            clock=clock,
            max_skew=timedelta(seconds=sec.device_clock_skew_seconds),
            max_backlog=timedelta(days=sec.device_backlog_days),
        ),
        media=media_service,
        faces=faces,
        recognition=RecognitionService(
            db=db,
            keys=keys,
            faces=faces,
            settings=settings.faces,
            max_bytes=settings.media.max_upload_bytes,
            max_pixels=settings.media.max_pixels,
        ),
    )
