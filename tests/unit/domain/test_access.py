"""The access decision: one table row per reason, the multi-factor steps, and properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gatepost.domain import access, access_points, arrivals, decisions, validity
from gatepost.domain.access import (
    AccessLevel,
    AccessPoint,
    Alert,
    AlertKind,
    Arrival,
    ArrivalKind,
    Command,
    CommandKind,
    CredentialKind,
    Decision,
    DoorMode,
    FaceOutcome,
    FaceResult,
    Facts,
    Outcome,
    PersonFacts,
    PlateList,
    PlateResult,
    PresenceChange,
    Reason,
    RecentFactor,
    RequiredFactors,
    ResolvedCredential,
    Severity,
    decide,
)
from gatepost.domain.arrivals import Factor, factors_to_remember
from gatepost.domain.devices import Direction
from gatepost.domain.persons import PersonStatus
from gatepost.domain.schedules import SiteCalendar, WeeklySchedule
from gatepost.domain.validity import ValidityState, ValidityWindow
from gatepost.domain.zones import AntiPassback, AntiPassbackMode, Presence
from gatepost.errors import ValidationFailed

SHANGHAI = ZoneInfo("Asia/Shanghai")
MON_10 = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)  # server time
MON_20 = MON_10 + timedelta(hours=10)
TUE_10 = MON_10 + timedelta(days=1)
CALENDAR = SiteCalendar(SHANGHAI)
HOLIDAY_TUESDAY = SiteCalendar(SHANGHAI, frozenset({date(2026, 3, 3)}))
OFFICE_HOURS = WeeklySchedule.from_mapping(
    "office", {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
)
DOOR = AccessPoint("door-1", into_zone="lobby")
STAFF = AccessLevel("staff", frozenset({"door-1", "door-2"}), OFFICE_HOURS)
ALICE = PersonFacts("alice")
CARD = ResolvedCredential(CredentialKind.CARD)
PIN = ResolvedCredential(CredentialKind.PIN)
DURESS_PIN = ResolvedCredential(CredentialKind.PIN, duress=True)
PAST = ValidityWindow(MON_10 - timedelta(days=30), MON_10 - timedelta(days=1))
FUTURE = ValidityWindow(MON_10 + timedelta(days=1))
ALICE_FACE = FaceResult(FaceOutcome.MATCH, "alice")
UNCERTAIN_FACE = FaceResult(FaceOutcome.SECOND_FACTOR, "alice")
WITHDRAWN_FACE = FaceResult(FaceOutcome.MATCH, "alice", consent_withdrawn=True)
CAR = PlateResult("car-1")


def card(**changes: Any) -> Arrival:
    base = Arrival(ArrivalKind.CARD, "door-1", MON_10, person_id="alice", credential=CARD)
    return replace(base, **changes)


def pin(**changes: Any) -> Arrival:
    return card(**{"kind": ArrivalKind.PIN, "credential": PIN, **changes})


def face(result: FaceResult = ALICE_FACE, **changes: Any) -> Arrival:
    return card(**{"kind": ArrivalKind.FACE, "credential": None, "face": result, **changes})


def plate(result: PlateResult = CAR, **changes: Any) -> Arrival:
    base = {"kind": ArrivalKind.PLATE, "credential": None, "person_id": None, "plate": result}
    return card(**{**base, **changes})


def facts(**changes: Any) -> Facts:
    return replace(Facts(DOOR, CALENDAR, ALICE, (STAFF,)), **changes)


def at(**changes: Any) -> Facts:
    """Facts at a door changed by ``changes``."""
    return facts(access_point=replace(DOOR, **changes))


def person(**changes: Any) -> Facts:
    return facts(person=replace(ALICE, **changes))


LOCKDOWN = at(door_mode=DoorMode.LOCKDOWN)
RELEASED = at(door_mode=DoorMode.RELEASED)
HARD_APB = facts(
    access_point=replace(DOOR, anti_passback=AntiPassback(AntiPassbackMode.HARD)),
    presence=Presence("lobby", MON_10 - timedelta(hours=1)),
)
SOFT_APB = replace(
    HARD_APB, access_point=replace(DOOR, anti_passback=AntiPassback(AntiPassbackMode.SOFT))
)
NO_PERSON = facts(person=None)


def test_all_is_sorted_and_complete() -> None:
    for module in (access, access_points, arrivals, decisions, validity):
        assert module.__all__ == sorted(module.__all__), module.__name__
        assert all(hasattr(module, name) for name in module.__all__), module.__name__


TABLE: list[tuple[str, Arrival, Facts, Outcome, tuple[Reason, ...]]] = [
    ("granted", card(), facts(), Outcome.GRANT, (Reason.GRANTED,)),
    ("granted by pin", pin(), facts(), Outcome.GRANT, (Reason.GRANTED,)),
    ("granted by qr", card(kind=ArrivalKind.QR), facts(), Outcome.GRANT, (Reason.GRANTED,)),
    ("granted by face", face(), facts(), Outcome.GRANT, (Reason.GRANTED,)),
    ("granted by plate", plate(), NO_PERSON, Outcome.GRANT, (Reason.GRANTED,)),
    (
        "exit button in lockdown",
        Arrival(ArrivalKind.EXIT_BUTTON, "door-1", MON_20),
        LOCKDOWN,
        Outcome.GRANT,
        (Reason.EXIT_REQUEST,),
    ),
    (
        "released door opens for a stranger",
        card(person_id=None, credential=None),
        replace(RELEASED, person=None),
        Outcome.GRANT,
        (Reason.DOOR_UNLOCKED, Reason.UNKNOWN_CREDENTIAL),
    ),
    ("lockdown", card(), LOCKDOWN, Outcome.DENY, (Reason.LOCKDOWN,)),
    (
        "unknown credential",
        card(person_id=None, credential=None),
        NO_PERSON,
        Outcome.DENY,
        (Reason.UNKNOWN_CREDENTIAL,),
    ),
    (
        "face not recognised",
        face(FaceResult(FaceOutcome.NO_MATCH), person_id=None),
        NO_PERSON,
        Outcome.DENY,
        (Reason.FACE_NOT_RECOGNISED,),
    ),
    ("unknown plate", plate(PlateResult()), NO_PERSON, Outcome.DENY, (Reason.UNKNOWN_PLATE,)),
    (
        "card and face of two people",
        card(face=FaceResult(FaceOutcome.MATCH, "bob")),
        facts(),
        Outcome.DENY,
        (Reason.FACTORS_DISAGREE,),
    ),
    (
        "face uncertain (FPIR)",
        face(UNCERTAIN_FACE),
        facts(),
        Outcome.SECOND_FACTOR,
        (Reason.FACE_UNCERTAIN,),
    ),
    ("blocked person", card(), person(blocked=True), Outcome.DENY, (Reason.BLOCKED,)),
    (
        "blocked plate",
        plate(PlateResult("car-1", PlateList.DENY)),
        NO_PERSON,
        Outcome.DENY,
        (Reason.BLOCKED,),
    ),
    (
        "blocked beats an expired card",
        card(credential=replace(CARD, validity=PAST)),
        person(blocked=True),
        Outcome.DENY,
        (Reason.BLOCKED,),
    ),
    (
        "credential revoked",
        card(credential=replace(CARD, revoked=True)),
        facts(),
        Outcome.DENY,
        (Reason.CREDENTIAL_REVOKED,),
    ),
    (
        "credential not yet valid",
        card(credential=replace(CARD, validity=FUTURE)),
        facts(),
        Outcome.DENY,
        (Reason.CREDENTIAL_NOT_YET_VALID,),
    ),
    (
        "credential expired",
        card(credential=replace(CARD, validity=PAST)),
        facts(),
        Outcome.DENY,
        (Reason.CREDENTIAL_EXPIRED,),
    ),
    (
        "vehicle outside validity",
        plate(PlateResult("car-1", validity=PAST)),
        NO_PERSON,
        Outcome.DENY,
        (Reason.VEHICLE_OUTSIDE_VALIDITY,),
    ),
    (
        "person suspended",
        card(),
        person(status=PersonStatus.SUSPENDED),
        Outcome.DENY,
        (Reason.PERSON_INACTIVE,),
    ),
    (
        "person outside validity",
        card(),
        person(validity=PAST),
        Outcome.DENY,
        (Reason.PERSON_OUTSIDE_VALIDITY,),
    ),
    ("consent withdrawn", face(WITHDRAWN_FACE), facts(), Outcome.DENY, (Reason.CONSENT_WITHDRAWN,)),
    (
        "consent withdrawn at a face-and-card point",
        card(face=WITHDRAWN_FACE),
        at(required_factors=RequiredFactors.FACE_AND_CARD),
        Outcome.DENY,
        (Reason.CONSENT_WITHDRAWN,),
    ),
    (
        "consent withdrawn: the card alone decides elsewhere",
        card(face=WITHDRAWN_FACE),
        facts(),
        Outcome.GRANT,
        (Reason.GRANTED,),
    ),
    (
        "face at a card-only point",
        face(),
        at(required_factors=RequiredFactors.CARD_ONLY),
        Outcome.DENY,
        (Reason.FACTOR_NOT_ACCEPTED,),
    ),
    (
        "card at a face-and-card point",
        card(),
        at(required_factors=RequiredFactors.FACE_AND_CARD),
        Outcome.SECOND_FACTOR,
        (Reason.SECOND_FACTOR_REQUIRED,),
    ),
    (
        "card and face together",
        card(face=ALICE_FACE),
        at(required_factors=RequiredFactors.FACE_AND_CARD),
        Outcome.GRANT,
        (Reason.GRANTED,),
    ),
    ("no access level", card(), facts(access_levels=()), Outcome.DENY, (Reason.NO_ACCESS_LEVEL,)),
    (
        "a level for other doors only",
        card(),
        facts(access_levels=(replace(STAFF, access_point_ids=frozenset({"door-9"})),)),
        Outcome.DENY,
        (Reason.NO_ACCESS_LEVEL,),
    ),
    ("outside schedule", card(at=MON_20), facts(), Outcome.DENY, (Reason.OUTSIDE_SCHEDULE,)),
    (
        "holiday",
        card(at=TUE_10),
        facts(calendar=HOLIDAY_TUESDAY),
        Outcome.DENY,
        (Reason.HOLIDAY,),
    ),
    (
        "the schedule is read in site-local time",
        card(at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC)),  # 09:00 in Shanghai
        facts(),
        Outcome.GRANT,
        (Reason.GRANTED,),
    ),
    (
        "door locked",
        card(),
        at(door_mode=DoorMode.LOCKED),
        Outcome.DENY,
        (Reason.DOOR_LOCKED,),
    ),
    (
        "first person not in",
        card(),
        at(first_person_in=True),
        Outcome.DENY,
        (Reason.FIRST_PERSON_NOT_IN,),
    ),
    (
        "first-in privileged person",
        card(),
        replace(at(first_person_in=True), person=replace(ALICE, first_in_privileged=True)),
        Outcome.GRANT,
        (Reason.GRANTED,),
    ),
    (
        "first person already in",
        card(),
        replace(at(first_person_in=True), first_in_present=True),
        Outcome.GRANT,
        (Reason.GRANTED,),
    ),
    (
        "leaving a zone waiting for its first person",
        card(),
        at(first_person_in=True, direction=Direction.OUT, into_zone=None, out_of_zone="lobby"),
        Outcome.GRANT,
        (Reason.GRANTED,),
    ),
    ("anti-passback", card(), HARD_APB, Outcome.DENY, (Reason.ANTI_PASSBACK,)),
    (
        "anti-passback soft",
        card(),
        SOFT_APB,
        Outcome.GRANT,
        (Reason.GRANTED, Reason.ANTI_PASSBACK_SOFT),
    ),
    (
        "duress",
        card(kind=ArrivalKind.PIN, credential=DURESS_PIN),
        facts(),
        Outcome.GRANT,
        (Reason.GRANTED, Reason.DURESS),
    ),
    (
        "duress outside schedule",
        card(kind=ArrivalKind.PIN, credential=DURESS_PIN, at=MON_20),
        facts(),
        Outcome.DENY,
        (Reason.OUTSIDE_SCHEDULE, Reason.DURESS),
    ),
    (
        "watch-listed person",
        card(),
        person(watchlisted=True),
        Outcome.GRANT,
        (Reason.GRANTED, Reason.WATCHLISTED),
    ),
    (
        "watch-listed plate",
        plate(PlateResult("car-1", PlateList.WATCH)),
        NO_PERSON,
        Outcome.GRANT,
        (Reason.GRANTED, Reason.WATCHLISTED),
    ),
    (
        "blocked person at a released door",
        card(),
        replace(RELEASED, person=replace(ALICE, blocked=True)),
        Outcome.ALERT_ONLY,
        (Reason.BLOCKED,),
    ),
    (
        "lockdown still flags the blocked",
        card(),
        replace(LOCKDOWN, person=replace(ALICE, blocked=True)),
        Outcome.DENY,
        (Reason.LOCKDOWN, Reason.BLOCKED),
    ),
]


@pytest.mark.parametrize(
    ("arrival", "known", "outcome", "reasons"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_rules(
    arrival: Arrival, known: Facts, outcome: Outcome, reasons: tuple[Reason, ...]
) -> None:
    decision = decide(arrival, known)
    assert (decision.outcome, decision.reasons) == (outcome, reasons)


def test_every_reason_has_a_row() -> None:
    covered = {reason for row in TABLE for reason in row[4]}
    assert covered == set(Reason)


def test_a_grant_opens_and_moves_the_person() -> None:
    decision = decide(card(), facts())
    assert decision.effects == (
        Command(CommandKind.OPEN, "door-1"),
        PresenceChange("alice", None, "lobby", MON_10),
    )
    assert decision.person_id == "alice"
    assert decision.reason is Reason.GRANTED


def test_a_denial_shows_a_short_text_and_moves_nobody() -> None:
    decision = decide(card(credential=replace(CARD, validity=PAST)), facts())
    assert decision.command == Command(CommandKind.DENY, "door-1", "Card expired")
    assert decision.presence_changes == ()
    assert decide(pin(credential=replace(PIN, validity=PAST)), facts()).command == Command(
        CommandKind.DENY, "door-1", "PIN expired"
    )


def test_a_barrier_is_raised_or_kept_closed() -> None:
    gate = at(barrier=True)
    assert decide(plate(), replace(gate, person=None)).command == Command(
        CommandKind.RAISE_BARRIER, "door-1"
    )
    refused = decide(plate(PlateResult()), replace(gate, person=None)).command
    assert refused == Command(CommandKind.KEEP_CLOSED, "door-1", "Vehicle not recognised")


def test_a_blocked_person_reads_what_a_suspended_one_reads() -> None:
    blocked = decide(card(), person(blocked=True))
    suspended = decide(card(), person(status=PersonStatus.SUSPENDED))
    assert blocked.command == suspended.command
    assert blocked.alerts == (
        Alert(AlertKind.BLOCKED, Severity.HIGH, "door-1", MON_10, "alice", None),
    )
    assert suspended.alerts == ()


def test_a_duress_pin_opens_exactly_like_the_pin_and_alerts_silently() -> None:
    for known in (facts(), at(door_mode=DoorMode.LOCKED), facts(access_levels=())):
        normal = decide(pin(), known)
        duress = decide(pin(credential=DURESS_PIN), known)
        assert duress.outcome is normal.outcome
        assert duress.command == normal.command
        assert duress.presence_changes == normal.presence_changes
        (alert,) = duress.alerts
        assert (alert.kind, alert.severity, alert.silent) == (
            AlertKind.DURESS,
            Severity.CRITICAL,
            True,
        )


def test_alerts_for_watch_list_and_anti_passback() -> None:
    watched = decide(plate(PlateResult("car-1", PlateList.WATCH)), NO_PERSON)
    assert [(a.kind, a.vehicle_id, a.silent) for a in watched.alerts] == [
        (AlertKind.WATCHLIST, "car-1", False)
    ]
    hard = decide(card(), HARD_APB)
    assert [(a.kind, a.severity) for a in hard.alerts] == [
        (AlertKind.ANTI_PASSBACK, Severity.MEDIUM)
    ]
    assert hard.command == Command(CommandKind.DENY, "door-1", "Already inside")
    soft = decide(card(), SOFT_APB)
    assert [(a.kind, a.severity) for a in soft.alerts] == [(AlertKind.ANTI_PASSBACK, Severity.LOW)]
    assert soft.presence_changes


def test_anti_passback_timed_reset() -> None:
    rule = AntiPassback(AntiPassbackMode.HARD, reset_after=timedelta(hours=8))
    known = replace(HARD_APB, access_point=replace(DOOR, anti_passback=rule))
    assert decide(card(), known).outcome is Outcome.DENY
    stale = replace(known, presence=Presence("lobby", MON_10 - timedelta(hours=9)))
    assert decide(card(), stale).outcome is Outcome.GRANT


def test_two_step_card_then_face() -> None:
    point = at(required_factors=RequiredFactors.FACE_AND_CARD)
    first = decide(card(), point)
    assert first.outcome is Outcome.SECOND_FACTOR
    assert first.command == Command(CommandKind.KEEP_CLOSED, "door-1", "Look at the camera")
    assert first.presence_changes == ()
    remembered = factors_to_remember(card())
    assert remembered == (RecentFactor("alice", Factor.CARD, MON_10),)
    later = MON_10 + timedelta(seconds=4)
    second = decide(face(at=later), replace(point, recent_factors=remembered))
    assert (second.outcome, second.reason) == (Outcome.GRANT, Reason.GRANTED)
    too_late = decide(
        face(at=MON_10 + timedelta(seconds=11)), replace(point, recent_factors=remembered)
    )
    assert too_late.outcome is Outcome.SECOND_FACTOR
    bobs = (RecentFactor("bob", Factor.CARD, MON_10),)
    assert decide(face(at=later), replace(point, recent_factors=bobs)).outcome is (
        Outcome.SECOND_FACTOR
    )


def test_face_and_pin_asks_for_the_pin() -> None:
    point = at(required_factors=RequiredFactors.FACE_AND_PIN)
    assert decide(face(), point).command == Command(CommandKind.KEEP_CLOSED, "door-1", "Enter PIN")
    recent = (RecentFactor("alice", Factor.FACE, MON_10),)
    later = MON_10 + timedelta(seconds=3)
    assert decide(pin(at=later), replace(point, recent_factors=recent)).outcome is Outcome.GRANT
    assert decide(card(), point).reason is Reason.FACTOR_NOT_ACCEPTED


def test_an_uncertain_face_is_confirmed_by_a_card() -> None:
    asked = decide(face(UNCERTAIN_FACE), facts())
    assert asked.command == Command(CommandKind.KEEP_CLOSED, "door-1", "Present card or PIN")
    assert asked.person_id is None  # nobody is confirmed yet
    # at a face-only point the card confirms the face
    point = at(required_factors=RequiredFactors.FACE_ONLY)
    assert decide(face(UNCERTAIN_FACE), point).reason is Reason.FACE_UNCERTAIN
    remembered = factors_to_remember(face(UNCERTAIN_FACE))
    assert remembered == (RecentFactor("alice", Factor.FACE, MON_10, uncertain=True),)
    later = MON_10 + timedelta(seconds=5)
    confirmed = decide(card(at=later), replace(point, recent_factors=remembered))
    assert (confirmed.outcome, confirmed.reason) == (Outcome.GRANT, Reason.GRANTED)
    # without the uncertain face, a card is not what a face-only point takes
    assert decide(card(at=later), point).reason is Reason.FACTOR_NOT_ACCEPTED
    # two uncertain faces never add up to a certain one
    again = decide(face(UNCERTAIN_FACE, at=later), replace(point, recent_factors=remembered))
    assert again.outcome is Outcome.SECOND_FACTOR
    # card and uncertain face in one arrival
    together = decide(card(face=UNCERTAIN_FACE), at(required_factors=RequiredFactors.FACE_AND_CARD))
    assert together.outcome is Outcome.GRANT


def test_a_withdrawn_consent_never_counts_recently_either() -> None:
    recent_card = (RecentFactor("alice", Factor.CARD, MON_10),)
    later = MON_10 + timedelta(seconds=2)
    decision = decide(face(WITHDRAWN_FACE, at=later), facts(recent_factors=recent_card))
    assert decision.reason is Reason.CONSENT_WITHDRAWN
    recent_face = (RecentFactor("alice", Factor.FACE, MON_10),)
    point = at(required_factors=RequiredFactors.FACE_AND_CARD)
    withdrawn_now = decide(
        card(at=later, face=WITHDRAWN_FACE), replace(point, recent_factors=recent_face)
    )
    assert withdrawn_now.reason is Reason.CONSENT_WITHDRAWN
    assert factors_to_remember(face(WITHDRAWN_FACE)) == ()
    assert factors_to_remember(card(credential=replace(CARD, revoked=True))) == ()


def test_a_withdrawn_face_raises_no_alert_about_its_person() -> None:
    decision = decide(face(WITHDRAWN_FACE), person(blocked=True, watchlisted=True))
    assert decision.alerts == ()
    assert decision.reasons == (Reason.CONSENT_WITHDRAWN,)


def test_scheduled_unlock() -> None:
    point = at(door_mode=DoorMode.SCHEDULED_UNLOCK, unlock_schedule=OFFICE_HOURS)
    stranger = card(person_id=None, credential=None)
    opened = decide(stranger, replace(point, person=None))
    assert (opened.outcome, opened.reasons[0]) == (Outcome.GRANT, Reason.DOOR_UNLOCKED)
    assert opened.presence_changes == ()
    assert decide(replace(stranger, at=MON_20), replace(point, person=None)).outcome is (
        Outcome.DENY
    )
    # a staff member outside their own level still passes an unlocked door, and is tracked
    walk_in = decide(card(), replace(point, access_levels=()))
    assert walk_in.reasons == (Reason.DOOR_UNLOCKED, Reason.NO_ACCESS_LEVEL)
    assert walk_in.presence_changes == (PresenceChange("alice", None, "lobby", MON_10),)


def test_first_person_in_holds_back_the_scheduled_unlock() -> None:
    point = replace(
        at(door_mode=DoorMode.SCHEDULED_UNLOCK, unlock_schedule=OFFICE_HOURS, first_person_in=True),
        person=None,
    )
    stranger = card(person_id=None, credential=None)
    assert decide(stranger, point).reason is Reason.UNKNOWN_CREDENTIAL
    assert decide(stranger, replace(point, first_in_present=True)).reason is Reason.DOOR_UNLOCKED


def test_contract_errors() -> None:
    with pytest.raises(ValueError, match="another access point"):
        decide(card(access_point_id="door-2"), facts())
    with pytest.raises(ValueError, match="another person"):
        decide(card(person_id="bob"), facts())
    with pytest.raises(ValueError, match="lack the person"):
        decide(card(), NO_PERSON)
    with pytest.raises(ValueError, match="aware"):
        card(at=datetime(2026, 3, 2, 10, 0))  # naive on purpose
    with pytest.raises(ValueError, match="names the person"):
        card(person_id=None)
    with pytest.raises(ValueError, match="duress"):
        ResolvedCredential(CredentialKind.CARD, duress=True)
    with pytest.raises(ValueError, match="no_match"):
        FaceResult(FaceOutcome.NO_MATCH, "alice")
    with pytest.raises(ValueError, match="at least one reason"):
        Decision(Outcome.DENY, ())


def test_access_point_validation_names_the_field() -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"door_mode": DoorMode.SCHEDULED_UNLOCK}, "unlock_schedule"),
        ({"multi_factor_window": timedelta(0)}, "multi_factor_window"),
        ({"out_of_zone": "lobby"}, "into_zone"),
    ]
    for changes, field in cases:
        with pytest.raises(ValidationFailed) as caught:
            replace(DOOR, **changes)
        assert caught.value.field == field


def test_validity_windows() -> None:
    window = ValidityWindow(MON_10, MON_20)
    assert window.state(MON_10 - timedelta(microseconds=1)) is ValidityState.NOT_YET_VALID
    assert window.state(MON_10) is ValidityState.VALID
    assert window.state(MON_20) is ValidityState.VALID  # both ends included
    assert window.state(MON_20 + timedelta(microseconds=1)) is ValidityState.EXPIRED
    with pytest.raises(ValueError, match="before"):
        ValidityWindow(MON_20, MON_10)
