"""Working days (virkedager): Monday to Friday that is not a Norwegian public holiday.

The holidays package's Norway calendar is the authority. Importing it costs
a tenth of a second or more (it loads every country), so a cheap test that
never misses a Norwegian holiday (fixed dates, and days at fixed distances
from Easter) decides first whether it needs asking at all: `add` pays for it
only when a reopening day could be a holiday.
"""

from datetime import date, timedelta
from functools import cache
from typing import Any

WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
# Nyttårsdag, 1. mai, 17. mai, 1. and 2. juledag; skjærtorsdag, langfredag, påskedag,
# 2. påskedag, Kristi himmelfartsdag, pinsedag, 2. pinsedag as days from påskedag.
_FIXED = {(1, 1), (5, 1), (5, 17), (12, 25), (12, 26)}
_FROM_EASTER = {-3, -2, 0, 1, 39, 49, 50}
_ORDINALS = (("Første ", "1. "), ("Andre ", "2. "))


def _maybe_holiday(day: date) -> bool:
    if (day.month, day.day) in _FIXED:
        return True
    return (day - _easter(day.year)).days in _FROM_EASTER


@cache
def _easter(year: int) -> date:
    """Påskedag: the anonymous Gregorian computus (Meeus/Jones/Butcher). Only a pre-filter:
    the holidays package still decides; this keeps `add` from importing anything for it."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 19 * l) // 433
    month = (h + l - 7 * m + 90) // 25
    return date(year, month, (h + l - 7 * m + 33 * month + 19) % 32)


@cache
def _norway(year: int) -> Any:  # a holidays.HolidayBase
    from holidays.countries.norway import Norway

    return Norway(years=year, language="no")


def holiday(day: date) -> str | None:
    """The public holiday's name in Norwegian ('1. juledag', '2. pinsedag og Grunnlovsdag'), or None."""
    if not _maybe_holiday(day):
        return None
    names = _norway(day.year).get(day)
    if not names:
        return None
    parts = []
    for name in names.split("; "):
        for long, short in _ORDINALS:
            if name.startswith(long):
                name = short + name[len(long) :]
        parts.append(name)
    return " og ".join(parts)


def is_workday(day: date) -> bool:
    return day.weekday() < 5 and holiday(day) is None


def next_workday(after: date) -> date:
    """The first working day after the given day."""
    day = after + timedelta(days=1)
    while not is_workday(day):
        day += timedelta(days=1)
    return day


def describe(day: date) -> str:
    """'mandag 28.06.2027'."""
    from fravaer_cli.domain import dates

    return f"{WEEKDAYS[day.weekday()]} {dates.short(day)}"


def reopening_note(reopens: date) -> str | None:
    """A note when the day a service reopens is a public holiday: citizens are told that date,
    and the office is closed on it. An ordinary weekend is the normal case (a fravær to a
    Friday reopens on the Saturday) and gets no note."""
    name = holiday(reopens)
    if name is None:
        return None
    from fravaer_cli.domain import dates

    first = next_workday(reopens)
    return (
        f"Merk: åpner igjen {describe(reopens)}, {name}. Innbyggerne ser «åpner igjen {dates.long(reopens)}», "
        f"men legekontoret er stengt til {describe(first)}; skal tjenestene være stengt til da, "
        f"sett til og med til {dates.short(first - timedelta(days=1))}."
    )
