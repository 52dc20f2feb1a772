"""Envelope encryption primitives and key-encryption-key providers."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatepost.errors import ConfigError, CryptoError
from gatepost.security.crypto import (
    KEY_BYTES,
    TenantKeys,
    derive_key,
    new_key,
    unwrap_key,
    wrap_key,
)
from gatepost.security.kek import EnvKekProvider, FileKekProvider, create_key_file

TENANT = "a" * 32


def _keys(**overrides: object) -> TenantKeys:
    values: dict[str, object] = {
        "tenant_id": TENANT,
        "data_keys": {1: new_key()},
        "active_generation": 1,
        "index_key": new_key(),
        "mac_key": new_key(),
    }
    values.update(overrides)
    return TenantKeys(**values)  # type: ignore[arg-type]


# -- keys ---------------------------------------------------------------------------


def test_new_key_is_256_bits_and_fresh() -> None:
    keys = {new_key() for _ in range(200)}
    assert len(keys) == 200
    assert all(len(k) == KEY_BYTES == 32 for k in keys)


def test_derive_key_is_deterministic_and_separated_by_label() -> None:
    root = new_key()
    assert derive_key(root, "index") == derive_key(root, "index")
    assert derive_key(root, "index") != derive_key(root, "mac")
    assert derive_key(root, "index") != derive_key(new_key(), "index")
    assert len(derive_key(root, "x")) == KEY_BYTES
    assert derive_key(root, "index") != root


# -- wrapping -----------------------------------------------------------------------


def test_wrapped_key_unwraps_with_its_binding() -> None:
    kek, key = new_key(), new_key()
    wrapped = wrap_key(kek, key, tenant_id=TENANT, purpose="data", generation=1)
    assert key not in wrapped
    assert unwrap_key(kek, wrapped, tenant_id=TENANT, purpose="data", generation=1) == key
    assert wrap_key(kek, key, tenant_id=TENANT, purpose="data", generation=1) != wrapped


@pytest.mark.parametrize(
    "change",
    [{"tenant_id": "b" * 32}, {"purpose": "index"}, {"purpose": "mac"}, {"generation": 2}],
)
def test_wrapped_key_refuses_another_binding(change: dict[str, object]) -> None:
    kek, key = new_key(), new_key()
    binding: dict[str, object] = {"tenant_id": TENANT, "purpose": "data", "generation": 1}
    wrapped = wrap_key(kek, key, **binding)  # type: ignore[arg-type]
    with pytest.raises(CryptoError):
        unwrap_key(kek, wrapped, **{**binding, **change})  # type: ignore[arg-type]


def test_wrapped_key_refuses_another_kek_and_tampering() -> None:
    kek, key = new_key(), new_key()
    wrapped = wrap_key(kek, key, tenant_id=TENANT, purpose="data", generation=1)
    with pytest.raises(CryptoError):
        unwrap_key(new_key(), wrapped, tenant_id=TENANT, purpose="data", generation=1)
    for index in (0, 12, len(wrapped) - 1):
        tampered = bytearray(wrapped)
        tampered[index] ^= 0x80
        with pytest.raises(CryptoError):
            unwrap_key(kek, bytes(tampered), tenant_id=TENANT, purpose="data", generation=1)


# -- sealing ------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(plaintext=st.binary(max_size=2048), row=st.text(min_size=1, max_size=40))
def test_seal_open_round_trips(plaintext: bytes, row: str) -> None:
    keys = _keys()
    sealed = keys.seal(plaintext, table="persons", column="notes", row_id=row)
    assert keys.open(sealed, table="persons", column="notes", row_id=row) == plaintext
    if len(plaintext) >= 8:
        assert plaintext not in sealed


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=300))
def test_seal_text_round_trips_unicode(text: str) -> None:
    keys = _keys()
    sealed = keys.seal_text(text, table="persons", column="name", row_id="r")
    assert keys.open_text(sealed, table="persons", column="name", row_id="r") == text


def test_old_generations_stay_readable_and_new_values_use_the_active_one() -> None:
    first, second = new_key(), new_key()
    old = _keys(data_keys={1: first})
    sealed_old = old.seal(b"old", table="t", column="c", row_id="r")
    rotated = _keys(
        data_keys={1: first, 2: second},
        active_generation=2,
        index_key=old.index_key,
        mac_key=old.mac_key,
    )
    assert rotated.open(sealed_old, table="t", column="c", row_id="r") == b"old"
    sealed_new = rotated.seal(b"new", table="t", column="c", row_id="r")
    assert int.from_bytes(sealed_new[1:3], "big") == 2
    with pytest.raises(CryptoError):
        old.open(sealed_new, table="t", column="c", row_id="r")


def test_open_fails_with_another_tenants_keys() -> None:
    sealed = _keys().seal(b"secret", table="t", column="c", row_id="r")
    with pytest.raises(CryptoError):
        _keys().open(sealed, table="t", column="c", row_id="r")


# -- blind indexes and MACs ---------------------------------------------------------


def test_blind_index_is_deterministic_keyed_and_purpose_separated() -> None:
    keys = _keys()
    assert keys.blind_index("13907314159", purpose="person.phone") == keys.blind_index(
        "13907314159", purpose="person.phone"
    )
    assert keys.blind_index("13907314159", purpose="person.phone") != keys.blind_index(
        "13907314159", purpose="person.name"
    )
    assert keys.blind_index("x", purpose="p") != _keys().blind_index("x", purpose="p")
    assert len(keys.blind_index("x", purpose="p")) == 32


def test_mac_is_keyed_with_the_mac_key_only() -> None:
    keys = _keys()
    assert keys.mac(b"m") == keys.mac(b"m")
    assert keys.mac(b"m") != keys.mac(b"n")
    other = _keys(data_keys=keys.data_keys, index_key=keys.index_key)
    assert other.mac(b"m") != keys.mac(b"m")
    assert keys.mac(b"m") != keys.blind_index("m", purpose="")


# -- KEK providers ------------------------------------------------------------------


def test_create_key_file_writes_an_owner_only_key_once(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "keys" / "kek.key"
    assert create_key_file(path) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    key = FileKekProvider(path).load()
    assert len(key) == KEY_BYTES
    content = path.read_bytes()
    assert create_key_file(path) is False
    assert path.read_bytes() == content


def test_file_provider_refuses_missing_malformed_or_short_keys(tmp_path: Path) -> None:
    path = tmp_path / "kek.key"
    with pytest.raises(ConfigError, match="gatepost init"):
        FileKekProvider(path).load()
    for content in (
        "not base64 at all!",
        base64.b64encode(b"short").decode(),
        base64.b64encode(new_key() + b"x").decode(),
    ):
        path.write_text(content)
        os.chmod(path, 0o600)
        with pytest.raises(ConfigError):
            FileKekProvider(path).load()


def test_file_provider_stages_then_commits_a_new_kek(tmp_path: Path) -> None:
    path = tmp_path / "kek.key"
    create_key_file(path)
    provider = FileKekProvider(path)
    old = provider.load()
    assert provider.load_staged() is None
    new = new_key()
    provider.stage(new)
    assert stat.S_IMODE(provider.staged_path.stat().st_mode) == 0o600
    assert provider.load() == old and provider.load_staged() == new
    provider.commit_staged()
    assert provider.load() == new and provider.load_staged() is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_env_provider_decodes_and_validates(tmp_path: Path) -> None:
    key = new_key()
    provider = EnvKekProvider(base64.b64encode(key).decode())
    assert provider.load() == key
    replacement = new_key()
    provider.stage(replacement)
    assert provider.load() == key and provider.load_staged() == replacement
    provider.commit_staged()
    assert provider.load() == replacement
    for bad in ("", "%%%", base64.b64encode(b"too short").decode()):
        with pytest.raises(ConfigError):
            EnvKekProvider(bad).load()
