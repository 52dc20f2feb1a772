"""The access decision: ``decide(arrival, facts) -> Decision``, a pure function.

The pipeline resolves an arrival (:mod:`gatepost.domain.arrivals`), loads the facts it
needs in one read (:class:`Facts`), calls :func:`decide`, then stores the decision and
carries out its effects (command, presence change, alerts; :mod:`.decisions`). No I/O,
no clock: the arrival carries its time.

Rules apply in this order; the first that refuses decides the main reason (the first of
``Decision.reasons``), later reasons only annotate:

0. **Exit button**: always granted (``exit_request``), lockdown and locked doors
   included: egress is a life-safety rule.
1. **Lockdown**: everything else is denied (``lockdown``). Identity alerts (duress,
   blocked, watch list) are still raised.
2. **Identification**: the factor that triggered the arrival must resolve
   (``unknown_credential``, ``face_not_recognised``, ``unknown_plate``); a card and a face
   of different people in one arrival are refused (``factors_disagree``). A face whose
   person withdrew consent identifies nobody (``consent_withdrawn`` when it is all there
   is); a face the FPIR limit does not trust alone asks for a second factor
   (``second_factor`` / ``face_uncertain``).
3. **Block list**: a blocked person or a deny-listed plate is denied (``blocked``) with
   an alert.
4. **Credential and vehicle validity**: ``credential_revoked``, ``credential_not_yet_valid``,
   ``credential_expired``, ``vehicle_outside_validity``.
5. **Person validity**: ``person_inactive`` (suspended), ``person_outside_validity``.
6. **Consent**: a point that needs the face refuses a person who withdrew consent
   (``consent_withdrawn``); elsewhere their face is ignored and other factors decide.
7. **Factors**: a factor the point does not take is refused (``factor_not_accepted``);
   a missing one asks for it (``second_factor`` / ``second_factor_required``).
8. **Access level and schedule**: no level with this point (``no_access_level``); no
   level's schedule open now in site-local time (``outside_schedule``, or ``holiday``
   when only the holiday closed it). Plates skip this rule: the vehicle lists decide.
9. **Door mode**: a door held locked refuses (``door_locked``).
10. **First person in**: an entry into a zone waiting for its first person is refused
    unless the person is first-in privileged (``first_person_not_in``).
11. **Anti-passback**: hard refuses re-entry (``anti_passback``), soft grants and
    annotates (``anti_passback_soft``); both raise an alert.

Why this order: it is meant to read as an operator of ZKBio or HikCentral expects (the
emergency state first, then who, then the person's rights, then the door's own state,
then anti-passback). Who arrived comes first, so an event names the
person whenever it can; the block list comes before any validity check, so a blocked
person's expired card still raises the alert; the credential's own state comes before
the person's (the card in the hand is what the person can fix or replace); the person's
rights (level, schedule) come before the door's state, so a refusal at a locked door
still says whether that person may pass at all; anti-passback comes last because it
only matters for an otherwise valid pass.

A door in free passage (released, or in its scheduled unlock) is open whatever the
rules say: an arrival the rules refuse is granted with ``door_unlocked`` first, except a
blocked person or plate, whose outcome is ``alert_only`` (the door is not ours to shut).

A duress PIN follows all the rules above and adds ``duress`` and a *silent* alert; the
command is exactly the one the normal PIN would get. A watch-listed person or plate
follows the rules and adds ``watchlisted`` and an alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gatepost.domain.access_points import (
    AccessLevel,
    AccessPoint,
    DoorMode,
    PersonFacts,
    RequiredFactors,
)
from gatepost.domain.arrivals import (
    Arrival,
    ArrivalKind,
    CredentialKind,
    FaceOutcome,
    FaceResult,
    Factor,
    Identification,
    PlateList,
    PlateResult,
    RecentFactor,
    ResolvedCredential,
    identify,
)
from gatepost.domain.decisions import (
    Alert,
    AlertKind,
    Command,
    CommandKind,
    Decision,
    Effect,
    Outcome,
    PresenceChange,
    Reason,
    Severity,
    display_text,
    prompt_text,
)
from gatepost.domain.devices import Direction
from gatepost.domain.persons import PersonStatus
from gatepost.domain.schedules import ScheduleState, SiteCalendar, schedule_state
from gatepost.domain.validity import ValidityState
from gatepost.domain.zones import AntiPassbackVerdict, Presence, anti_passback_verdict

__all__ = [  # the decision, and the types its callers need, re-exported from beside it
    "AccessLevel",
    "AccessPoint",
    "Alert",
    "AlertKind",
    "Arrival",
    "ArrivalKind",
    "Command",
    "CommandKind",
    "CredentialKind",
    "Decision",
    "DoorMode",
    "Effect",
    "FaceOutcome",
    "FaceResult",
    "Facts",
    "Outcome",
    "PersonFacts",
    "PersonStatus",
    "PlateList",
    "PlateResult",
    "PresenceChange",
    "Reason",
    "RecentFactor",
    "RequiredFactors",
    "ResolvedCredential",
    "Severity",
    "decide",
]


@dataclass(frozen=True)
class Facts:
    """Everything :func:`decide` reads, loaded by the pipeline in one read.

    ``person`` is the person the arrival resolved to (None when it resolved to nobody);
    ``access_levels`` are that person's; ``presence`` is where the platform places them
    (None: unknown); ``first_in_present`` says a first-in privileged person is present in
    the zone the point leads into; ``recent_factors`` are factors presented at this
    access point a moment ago (see :func:`~gatepost.domain.arrivals.factors_to_remember`).
    """

    access_point: AccessPoint
    calendar: SiteCalendar
    person: PersonFacts | None = None
    access_levels: tuple[AccessLevel, ...] = ()
    presence: Presence | None = None
    first_in_present: bool = False
    recent_factors: tuple[RecentFactor, ...] = ()


@dataclass(frozen=True)
class _Verdict:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    alerts: tuple[Alert, ...] = ()
    prompt: str = ""  # what a second_factor outcome asks for


def decide(arrival: Arrival, facts: Facts) -> Decision:
    """Decide one arrival at one access point (rules and their order: module docstring)."""
    point = facts.access_point
    if arrival.access_point_id != point.id:
        raise ValueError("the facts are for another access point")
    if arrival.kind is ArrivalKind.EXIT_BUTTON:
        return _decision(arrival, facts, _Verdict(Outcome.GRANT, (Reason.EXIT_REQUEST,)), None)
    person = facts.person
    if person is not None and person.id != arrival.person_id:
        raise ValueError("the person facts are for another person")
    window = point.multi_factor_window
    who = identify(arrival, facts.recent_factors, window=window)
    alerts, notes = _identity_alerts(arrival, facts, who)
    if point.door_mode is DoorMode.LOCKDOWN:
        lockdown = _Verdict(Outcome.DENY, (Reason.LOCKDOWN, *notes), alerts)
        return _decision(arrival, facts, lockdown, who.person_id)
    verdict = _rules(arrival, facts, who)
    verdict = _Verdict(
        verdict.outcome,
        _unique(*verdict.reasons, *notes),
        alerts + verdict.alerts,
        verdict.prompt,
    )
    if _free_passage(arrival, facts) and verdict.outcome is not Outcome.GRANT:
        if Reason.BLOCKED in verdict.reasons:
            reasons = _unique(Reason.BLOCKED, *verdict.reasons)
            verdict = _Verdict(Outcome.ALERT_ONLY, reasons, verdict.alerts)
        else:
            reasons = _unique(Reason.DOOR_UNLOCKED, *verdict.reasons)
            verdict = _Verdict(Outcome.GRANT, reasons, verdict.alerts)
    return _decision(arrival, facts, verdict, who.person_id)


def _unique(*reasons: Reason) -> tuple[Reason, ...]:
    return tuple(dict.fromkeys(reasons))


def _identity_alerts(
    arrival: Arrival, facts: Facts, who: Identification
) -> tuple[tuple[Alert, ...], tuple[Reason, ...]]:
    """Alerts (and annotating reasons) raised by who or what arrived, whatever the outcome."""
    point_id, at = arrival.access_point_id, arrival.at
    alerts: list[Alert] = []
    notes: list[Reason] = []
    person = facts.person if who.person_id is not None else None
    plate = arrival.plate if arrival.plate is not None and arrival.plate.vehicle_id else None
    vehicle_id = plate.vehicle_id if plate is not None else None
    credential = arrival.credential
    if credential is not None and credential.duress and arrival.person_id is not None:
        notes.append(Reason.DURESS)
        alerts.append(
            Alert(AlertKind.DURESS, Severity.CRITICAL, point_id, at, arrival.person_id, silent=True)
        )
    if (person is not None and person.blocked) or (plate and plate.on_list is PlateList.DENY):
        notes.append(Reason.BLOCKED)
        alerts.append(
            Alert(AlertKind.BLOCKED, Severity.HIGH, point_id, at, who.person_id, vehicle_id)
        )
    if (person is not None and person.watchlisted) or (
        plate is not None and plate.on_list is PlateList.WATCH
    ):
        notes.append(Reason.WATCHLISTED)
        alerts.append(
            Alert(AlertKind.WATCHLIST, Severity.MEDIUM, point_id, at, who.person_id, vehicle_id)
        )
    return tuple(alerts), tuple(notes)


def _deny(reason: Reason) -> _Verdict:
    return _Verdict(Outcome.DENY, (reason,))


def _rules(arrival: Arrival, facts: Facts, who: Identification) -> _Verdict:
    """Rules 2 to 11 of the module docstring, for a controlled (not free) passage."""
    point, at = facts.access_point, arrival.at
    trigger = arrival.kind.factor
    # 2. identification
    if who.disagree:
        return _deny(Reason.FACTORS_DISAGREE)
    unresolved = _unresolved_trigger(arrival)
    if unresolved is not None:
        return _deny(unresolved)
    if who.person_id is None and trigger is not Factor.PLATE:
        if who.uncertain_face:
            prompt = prompt_text(point.required_factors.factors, uncertain_face=True)
            return _Verdict(Outcome.SECOND_FACTOR, (Reason.FACE_UNCERTAIN,), prompt=prompt)
        if who.withdrawn_face:
            return _deny(Reason.CONSENT_WITHDRAWN)
        return _deny(Reason.UNKNOWN_CREDENTIAL)
    person = facts.person if who.person_id is not None else None
    # 3. block lists
    plate = arrival.plate
    if (person is not None and person.blocked) or (
        plate is not None and plate.on_list is PlateList.DENY
    ):
        return _deny(Reason.BLOCKED)
    # 4. credential and vehicle validity
    refused = _credential_refusal(arrival)
    if refused is not None:
        return _deny(refused)
    # 5. person validity
    if who.person_id is not None:
        if person is None:
            raise ValueError("the facts lack the person the arrival resolved to")
        if person.status is not PersonStatus.ACTIVE:
            return _deny(Reason.PERSON_INACTIVE)
        if not person.validity.contains(at):
            return _deny(Reason.PERSON_OUTSIDE_VALIDITY)
    # 6. consent, 7. factors
    needed = point.required_factors.factors
    if who.withdrawn_face and Factor.FACE in needed:
        return _deny(Reason.CONSENT_WITHDRAWN)
    confirming = who.confirmed_face and trigger in {Factor.CARD, Factor.PIN}
    if needed and trigger not in needed and not confirming:
        return _deny(Reason.FACTOR_NOT_ACCEPTED)
    missing = needed - who.factors if needed else frozenset()
    if missing or not who.factors:
        reason = Reason.FACE_UNCERTAIN if who.uncertain_face else Reason.SECOND_FACTOR_REQUIRED
        prompt = prompt_text(missing, uncertain_face=who.uncertain_face)
        return _Verdict(Outcome.SECOND_FACTOR, (reason,), prompt=prompt)
    # 8. access level and schedule (plates: the vehicle lists decide)
    if trigger is not Factor.PLATE:
        refused = _level_refusal(point.id, facts.access_levels, at, facts.calendar)
        if refused is not None:
            return _deny(refused)
    # 9. door mode
    if point.door_mode is DoorMode.LOCKED:
        return _deny(Reason.DOOR_LOCKED)
    # 10. first person in
    privileged = person is not None and person.first_in_privileged
    if point.first_person_in and not facts.first_in_present and not privileged:
        if point.direction is not Direction.OUT:
            return _deny(Reason.FIRST_PERSON_NOT_IN)
    # 11. anti-passback
    if who.person_id is not None:
        verdict = anti_passback_verdict(
            point.anti_passback, facts.presence, into_zone=point.into_zone, at=at
        )
        if verdict is not AntiPassbackVerdict.CLEAR:
            hard = verdict is AntiPassbackVerdict.HARD_VIOLATION
            alert = Alert(
                AlertKind.ANTI_PASSBACK,
                Severity.MEDIUM if hard else Severity.LOW,
                point.id,
                at,
                who.person_id,
            )
            if hard:
                return _Verdict(Outcome.DENY, (Reason.ANTI_PASSBACK,), (alert,))
            return _Verdict(Outcome.GRANT, (Reason.GRANTED, Reason.ANTI_PASSBACK_SOFT), (alert,))
    return _Verdict(Outcome.GRANT, (Reason.GRANTED,))


def _unresolved_trigger(arrival: Arrival) -> Reason | None:
    """The reason when the factor that triggered the arrival matched nothing."""
    kind = arrival.kind
    if kind in {ArrivalKind.CARD, ArrivalKind.PIN, ArrivalKind.QR}:
        return Reason.UNKNOWN_CREDENTIAL if arrival.credential is None else None
    if kind is ArrivalKind.FACE:
        face = arrival.face
        if face is None or face.outcome is FaceOutcome.NO_MATCH:
            return Reason.FACE_NOT_RECOGNISED
        return None
    if arrival.plate is None or arrival.plate.vehicle_id is None:
        return Reason.UNKNOWN_PLATE
    return None


def _credential_refusal(arrival: Arrival) -> Reason | None:
    credential, plate, at = arrival.credential, arrival.plate, arrival.at
    if credential is not None:
        if credential.revoked:
            return Reason.CREDENTIAL_REVOKED
        state = credential.validity.state(at)
        if state is ValidityState.NOT_YET_VALID:
            return Reason.CREDENTIAL_NOT_YET_VALID
        if state is ValidityState.EXPIRED:
            return Reason.CREDENTIAL_EXPIRED
    if plate is not None and plate.vehicle_id is not None and not plate.validity.contains(at):
        return Reason.VEHICLE_OUTSIDE_VALIDITY
    return None


def _level_refusal(
    point_id: str, levels: tuple[AccessLevel, ...], at: datetime, calendar: SiteCalendar
) -> Reason | None:
    states = {
        schedule_state(level.schedule, at, calendar)
        for level in levels
        if point_id in level.access_point_ids
    }
    if not states:
        return Reason.NO_ACCESS_LEVEL
    if ScheduleState.OPEN in states:
        return None
    if ScheduleState.CLOSED_FOR_HOLIDAY in states:
        return Reason.HOLIDAY
    return Reason.OUTSIDE_SCHEDULE


def _free_passage(arrival: Arrival, facts: Facts) -> bool:
    """Whether the door is held open now (released, or in its scheduled unlock)."""
    point = facts.access_point
    if point.door_mode is DoorMode.RELEASED:
        return True
    if point.door_mode is not DoorMode.SCHEDULED_UNLOCK or point.unlock_schedule is None:
        return False
    if point.first_person_in and not facts.first_in_present:
        return False  # ZKBio's first-person normally open: the unlock waits for them
    state = schedule_state(point.unlock_schedule, arrival.at, facts.calendar)
    return state is ScheduleState.OPEN


def _decision(arrival: Arrival, facts: Facts, verdict: _Verdict, person_id: str | None) -> Decision:
    point = facts.access_point
    effects: list[Effect] = []
    if verdict.outcome is Outcome.GRANT:
        kind = CommandKind.RAISE_BARRIER if point.barrier else CommandKind.OPEN
        effects.append(Command(kind, point.id))
    elif verdict.outcome is Outcome.DENY:
        kind = CommandKind.KEEP_CLOSED if point.barrier else CommandKind.DENY
        effects.append(Command(kind, point.id, display_text(verdict.reasons[0], arrival.kind)))
    elif verdict.outcome is Outcome.SECOND_FACTOR:
        effects.append(Command(CommandKind.KEEP_CLOSED, point.id, verdict.prompt))
    if verdict.outcome is Outcome.GRANT and person_id is not None:
        effects.append(PresenceChange(person_id, point.out_of_zone, point.into_zone, arrival.at))
    effects.extend(verdict.alerts)
    return Decision(verdict.outcome, verdict.reasons, tuple(effects), person_id)
