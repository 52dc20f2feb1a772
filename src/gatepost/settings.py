"""All of gatepost's settings: one pydantic-settings tree, built by :func:`get_settings`.

Environment variables use the prefix ``GATEPOST_`` and ``__`` between sections, for
example ``GATEPOST_DB__URL`` or ``GATEPOST_SECURITY__SESSION_IDLE_MINUTES``. Nothing
here is built at import time; unsafe combinations are refused with the key path of the
offending setting (see :meth:`Settings.verify_exposure`).

The face engine and the plate reader are plugins chosen here (built by
``gatepost.vision.registry``): ``faces.engine`` and ``plates.reader`` are unions
discriminated on ``type``, each backend with its own options, so an unknown backend or
an option of another backend fails at load with its key path::

    GATEPOST_FACES__ENGINE__TYPE=dlib            # default; or fake (no model, tests)
    GATEPOST_FACES__ENGINE__DETECT_WIDTH=640     # dlib only (also GATEPOST_FACES__DETECT_WIDTH)
    GATEPOST_FACES__ENGINE__DETECTOR=hog         # dlib only (also GATEPOST_FACES__DETECTOR)
    GATEPOST_PLATES__READER__TYPE=rapidocr       # default; or fake (no model, tests)
    GATEPOST_PLATES__READER__DETECT_SIDE=640     # rapidocr only

An engine section given without ``type`` is the default backend's.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "DbSettings",
    "DlibFaceEngineConfig",
    "Environment",
    "FaceEngineConfig",
    "FaceSettings",
    "FakeFaceEngineConfig",
    "FakePlateReaderConfig",
    "KeySettings",
    "MediaSettings",
    "MqttSettings",
    "PlateReaderConfig",
    "PlateSettings",
    "PresenceSettings",
    "RapidOcrPlateReaderConfig",
    "SecuritySettings",
    "ServerSettings",
    "Settings",
    "WebhookSettings",
    "get_settings",
    "is_loopback",
]


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PRODUCTION = "production"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DbSettings(_Section):
    url: SecretStr = Field(
        default=SecretStr(""),
        description="SQLAlchemy URL (secret: it may hold a password). Empty means SQLite "
        "at <data_dir>/gatepost.db; use postgresql+psycopg://user:pass@host/db for PostgreSQL.",
    )
    pool_size: int = Field(default=5, ge=1, le=100, description="PostgreSQL pool size.")
    echo: bool = Field(default=False, description="Log SQL statements (never in production).")


class MediaSettings(_Section):
    url: str = Field(
        default="",
        description="Where sealed media objects live. Empty: <data_dir>/media. "
        "s3://bucket/prefix?endpoint=http://host:port for any S3 API.",
    )
    s3_access_key: SecretStr | None = Field(default=None, description="S3 access key id.")
    s3_secret_key: SecretStr | None = Field(default=None, description="S3 secret key.")
    max_upload_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1024,
        le=256 * 1024 * 1024,
        description="Largest upload.",
    )
    max_pixels: int = Field(
        default=40_000_000,
        ge=10_000,
        le=400_000_000,
        description="Largest image in pixels.",
    )
    event_image_days: int = Field(
        default=30, ge=1, le=3650, description="How long event snapshots are kept."
    )
    url_ttl_seconds: int = Field(
        default=300, ge=10, le=3600, description="Lifetime of a signed media URL."
    )


class KeySettings(_Section):
    source: str = Field(
        default="file",
        pattern="^(file|env)$",
        description="Where the key-encryption key (KEK) comes from: 'file' (0600 key file) "
        "or 'env' (GATEPOST_KEK, base64).",
    )
    file: Path | None = Field(
        default=None, description="Key file path. Empty: <data_dir>/keys/kek.key."
    )
    kek: SecretStr | None = Field(
        default=None, description="Base64 KEK when source is 'env' (32 bytes)."
    )


class SecuritySettings(_Section):
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60, description="Idle timeout.")
    session_absolute_hours: int = Field(
        default=12, ge=1, le=24 * 30, description="Absolute session lifetime."
    )
    setup_token_minutes: int = Field(
        default=30,
        ge=1,
        le=30,
        description="Lifetime of the first-run setup token (max 30).",
    )
    invitation_hours: int = Field(
        default=72,
        ge=1,
        le=24 * 14,
        description="Default lifetime of an invitation link (hours); each invitation may "
        "ask for 1 hour up to invitation_max_hours.",
    )
    invitation_max_hours: int = Field(
        default=24 * 7,
        ge=1,
        le=24 * 14,
        description="Longest lifetime an invitation link may be given (hours, max 14 days).",
    )
    login_max_failures: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Failures per account or client before throttling.",
    )
    login_window_seconds: int = Field(
        default=900,
        ge=10,
        le=86_400,
        description="Window in which failures are counted.",
    )
    password_min_length: int = Field(default=12, ge=12, le=64, description="Minimum length.")
    argon2_memory_kib: int = Field(
        default=65_536, ge=19_456, le=4_194_304, description="argon2id memory (KiB)."
    )
    argon2_time_cost: int = Field(default=3, ge=2, le=20, description="argon2id iterations.")
    device_clock_skew_seconds: int = Field(
        default=300, ge=5, le=86_400, description="Largest accepted device clock skew."
    )
    device_backlog_days: int = Field(
        default=14,
        ge=1,
        le=365,
        description="Oldest offline event a device may still upload.",
    )
    max_json_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description="Largest JSON body.",
    )
    page_limit_max: int = Field(default=200, ge=10, le=1000, description="Pagination cap.")

    @model_validator(mode="after")
    def verify_invitation_hours(self) -> SecuritySettings:
        if self.invitation_hours > self.invitation_max_hours:
            raise ValueError("invitation_hours must not exceed invitation_max_hours")
        return self


class DlibFaceEngineConfig(_Section):
    """dlib's HOG (or CNN) detector, 5-point alignment and ResNet embedding
    (``gatepost.vision.dlib_faces``): the default, the engine the calibration is for."""

    type: Literal["dlib"] = Field(default="dlib", description="Backend key: dlib.")
    detect_width: int = Field(
        default=640,
        ge=160,
        le=4096,
        description="Frames wider than this are scaled down for face detection (HOG cost "
        "grows with pixels; 640 keeps faces from about 80 px).",
    )
    detector: Literal["hog", "cnn"] = Field(
        default="hog",
        description="Face detector: HOG (fast, frontal faces) or dlib's CNN (better with "
        "turned faces, ~1 s per frame on a CPU core).",
    )
    onnx_threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Threads one embedding call may use (onnxruntime); 1 suits a server "
        "that handles several frames at once.",
    )


class FakeFaceEngineConfig(_Section):
    """The deterministic fake (``gatepost.vision.fake_faces``): no model; it finds the
    face drawn by ``fake_face_image`` and embeds its identity. For tests and load
    benchmarks, never for real doors."""

    type: Literal["fake"] = Field(default="fake", description="Backend key: fake.")


FaceEngineConfig = Annotated[
    DlibFaceEngineConfig | FakeFaceEngineConfig, Field(discriminator="type")
]
"""The face engine's settings, one model per backend, chosen by ``type``."""

_LEGACY_DLIB_OPTIONS = ("detect_width", "detector")


def _engine_with_type(data: Any, field: str, default: str) -> Any:
    """``data`` with ``data[field]["type"]`` set to ``default`` when it is a mapping
    without one (``GATEPOST_FACES__ENGINE__DETECT_WIDTH=320`` alone means dlib)."""
    if isinstance(data, dict) and isinstance(data.get(field), dict):
        if "type" not in data[field]:
            return {**data, field: {"type": default, **data[field]}}
    return data


class FaceSettings(_Section):
    engine: FaceEngineConfig = Field(
        default_factory=DlibFaceEngineConfig,
        description="The face engine: a backend chosen by type (dlib, fake) and its options.",
    )
    max_photos: int = Field(default=5, ge=1, le=10, description="Photos per enrolment.")
    enrol_min_size: int = Field(
        default=80, ge=40, le=1000, description="Smallest face (px wide) to enrol from."
    )
    enrol_min_sharpness: float = Field(
        default=40.0,
        ge=0,
        le=100_000,
        description="Least sharpness (variance of Laplacian) to enrol.",
    )
    enrol_min_pose: float = Field(
        default=0.5, ge=0, le=1, description="Least frontal-ness (0-1) to enrol."
    )
    probe_min_size: int = Field(
        default=40, ge=20, le=1000, description="Smallest face (px wide) to recognise."
    )
    approximate_from: int = Field(
        default=50_000,
        ge=1_000,
        le=1_000_000_000,
        description="Galleries of at least this many templates are searched approximately "
        "(FAISS) and re-ranked exactly; smaller ones exactly.",
    )

    @model_validator(mode="before")
    @classmethod
    def accept_legacy_dlib_options(cls, data: Any) -> Any:
        """``faces.detect_width`` and ``faces.detector`` (``GATEPOST_FACES__DETECTOR``,
        from before engines were plugins) still set the dlib engine's options."""
        if not isinstance(data, dict) or not any(k in data for k in _LEGACY_DLIB_OPTIONS):
            return data
        engine = data.get("engine", {})
        if not isinstance(engine, dict) or engine.get("type", "dlib") != "dlib":
            raise ValueError(
                "faces.detect_width and faces.detector are options of the dlib engine: "
                "set them as faces.engine.detect_width / faces.engine.detector"
            )
        moved = {k: data[k] for k in _LEGACY_DLIB_OPTIONS if k in data}
        rest = {k: v for k, v in data.items() if k not in _LEGACY_DLIB_OPTIONS}
        return {**rest, "engine": {"type": "dlib", **moved, **engine}}

    @model_validator(mode="before")
    @classmethod
    def default_engine_type(cls, data: Any) -> Any:
        """A ``faces.engine`` given without ``type`` is dlib's."""
        return _engine_with_type(data, "engine", "dlib")


class RapidOcrPlateReaderConfig(_Section):
    """PP-OCRv4 text detection and recognition (RapidOCR), PP-OCRv6 recognition for
    Latin plates, checked against plate grammars, with hyperlpr2's plate detector for
    Chinese plates (``gatepost.vision.plate_reader``): the default."""

    type: Literal["rapidocr"] = Field(default="rapidocr", description="Backend key: rapidocr.")
    detect_side: int = Field(
        default=640,
        ge=320,
        le=4096,
        description="The text detector sees the frame scaled to this longer side (640: a "
        "plate of ~80 px in a 1280-pixel frame stays detectable, 40-70 ms a frame).",
    )
    max_candidates: int = Field(
        default=6,
        ge=1,
        le=50,
        description="Most plate-shaped text boxes read per frame, largest first (and as "
        "many joined neighbours or stacked rows).",
    )
    second_look_side: int | None = Field(
        default=1280,
        ge=320,
        le=4096,
        description="When nothing was read, the text detector looks again at this longer "
        "side (a plate too small for detect_side); null: never.",
    )
    latin_model: bool = Field(
        default=True,
        description="Read Latin plates with PP-OCRv6 (the rapidocr 3.x wheel's model; "
        "better on Latin plates); off: PP-OCRv4, the Chinese plates' recogniser, reads them.",
    )
    threads: int = Field(
        default=1, ge=1, le=64, description="Threads one OCR call may use (onnxruntime)."
    )
    plate_detector: bool = Field(
        default=True,
        description="Also take boxes from hyperlpr2's SSD plate detector for frames whose "
        "grammars include a Chinese one (keeps the province character).",
    )


class FakePlateReaderConfig(_Section):
    """The deterministic fake (``gatepost.vision.fake_plates``): no model; it reads the
    plate drawn by ``fake_plate_image``. For tests and load benchmarks, never for real
    gates."""

    type: Literal["fake"] = Field(default="fake", description="Backend key: fake.")


PlateReaderConfig = Annotated[
    RapidOcrPlateReaderConfig | FakePlateReaderConfig, Field(discriminator="type")
]
"""The plate reader's settings, one model per backend, chosen by ``type``."""


class PlateSettings(_Section):
    reader: PlateReaderConfig = Field(
        default_factory=RapidOcrPlateReaderConfig,
        description="The plate reader: a backend chosen by type (rapidocr, fake) and its options.",
    )
    repeat_window_seconds: int = Field(
        default=10,
        ge=0,
        le=600,
        description="A car (or, at a door camera, a person) seen again by the same device "
        "within this many seconds, with the same decision, is one arrival: the device "
        "still gets its decision, but the event and the gate log's read are stored once "
        "and the command is sent once. 0 stores every frame.",
    )

    @model_validator(mode="before")
    @classmethod
    def default_reader_type(cls, data: Any) -> Any:
        """A ``plates.reader`` given without ``type`` is rapidocr's."""
        return _engine_with_type(data, "reader", "rapidocr")


class PresenceSettings(_Section):
    """Who is on a site now: the muster list (``services.presence``)."""

    muster_audit_window_seconds: int = Field(
        default=300,
        ge=0,
        le=3600,
        description="A muster-list reading is audited (presence.mustered) once per reader "
        "and site in this many seconds: a reading within the window of that reader's last "
        "entry for the site writes no new one (an open screen refreshes every 10 s). "
        "0 audits every reading.",
    )


class MqttSettings(_Section):
    """The MQTT device side: gatepost's own Mosquitto broker (scripts/mosquitto.sh lays
    out its data dir; docs/devices.md describes the protocol)."""

    enabled: bool = Field(
        default=False,
        description="Keep the broker's device accounts (its password and ACL files) in "
        "step with the device registry and reload it on every change. Off: no broker; "
        "devices use HTTPS only.",
    )
    host: str = Field(
        default="127.0.0.1",
        min_length=1,
        max_length=253,
        description="Broker host the gateway connects to.",
    )
    port: int = Field(
        default=18830,
        ge=1,
        le=65535,
        description="Broker port (scripts/mosquitto.sh: GATEPOST_TEST_MQTT_PORT).",
    )
    dir: Path | None = Field(
        default=None,
        description="The broker's data dir (scripts/mosquitto.sh: GATEPOST_MQTT_DIR), "
        "holding the files below. Default: <data_dir>/mosquitto.",
    )
    password_file: Path | None = Field(
        default=None,
        description="Mosquitto's password_file, written by gatepost (mode 0600). "
        "Default: <dir>/passwords.",
    )
    acl_file: Path | None = Field(
        default=None,
        description="Mosquitto's acl_file, written by gatepost (mode 0600). Default: <dir>/acl.",
    )
    pid_file: Path | None = Field(
        default=None,
        description="The broker's pid file; gatepost sends that process SIGHUP to reload "
        "the two files. Default: <dir>/mosquitto.pid.",
    )
    gateway_secret_file: Path | None = Field(
        default=None,
        description="The gateway account's password (one line, mode 0600), created by "
        "scripts/mosquitto.sh. Default: <dir>/gateway.secret.",
    )
    gateway_username: str = Field(
        default="gatepost-gateway",
        pattern=r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$",
        description="The gateway's broker account (scripts/mosquitto.sh: "
        "GATEPOST_MQTT_GATEWAY_USER). Device accounts are <tenant_id>.<device_id>.",
    )
    max_payload_bytes: int = Field(
        default=1536 * 1024,
        ge=1024,
        le=2 * 1024 * 1024 - 1024,
        description="Largest device message payload; a larger one is refused as "
        "oversized. Below the broker's max_packet_size (scripts/mosquitto.sh: 2 MiB).",
    )


class WebhookSettings(_Section):
    """Outgoing notifications: signed webhooks and MQTT notification topics
    (docs/notifications.md)."""

    enabled: bool = Field(
        default=True,
        description="Run the notifier: deliver queued webhooks (and MQTT notifications "
        "when mqtt.enabled). Off: deliveries wait in the outbox.",
    )
    allow_private_targets: bool = Field(
        default=False,
        description="Allow endpoint URLs that are plain http or resolve to loopback, "
        "private or link-local addresses (tests and closed networks only: it opens SSRF).",
    )
    timeout_seconds: float = Field(
        default=5.0, gt=0, le=30, description="Time allowed for one delivery attempt."
    )
    max_attempts: int = Field(
        default=8, ge=1, le=20, description="Attempts before a delivery is marked failed."
    )
    disable_after_failures: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="An endpoint whose deliveries failed this many times in a row "
        "(attempts, not deliveries) is disabled, with the reason recorded.",
    )
    poll_seconds: float = Field(
        default=1.0, gt=0, le=60, description="How often the notifier looks for due deliveries."
    )
    batch_size: int = Field(
        default=20, ge=1, le=500, description="Deliveries claimed per round by one notifier."
    )
    keep_delivered_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Delivered outbox rows older than this are purged by `retention purge`.",
    )
    keep_failed_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Failed outbox rows older than this are purged by `retention purge`.",
    )


class ServerSettings(_Section):
    host: str = Field(default="127.0.0.1", description="Bind address. Loopback by default.")
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port.")
    tls_certfile: Path | None = Field(default=None, description="TLS certificate (PEM).")
    tls_keyfile: Path | None = Field(default=None, description="TLS private key (PEM).")
    trusted_proxy: str | None = Field(
        default=None,
        description="Address of a TLS-terminating reverse proxy; allows a plain-HTTP "
        "non-loopback bind and trusts its X-Forwarded-* headers.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "[::1]"],
        description="Host headers accepted (TrustedHost); add the names clients use.",
    )
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        max_length=300,
        description="The address users open gatepost at (e.g. https://gate.example.com), "
        "for links the server hands out (invitations). Empty: built from host and port.",
    )

    @property
    def base_url(self) -> str:
        """``public_url`` without a trailing slash, or the address ``serve`` listens on."""
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls_certfile is not None else "http"
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"{scheme}://{host}:{self.port}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only the loopback interface."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """The root of gatepost's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="GATEPOST_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    env: Environment = Field(default=Environment.PRODUCTION, description="Run mode.")
    data_dir: Path = Field(
        default=Path("gatepost-data"),
        description="Database, media and key file live here.",
    )
    db: DbSettings = Field(default_factory=DbSettings, description="Database.")
    media: MediaSettings = Field(default_factory=MediaSettings, description="Media store.")
    keys: KeySettings = Field(default_factory=KeySettings, description="Key material.")
    security: SecuritySettings = Field(
        default_factory=SecuritySettings, description="Authentication and limits."
    )
    server: ServerSettings = Field(default_factory=ServerSettings, description="HTTP server.")
    faces: FaceSettings = Field(default_factory=FaceSettings, description="Face recognition.")
    plates: PlateSettings = Field(
        default_factory=PlateSettings, description="Licence-plate reads at gates."
    )
    presence: PresenceSettings = Field(
        default_factory=PresenceSettings, description="Presence and the muster list."
    )
    mqtt: MqttSettings = Field(
        default_factory=MqttSettings, description="MQTT devices and their broker."
    )
    webhooks: WebhookSettings = Field(
        default_factory=WebhookSettings, description="Webhooks and MQTT notifications."
    )

    @property
    def database_url(self) -> str:
        return (
            self.db.url.get_secret_value()
            or f"sqlite:///{(self.data_dir / 'gatepost.db').as_posix()}"
        )

    @property
    def mqtt_dir(self) -> Path:
        return self.mqtt.dir or self.data_dir / "mosquitto"

    @property
    def key_file(self) -> Path:
        return self.keys.file or self.data_dir / "keys" / "kek.key"

    @property
    def docs_public(self) -> bool:
        """OpenAPI and docs are served without login only in dev."""
        return self.env is Environment.DEV

    @model_validator(mode="after")
    def verify_key_source(self) -> Settings:
        if self.keys.source == "env" and self.keys.kek is None:
            raise ValueError("keys.kek must be set when keys.source is 'env'")
        return self

    @model_validator(mode="after")
    def verify_tls_pair(self) -> Settings:
        if (self.server.tls_certfile is None) != (self.server.tls_keyfile is None):
            raise ValueError("server.tls_certfile and server.tls_keyfile go together")
        return self

    @model_validator(mode="after")
    def verify_engines(self) -> Settings:
        """The fake engines read identities and plates from pixels anyone can draw: a
        door or barrier must never run them, so only dev and test may."""
        if self.env is Environment.PRODUCTION:
            for key, config in (
                ("faces.engine.type", self.faces.engine),
                ("plates.reader.type", self.plates.reader),
            ):
                if config.type == "fake":
                    raise ValueError(f"{key}=fake is for tests only (GATEPOST_ENV=dev or test)")
        return self

    @model_validator(mode="after")
    def verify_s3_credentials(self) -> Settings:
        if self.media.url.startswith("s3://") and (
            self.media.s3_access_key is None or self.media.s3_secret_key is None
        ):
            raise ValueError("media.s3_access_key and media.s3_secret_key are required for s3://")
        return self

    def exposure_problems(self, *, admin_exists: bool) -> list[str]:
        """Reasons ``serve`` must refuse to start (SECURITY.md 2); empty when safe."""
        problems: list[str] = []
        if is_loopback(self.server.host):
            return problems
        has_tls = self.server.tls_certfile is not None
        if not has_tls and self.server.trusted_proxy is None:
            problems.append(
                f"server.host={self.server.host} is not loopback: configure "
                "server.tls_certfile/tls_keyfile or server.trusted_proxy"
            )
        if all(is_loopback(name.strip("[]")) for name in self.server.allowed_hosts):
            problems.append(
                "server.allowed_hosts lists only loopback names: add the host names "
                "clients will use to reach this server"
            )
        if not admin_exists:
            problems.append(
                "no administrator exists yet: finish first-run setup on 127.0.0.1 "
                "before binding to another address"
            )
        return problems


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build settings from the environment once per process."""
    return Settings()
