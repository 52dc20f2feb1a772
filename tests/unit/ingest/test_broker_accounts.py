"""The broker's password and ACL files as gatepost writes them (no broker here; the
broker's own reading of them is tested in tests/integration/test_mqtt_broker.py)."""

from __future__ import annotations

import logging
import os
import re
import stat
from pathlib import Path

import pytest

from gatepost.ingest.broker_accounts import (
    BrokerFiles,
    MosquittoAccounts,
    acl_text,
    broker_accounts_for,
    gateway_rules,
    password_file_text,
    reload_broker,
    write_private,
)
from gatepost.security.device_mqtt import mosquitto_hash, mosquitto_verify
from gatepost.services.broker_accounts import BrokerAccount, NullBrokerAccounts
from gatepost.settings import Settings
from tests.support.services import REPO_ROOT

T, D1, D2 = "0f" * 16, "a1" * 16, "b2" * 16
GATEWAY = "gatepost-gateway"


def account(device_id: str, password: str = "pw") -> BrokerAccount:  # noqa: S107 - a test value
    return BrokerAccount(tenant_id=T, device_id=device_id, password_hash=mosquitto_hash(password))


def test_acl_gives_each_device_its_own_five_topics_and_the_gateway_all() -> None:
    text = acl_text([account(D1), account(D2)], gateway_username=GATEWAY)
    rules = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert rules == [
        f"user {GATEWAY}",
        "topic read gatepost/+/+/events",
        "topic read gatepost/+/+/acks",
        "topic write gatepost/+/+/commands",
        "topic write gatepost/+/+/errors",
        "topic write gatepost/+/+/state",
        "topic write gatepost-notify/#",
        f"user {T}.{D1}",
        f"topic write gatepost/{T}/{D1}/events",
        f"topic write gatepost/{T}/{D1}/acks",
        f"topic read gatepost/{T}/{D1}/commands",
        f"topic read gatepost/{T}/{D1}/errors",
        f"topic read gatepost/{T}/{D1}/state",
        f"user {T}.{D2}",
        f"topic write gatepost/{T}/{D2}/events",
        f"topic write gatepost/{T}/{D2}/acks",
        f"topic read gatepost/{T}/{D2}/commands",
        f"topic read gatepost/{T}/{D2}/errors",
        f"topic read gatepost/{T}/{D2}/state",
    ]
    assert "pattern" not in text and "readwrite" not in text and "%" not in text


def test_password_file_holds_the_gateway_and_each_device_by_hash() -> None:
    gateway_hash = mosquitto_hash("gateway secret")
    text = password_file_text(
        [account(D1, "one"), account(D2, "two")],
        gateway_username=GATEWAY,
        gateway_hash=gateway_hash,
    )
    lines = text.splitlines()
    assert text.endswith("\n") and len(lines) == 3
    users = dict(line.split(":", 1) for line in lines)
    assert list(users) == [GATEWAY, f"{T}.{D1}", f"{T}.{D2}"]
    assert mosquitto_verify("gateway secret", users[GATEWAY])
    assert mosquitto_verify("one", users[f"{T}.{D1}"])
    assert mosquitto_verify("two", users[f"{T}.{D2}"])
    assert "one" not in text and "two" not in text


@pytest.mark.parametrize(
    "bad",
    [
        BrokerAccount(tenant_id=T, device_id=D1, password_hash="plain"),
        BrokerAccount(tenant_id=T, device_id=D1, password_hash=mosquitto_hash("x") + "\nevil:x"),
        BrokerAccount(tenant_id=T, device_id=D1 + "\nuser evil", password_hash=mosquitto_hash("x")),
        BrokerAccount(tenant_id="+", device_id=D1, password_hash=mosquitto_hash("x")),
    ],
)
def test_nothing_but_hex_ids_and_hashes_reaches_the_files(bad: BrokerAccount) -> None:
    with pytest.raises(ValueError):
        password_file_text([bad], gateway_username=GATEWAY, gateway_hash=mosquitto_hash("g"))
    if bad.device_id != D1 or bad.tenant_id != T:
        with pytest.raises(ValueError):
            acl_text([bad], gateway_username=GATEWAY)


@pytest.mark.parametrize("name", ["", ".hidden", "a b", "a:b", "x" * 65, "gate\nway"])
def test_gateway_username_is_checked(name: str) -> None:
    with pytest.raises(ValueError):
        gateway_rules(name)


def test_the_script_writes_the_gateway_rules_in_the_same_words() -> None:
    script = (REPO_ROOT / "scripts" / "mosquitto.sh").read_text()
    block = re.search(r"<<ACL\n(.*?)\nACL\n", script, re.S)
    assert block is not None
    assert block.group(1).replace("$GATEWAY_USER", GATEWAY) == gateway_rules(GATEWAY)


def test_files_are_replaced_atomically_and_readable_by_the_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "acl"
    path.write_text("old\n")
    os.chmod(path, 0o644)
    before = path.stat().st_ino
    write_private(path, "new\n")
    assert path.read_text() == "new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_ino != before  # a new file renamed over the old one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acl"]  # no temporary left


def test_reload_signals_only_a_mosquitto_process(tmp_path: Path) -> None:
    pid_file = tmp_path / "mosquitto.pid"
    assert reload_broker(pid_file) is False  # no pid file
    pid_file.write_text("not a pid\n")
    assert reload_broker(pid_file) is False
    pid_file.write_text(f"{os.getpid()}\n")  # this test process: never signalled
    assert reload_broker(pid_file) is False


def _files(tmp_path: Path) -> BrokerFiles:
    files = BrokerFiles.in_dir(tmp_path)
    files.gateway_secret_file.write_text("gateway-secret\n")
    return files


def test_mosquitto_accounts_write_both_files_from_what_it_reads(tmp_path: Path) -> None:
    files = _files(tmp_path)
    sink = MosquittoAccounts(files, gateway_username=GATEWAY)
    sink.refresh(lambda: [account(D1, "one")])
    passwords = dict(line.split(":", 1) for line in files.password_file.read_text().splitlines())
    assert mosquitto_verify("gateway-secret", passwords[GATEWAY])
    assert mosquitto_verify("one", passwords[f"{T}.{D1}"])
    assert f"user {T}.{D1}" in files.acl_file.read_text()
    sink.refresh(list)  # the device was revoked: its account goes
    assert f"{T}.{D1}" not in files.password_file.read_text()
    assert f"{T}.{D1}" not in files.acl_file.read_text()
    for path in (files.password_file, files.acl_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_failed_refresh_is_logged_and_leaves_the_files_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = BrokerFiles.in_dir(tmp_path)  # no gateway secret
    files.password_file.write_text("kept\n")
    with caplog.at_level(logging.ERROR, logger="gatepost.ingest.broker_accounts"):
        MosquittoAccounts(files, gateway_username=GATEWAY).refresh(lambda: [account(D1)])
    assert files.password_file.read_text() == "kept\n"
    assert "could not update" in caplog.text


def test_settings_choose_the_sink(tmp_path: Path) -> None:
    off = Settings(env="test", data_dir=tmp_path)
    assert isinstance(broker_accounts_for(off), NullBrokerAccounts)
    on = Settings(
        env="test",
        data_dir=tmp_path,
        mqtt={"enabled": True, "acl_file": str(tmp_path / "elsewhere.acl")},
    )
    sink = broker_accounts_for(on)
    assert isinstance(sink, MosquittoAccounts)
    assert sink.files.password_file == tmp_path / "mosquitto" / "passwords"
    assert sink.files.acl_file == tmp_path / "elsewhere.acl"
    assert sink.files.pid_file == tmp_path / "mosquitto" / "mosquitto.pid"
    assert sink.gateway_username == "gatepost-gateway"


def test_broker_config_sets_no_global_session_expiration() -> None:
    """A global expiration would put never-expiring sessions on Mosquitto 2.0.11's expiry
    list, where a reload duplicates them and the broker later crashes (the script's
    write_config says why)."""
    script = (REPO_ROOT / "scripts" / "mosquitto.sh").read_text()
    config = re.search(r'cat >"\$CONFIG" <<CONF\n(.*?)\nCONF\n', script, re.S)
    assert config is not None
    settings = {line.split()[0] for line in config.group(1).splitlines() if line[:1].isalpha()}
    assert "persistent_client_expiration" not in settings
    assert {"allow_anonymous", "password_file", "acl_file", "set_tcp_nodelay"} <= settings
    assert "allow_anonymous false" in config.group(1)
    assert "set_tcp_nodelay true" in config.group(1)
