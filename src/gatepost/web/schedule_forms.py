"""The weekly schedule form of the admin UI: its grid of intervals, reading it, and the
service's refusals.

The form has a name and, for each weekday and for site holidays, rows of two times
(``<day>_start`` and ``<day>_end``, repeated, in the order shown). :func:`draft` turns
the rows into a :class:`~gatepost.services.schedules.ScheduleDraft` (an empty row is
skipped, a half-filled one or a time that is not ``HH:MM`` is refused here); the domain
checks the rest and names the interval it refuses (``intervals.mon.1``), which
:func:`refusal` maps back to the row it came from (``mon.2`` when row 1 was empty). The
buttons that add or remove a row are submit buttons (``add=<day>``,
``remove=<day>.<row>``): htmx fetches or deletes the row in place, and without
JavaScript the form comes back with the row added or removed, nothing saved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Annotated, Literal

from babel import Locale
from babel.dates import get_day_names
from fastapi import Depends, Request

from gatepost.domain.schedules import Weekday, WeeklySchedule
from gatepost.errors import Conflict, ValidationFailed
from gatepost.services.schedules import ScheduleDraft
from gatepost.web.forms import sentence
from gatepost.web.i18n import N_, current_locale, gettext

__all__ = [
    "DAYS",
    "Drafted",
    "HOLIDAY",
    "MAX_ROWS",
    "ScheduleForm",
    "Submitted",
    "blank_form",
    "day_labels",
    "draft",
    "form_of",
    "refusal",
    "short_day_labels",
    "unchanged",
]

HOLIDAY = "holiday"
DAYS: dict[str, str] = {
    Weekday.MON.value: "Monday",
    Weekday.TUE.value: "Tuesday",
    Weekday.WED.value: "Wednesday",
    Weekday.THU.value: "Thursday",
    Weekday.FRI.value: "Friday",
    Weekday.SAT.value: "Saturday",
    Weekday.SUN.value: "Sunday",
    HOLIDAY: N_("Site holidays"),
}
"""The form's days in order, in English; pages show :func:`day_labels`."""
MAX_ROWS = 12  # per day; a real schedule has two or three
_TIME = re.compile(r"^\d{1,2}:\d{2}$")
_REFUSED_FIELD = re.compile(r"^(?:intervals\.(?P<day>[a-z]+)|holiday_intervals)\.(?P<n>\d+)$")

_NO_NAME = N_("Enter a name for the schedule.")
_HALF_ROW = N_("Enter both times, or leave both empty.")
_NOT_A_TIME = N_("Enter times as HH:MM, for example 08:00 or 17:30.")
_TAKEN = N_("Another schedule already has this name.")

Row = tuple[str, str]


def _labels(width: Literal["abbreviated", "wide"]) -> dict[str, str]:
    names = get_day_names(width, locale=Locale.parse(current_locale()))
    labels = {day.value: names[i] for i, day in enumerate(Weekday)}
    labels[HOLIDAY] = gettext(DAYS[HOLIDAY])
    return labels


def day_labels() -> dict[str, str]:
    """:data:`DAYS` in the request's language (weekday names from the locale's CLDR
    data, as Babel has them: "Monday", "星期一")."""
    return _labels("wide")


def short_day_labels() -> dict[str, str]:
    """The abbreviated weekday names ("Mon", "周一") for the schedule list."""
    return _labels("abbreviated")


@dataclass
class ScheduleForm:
    """What the form holds: ``rows`` maps each key of :data:`DAYS` to (start, end) rows;
    ``add`` names a day to give another row, ``remove`` a ``<day>.<row>`` to drop
    (either means "show the form again", not "save")."""

    name: str = ""
    rows: dict[str, list[Row]] = field(default_factory=dict)
    add: str = ""
    remove: str = ""

    def rows_of(self, day: str) -> list[Row]:
        """The day's rows as shown: at least one, so an empty day can be filled in."""
        return self.rows.get(day) or [("", "")]

    @property
    def rearranging(self) -> bool:
        return bool(self.add or self.remove)

    def rearranged(self) -> ScheduleForm:
        """The form with the row added or removed that the button asked for."""
        rows = {day: list(self.rows.get(day, [])) for day in DAYS}
        if self.add in rows and len(rows[self.add]) < MAX_ROWS:
            rows[self.add] = [*self.rows_of(self.add), ("", "")]
        day, _, position = self.remove.partition(".")
        if day in rows and position.isdigit() and int(position) < len(rows[day]):
            del rows[day][int(position)]
        return ScheduleForm(name=self.name, rows=rows)


def blank_form() -> ScheduleForm:
    return ScheduleForm(rows={day: [] for day in DAYS})


def _texts(values: Sequence[object]) -> list[str]:
    return [value.strip()[:16] if isinstance(value, str) else "" for value in values]


async def _submitted(request: Request) -> ScheduleForm:
    """The form as typed (shown again with any error); at most :data:`MAX_ROWS` a day."""
    data = await request.form()
    rows: dict[str, list[Row]] = {}
    for day in DAYS:
        starts = _texts(data.getlist(f"{day}_start"))
        ends = _texts(data.getlist(f"{day}_end"))
        pairs = list(zip_longest(starts, ends, fillvalue=""))[:MAX_ROWS]
        rows[day] = [(start, end) for start, end in pairs]
    name, add, remove = (data.get(key, "") for key in ("name", "add", "remove"))
    return ScheduleForm(
        name=name[:200] if isinstance(name, str) else "",
        rows=rows,
        add=add[:16] if isinstance(add, str) else "",
        remove=remove[:16] if isinstance(remove, str) else "",
    )


Submitted = Annotated[ScheduleForm, Depends(_submitted)]


@dataclass(frozen=True)
class Drafted:
    """The draft, and for each day the row each interval came from (for refusals)."""

    draft: ScheduleDraft
    rows: Mapping[str, Sequence[int]]


def draft(form: ScheduleForm) -> tuple[Drafted | None, dict[str, str]]:
    """The draft, or the rows (``<day>.<row>``) and fields that cannot be read."""
    errors: dict[str, str] = {}
    intervals: dict[str, list[str]] = {}
    positions: dict[str, list[int]] = {}
    for day in DAYS:
        intervals[day], positions[day] = [], []
        for position, (start, end) in enumerate(form.rows.get(day, [])):
            if not start and not end:
                continue  # an empty row is no interval
            if not start or not end:
                errors[f"{day}.{position}"] = gettext(_HALF_ROW)
            elif not (_TIME.match(start) and _TIME.match(end)):
                errors[f"{day}.{position}"] = gettext(_NOT_A_TIME)
            intervals[day].append(f"{start}-{end}")
            positions[day].append(position)
    if not form.name.strip():
        errors["name"] = gettext(_NO_NAME)
    if errors:
        return None, errors
    holiday = intervals.pop(HOLIDAY)
    week = {day: texts for day, texts in intervals.items() if texts}  # absent: closed
    proposed = ScheduleDraft(name=form.name, intervals=week, holiday_intervals=holiday)
    return Drafted(proposed, positions), {}


def refusal(exc: ValidationFailed | Conflict, drafted: Drafted) -> dict[str, str]:
    """The service's refusal next to the row or field it names."""
    if isinstance(exc, Conflict):
        return {"name": gettext(_TAKEN)}
    found = _REFUSED_FIELD.match(exc.field or "")
    if found is not None:
        day = found.group("day") or HOLIDAY
        rows = drafted.rows.get(day, ())
        n = int(found.group("n"))
        if n < len(rows):  # the domain's reason, without its "invalid schedule: "
            reason = exc.message.removeprefix("invalid schedule: ")
            return {f"{day}.{rows[n]}": sentence(reason)}
    if exc.field == "name":
        return {"name": sentence(exc.message.replace("name must have", "The name must have"))}
    return {"_form": sentence(exc)}


def form_of(schedule: WeeklySchedule) -> ScheduleForm:
    """The form of a stored schedule, for its edit page."""
    rows: dict[str, list[Row]] = {}
    for weekday in Weekday:
        rows[weekday.value] = [_row(str(i)) for i in schedule.intervals_on(weekday)]
    rows[HOLIDAY] = [_row(str(i)) for i in schedule.holiday]
    return ScheduleForm(name=schedule.name, rows=rows)


def _row(text: str) -> Row:
    start, _, end = text.partition("-")
    return start, end


def unchanged(current: WeeklySchedule, drafted: ScheduleDraft) -> bool:
    """Whether saving the draft would change nothing (then nothing is written)."""
    if " ".join(drafted.name.split()) != current.name:
        return False
    try:
        proposed = WeeklySchedule.from_mapping(
            current.id, drafted.intervals, holiday=drafted.holiday_intervals
        )
    except ValidationFailed:
        return False  # the service refuses it, naming the field
    return proposed == current
