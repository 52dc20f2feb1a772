"""The vehicle form: reading its fields, the service's refusals in its words, and edits
that send only what changed. Pure functions: no app, no database."""

from __future__ import annotations

from datetime import UTC, datetime

from gatepost.domain.vehicles import VehicleView
from gatepost.errors import Conflict, ValidationFailed
from gatepost.services.vehicles import VehicleDraft
from gatepost.web.vehicle_forms import blank_form, changes, draft, form_of, refusal

MOMENT = datetime(2026, 3, 1, 7, 30, 15, 250_000, tzinfo=UTC)


def _view(**fields: object) -> VehicleView:
    values: dict[str, object] = {
        "id": "1" * 32,
        "plate": "京A12345",
        "region": "cn",
        "list": "allow",
        "person_id": None,
        "site_id": None,
        "valid_from": None,
        "valid_until": None,
        "description": None,
        "created_at": MOMENT,
        "updated_at": MOMENT,
    }
    return VehicleView(**(values | fields))  # type: ignore[arg-type]


def test_draft_reads_local_times_as_utc_and_offsets_as_given() -> None:
    form = blank_form() | {
        "plate": "京A 123-45",
        "valid_from": "2026-03-01T07:30",
        "valid_until": "2026-03-02T07:30:15+08:00",
    }
    proposed, errors = draft(form)
    assert errors == {} and proposed is not None
    assert proposed.valid_from == datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
    assert proposed.valid_until == datetime(2026, 3, 1, 23, 30, 15, tzinfo=UTC)
    assert proposed.list == "allow" and proposed.region is None and proposed.person_id is None


def test_draft_reads_and_form_shows_times_in_the_tenant_zone_when_it_is_shanghai() -> None:
    form = blank_form() | {
        "plate": "京A12345",
        "valid_from": "2026-03-01T07:30",
        "valid_until": "2026-03-02T07:30:15+00:00",  # an explicit offset is taken as given
    }
    proposed, errors = draft(form, "Asia/Shanghai")
    assert errors == {} and proposed is not None
    assert proposed.valid_from == datetime(2026, 2, 28, 23, 30, tzinfo=UTC)
    assert proposed.valid_until == datetime(2026, 3, 2, 7, 30, 15, tzinfo=UTC)
    stored = _view(valid_from=proposed.valid_from, valid_until=proposed.valid_until)
    shown = form_of(stored, "Asia/Shanghai")
    assert shown["valid_from"] == "2026-03-01T07:30"
    assert shown["valid_until"] == "2026-03-02T15:30:15"
    again, _ = draft(shown, "Asia/Shanghai")
    assert again is not None and changes(stored, again) == {}  # the round trip is exact


def test_draft_names_every_unreadable_field_when_several_are() -> None:
    form = blank_form() | {
        "plate": "  ",
        "valid_from": "soon",
        "valid_until": "0001-01-01T00:00+01:00",
    }
    proposed, errors = draft(form)
    assert proposed is None
    assert set(errors) == {"plate", "valid_from", "valid_until"}


def test_refusal_puts_the_message_next_to_its_field_in_the_forms_words() -> None:
    plate = ValidationFailed("the plate matches no plate format of region cn", field="plate")
    assert "region China" in refusal(plate, "cn")["plate"]
    assert "China, Europe, Brazil, United States" in refusal(plate, None)["plate"]
    order = ValidationFailed("valid_until must be after valid_from", field="valid_until")
    assert refusal(order, None) == {"valid_until": "Valid until must be later than valid from."}
    long = ValidationFailed("description must have at most 500 characters", field="description")
    assert refusal(long, None) == {"description": "Description must have at most 500 characters."}
    assert refusal(ValidationFailed("odd", field="colour"), None) == {"_form": "Odd."}
    assert set(refusal(Conflict("another vehicle has this plate"), None)) == {"plate"}


def test_changes_are_empty_when_the_stored_form_is_sent_back() -> None:
    current = _view(valid_from=MOMENT, description="Grey van", site_id="2" * 32)
    form = form_of(current)
    assert form["valid_from"] == "2026-03-01T07:30:15"  # seconds kept, no fraction
    proposed, errors = draft(form | {"region": ""})
    assert proposed is not None and errors == {}
    assert changes(current, proposed) == {}


def test_changes_hold_only_what_changed_and_a_new_plate_takes_its_region() -> None:
    current = _view()
    moved = VehicleDraft(plate="京A·12345", region="cn", list="deny", description="  ")
    assert changes(current, moved) == {"list": "deny"}
    renamed = VehicleDraft(plate="ABC1234", region="br")
    assert changes(current, renamed) == {"plate": "ABC1234", "region": "br"}
    anywhere = VehicleDraft(plate="ABC1234")
    assert changes(current, anywhere) == {"plate": "ABC1234", "region": None}
