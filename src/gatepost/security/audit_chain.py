"""The audit log's hash chain: computing and verifying entry MACs.

Each entry's MAC covers its sequence number, the previous entry's MAC and its own
canonical content, keyed with the tenant's MAC key, so an edit, deletion, insertion or
reordering breaks the chain, and someone with only database access cannot re-forge it.
The tenant row keeps the head (last sequence and MAC) so a truncated tail is caught.

A row the store cannot read back (a timestamp that is no timestamp, details that are
no JSON object of text: only someone writing to the database directly makes one) comes
as an :class:`UnreadableEntry`; verification reports it as a broken link by its
sequence number and goes on with the rest of the chain.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from gatepost.security.crypto import TenantKeys

__all__ = ["GENESIS", "ChainEntry", "UnreadableEntry", "entry_mac", "verify_chain"]

GENESIS = b"\x00" * 32


@dataclass(frozen=True)
class ChainEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    purpose: str
    target: str
    outcome: str
    details: dict[str, str]
    prev_mac: bytes
    mac: bytes


@dataclass(frozen=True)
class UnreadableEntry:
    """A stored row that is no valid entry: ``seq`` is None when even that is unreadable,
    and ``mac``/``prev_mac`` are None when they are no 32-byte values. ``problem`` names
    what is wrong (the field, never its content)."""

    seq: int | None
    problem: str
    prev_mac: bytes | None = None
    mac: bytes | None = None


def _canonical(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    purpose: str,
    target: str,
    outcome: str,
    details: dict[str, str],
    prev_mac: bytes,
) -> bytes:
    body = {
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "purpose": purpose,
        "target": target,
        "outcome": outcome,
        "details": details,
        "prev": prev_mac.hex(),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def entry_mac(
    keys: TenantKeys,
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    purpose: str,
    target: str,
    outcome: str,
    details: dict[str, str],
    prev_mac: bytes,
) -> bytes:
    return keys.mac(_canonical(seq, at, actor, action, purpose, target, outcome, details, prev_mac))


def verify_chain(
    keys: TenantKeys,
    entries: Iterable[ChainEntry | UnreadableEntry],
    *,
    head_seq: int,
    head_mac: bytes,
) -> list[str]:
    """Problems found in the chain (empty when intact); entries ordered by storage seq.

    An unreadable entry is a broken link: it is reported, and the next entry is checked
    against its stored MAC when that much is readable.
    """
    problems: list[str] = []
    expected_seq = 1
    prev: bytes | None = GENESIS
    for entry in entries:
        if entry.seq is None:
            problems.append(f"an entry has an unreadable sequence number ({entry.problem})")
            continue
        if entry.seq != expected_seq:
            problems.append(f"entry {expected_seq} is missing or out of order (found {entry.seq})")
        if (
            prev is not None
            and entry.prev_mac is not None
            and not hmac.compare_digest(entry.prev_mac, prev)
        ):
            problems.append(f"entry {entry.seq} does not follow the entry before it")
        if isinstance(entry, UnreadableEntry):
            problems.append(f"entry {entry.seq} is unreadable: {entry.problem}")
        elif not hmac.compare_digest(_computed_mac(keys, entry), entry.mac):
            problems.append(f"entry {entry.seq} was altered")
        prev = entry.mac
        expected_seq = entry.seq + 1
    if expected_seq - 1 != head_seq or (
        prev is not None and not hmac.compare_digest(prev, head_mac)
    ):
        problems.append(
            f"chain ends at entry {expected_seq - 1} but the tenant head says {head_seq}"
        )
    return problems


def _computed_mac(keys: TenantKeys, entry: ChainEntry) -> bytes:
    return entry_mac(
        keys,
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        purpose=entry.purpose,
        target=entry.target,
        outcome=entry.outcome,
        details=entry.details,
        prev_mac=entry.prev_mac,
    )
