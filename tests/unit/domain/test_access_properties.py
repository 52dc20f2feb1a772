"""Properties of the access decision over generated arrivals and facts (hypothesis)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from gatepost.domain.access import (
    AccessLevel,
    AccessPoint,
    Arrival,
    ArrivalKind,
    CommandKind,
    CredentialKind,
    DoorMode,
    FaceOutcome,
    FaceResult,
    Facts,
    Outcome,
    PersonFacts,
    PlateList,
    PlateResult,
    Reason,
    RecentFactor,
    RequiredFactors,
    ResolvedCredential,
    decide,
)
from gatepost.domain.arrivals import Factor
from gatepost.domain.devices import Direction
from gatepost.domain.persons import PersonStatus
from gatepost.domain.schedules import MINUTES_PER_DAY, Interval, SiteCalendar, WeeklySchedule
from gatepost.domain.validity import ValidityWindow
from gatepost.domain.zones import AntiPassback, AntiPassbackMode, Presence

ZONES = [UTC, ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")]
POINT_ID = "door-1"

instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)


rarely = st.sampled_from([False, False, False, False, False, True])
mostly = rarely.map(lambda rare: not rare)


def mostly_one(usual: object, others: Sequence[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.just(usual), st.just(usual), st.sampled_from(others))


@st.composite
def windows(draw: st.DrawFn, at: datetime) -> ValidityWindow:
    """Mostly open windows; else current, past or future ones around ``at``."""
    if draw(mostly):
        return ValidityWindow()
    start = draw(st.none() | st.integers(min_value=-100, max_value=100))
    length = draw(st.none() | st.integers(min_value=0, max_value=200))
    valid_from = None if start is None else at + timedelta(hours=start)
    if length is None:
        return ValidityWindow(valid_from, None)
    base = valid_from if valid_from is not None else at - timedelta(hours=100)
    return ValidityWindow(valid_from, base + timedelta(hours=length))


@st.composite
def days(draw: st.DrawFn) -> tuple[Interval, ...]:
    bounds = sorted(draw(st.sets(st.integers(0, MINUTES_PER_DAY), max_size=4)))
    return tuple(Interval(a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=False))


@st.composite
def schedules(draw: st.DrawFn) -> WeeklySchedule:
    if draw(rarely):
        return WeeklySchedule.always("always")
    week = tuple(draw(days()) for _ in range(7))
    return WeeklySchedule(draw(st.sampled_from(["s1", "s2"])), week, draw(days()))


_CREDENTIAL_OF = {
    ArrivalKind.CARD: CredentialKind.CARD,
    ArrivalKind.PIN: CredentialKind.PIN,
    ArrivalKind.QR: CredentialKind.QR,
}


@st.composite
def arrivals(draw: st.DrawFn) -> Arrival:
    at = draw(instants)
    kind = draw(st.sampled_from(ArrivalKind))
    credential = None
    if draw(mostly if kind in _CREDENTIAL_OF else rarely):
        usual = _CREDENTIAL_OF.get(kind, CredentialKind.CARD)
        credential_kind = draw(mostly_one(usual, list(CredentialKind)))
        assert isinstance(credential_kind, CredentialKind)
        credential = ResolvedCredential(
            credential_kind,
            draw(windows(at)),
            revoked=draw(rarely),
            duress=credential_kind is CredentialKind.PIN and draw(st.booleans()),
        )
    face = None
    if draw(mostly if kind is ArrivalKind.FACE else rarely):
        outcome = draw(st.sampled_from(FaceOutcome))
        face_person = None if outcome is FaceOutcome.NO_MATCH else draw(mostly_one("a", ["b"]))
        face = FaceResult(outcome, face_person, consent_withdrawn=draw(rarely))  # type: ignore[arg-type]
    plate = None
    if draw(mostly if kind is ArrivalKind.PLATE else rarely):
        vehicle = draw(mostly_one("car-1", [None]))
        on_list = draw(mostly_one(PlateList.ALLOW, list(PlateList)))
        plate = PlateResult(vehicle, on_list, draw(windows(at)))  # type: ignore[arg-type]
    if credential is not None:
        person_id: str | None = "a"
    elif face is not None and face.person_id is not None:
        person_id = face.person_id
    else:
        person_id = draw(st.none() | st.just("a"))
    return Arrival(kind, POINT_ID, at, person_id, credential, face, plate)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Arrival, Facts]:
    arrival = draw(arrivals())
    at, person_id = arrival.at, arrival.person_id
    mode = draw(mostly_one(DoorMode.NORMALLY_LOCKED, list(DoorMode)))
    point = AccessPoint(
        POINT_ID,
        into_zone=draw(st.sampled_from(["lobby", None])),
        out_of_zone="yard",
        direction=draw(st.sampled_from(Direction)),
        door_mode=mode,  # type: ignore[arg-type]
        unlock_schedule=draw(schedules()) if mode is DoorMode.SCHEDULED_UNLOCK else None,
        required_factors=draw(mostly_one(RequiredFactors.ANY, list(RequiredFactors))),  # type: ignore[arg-type]
        anti_passback=AntiPassback(
            draw(st.sampled_from(AntiPassbackMode)),
            draw(st.none() | st.just(timedelta(hours=8))),
        ),
        first_person_in=draw(rarely),
        barrier=draw(st.booleans()),
    )
    zone = draw(st.sampled_from(ZONES))
    local_day = at.astimezone(zone).date()
    holidays = frozenset({local_day}) if draw(rarely) else frozenset[date]()
    person = None
    if person_id is not None:
        person = PersonFacts(
            person_id,
            draw(mostly_one(PersonStatus.ACTIVE, [PersonStatus.SUSPENDED])),  # type: ignore[arg-type]
            draw(windows(at)),
            blocked=draw(rarely),
            watchlisted=draw(rarely),
            first_in_privileged=draw(rarely),
        )
    points = st.sets(st.sampled_from([POINT_ID, "door-2"]))
    levels = tuple(
        AccessLevel(
            f"level-{n}",
            frozenset(draw(points)) if draw(rarely) else frozenset({POINT_ID}),
            draw(schedules()),
        )
        for n in range(draw(st.integers(0, 2)))
    )
    presence = None
    if draw(st.booleans()):
        since = at - timedelta(minutes=draw(st.integers(0, 1000)))
        presence = Presence(draw(st.sampled_from(["lobby", "yard", None])), since)
    recent = tuple(
        RecentFactor(
            draw(mostly_one("a", ["b"])),  # type: ignore[arg-type]
            factor,
            at - timedelta(seconds=draw(st.integers(0, 30))),
            uncertain=factor is Factor.FACE and draw(st.booleans()),
        )
        for factor in draw(st.lists(st.sampled_from(Factor), max_size=3))
    )
    known = Facts(
        point,
        SiteCalendar(zone, holidays),
        person,
        levels,
        presence,
        first_in_present=draw(st.booleans()),
        recent_factors=recent,
    )
    return arrival, known


def _free_passage_mode(known: Facts) -> bool:
    return known.access_point.door_mode in {DoorMode.RELEASED, DoorMode.SCHEDULED_UNLOCK}


def _open_by_wall_clock(level: AccessLevel, arrival: Arrival, known: Facts) -> bool:
    """Brute force: is ``arrival.at`` inside one of the level's intervals, site-local?"""
    local = arrival.at.astimezone(known.calendar.time_zone)
    holiday = local.date() in known.calendar.holidays
    intervals = level.schedule.holiday if holiday else level.schedule.week[local.weekday()]
    minute = local.hour * 60 + local.minute
    return any(i.start <= minute < i.end for i in intervals)


SETTINGS = settings(max_examples=200, deadline=None)


@SETTINGS
@given(scenarios())
def test_decide_never_grants_a_blocked_person(scenario: tuple[Arrival, Facts]) -> None:
    arrival, known = scenario
    decision = decide(arrival, known)
    if arrival.kind is ArrivalKind.EXIT_BUTTON or known.person is None:
        return
    if known.person.blocked and decision.person_id is not None:
        assert decision.outcome is not Outcome.GRANT
        assert any(alert.kind == "blocked" for alert in decision.alerts)
    if known.person.blocked and not _free_passage_mode(known):
        assert decision.outcome is not Outcome.GRANT


@SETTINGS
@given(scenarios())
def test_a_blocked_plate_is_never_granted(scenario: tuple[Arrival, Facts]) -> None:
    arrival, known = scenario
    plate = arrival.plate
    if arrival.kind is ArrivalKind.EXIT_BUTTON or plate is None or plate.vehicle_id is None:
        return
    if plate.on_list is PlateList.DENY:
        assert decide(arrival, known).outcome is not Outcome.GRANT


@SETTINGS
@given(scenarios())
def test_a_withdrawn_consent_never_grants_by_face_alone(scenario: tuple[Arrival, Facts]) -> None:
    arrival, known = scenario
    face = arrival.face
    if face is None or not face.consent_withdrawn:
        return
    if arrival.kind is not ArrivalKind.FACE or arrival.credential or arrival.plate:
        return
    decision = decide(arrival, known)
    assert decision.person_id is None
    assert decision.presence_changes == ()
    assert decision.alerts == ()
    if not _free_passage_mode(known):
        assert decision.outcome is not Outcome.GRANT
        refused = {Reason.CONSENT_WITHDRAWN, Reason.LOCKDOWN, Reason.FACE_NOT_RECOGNISED}
        assert decision.reason in refused
    else:  # the door is held open for everyone; the face still identified nobody
        assert decision.reason in {Reason.DOOR_UNLOCKED, Reason.CONSENT_WITHDRAWN}


@SETTINGS
@given(scenarios())
def test_lockdown_never_grants_an_entry(scenario: tuple[Arrival, Facts]) -> None:
    arrival, known = scenario
    if known.access_point.door_mode is not DoorMode.LOCKDOWN:
        return
    decision = decide(arrival, known)
    if arrival.kind is ArrivalKind.EXIT_BUTTON:
        assert (decision.outcome, decision.reason) == (Outcome.GRANT, Reason.EXIT_REQUEST)
    else:
        assert (decision.outcome, decision.reason) == (Outcome.DENY, Reason.LOCKDOWN)
        assert decision.presence_changes == ()


@SETTINGS
@given(scenarios())
def test_an_arrival_outside_every_schedule_interval_is_never_granted(
    scenario: tuple[Arrival, Facts],
) -> None:
    arrival, known = scenario
    if arrival.kind in {ArrivalKind.EXIT_BUTTON, ArrivalKind.PLATE} or _free_passage_mode(known):
        return
    levels = [lv for lv in known.access_levels if POINT_ID in lv.access_point_ids]
    if any(_open_by_wall_clock(level, arrival, known) for level in levels):
        return
    assert decide(arrival, known).outcome is not Outcome.GRANT


@SETTINGS
@given(scenarios())
def test_decide_is_deterministic(scenario: tuple[Arrival, Facts]) -> None:
    arrival, known = scenario
    assert decide(arrival, known) == decide(arrival, known)


@SETTINGS
@given(scenarios())
def test_every_decision_is_well_formed(scenario: tuple[Arrival, Facts]) -> None:
    arrival, known = scenario
    decision = decide(arrival, known)
    assert len(set(decision.reasons)) == len(decision.reasons)
    commands = [e for e in decision.effects if e == decision.command]
    if decision.outcome is Outcome.ALERT_ONLY:
        assert decision.command is None
        assert decision.reason is Reason.BLOCKED
        assert decision.alerts
    else:
        assert decision.command is not None
        assert len(commands) == 1
        assert decision.effects[0] == decision.command
    opening = {CommandKind.OPEN, CommandKind.RAISE_BARRIER}
    command = decision.command
    assert (command is not None and command.kind in opening) == (decision.outcome is Outcome.GRANT)
    if decision.presence_changes:
        assert decision.outcome is Outcome.GRANT
        (change,) = decision.presence_changes
        assert change.person_id == decision.person_id == arrival.person_id
    if command is not None and command.kind is CommandKind.DENY:
        assert command.display
        for secret in ("block", "watch", "duress"):
            assert secret not in command.display.lower()


@SETTINGS
@given(scenarios())
def test_a_duress_pin_decides_like_the_normal_pin(scenario: tuple[Arrival, Facts]) -> None:
    arrival, known = scenario
    credential = arrival.credential
    if credential is None or not credential.duress or arrival.kind is ArrivalKind.EXIT_BUTTON:
        return  # an exit button carries no factor: nothing to decide on
    normal = Arrival(
        arrival.kind,
        arrival.access_point_id,
        arrival.at,
        arrival.person_id,
        ResolvedCredential(credential.kind, credential.validity, credential.revoked),
        arrival.face,
        arrival.plate,
    )
    under_duress, calm = decide(arrival, known), decide(normal, known)
    assert under_duress.outcome is calm.outcome
    assert under_duress.command == calm.command
    assert under_duress.presence_changes == calm.presence_changes
    silent = [a for a in under_duress.alerts if a.kind == "duress"]
    assert len(silent) == 1 and silent[0].silent
    assert Reason.DURESS in under_duress.reasons
