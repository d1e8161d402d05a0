"""Working days (virkedager): Monday to Friday that is not a Norwegian public holiday.

The holidays package's Norway calendar is the authority, but importing it costs 150-320 ms (it
loads every country), more than the rest of an `add`. So the program reads a table made from
it, public_holidays.py, for every year a date may have; a test holds the table equal to the
package, and `python -m tests.public_holidays` makes it again.
"""

from datetime import date, timedelta
from functools import cache

WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_ORDINALS = (("Første ", "1. "), ("Andre ", "2. "))


@cache
def holidays_of(year: int) -> dict[date, str]:
    """The year's public holidays with the holidays package's names ('Andre pinsedag; Grunnlovsdag')."""
    from fravaer_cli.domain.public_holidays import HOLIDAYS, NAMES

    result: dict[date, str] = {}
    for entry in HOLIDAYS.get(year, "").split():
        result[date(year, int(entry[:2]), int(entry[2:4]))] = NAMES[entry[4]]
    return result


def holiday(day: date) -> str | None:
    """The public holiday's name in Norwegian ('1. juledag', '2. pinsedag og Grunnlovsdag'), or None."""
    names = holidays_of(day.year).get(day)
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
