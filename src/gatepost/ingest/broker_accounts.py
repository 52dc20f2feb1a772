"""The broker's accounts: Mosquitto's password file and ACL file, built from the devices.

Mosquitto admits a client only with an account in its ``password_file`` and lets it
publish and subscribe only where its ``acl_file`` says. gatepost writes both files from
the device registry (every unrevoked device with MQTT credentials), the notification
subscribers and the gateway's own account, then makes the broker re-read them (SIGHUP
to the pid file's process):

- password file: ``<username>:<$7$ hash>`` per line (Mosquitto 2.0's PBKDF2-SHA512
  format, ``security.device_mqtt.mosquitto_hash``); a device's username is
  ``<tenant_id>.<device_id>``, a notification subscriber's
  ``notify.<tenant_id>.<subscriber_id>`` (``domain.webhooks.subscriber_username``);
- ACL file: explicit per-user rules, no ``pattern`` lines and nothing for anonymous
  clients. A device may write only its own events and acks topics and read only its own
  commands, errors and state topics; the gateway reads every events and acks topic and
  writes every commands, errors and state topic (``ingest.topics``) and the tenants'
  notification topics, ``gatepost-notify/#`` (docs/notifications.md)::

      user <tenant_id>.<device_id>
      topic write gatepost/<tenant_id>/<device_id>/events
      topic write gatepost/<tenant_id>/<device_id>/acks
      topic read gatepost/<tenant_id>/<device_id>/commands
      topic read gatepost/<tenant_id>/<device_id>/errors
      topic read gatepost/<tenant_id>/<device_id>/state

  and a notification subscriber may only read its tenant's notification topics::

      user notify.<tenant_id>.<subscriber_id>
      topic read gatepost-notify/<tenant_id>/#

Both files are written atomically (a temporary file in the same directory, mode 0600,
fsync, rename), under an exclusive lock on ``<password_file>.lock`` that also covers
reading the account list, so concurrent writers (processes included) never put an
older list over a newer one. scripts/mosquitto.sh writes the gateway's rules in the
same words when it first creates the account.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gatepost.domain.webhooks import NOTIFY_PREFIX, notify_filter, subscriber_username
from gatepost.ingest.topics import Channel, TopicRefused, device_topic, gateway_filter
from gatepost.security.device_mqtt import broker_username, mosquitto_hash
from gatepost.services.broker_accounts import (
    Account,
    AccountReader,
    BrokerAccountSink,
    NullBrokerAccounts,
    SubscriberAccount,
)
from gatepost.settings import Settings

__all__ = [
    "BrokerFiles",
    "MosquittoAccounts",
    "acl_text",
    "broker_accounts_for",
    "gateway_rules",
    "password_file_text",
    "reload_broker",
    "write_private",
]

log = logging.getLogger(__name__)

_HEADER = "# Written by gatepost (gatepost.ingest.broker_accounts); edits here are lost.\n"
_HASHED = re.compile(r"^\$7\$[0-9]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$")
_GATEWAY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class BrokerFiles:
    """Where the broker's files are (see :class:`gatepost.settings.MqttSettings`)."""

    password_file: Path
    acl_file: Path
    pid_file: Path
    gateway_secret_file: Path

    @classmethod
    def in_dir(cls, directory: Path) -> BrokerFiles:
        """The layout scripts/mosquitto.sh uses."""
        return cls(
            password_file=directory / "passwords",
            acl_file=directory / "acl",
            pid_file=directory / "mosquitto.pid",
            gateway_secret_file=directory / "gateway.secret",
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> BrokerFiles:
        mqtt, default = settings.mqtt, cls.in_dir(settings.mqtt_dir)
        return cls(
            password_file=mqtt.password_file or default.password_file,
            acl_file=mqtt.acl_file or default.acl_file,
            pid_file=mqtt.pid_file or default.pid_file,
            gateway_secret_file=mqtt.gateway_secret_file or default.gateway_secret_file,
        )

    @property
    def lock_file(self) -> Path:
        return self.password_file.with_name(self.password_file.name + ".lock")

    def gateway_password(self) -> str:
        """The gateway account's password (the secret file's one line)."""
        secret = self.gateway_secret_file.read_text(encoding="ascii").strip()
        if not secret:
            raise ValueError(f"{self.gateway_secret_file} is empty")
        return secret


def _checked_gateway(username: str) -> str:
    if not _GATEWAY.fullmatch(username):
        raise ValueError("the gateway username must be 1-64 of A-Za-z0-9._- (not leading '.')")
    return username


def _username(account: Account) -> str:
    """The account's broker username, once its ids are known to be plain hex."""
    if isinstance(account, SubscriberAccount):
        try:
            device_topic(account.tenant_id, account.subscriber_id, Channel.EVENTS)
        except TopicRefused as exc:
            raise ValueError(f"not a subscriber account: {exc.reason}") from exc
        return subscriber_username(account.tenant_id, account.subscriber_id)
    try:
        device_topic(account.tenant_id, account.device_id, Channel.EVENTS)
    except TopicRefused as exc:
        raise ValueError(f"not a device account: {exc.reason}") from exc
    return broker_username(account.tenant_id, account.device_id)


def password_file_text(
    accounts: Iterable[Account], *, gateway_username: str, gateway_hash: str
) -> str:
    """Mosquitto's password file: the gateway's line, then one per device or subscriber
    account."""
    lines = [f"{_checked_gateway(gateway_username)}:{gateway_hash}"]
    lines += [f"{_username(account)}:{account.password_hash}" for account in accounts]
    for line in lines:
        if not _HASHED.fullmatch(line.partition(":")[2]):
            raise ValueError("a broker account's hash is not in Mosquitto's $7$ format")
    return "\n".join(lines) + "\n"


def gateway_rules(gateway_username: str) -> str:
    """The gateway account's ACL block (scripts/mosquitto.sh writes the same words)."""
    return "\n".join(
        [
            "# gateway",
            f"user {_checked_gateway(gateway_username)}",
            f"topic read {gateway_filter(Channel.EVENTS)}",
            f"topic read {gateway_filter(Channel.ACKS)}",
            f"topic write {gateway_filter(Channel.COMMANDS)}",
            f"topic write {gateway_filter(Channel.ERRORS)}",
            f"topic write {gateway_filter(Channel.STATE)}",
            f"topic write {NOTIFY_PREFIX}/#",
            "",
        ]
    )


def _account_rules(account: Account) -> str:
    if isinstance(account, SubscriberAccount):
        return "\n".join(
            [f"user {_username(account)}", f"topic read {notify_filter(account.tenant_id)}", ""]
        )
    tenant_id, device_id = account.tenant_id, account.device_id
    return "\n".join(
        [
            f"user {_username(account)}",
            f"topic write {device_topic(tenant_id, device_id, Channel.EVENTS)}",
            f"topic write {device_topic(tenant_id, device_id, Channel.ACKS)}",
            f"topic read {device_topic(tenant_id, device_id, Channel.COMMANDS)}",
            f"topic read {device_topic(tenant_id, device_id, Channel.ERRORS)}",
            f"topic read {device_topic(tenant_id, device_id, Channel.STATE)}",
            "",
        ]
    )


def acl_text(accounts: Iterable[Account], *, gateway_username: str) -> str:
    """Mosquitto's ACL file: the gateway's rules, then each device's own five topics and
    each notification subscriber's tenant notification topics (read only)."""
    blocks = [gateway_rules(gateway_username), *(_account_rules(a) for a in accounts)]
    return _HEADER + "\n".join(blocks)


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``, readable by its owner only (0600)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def reload_broker(pid_file: Path) -> bool:
    """SIGHUP to the broker named by ``pid_file`` (it re-reads both files); False when no
    Mosquitto process is there (it reads the files when it starts)."""
    try:
        pid = int(pid_file.read_text(encoding="ascii").strip())
        name = Path(f"/proc/{pid}/comm").read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        return False
    if name != "mosquitto":
        return False
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        return False
    return True


class MosquittoAccounts:
    """The broker account sink for a Mosquitto broker (see the module doc)."""

    def __init__(self, files: BrokerFiles, *, gateway_username: str) -> None:
        self.files = files
        self.gateway_username = _checked_gateway(gateway_username)
        self._lock = threading.Lock()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock, open(self.files.lock_file, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def write(self, accounts: Iterable[Account]) -> bool:
        """Write both files for ``accounts`` and reload the broker (errors raise).
        Returns whether a running broker was signalled."""
        accounts = list(accounts)
        gateway_hash = mosquitto_hash(self.files.gateway_password())
        passwords = password_file_text(
            accounts, gateway_username=self.gateway_username, gateway_hash=gateway_hash
        )
        acl = acl_text(accounts, gateway_username=self.gateway_username)
        write_private(self.files.password_file, passwords)
        write_private(self.files.acl_file, acl)
        return reload_broker(self.files.pid_file)

    def refresh(self, read: AccountReader) -> None:
        """Read the accounts and write them, under the lock; failures are logged, never
        raised (the device change has committed; the next refresh writes again)."""
        try:
            with self._locked():
                accounts = read()
                reloaded = self.write(accounts)
        except Exception:
            log.exception("could not update the MQTT broker's accounts")
            return
        if not reloaded:
            log.warning(
                "no MQTT broker runs at %s; it reads the accounts when it starts",
                self.files.pid_file,
            )
        log.info("MQTT broker accounts written: %d account(s)", len(accounts))


def broker_accounts_for(settings: Settings) -> BrokerAccountSink:
    """The sink the settings call for: Mosquitto's files when ``mqtt.enabled``."""
    if not settings.mqtt.enabled:
        return NullBrokerAccounts()
    return MosquittoAccounts(
        BrokerFiles.from_settings(settings), gateway_username=settings.mqtt.gateway_username
    )
