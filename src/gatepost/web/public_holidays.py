"""Countries' public holidays, for importing them into a site's calendar.

The dates come from the ``holidays`` package (python-holidays, MIT), whose calendars
ship inside it: nothing is fetched at run time. It is imported on first use, so the
admin UI starts without loading its few hundred country modules.
"""

from __future__ import annotations

from datetime import date

from gatepost.errors import ValidationFailed

__all__ = ["EARLIEST_YEAR", "LATEST_YEAR", "public_holidays"]

EARLIEST_YEAR = 2000
LATEST_YEAR = 2099


def public_holidays(
    country: str, year: int, *, subdivision: str | None = None
) -> list[tuple[date, str]]:
    """The public holidays of ``country`` (ISO 3166 code, e.g. ``CN``) in ``year``, by
    date, with those of ``subdivision`` (a state or province of it) where given; a date
    with two holidays gets both names. Refuses an unknown country or subdivision or a
    year outside :data:`EARLIEST_YEAR`..:data:`LATEST_YEAR`."""
    import holidays  # imported on first use, not at start-up (see the module docstring)

    code = country.strip().upper()
    if code not in holidays.list_supported_countries():
        raise ValidationFailed(
            "no public holiday calendar for %(code)r", field="country", params={"code": code}
        )
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValidationFailed(
            "the year must be %(min)s-%(max)s",
            field="year",
            params={"min": EARLIEST_YEAR, "max": LATEST_YEAR},
        )
    if subdivision is not None and subdivision not in holidays.list_supported_countries()[code]:
        raise ValidationFailed(
            "no such subdivision in this country's holiday calendar", field="country"
        )
    calendar = holidays.country_holidays(code, subdiv=subdivision, years=year)
    return sorted((day, calendar.get(day) or "Holiday") for day in calendar)
