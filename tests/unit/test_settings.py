"""Settings validators: unsafe or inconsistent configuration is refused."""

from __future__ import annotations

import base64
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import annotated_types
import pytest
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from gatepost.settings import (
    DlibFaceEngineConfig,
    Environment,
    FakeFaceEngineConfig,
    FakePlateReaderConfig,
    RapidOcrPlateReaderConfig,
    Settings,
    is_loopback,
)

DATA = Path("unused-data-dir")


def _settings(**values: Any) -> Settings:
    return Settings(data_dir=DATA, **values)


def test_defaults_are_safe() -> None:
    settings = _settings()
    assert settings.env is Environment.PRODUCTION
    assert settings.server.host == "127.0.0.1"
    assert settings.server.tls_certfile is None and settings.server.trusted_proxy is None
    assert settings.docs_public is False
    assert settings.keys.source == "file"
    assert settings.key_file == DATA / "keys" / "kek.key"
    assert settings.database_url == f"sqlite:///{(DATA / 'gatepost.db').as_posix()}"
    assert settings.security.setup_token_minutes <= 30
    assert settings.security.password_min_length >= 12
    assert settings.security.argon2_memory_kib >= 19_456
    assert settings.security.argon2_time_cost >= 2
    assert settings.db.echo is False


def test_docs_are_public_only_in_dev() -> None:
    assert _settings(env="dev").docs_public is True
    assert _settings(env="test").docs_public is False
    assert _settings(env="production").docs_public is False


@pytest.mark.parametrize(
    "media",
    [
        {"url": "s3://bucket/prefix"},
        {"url": "s3://bucket/prefix", "s3_access_key": "id-only"},
        {"url": "s3://bucket/prefix", "s3_secret_key": "secret-only"},
    ],
)
def test_s3_media_without_both_keys_is_refused(media: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="s3_access_key"):
        _settings(media=media)


def test_s3_media_with_both_keys_is_accepted() -> None:
    settings = _settings(
        media={"url": "s3://bucket/p", "s3_access_key": "id", "s3_secret_key": "secret"}
    )
    assert settings.media.s3_secret_key is not None


def test_env_key_source_without_kek_is_refused() -> None:
    with pytest.raises(ValidationError, match="keys.kek"):
        _settings(keys={"source": "env"})
    kek = base64.b64encode(b"k" * 32).decode()
    assert _settings(keys={"source": "env", "kek": kek}).keys.kek is not None


def test_unknown_key_source_is_refused() -> None:
    with pytest.raises(ValidationError):
        _settings(keys={"source": "database"})


@pytest.mark.parametrize("server", [{"tls_certfile": "cert.pem"}, {"tls_keyfile": "key.pem"}])
def test_half_a_tls_pair_is_refused(server: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="tls"):
        _settings(server=server)


def test_full_tls_pair_is_accepted() -> None:
    settings = _settings(server={"tls_certfile": "c.pem", "tls_keyfile": "k.pem"})
    assert settings.server.tls_keyfile == Path("k.pem")


@pytest.mark.parametrize(
    ("section", "values"),
    [
        ("security", {"setup_token_minutes": 31}),
        ("security", {"setup_token_minutes": 0}),
        ("security", {"password_min_length": 11}),
        ("security", {"argon2_memory_kib": 19_455}),
        ("security", {"argon2_time_cost": 1}),
        ("security", {"login_max_failures": 0}),
        ("security", {"session_idle_minutes": 0}),
        ("server", {"port": 0}),
        ("server", {"port": 65536}),
        ("media", {"url_ttl_seconds": 3601}),
    ],
)
def test_values_outside_safe_bounds_are_refused(section: str, values: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        _settings(**{section: values})


@pytest.mark.parametrize(
    "values",
    [{"unknown": 1}, {"security": {"typo_minutes": 5}}, {"server": {"bind": "any"}}],
)
def test_unknown_settings_are_refused(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _settings(**values)


def test_settings_are_read_from_nested_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEPOST_SECURITY__SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("GATEPOST_SERVER__PORT", "8443")
    settings = _settings()
    assert settings.security.session_idle_minutes == 15
    assert settings.server.port == 8443
    monkeypatch.setenv("GATEPOST_SECURITY__SETUP_TOKEN_MINUTES", "45")
    with pytest.raises(ValidationError):
        _settings()


def test_settings_are_frozen() -> None:
    settings = _settings()
    with pytest.raises(ValidationError):
        settings.env = Environment.DEV  # type: ignore[misc]


def test_settings_repr_hides_secrets() -> None:
    kek = base64.b64encode(b"K" * 32).decode()
    settings = _settings(
        keys={"source": "env", "kek": kek},
        media={
            "url": "s3://b/p",
            "s3_access_key": "AKIAEXAMPLE",
            "s3_secret_key": "s3-Secr3t-v@lue",
        },
        db={"url": "postgresql+psycopg://gatepost:Db-Pa55word-x@db.internal/gatepost"},
    )
    for shown in (repr(settings), str(settings), repr(settings.model_dump())):
        assert kek not in shown
        assert "s3-Secr3t-v@lue" not in shown
        assert "Db-Pa55word-x" not in shown


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),  # noqa: S104 - the unsafe bind under test
        ("::", False),
        ("10.0.0.5", False),
        ("192.0.2.1", False),
        ("example.com", False),
        ("localhost.example.com", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


# -- engines: faces.engine and plates.reader ------------------------------------


def test_engines_default_to_the_real_backends_with_their_former_defaults() -> None:
    settings = _settings()
    assert settings.faces.engine == DlibFaceEngineConfig(
        type="dlib", detect_width=640, detector="hog", onnx_threads=1
    )
    assert settings.plates.reader == RapidOcrPlateReaderConfig(
        type="rapidocr", detect_side=640, max_candidates=6, threads=1, plate_detector=True
    )


def test_fake_engines_are_chosen_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEPOST_ENV", "test")
    monkeypatch.setenv("GATEPOST_FACES__ENGINE__TYPE", "fake")
    monkeypatch.setenv("GATEPOST_PLATES__READER__TYPE", "fake")
    settings = _settings()
    assert settings.faces.engine == FakeFaceEngineConfig()
    assert settings.plates.reader == FakePlateReaderConfig()


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"faces": {"engine": {"type": "fake"}}}, "faces.engine.type=fake"),
        ({"plates": {"reader": {"type": "fake"}}}, "plates.reader.type=fake"),
    ],
)
def test_fake_engines_are_refused_in_production(values: dict[str, Any], key: str) -> None:
    """A fake engine takes identities and plates from pixels anyone can draw."""
    with pytest.raises(ValidationError, match=key):
        _settings(**values)
    assert _settings(env="dev", **values).env is Environment.DEV


def test_engine_options_without_a_type_are_the_default_backends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEPOST_FACES__ENGINE__DETECT_WIDTH", "320")
    monkeypatch.setenv("GATEPOST_PLATES__READER__DETECT_SIDE", "960")
    settings = _settings()
    assert settings.faces.engine == DlibFaceEngineConfig(detect_width=320)
    assert settings.plates.reader == RapidOcrPlateReaderConfig(detect_side=960)


def test_former_face_settings_still_set_the_dlib_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEPOST_FACES__DETECTOR", "cnn")
    monkeypatch.setenv("GATEPOST_FACES__DETECT_WIDTH", "800")
    assert _settings().faces.engine == DlibFaceEngineConfig(detector="cnn", detect_width=800)
    monkeypatch.setenv("GATEPOST_FACES__ENGINE__DETECT_WIDTH", "480")  # the new name wins
    assert _settings().faces.engine == DlibFaceEngineConfig(detector="cnn", detect_width=480)
    monkeypatch.setenv("GATEPOST_FACES__ENGINE__TYPE", "fake")
    with pytest.raises(ValidationError, match="faces.engine.detect_width"):
        _settings()


@pytest.mark.parametrize(
    ("values", "loc"),
    [
        ({"faces": {"engine": {"type": "opencv"}}}, ("faces", "engine")),
        ({"plates": {"reader": {"type": "tesseract"}}}, ("plates", "reader")),
        ({"faces": {"engine": {"type": "fake", "detector": "hog"}}}, ("faces", "engine", "fake")),
        ({"faces": {"engine": {"detect_width": 159}}}, ("faces", "engine", "dlib")),
        ({"faces": {"engine": {"onnx_threads": 0}}}, ("faces", "engine", "dlib")),
        ({"faces": {"engine": {"detector": "mtcnn"}}}, ("faces", "engine", "dlib")),
        ({"plates": {"reader": {"detect_side": 100}}}, ("plates", "reader", "rapidocr")),
        ({"plates": {"reader": {"max_candidates": 0}}}, ("plates", "reader", "rapidocr")),
    ],
)
def test_bad_engine_settings_are_refused_with_their_key_path(
    values: dict[str, Any], loc: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(**values)
    (error,) = caught.value.errors()
    assert error["loc"][: len(loc)] == loc


def _fields(model: type[BaseModel], path: str) -> Iterator[tuple[str, FieldInfo]]:
    for name, field in model.model_fields.items():
        where = f"{path}.{name}" if path else name
        yield where, field
        members = typing.get_args(field.annotation)  # a union's backends
        for inner in members or (field.annotation,):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                yield from _fields(inner, f"{where}[{inner.__name__}]" if members else where)


def test_every_setting_is_described_and_every_number_bounded() -> None:
    fields = dict(_fields(Settings, ""))
    assert "faces.engine[DlibFaceEngineConfig].detect_width" in fields
    assert "plates.reader[FakePlateReaderConfig].type" in fields
    for where, field in fields.items():
        assert field.description, where
        if field.annotation in (int, float):
            kinds = {type(m) for m in field.metadata}
            assert kinds & {annotated_types.Ge, annotated_types.Gt}, where
            assert kinds & {annotated_types.Le, annotated_types.Lt}, where
