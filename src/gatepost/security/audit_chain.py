"""The audit log's hash chain: computing and verifying entry MACs.

Each entry's MAC covers its sequence number, the previous entry's MAC and its own
canonical content, keyed with the tenant's MAC key, so an edit, deletion, insertion or
reordering breaks the chain, and someone with only database access cannot re-forge it.
The tenant row keeps the head (last sequence and MAC) so a truncated tail is caught.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from gatepost.security.crypto import TenantKeys

__all__ = ["GENESIS", "ChainEntry", "entry_mac", "verify_chain"]

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
    keys: TenantKeys, entries: Iterable[ChainEntry], *, head_seq: int, head_mac: bytes
) -> list[str]:
    """Problems found in the chain (empty when intact); entries ordered by storage seq."""
    problems: list[str] = []
    expected_seq = 1
    prev = GENESIS
    for entry in entries:
        if entry.seq != expected_seq:
            problems.append(f"entry {expected_seq} is missing or out of order (found {entry.seq})")
        if not hmac.compare_digest(entry.prev_mac, prev):
            problems.append(f"entry {entry.seq} does not follow the entry before it")
        computed = entry_mac(
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
        if not hmac.compare_digest(computed, entry.mac):
            problems.append(f"entry {entry.seq} was altered")
        prev = entry.mac
        expected_seq = entry.seq + 1
    if expected_seq - 1 != head_seq or not hmac.compare_digest(prev, head_mac):
        problems.append(
            f"chain ends at entry {expected_seq - 1} but the tenant head says {head_seq}"
        )
    return problems
