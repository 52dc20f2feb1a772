"""Rule sets: the levels a person holds at an instant, and calendars by access point."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gatepost.domain import rule_sets
from gatepost.domain.access_points import AccessLevel, AccessPoint, PersonFacts
from gatepost.domain.rule_sets import LevelAssignment, RuleSet
from gatepost.domain.schedules import SiteCalendar, WeeklySchedule
from gatepost.domain.validity import ValidityWindow

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
ALWAYS = WeeklySchedule.always("always")


def _rules() -> RuleSet:
    return RuleSet(
        tenant_id="t",
        version=3,
        zones={},
        access_points={"door": AccessPoint("door", None)},
        point_sites={"door": "hq"},
        levels={
            "staff": AccessLevel("staff", frozenset({"door"}), ALWAYS),
            "night": AccessLevel("night", frozenset({"door"}), ALWAYS),
        },
        schedules={"always": ALWAYS},
        calendars={"hq": SiteCalendar(UTC)},
    )


def test_all_is_sorted_and_complete() -> None:
    assert rule_sets.__all__ == sorted(rule_sets.__all__)


def test_levels_held_are_those_valid_at_the_instant_and_known() -> None:
    rules = _rules()
    held = [
        LevelAssignment("p", "staff"),
        LevelAssignment("p", "night", ValidityWindow(valid_from=NOW + timedelta(days=1))),
        LevelAssignment("p", "deleted-meanwhile"),
    ]
    assert [lvl.id for lvl in rules.levels_held(held, NOW)] == ["staff"]
    later = NOW + timedelta(days=2)
    assert [lvl.id for lvl in rules.levels_held(held, later)] == ["night", "staff"]
    access = rules.person_access(PersonFacts("p", watchlisted=True), held, NOW)
    assert access.facts.watchlisted and [lvl.id for lvl in access.levels] == ["staff"]


def test_calendars_are_found_by_site_and_by_access_point() -> None:
    rules = _rules()
    assert rules.calendar_of("door") is rules.calendar("hq")
    assert rules.calendar_of("nowhere") is None and rules.calendar("elsewhere") is None
    assert rules.access_point("door") == AccessPoint("door", None)
