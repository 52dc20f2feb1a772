"""ArrivalPipeline: one path for every arrival at a door, turnstile or barrier.

Whatever the transport (HTTPS today; the MQTT gateway calls the same methods), an
arrival goes through the same stages:

1. **authenticate**: the transport resolves the device; its principal carries its
   site and access point, so no stage reads the device row again;
2. **recognise**: a frame is read by the plate reader or the face engine (outside any
   transaction: it is the slow part); a card, PIN or QR value is resolved through its
   blind index;
3. **load the facts** in one read: the tenant's access rules and known vehicles (both
   per-tenant caches rebuilt once per change, ``services.caches``), the credential, the
   person with their levels and consent;
4. **decide**: :func:`gatepost.domain.access.decide`, a pure function;
5. **store** the decision as an access event, with its effects (the gate log's read),
   in one transaction: a car or person waiting at a device is one arrival, and a
   device's message redelivered with the same idempotency key is stored once and
   answered with the stored decision, a frame's too (:mod:`.arrival_keys`);
6. **act**: after the commit, the decision's command goes to the device through the
   :class:`~gatepost.services.commands.CommandSink`, naming the arrival's idempotency
   key (``arrival_key``) so that a device with several arrivals in flight can tell
   which one it answers.

A device bound to no access point is its own, with the default rules. A user's test
(the admin UI's "test a gate frame", a recognition test) runs stages 2-4 only and
stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from gatepost.domain.access import Facts, decide
from gatepost.domain.access_points import AccessLevel, PersonFacts
from gatepost.domain.arrivals import Arrival, ArrivalKind, CredentialKind, FaceOutcome, FaceResult
from gatepost.domain.decisions import Decision
from gatepost.domain.devices import clock_problem
from gatepost.domain.events import Event
from gatepost.domain.faces import FACE_CONSENT_PURPOSE
from gatepost.domain.plates import DEFAULT_GRAMMARS, PlateGrammar
from gatepost.domain.ports import Clock
from gatepost.errors import (
    AuthenticationFailed,
    Conflict,
    GatepostError,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.services.access_levels import AccessLevelService
from gatepost.services.arrival_keys import (
    FrameKey,
    ReusedKey,
    earlier_decision,
    frame_digest,
    recognition_data,
    stored_recognition,
    value_digest,
)
from gatepost.services.arrival_steps import ArrivalSteps
from gatepost.services.commands import CommandSink
from gatepost.services.credentials import CredentialService
from gatepost.services.plate_arrivals import (
    PlateArrival,
    deciding_result,
    gate_summary,
    match_readings,
    plate_arrival,
    reason_text,
)
from gatepost.services.plate_log import PlateLogService
from gatepost.services.recognition import Recognition, RecognitionService
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.services.vehicles import VehicleService
from gatepost.store.ids import new_id
from gatepost.vision.images import decode_rgb
from gatepost.vision.plates import PlateReader

__all__ = [
    "ArrivalPipeline",
    "Decided",
    "DeviceArrival",
    "FaceArrival",
    "FrameKey",
    "ReusedKey",
]


_CREDENTIAL_KINDS = {
    ArrivalKind.CARD: CredentialKind.CARD,
    ArrivalKind.PIN: CredentialKind.PIN,
    ArrivalKind.QR: CredentialKind.QR,
}


@dataclass(frozen=True, repr=False)
class DeviceArrival:
    """What a device reports without a frame: a card, PIN or QR value read at its
    access point, or its exit button. ``idempotency_key`` is the device's own (the same
    message delivered twice is decided and stored once); ``device_time`` its clock."""

    kind: ArrivalKind
    idempotency_key: str
    device_time: datetime
    value: str | None = None

    def __repr__(self) -> str:  # the value is a credential: never in a log
        return f"DeviceArrival(kind={self.kind.value}, key={self.idempotency_key})"


@dataclass(frozen=True)
class Decided:
    """The decision on a device's arrival and the event it is stored as.
    ``duplicate``: the device sent this message before; this is that decision, and no
    command is sent again."""

    decision: Decision
    event_id: str
    duplicate: bool = False


@dataclass(frozen=True)
class FaceArrival:
    """What a face frame gave: the recognition and, for a device, the decision and the
    event it was stored as (a user's test recognition decides and stores nothing).
    ``duplicate``: the device sent this frame before under its key; this is the stored
    decision and the recognition it was decided on, not recognised again."""

    recognition: Recognition
    decision: Decision | None = None
    event_id: str | None = None
    repeat: bool = False  # the device decided on this person a moment ago: nothing stored
    duplicate: bool = False


class ArrivalPipeline:
    def __init__(
        self,
        *,
        tx: Transactions,
        clock: Clock,
        steps: ArrivalSteps,
        vehicles: VehicleService,
        plate_log: PlateLogService,
        recognition: RecognitionService,
        credentials: CredentialService,
        access_levels: AccessLevelService,
        reader: Callable[[], PlateReader],
        max_skew: timedelta,
        max_backlog: timedelta,
        max_bytes: int,
        max_pixels: int,
    ) -> None:
        self._tx = tx
        self._clock = clock
        self._steps = steps
        self._vehicles = vehicles
        self._plate_log = plate_log
        self._recognition = recognition
        self._credentials = credentials
        self._levels = access_levels
        self._reader = reader
        self._max_skew = max_skew
        self._max_backlog = max_backlog
        self._max_bytes = max_bytes
        self._max_pixels = max_pixels

    @property
    def reader(self) -> PlateReader:
        """The plate reader (built on first use, shared by the process)."""
        return self._reader()

    @property
    def commands(self) -> CommandSink:
        return self._steps.commands

    # -- cards, PINs, QR codes and exit buttons ------------------------------------------

    def arrive(self, principal: Principal, message: DeviceArrival) -> Decided:
        """Decide a device's card, PIN, QR or exit-button arrival, store it once (by the
        device's idempotency key) and command the device. The same key with a
        different body is refused (ReusedKey): a key names one message."""
        now = self._checked(principal, message)
        with self._tx.write() as uow:
            decided = self._decide(uow, principal, message, now)
        if not decided.duplicate:
            self._steps.send(
                principal, decided.event_id, decided.decision, arrival_key=message.idempotency_key
            )
        return decided

    def arrive_together(
        self, arrivals: Sequence[tuple[Principal, DeviceArrival]]
    ) -> list[Decided | GatepostError]:
        """Decide several arrivals as :meth:`arrive` does, in one transaction (a group
        commit: what a busy gateway holds in its inbox at once), in order, each against
        the effects of those before it (a card passed back within the group meets
        anti-passback as it would one by one); then send their commands. Each arrival's
        answer is its Decided or the error :meth:`arrive` would raise for it. When the
        transaction fails (contention, an outage), each arrival is tried again alone,
        until one of them finds the database unavailable too: the rest are answered
        with that (not stored; their devices send them again)."""
        answers: list[Decided | GatepostError | None] = [None] * len(arrivals)
        ready: list[tuple[int, datetime]] = []
        for n, (principal, message) in enumerate(arrivals):
            try:
                ready.append((n, self._checked(principal, message)))
            except (ValidationFailed, AuthenticationFailed) as exc:
                answers[n] = exc
        try:
            with self._tx.write() as uow:
                for n, now in ready:
                    principal, message = arrivals[n]
                    try:
                        answers[n] = self._decide(uow, principal, message, now)
                    except ReusedKey as exc:  # raised before this arrival wrote anything
                        answers[n] = exc
        except (Conflict, ServiceUnavailable) as exc:
            outage: GatepostError | None = exc if len(ready) == 1 else None
            for n, _ in ready:  # alone, until one finds the database away too
                answer = outage or self._alone(*arrivals[n])
                if isinstance(answer, ServiceUnavailable):
                    outage = answer
                answers[n] = answer
            return [answer for answer in answers if answer is not None]
        for n, _ in ready:
            decided = answers[n]
            if isinstance(decided, Decided) and not decided.duplicate:
                principal, message = arrivals[n]
                self._steps.send(
                    principal,
                    decided.event_id,
                    decided.decision,
                    arrival_key=message.idempotency_key,
                )
        return [answer for answer in answers if answer is not None]

    def _alone(self, principal: Principal, message: DeviceArrival) -> Decided | GatepostError:
        try:
            return self.arrive(principal, message)
        except (ReusedKey, Conflict, ServiceUnavailable, ValidationFailed) as exc:
            return exc

    def _checked(self, principal: Principal, message: DeviceArrival) -> datetime:
        """The arrival's checks that need no database (the device, its clock, the kind
        and the value); the time it is decided at."""
        if principal.kind is not PrincipalKind.DEVICE:
            raise AuthenticationFailed("only devices report arrivals")
        now = self._clock.now()
        self._check_time(message.device_time, now)
        kind = message.kind
        if kind is ArrivalKind.EXIT_BUTTON:
            if message.value is not None:
                raise ValidationFailed("an exit button carries no value", field="value")
        elif kind not in _CREDENTIAL_KINDS:
            raise ValidationFailed("kind must be card, pin, qr or exit_button", field="kind")
        elif not message.value:
            raise ValidationFailed(
                "a %(kind)s arrival needs its value", field="value", params={"kind": kind.value}
            )
        return now

    def _decide(
        self, uow: UnitOfWork, principal: Principal, message: DeviceArrival, now: datetime
    ) -> Decided:
        """Load the facts, decide and store, in the caller's write transaction (so the
        facts cannot change before the decision is stored); the earlier decision when
        the device's key is stored already (ReusedKey when under another body)."""
        kind = message.kind
        tenant_id = principal.tenant_id
        digest = value_digest(uow.keys(tenant_id), kind, message.value, message.device_time)
        earlier = uow.events.by_key(
            tenant_id=tenant_id, device_id=principal.id, idempotency_key=message.idempotency_key
        )
        if earlier is not None:
            return _earlier(earlier, digest)
        where = self._steps.where(uow, principal, barrier=False)
        arrival = Arrival(kind, where.point.id, now)
        person: PersonFacts | None = None
        levels: tuple[AccessLevel, ...] = ()
        credential_id = None
        if message.value is not None:
            found = self._credentials.resolve(
                uow, tenant_id, _CREDENTIAL_KINDS[kind], message.value
            )
            if found is not None:
                credential, person_id = found
                credential_id = credential.id
                access = self._levels.person_access_in(
                    uow, tenant_id, person_id, now, rules=where.rules
                )
                if access is not None:
                    person, levels = access.facts, access.levels
                    arrival = replace(arrival, person_id=person_id, credential=credential.resolved)
        presence, first_in = self._steps.placement(uow, tenant_id, where.point, arrival.person_id)
        recent = self._steps.recent_factors(uow, tenant_id, where.point, arrival.person_id, now)
        facts = Facts(
            access_point=where.point,
            calendar=where.calendar,
            person=person,
            access_levels=levels,
            presence=presence,
            first_in_present=first_in,
            recent_factors=recent,
        )
        decision = decide(arrival, facts)
        event_id = new_id()
        stored = self._steps.add_event(
            uow,
            principal,
            event_id=event_id,
            decision=decision,
            kind=kind,
            data={"digest": digest} | ({"credential_id": credential_id} if credential_id else {}),
            idempotency_key=message.idempotency_key,
        )
        if not stored:  # the same message, stored meanwhile by another worker
            earlier = uow.events.by_key(
                tenant_id=tenant_id, device_id=principal.id, idempotency_key=message.idempotency_key
            )
            if earlier is None:  # pragma: no cover - the insert said it exists
                raise Conflict("this arrival could not be stored; send it again")
            return _earlier(earlier, digest)
        self._steps.place(uow, principal, decision, point_id=where.point.id, event_id=event_id)
        self._steps.remember_factors(uow, principal, arrival, decision, recent=recent)
        return Decided(decision, event_id)

    # -- frames under a device's idempotency key ------------------------------------------

    def _check_time(self, device_time: datetime | None, now: datetime) -> None:
        """ValidationFailed (``device_time``) when the device's clock is off or its
        message is older than the backlog the devices may replay."""
        if device_time is None:
            return
        problem = clock_problem(
            occurred_at=device_time,
            now=now,
            max_skew=self._max_skew,
            max_backlog=self._max_backlog,
        )
        if problem:
            raise ValidationFailed(
                "device_time: %(problem)s", field="device_time", params={"problem": problem}
            )

    def _frame_seen(
        self, principal: Principal, kind: ArrivalKind, frame: bytes, key: FrameKey
    ) -> tuple[str, Event | None]:
        """The frame's digest, and the event the device stored under its key, if any
        (before any recognition: a redelivery is not recognised again)."""
        self._check_time(key.device_time, self._clock.now())
        with self._tx.read() as uow:
            digest = frame_digest(uow.keys(principal.tenant_id), kind, frame, key)
            earlier = uow.events.by_key(
                tenant_id=principal.tenant_id,
                device_id=principal.id,
                idempotency_key=key.idempotency_key,
            )
        return digest, earlier

    @staticmethod
    def _stored_meanwhile(
        uow: UnitOfWork, principal: Principal, key: FrameKey | None
    ) -> Event | None:
        """Under the device's lock (frames under one device's keys are stored one at a
        time): the event stored under ``key`` since the frame was first looked up."""
        if key is None:
            return None
        uow.devices.lock(tenant_id=principal.tenant_id, device_id=principal.id)
        return uow.events.by_key(
            tenant_id=principal.tenant_id,
            device_id=principal.id,
            idempotency_key=key.idempotency_key,
        )

    # -- plates ---------------------------------------------------------------------

    def plate_frame(
        self,
        principal: Principal,
        data: bytes,
        *,
        site_id: str | None = None,
        key: FrameKey | None = None,
    ) -> PlateArrival:
        """A gate camera's frame (or a user's test frame): read, decide and, for a
        device, store and command. ``site_id``: the site whose plate formats a user's
        test frame is read with (a device always reads with its own site's). ``key``:
        the device's idempotency key (ignored for a user's test): the frame is stored
        once under it, and sent again it is answered from the stored decision
        (``duplicate``: not read again; another frame under the key is ReusedKey)."""
        device = principal.kind is PrincipalKind.DEVICE
        key = key if device else None
        digest = ""
        if key is not None:
            digest, earlier = self._frame_seen(principal, ArrivalKind.PLATE, data, key)
            if earlier is not None:
                return _earlier_plate(earlier, digest)
        image = decode_rgb(data, max_bytes=self._max_bytes, max_pixels=self._max_pixels)
        if device:
            site_id = principal.site_id
            if site_id is None:
                raise AuthenticationFailed()
        readings = self.reader.read(image, grammars=self._site_formats(principal, site_id))
        now = self._clock.now()
        with self._tx.read() as uow:
            results = match_readings(uow, self._vehicles, principal.tenant_id, readings)
            where = self._steps.where(uow, principal, barrier=True)
        deciding = deciding_result(results)
        arrival = plate_arrival(where.point.id, now, deciding)
        decision = decide(arrival, Facts(access_point=where.point, calendar=where.calendar))
        result = PlateArrival(
            results,
            decision,
            gate_summary(decision),
            reason_text(decision, plates_found=bool(readings)),
            deciding,
        )
        if not device or deciding is None:
            return result
        return self._store_plate(principal, result, data, key=key, digest=digest)

    def _site_formats(self, principal: Principal, site_id: str | None) -> tuple[PlateGrammar, ...]:
        if site_id is None:
            return DEFAULT_GRAMMARS
        with self._tx.read() as uow:
            site = uow.sites.get(tenant_id=principal.tenant_id, site_id=site_id)
        if site is None:
            raise NotFound("site")
        return site.plate_settings.grammars()

    def _store_plate(
        self,
        principal: Principal,
        arrival: PlateArrival,
        frame: bytes,
        *,
        key: FrameKey | None,
        digest: str,
    ) -> PlateArrival:
        """The decision's event and the gate log's read in one transaction, then the
        command; a repeat of this car's arrival a moment ago stores and sends nothing,
        and neither does a frame stored under its key meanwhile (answered from it)."""
        deciding = arrival.deciding
        assert deciding is not None  # noqa: S101 - checked by the caller
        vehicle = deciding.match.vehicle if deciding.match else None
        subject = f"vehicle:{vehicle.id}" if vehicle else f"plate:{deciding.reading.text}"
        prepared = self._plate_log.prepare(
            principal,
            reading=deciding.reading,
            vehicle_id=vehicle.id if vehicle else None,
            frame=frame,
        )
        event_id = new_id()
        stored = False
        try:
            with self._tx.write() as uow:
                earlier = self._stored_meanwhile(uow, principal, key)
                if earlier is not None:
                    return _earlier_plate(earlier, digest)
                if self._steps.is_repeat(uow, principal, subject, arrival.decision):
                    return replace(arrival, repeat=True)
                if not self._steps.add_event(
                    uow,
                    principal,
                    event_id=event_id,
                    decision=arrival.decision,
                    kind=ArrivalKind.PLATE,
                    data=({"vehicle_id": vehicle.id} if vehicle else {})
                    | ({"digest": digest} if key is not None else {}),
                    idempotency_key=key.idempotency_key if key is not None else None,
                ):
                    raise ReusedKey()  # a card, PIN or QR arrival took the key meanwhile
                if prepared is not None:
                    self._plate_log.add(uow, prepared, decision=arrival.gate)
            stored = True
        finally:
            if prepared is not None and not stored:
                self._plate_log.discard(prepared)
        self._steps.send(
            principal,
            event_id,
            arrival.decision,
            arrival_key=key.idempotency_key if key is not None else None,
        )
        read_id = prepared.id if prepared is not None else None
        return replace(arrival, event_id=event_id, read_id=read_id)

    # -- faces ----------------------------------------------------------------------

    def face_frame(
        self,
        principal: Principal,
        data: bytes,
        *,
        site_id: str | None = None,
        key: FrameKey | None = None,
    ) -> FaceArrival:
        """A door camera's frame (or a user's test frame): identify, and for a device
        decide, store and command (a frame without a usable face decides nothing, as a
        frame without a plate does not). A face alone opens only what the rules allow:
        the face policy's FPIR limit asks for a second factor, and a person whose face
        consent is not current is never let in by face. ``key``: the device's
        idempotency key, as for :meth:`plate_frame`."""
        key = key if principal.kind is PrincipalKind.DEVICE else None
        digest = ""
        if key is not None:
            digest, earlier = self._frame_seen(principal, ArrivalKind.FACE, data, key)
            if earlier is not None:
                return _earlier_face(earlier, digest)
        recognition = self._recognition.identify(principal, data, site_id=site_id)
        if principal.kind is not PrincipalKind.DEVICE or recognition.face is None:
            return FaceArrival(recognition)  # a frame with nobody in it is no arrival
        now = self._clock.now()
        person_id = recognition.person_id
        if recognition.decision.outcome is FaceOutcome.SECOND_FACTOR and recognition.candidates:
            person_id = recognition.candidates[0].person_id
        tenant_id = principal.tenant_id
        with self._tx.read() as uow:
            where = self._steps.where(uow, principal, barrier=False)
            access = (
                self._levels.person_access_in(uow, tenant_id, person_id, now, rules=where.rules)
                if person_id is not None
                else None
            )
            consent = access is not None and (
                uow.persons.current_consent(
                    tenant_id=tenant_id, person_id=access.facts.id, purpose=FACE_CONSENT_PURPOSE
                )
                is not None
            )
            presence, first_in = self._steps.placement(
                uow, tenant_id, where.point, access.facts.id if access else None
            )
            recent = self._steps.recent_factors(
                uow, tenant_id, where.point, access.facts.id if access else None, now
            )
        if access is None:  # no match, or erased since the gallery was loaded
            person_id = None
        face = FaceResult(
            outcome=recognition.decision.outcome if person_id else FaceOutcome.NO_MATCH,
            person_id=person_id,
            consent_withdrawn=person_id is not None and not consent,
        )
        arrival = Arrival(ArrivalKind.FACE, where.point.id, now, person_id=person_id, face=face)
        person: PersonFacts | None = access.facts if access else None
        facts = Facts(
            access_point=where.point,
            calendar=where.calendar,
            person=person,
            access_levels=access.levels if access else (),
            presence=presence,
            first_in_present=first_in,
            recent_factors=recent,
        )
        decision = decide(arrival, facts)
        event_id = new_id()
        subject = f"person:{person_id}" if person_id else "face:unknown"
        keyed = ({"digest": digest} | recognition_data(recognition)) if key is not None else {}
        with self._tx.write() as uow:
            earlier = self._stored_meanwhile(uow, principal, key)
            if earlier is not None:
                return _earlier_face(earlier, digest)
            if self._steps.is_repeat(uow, principal, subject, decision):
                return FaceArrival(recognition, decision, repeat=True)
            if not self._steps.add_event(
                uow,
                principal,
                event_id=event_id,
                decision=decision,
                kind=ArrivalKind.FACE,
                data=keyed,
                idempotency_key=key.idempotency_key if key is not None else None,
            ):
                raise ReusedKey()  # a card, PIN or QR arrival took the key meanwhile
            self._steps.place(uow, principal, decision, point_id=where.point.id, event_id=event_id)
            self._steps.remember_factors(uow, principal, arrival, decision, recent=recent)
        self._steps.send(
            principal,
            event_id,
            decision,
            arrival_key=key.idempotency_key if key is not None else None,
        )
        return FaceArrival(recognition, decision, event_id)


def _earlier(event: Event, digest: str) -> Decided:
    """The decision stored for a message the device sent before (same key); the
    transport answers it again (the gateway re-sends its command, same id)."""
    return Decided(earlier_decision(event, digest), event.id, duplicate=True)


def _earlier_plate(event: Event, digest: str) -> PlateArrival:
    """A plate frame the device sent before under its key: the stored decision (the
    frame is not read again, so no plates are listed)."""
    decision = earlier_decision(event, digest)
    return PlateArrival(
        [],
        decision,
        gate_summary(decision),
        reason_text(decision, plates_found=True),
        event_id=event.id,
        duplicate=True,
    )


def _earlier_face(event: Event, digest: str) -> FaceArrival:
    """A face frame the device sent before under its key: the stored decision and the
    recognition it was decided on (not recognised again)."""
    decision = earlier_decision(event, digest)
    return FaceArrival(stored_recognition(event), decision, event.id, duplicate=True)
