"""Dates as Norwegian users write and read them, independent of the machine's locale."""

import re
from collections.abc import Callable
from datetime import date, timedelta

from fravaer_cli.domain.errors import InputError

MONTHS_NO = (
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

ACCEPTED = (
    "dd.mm.åååå (12.06.2024), åååå-mm-dd (2024-06-12), «i dag», «i morgen», «i går», «today», «tomorrow», "
    "«yesterday», +N eller -N (N dager fra eller før i dag)"
)

_RE_NORWEGIAN = r"(\d{1,2})\.(\d{1,2})\.(\d{4})"
_RE_ISO = r"(\d{4})-(\d{2})-(\d{2})"
_RE_OFFSET = r"([+-])(\d{1,5})"
_RELATIVE = {
    "i dag": 0,
    "idag": 0,
    "today": 0,
    "i morgen": 1,
    "imorgen": 1,
    "tomorrow": 1,
    "i går": -1,
    "igår": -1,
    "yesterday": -1,
}


# The last day a report may be about: the calendar's longest range (370 days) and the next
# working day after any day still exist after it.
LAST_REPORT_DAY = date(9998, 12, 31)


def parse_date(text: str, today: "date | Callable[[], date]", what: str = "dato") -> date:
    """Parse one of the accepted forms; anything else is an InputError naming the value.

    today: the day relative forms count from, or a function that gives it, asked only
    for those (the CLI's clock reads the time zone database: a written date needs none)."""
    value = " ".join(text.split()).lower()
    try:
        if value in _RELATIVE:
            return _day(today) + timedelta(days=_RELATIVE[value])
        # re.ASCII: \d would otherwise take any script's digits, which int() then accepts.
        if m := re.fullmatch(_RE_OFFSET, value, re.ASCII):
            return _day(today) + timedelta(days=int(m[2]) * (1 if m[1] == "+" else -1))
        if m := re.fullmatch(_RE_NORWEGIAN, value, re.ASCII):
            return date(int(m[3]), int(m[2]), int(m[1]))
        if m := re.fullmatch(_RE_ISO, value, re.ASCII):
            return date(int(m[1]), int(m[2]), int(m[3]))
    except (ValueError, OverflowError):
        raise InputError(f"Ugyldig {what}: «{text}» finnes ikke i kalenderen. Godtatt: {ACCEPTED}.") from None
    raise InputError(f"Ugyldig {what}: «{text}». Godtatt: {ACCEPTED}.")


def _day(today: "date | Callable[[], date]") -> date:
    return today() if callable(today) else today


def short(day: date) -> str:
    """The admin page's format: 08.07.2024."""
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def long(day: date, lang: str = "nb") -> str:
    """The citizen's format: '9. juli 2024' (nb, nn) or '9 July 2024' (en)."""
    if lang == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.day}. {MONTHS_NO[day.month - 1]} {day.year}"
