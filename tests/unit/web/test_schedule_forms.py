"""The schedule form: its grid read into a draft, the domain's refusals mapped back to
the row they came from, rows added and removed, and edits that change nothing. Pure
functions: no app, no database."""

from __future__ import annotations

from gatepost.domain.schedules import WeeklySchedule
from gatepost.errors import Conflict, ValidationFailed
from gatepost.web.schedule_forms import (
    DAYS,
    ScheduleForm,
    blank_form,
    draft,
    form_of,
    refusal,
    unchanged,
)


def _form(name: str = "Office hours", **rows: list[tuple[str, str]]) -> ScheduleForm:
    return ScheduleForm(name=name, rows={day: rows.get(day, []) for day in DAYS})


def test_draft_skips_empty_rows_and_leaves_closed_days_out() -> None:
    drafted, errors = draft(
        _form(
            mon=[("", ""), ("08:00", "12:00"), ("13:00", "17:00")],
            holiday=[("10:00", "12:00")],
        )
    )
    assert errors == {} and drafted is not None
    assert dict(drafted.draft.intervals) == {"mon": ["08:00-12:00", "13:00-17:00"]}
    assert list(drafted.draft.holiday_intervals) == ["10:00-12:00"]
    assert list(drafted.rows["mon"]) == [1, 2]  # the rows the intervals came from


def test_draft_names_half_rows_bad_times_and_a_missing_name() -> None:
    drafted, errors = draft(_form(name=" ", tue=[("08:00", "")], wed=[("", ""), ("8h", "9h")]))
    assert drafted is None
    assert errors == {
        "name": "Enter a name for the schedule.",
        "tue.0": "Enter both times, or leave both empty.",
        "wed.1": "Enter times as HH:MM, for example 08:00 or 17:30.",
    }


def test_refusal_points_at_the_row_the_domain_names() -> None:
    form = _form(mon=[("", ""), ("08:00", "12:00"), ("11:00", "13:00")], holiday=[("9:00", "8:00")])
    drafted, _ = draft(form)
    assert drafted is not None
    try:
        WeeklySchedule.from_mapping("s", drafted.draft.intervals)
    except ValidationFailed as exc:
        assert refusal(exc, drafted) == {"mon.2": "11:00-13:00 overlaps 08:00-12:00."}
    else:
        raise AssertionError("the overlap was not refused")
    inverted = ValidationFailed("invalid schedule: 09:00-08:00 ends", field="holiday_intervals.0")
    assert refusal(inverted, drafted) == {"holiday.0": "09:00-08:00 ends."}
    assert refusal(Conflict("taken"), drafted) == {
        "name": "Another schedule already has this name."
    }
    long_name = ValidationFailed("name must have 1-120 characters", field="name")
    assert refusal(long_name, drafted) == {"name": "The name must have 1-120 characters."}
    assert refusal(ValidationFailed("odd", field="intervals.mon.9"), drafted) == {"_form": "Odd."}


def test_rows_are_added_and_removed_and_a_day_always_shows_one() -> None:
    form = _form(mon=[("08:00", "12:00")])
    form.add = "mon"
    added = form.rearranged()
    assert added.rows["mon"] == [("08:00", "12:00"), ("", "")]
    assert added.rows_of("tue") == [("", "")]  # an empty day can be filled in
    form = _form(mon=[("08:00", "12:00"), ("13:00", "17:00")])
    form.remove = "mon.0"
    assert form.rearranged().rows["mon"] == [("13:00", "17:00")]
    for junk in ("mon.7", "mon.x", "nope.0", "."):
        form.remove = junk
        assert form.rearranged().rows["mon"] == [("08:00", "12:00"), ("13:00", "17:00")]


def test_an_edit_that_changes_nothing_is_recognised() -> None:
    stored = WeeklySchedule.from_mapping(
        "s", {"mon": ["08:00-12:00", "13:00-17:00"]}, holiday=["10:00-12:00"], name="Hours"
    )
    form = form_of(stored)
    assert form.rows["mon"] == [("08:00", "12:00"), ("13:00", "17:00")]
    assert form.rows["holiday"] == [("10:00", "12:00")]
    same, _ = draft(
        _form("Hours ", mon=[("13:00", "17:00"), ("8:00", "12:00")], holiday=[("10:00", "12:00")])
    )
    assert same is not None and unchanged(stored, same.draft)
    renamed, _ = draft(_form("Hours 2", **form.rows))
    assert renamed is not None and not unchanged(stored, renamed.draft)
    refused, _ = draft(_form("Hours", mon=[("08:00", "12:00"), ("11:00", "13:00")]))
    assert refused is not None and not unchanged(stored, refused.draft)
    assert blank_form().rows == {day: [] for day in DAYS}
