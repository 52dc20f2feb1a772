"""Arrivals: what a device saw at an access point, after the pipeline has resolved it.

A device reports one *arrival* (a card swiped, a PIN typed, a QR code shown, a face seen,
a plate read, an exit button pressed). Before the decision the pipeline resolves what was
presented against the tenant's data: a credential's blind index to the stored credential
and its owner, a frame to a face match (with the face policy's open-set outcome) or to a
known vehicle. What it found travels here as plain values; nothing here is secret (the
credential's value is never part of an arrival).

Factors are what multi-factor rules count: a card and a QR code are both the *card*
factor (a QR code is a visual card, as on HikCentral and ZKBio terminals), a PIN is the
*pin* factor, a face the *face* factor and a plate the *plate* factor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from gatepost.domain.faces import Outcome as FaceOutcome
from gatepost.domain.validity import ValidityWindow

__all__ = [
    "Arrival",
    "ArrivalKind",
    "CredentialKind",
    "FaceOutcome",
    "FaceResult",
    "Factor",
    "Identification",
    "PlateList",
    "PlateResult",
    "RecentFactor",
    "ResolvedCredential",
    "factors_to_remember",
    "identify",
]


class ArrivalKind(StrEnum):
    CARD = "card"
    PIN = "pin"
    QR = "qr"
    FACE = "face"
    PLATE = "plate"
    EXIT_BUTTON = "exit_button"

    @property
    def factor(self) -> Factor | None:
        """The factor this kind of arrival presents (None for an exit button)."""
        return _KIND_FACTOR.get(self)


class Factor(StrEnum):
    """What a multi-factor rule counts (a QR code counts as a card)."""

    CARD = "card"
    PIN = "pin"
    FACE = "face"
    PLATE = "plate"


_KIND_FACTOR: dict[ArrivalKind, Factor] = {
    ArrivalKind.CARD: Factor.CARD,
    ArrivalKind.QR: Factor.CARD,
    ArrivalKind.PIN: Factor.PIN,
    ArrivalKind.FACE: Factor.FACE,
    ArrivalKind.PLATE: Factor.PLATE,
}


class CredentialKind(StrEnum):
    CARD = "card"
    PIN = "pin"
    QR = "qr"

    @property
    def factor(self) -> Factor:
        return Factor.PIN if self is CredentialKind.PIN else Factor.CARD


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


@dataclass(frozen=True)
class ResolvedCredential:
    """A stored credential that the presented value matched (owner: ``Arrival.person_id``).

    ``duress`` marks the person's duress PIN: it opens like their normal PIN and raises a
    silent alert.
    """

    kind: CredentialKind
    validity: ValidityWindow = ValidityWindow()
    revoked: bool = False
    duress: bool = False

    def __post_init__(self) -> None:
        if self.duress and self.kind is not CredentialKind.PIN:
            raise ValueError("only a PIN can be a duress PIN")


@dataclass(frozen=True)
class FaceResult:
    """The face engine's open-set answer for the frame.

    ``person_id`` is the nearest enrolled person (None for no match); ``outcome`` is the
    face policy's (``second_factor`` when the gallery's FPIR is above the tenant's limit);
    ``consent_withdrawn`` says that person has withdrawn biometric consent, in which case
    the face never counts for anything.
    """

    outcome: FaceOutcome
    person_id: str | None = None
    consent_withdrawn: bool = False

    def __post_init__(self) -> None:
        if (self.outcome is FaceOutcome.NO_MATCH) != (self.person_id is None):
            raise ValueError("a face result names a person exactly when it is not no_match")


class PlateList(StrEnum):
    """The list a known vehicle is on: allow, deny (blocked) or watch (let in, alert)."""

    ALLOW = "allow"
    DENY = "deny"
    WATCH = "watch"


@dataclass(frozen=True)
class PlateResult:
    """A plate read resolved to a known vehicle (``vehicle_id`` None: no known vehicle)."""

    vehicle_id: str | None = None
    on_list: PlateList = PlateList.ALLOW
    validity: ValidityWindow = ValidityWindow()


@dataclass(frozen=True)
class RecentFactor:
    """A factor a person presented at the same access point a moment ago (two-step
    multi-factor: a card now, the face within the access point's window).

    ``uncertain`` marks a face the face policy would not let decide alone (FPIR above the
    limit): it counts only together with another factor of the same person.
    """

    person_id: str
    factor: Factor
    at: datetime
    uncertain: bool = False

    def __post_init__(self) -> None:
        _aware(self.at, "at")


@dataclass(frozen=True)
class Arrival:
    """One arrival at an access point, resolved by the pipeline.

    ``at`` is the server's time of the arrival (aware). ``person_id`` is the person the
    arrival resolved to: the credential's owner, the face's match or the vehicle's owner;
    None when nothing matched (a resolved credential or a matched face always has one, even
    when their face consent is withdrawn). Which factors were presented is given by ``credential``,
    ``face`` and ``plate`` (a terminal may send a card and a face in one arrival).
    """

    kind: ArrivalKind
    access_point_id: str
    at: datetime
    person_id: str | None = None
    credential: ResolvedCredential | None = None
    face: FaceResult | None = None
    plate: PlateResult | None = None

    def __post_init__(self) -> None:
        _aware(self.at, "at")
        if self.person_id is None and (
            self.credential is not None or (self.face is not None and self.face.person_id)
        ):
            raise ValueError("a resolved credential or a matched face names the person")


def factors_to_remember(arrival: Arrival) -> tuple[RecentFactor, ...]:
    """The factors of ``arrival`` that the pipeline keeps for a later second step.

    Only factors that may count: a credential that is neither revoked nor outside its
    validity, a face that matched (uncertain when the FPIR limit asked for a second
    factor) and whose consent stands, a plate of a known vehicle.
    """
    person_id, at = arrival.person_id, arrival.at
    if person_id is None:
        return ()
    kept: list[RecentFactor] = []
    credential = arrival.credential
    if credential is not None and not credential.revoked and credential.validity.contains(at):
        kept.append(RecentFactor(person_id, credential.kind.factor, at))
    face = arrival.face
    if face is not None and face.person_id == person_id and not face.consent_withdrawn:
        uncertain = face.outcome is FaceOutcome.SECOND_FACTOR
        kept.append(RecentFactor(person_id, Factor.FACE, at, uncertain=uncertain))
    if arrival.plate is not None and arrival.plate.vehicle_id is not None:
        kept.append(RecentFactor(person_id, Factor.PLATE, at))
    return tuple(kept)


@dataclass(frozen=True)
class Identification:
    """Who an arrival's counting factors point to, and which factors count.

    ``person_id`` is the arrival's person when a factor presented *in this arrival*
    counts for them (None otherwise: recent factors complete an arrival, they never
    identify one); ``factors`` are the counting factors, presented now or within the
    window; ``uncertain_face`` is a matched face the FPIR limit does not trust alone that
    no other factor of the same person has confirmed; ``confirmed_face`` is one that
    another factor has confirmed; ``withdrawn_face`` is a face of a person who withdrew
    consent (it never counts, nor do their recent faces); ``disagree`` is a face of
    someone else than the credential's owner.
    """

    person_id: str | None
    factors: frozenset[Factor]
    uncertain_face: bool = False
    confirmed_face: bool = False
    withdrawn_face: bool = False
    disagree: bool = False


def identify(
    arrival: Arrival, recent: Iterable[RecentFactor], *, window: timedelta
) -> Identification:
    """Which factors of ``arrival`` (and of ``recent`` within ``window``) count, for whom.

    A credential and a known vehicle count for the arrival's person; a face counts when it
    matched that person and their consent stands; an uncertain face (FPIR above the limit)
    counts only once another factor of the same person is present, now or recently.
    """
    claimed = arrival.person_id  # set whenever a credential or a face resolved
    presented: set[Factor] = set()
    if arrival.credential is not None:
        presented.add(arrival.credential.kind.factor)
    if arrival.plate is not None and arrival.plate.vehicle_id is not None:
        presented.add(Factor.PLATE)
    face = arrival.face
    withdrawn = face is not None and face.consent_withdrawn
    disagree = face is not None and not withdrawn and face.person_id not in {None, claimed}
    uncertain_now = False
    if face is not None and not withdrawn and not disagree:
        if face.outcome is FaceOutcome.MATCH:
            presented.add(Factor.FACE)
        elif face.outcome is FaceOutcome.SECOND_FACTOR:
            uncertain_now = True
    factors = set(presented)
    uncertain = uncertain_now
    for factor in recent if claimed is not None else ():
        if factor.person_id != claimed or not timedelta(0) <= arrival.at - factor.at <= window:
            continue
        if factor.factor is Factor.FACE and (withdrawn or disagree):
            continue  # a face never counts for a person who withdrew consent
        if factor.factor is Factor.FACE and factor.uncertain:
            uncertain = True
        else:
            factors.add(factor.factor)
    confirmed = uncertain and Factor.FACE not in factors and bool(factors)
    if confirmed:
        factors.add(Factor.FACE)  # another factor of the same person confirms the face
    if uncertain_now and Factor.FACE in factors:
        presented.add(Factor.FACE)
    uncertain = uncertain and Factor.FACE not in factors
    person_id = claimed if presented else None  # a vehicle with no owner counts for nobody
    return Identification(person_id, frozenset(factors), uncertain, confirmed, withdrawn, disagree)
