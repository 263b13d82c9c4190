"""Calendar helpers for months and policy years (no clock: callers pass dates in)."""

from __future__ import annotations

import datetime as dt

# The dates any input may name (birth dates, payments, filings, services): outside them a date is a typing
# error ("9999-12-31", "0001-01-01"), refused at the door rather than stored.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2099, 12, 31)


def first_of_month(year: int, month: int) -> dt.date:
    """The first day of a month; `month` may run past 12 or below 1 and carries into the year."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, 1)


def add_months_first(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after the month of `day` (0 = the month of `day`)."""
    return first_of_month(day.year, day.month + months)


def last_of_month(year: int, month: int) -> dt.date:
    """The last day of a month (month may carry as in `first_of_month`)."""
    return first_of_month(year, month + 1) - dt.timedelta(days=1)


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day where that month has no such day)."""
    last = last_of_month(day.year, day.month + months)
    return last.replace(day=min(day.day, last.day))


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole calendar months from the month of `earlier` to the month of `later` (same month → 0)."""
    return (later.year - earlier.year) * 12 + (later.month - earlier.month)


def age_on(birth: dt.date, day: dt.date) -> int:
    """Age in full years (周岁) on `day`."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)
