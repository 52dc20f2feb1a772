"""A simulated device over HTTPS: arrivals posted with the device's bearer credential.

:class:`HttpsDevice` sends card, PIN, QR and exit-button arrivals as ``POST
/api/v1/device/arrivals`` (the response is the decision) and face and plate frames to
``POST /api/v1/faces/identify`` and ``/api/v1/plates/read`` (the key in the
``Idempotency-Key`` header), over a caller's ``httpx.AsyncClient``. When the server
cannot be reached (no connection, a timeout, a connection dropped mid-request, or
429/500/502/503/504) an arrival, a frame as well, is kept in the device's
:class:`~gatepost.simulator.backlog.Backlog` with its idempotency key (and
``device_time``) and sent again, in order, by :meth:`HttpsDevice.flush` (and before any
later arrival): the server answers a key it stored already with that decision
(``duplicate``). The caller owns the client and decides when to flush.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx

from gatepost.simulator.backlog import Backlog, Pending
from gatepost.simulator.door import Door, Role
from gatepost.simulator.messages import Arrival, DeviceIdentity, DeviceStats, Report, rfc3339

__all__ = ["HttpsDevice"]

_RETRY_STATUS: Final = frozenset({429, 500, 502, 503, 504})
_UNREACHABLE: Final = "unreachable"


class HttpsDevice:
    """One simulated device over HTTPS (see the module doc). Its coroutines run on one
    event loop; several sends may run at once (a load generator does)."""

    PATH: Final = "/api/v1/device/arrivals"
    FRAME_PATHS: Final = {"face": "/api/v1/faces/identify", "plate": "/api/v1/plates/read"}

    def __init__(
        self,
        identity: DeviceIdentity,
        client: httpx.AsyncClient,
        *,
        key_prefix: str | None = None,
        capacity: int = 10_000,
        max_backlog: timedelta = timedelta(days=14),
        role: Role = Role.DOOR,
        on_report: Callable[[Report], None] | None = None,
    ) -> None:
        if not identity.credential:
            raise ValueError("an HTTPS device needs its bearer credential")
        self.identity = identity
        self.stats = DeviceStats()
        self.door = Door(role)
        self._client = client
        self._headers = {"Authorization": f"Bearer {identity.credential}"}
        self._prefix = key_prefix or f"sim{time.time_ns():x}"
        self._numbers = itertools.count(1)
        self._seen: set[str] = set()
        self._backlog = Backlog(capacity)
        self._max_backlog = max_backlog
        self._flushing = asyncio.Lock()
        self._on_report = on_report

    @property
    def waiting(self) -> int:
        """Arrivals kept until the server can be reached."""
        return len(self._backlog)

    def _report(self, report: Report) -> None:
        if self._on_report is not None:
            self._on_report(report)

    async def send(self, arrival: Arrival, *, scheduled: float | None = None) -> dict[str, Any]:
        """Post ``arrival`` with a fresh key; the decision's JSON ({} when it was refused,
        failed, or kept for later because the server could not be reached)."""
        now = time.perf_counter()
        start = now if scheduled is None else scheduled
        self.stats.sent += 1
        self.stats.max_lag_ms = max(self.stats.max_lag_ms, (now - start) * 1000)
        key = f"{self._prefix}-{next(self._numbers)}"
        moment = datetime.now(UTC)
        if arrival.frame is not None:  # the frame's bytes, posted as a file
            pending = Pending(key, arrival.kind, arrival.frame, moment, start)
        else:
            body = {
                "kind": arrival.kind,
                "value": arrival.value,
                "idempotency_key": key,
                "device_time": rfc3339(moment),
            }
            pending = Pending(key, arrival.kind, json.dumps(body).encode(), moment, start)
        if len(self._backlog):  # arrivals kept earlier go first
            self._keep(pending)
            delivered = {p.key: d for p, d in await self.flush()}
            return delivered.get(key, {})
        pending.sends += 1
        decision = await self._post(pending)
        if decision is _UNREACHABLE:
            self._keep(pending)
            return {}
        return decision if isinstance(decision, dict) else {}

    def _keep(self, pending: Pending) -> None:
        dropped = self._backlog.add(pending)
        self.stats.buffered += 1
        if dropped is not None:
            self.stats.dropped += 1
            self._report(Report("dropped", key=dropped.key, arrival=dropped.kind))
        self._report(Report("buffered", key=pending.key, arrival=pending.kind))

    async def flush(self) -> list[tuple[Pending, dict[str, Any]]]:
        """Send the kept arrivals again, oldest first, until the server cannot be
        reached; each one delivered (answered or refused) with its decision ({} if
        refused)."""
        delivered: list[tuple[Pending, dict[str, Any]]] = []
        async with self._flushing:
            for old in self._backlog.expire(datetime.now(UTC) - self._max_backlog):
                self.stats.expired += 1
                self._report(Report("expired", key=old.key, arrival=old.kind))
            while (pending := self._backlog.head()) is not None:
                pending.sends += 1
                decision = await self._post(pending, replay=True)
                if decision is _UNREACHABLE:
                    break
                self._backlog.remove(pending.key)
                delivered.append((pending, decision if isinstance(decision, dict) else {}))
        return delivered

    async def _request(self, pending: Pending) -> httpx.Response:
        if pending.kind in self.FRAME_PATHS:
            files = {"file": (f"{pending.kind}.jpg", pending.payload, "image/jpeg")}
            headers = self._headers | {"Idempotency-Key": pending.key}
            return await self._client.post(
                self.FRAME_PATHS[pending.kind], files=files, headers=headers
            )
        headers = self._headers | {"Content-Type": "application/json"}
        return await self._client.post(self.PATH, content=pending.payload, headers=headers)

    async def _post(self, pending: Pending, *, replay: bool = False) -> dict[str, Any] | str | None:
        """The response's JSON; None when refused; ``_UNREACHABLE`` when it must be sent
        again."""
        try:
            response = await self._request(pending)
        except httpx.HTTPError:
            self.stats.failed += 1
            return _UNREACHABLE
        if response.status_code in _RETRY_STATUS:
            self.stats.failed += 1
            return _UNREACHABLE
        if replay:
            self.stats.replayed += 1
            self._report(Report("replayed", key=pending.key, arrival=pending.kind))
        done = time.perf_counter()
        if response.status_code != 200:
            reason = "reused_key" if response.status_code == 409 else str(response.status_code)
            self.stats.refused[reason] += 1
            self._report(
                Report(
                    "refused",
                    key=pending.key,
                    arrival=pending.kind,
                    reason=reason,
                    detail=_detail(response),
                )
            )
            return None
        result: dict[str, Any] = response.json()
        decision = _decision(pending.kind, result)
        event_id = decision.get("event_id")
        latency = (done - pending.start) * 1000
        first = event_id is None or event_id not in self._seen
        if first:
            if event_id is not None:
                self._seen.add(event_id)
            self.stats.answered += 1
            self.stats.latencies_ms.append(latency)
        else:
            self.stats.duplicate_commands += 1
        command = decision.get("command") or {}
        action = self.door.obey(
            {"kind": command.get("kind", ""), "display": command.get("display", "")},
            answering=pending.kind,
            now=datetime.now(UTC),
        )
        self._report(
            Report(
                "decision",
                key=pending.key,
                arrival=pending.kind,
                command=command.get("kind") or decision.get("outcome") or "no_decision",
                command_id=event_id,
                display=command.get("display", ""),
                action=action.text if command else _NOTHING.get(pending.kind),
                latency_ms=latency,
                duplicate=bool(decision.get("duplicate")) or not first,
            )
        )
        return result


_NOTHING: Final = {
    "face": "no face found: nothing decided",
    "plate": "no plate found: nothing decided",
}


def _decision(kind: str, result: dict[str, Any]) -> dict[str, Any]:
    """The decision in the arrivals route's shape (outcome, reasons, command, event_id,
    duplicate): a frame's answer says the outcome, and the device opens on a grant. A
    frame that decided nothing (no face, no plate in it) gives no command: {}."""
    if kind == "face":
        access = result.get("access")
    elif kind == "plate":
        access = result if result.get("plates") or result.get("duplicate") else None
    else:
        return result
    if not isinstance(access, dict):
        return {}
    outcome = str(access.get("outcome", ""))
    reasons = [str(r) for r in access.get("reasons") or ()]
    command = {"kind": "open" if outcome == "grant" else "deny", "display": ", ".join(reasons)}
    return {
        "outcome": outcome,
        "reasons": reasons,
        "event_id": access.get("event_id"),
        "duplicate": bool(access.get("duplicate")),
        "command": command,
    }


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("message") or body)[:300]
    return str(body)[:300]
