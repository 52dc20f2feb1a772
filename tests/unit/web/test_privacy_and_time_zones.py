"""The privacy page's rows come from the retention registry (one per data class, none
missing, none without words), who may see each follows the roles' permissions, and the
``when``/``day`` filters show aware times in the page's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatepost.security.permissions import ROLE_PERMISSIONS, Permission, Role
from gatepost.services.retention import DATA_CLASSES, Retained
from gatepost.web.i18n import use_locale
from gatepost.web.rendering import _ZONE, _day, _when
from gatepost.web.views.policies import DATA_CLASS_WORDS, privacy_rows


def _retained(kept: timedelta | None = None) -> list[Retained]:
    return [
        Retained(
            key=item.key,
            kept=kept,
            roles=tuple(r for r in Role if item.read in ROLE_PERMISSIONS[r]),
        )
        for item in DATA_CLASSES
    ]


def test_privacy_rows_have_a_row_with_words_for_every_retention_class() -> None:
    rows = privacy_rows(_retained())
    assert [row.key for row in rows] == [item.key for item in DATA_CLASSES]
    assert set(DATA_CLASS_WORDS) == {item.key for item in DATA_CLASSES}
    for row in rows:
        assert row.name != row.key and row.what, row.key


def test_privacy_rows_say_how_long_in_days_hours_or_until_erased() -> None:
    assert {r.kept for r in privacy_rows(_retained(None))} == {"Until erased"}
    assert {r.kept for r in privacy_rows(_retained(timedelta(0)))} == {"Not stored"}
    assert {r.kept for r in privacy_rows(_retained(timedelta(hours=1)))} == {"1 hour"}
    assert {r.kept for r in privacy_rows(_retained(timedelta(days=90)))} == {"90 days"}
    with use_locale("zh_Hans"):
        assert {r.kept for r in privacy_rows(_retained(timedelta(days=90)))} == {"90 天"}


def test_every_data_class_is_guarded_by_a_tenant_permission() -> None:
    for item in DATA_CLASSES:
        assert item.read in Permission
        assert item.read in ROLE_PERMISSIONS[Role.ADMIN], item.key


@pytest.mark.parametrize(
    ("zone", "shown", "date"),
    [
        ("UTC", "2027-01-31 20:30:00", "2027-01-31"),
        ("Asia/Shanghai", "2027-02-01 04:30:00 +08:00", "2027-02-01"),
        ("America/New_York", "2027-01-31 15:30:00 -05:00", "2027-01-31"),
        ("Asia/Kathmandu", "2027-02-01 02:15:00 +05:45", "2027-02-01"),
        ("Europe/London", "2027-01-31 20:30:00 +00:00", "2027-01-31"),
    ],
)
def test_when_and_day_show_aware_times_in_the_page_time_zone(
    zone: str, shown: str, date: str
) -> None:
    at = datetime(2027, 1, 31, 20, 30, tzinfo=UTC)
    token = _ZONE.set(zone)
    try:
        assert _when(at) == shown
        assert _day(at) == date
    finally:
        _ZONE.reset(token)
    assert _when(at, "Asia/Shanghai") == "2027-02-01 04:30:00 +08:00"  # a page's own zone
    assert _when(at) == "2027-01-31 20:30:00"  # UTC outside a page
    assert _when(None) == "" and _day(None) == ""
