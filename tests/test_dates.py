from datetime import UTC, date, datetime

import pytest

from fravaer_cli.cli import clock
from fravaer_cli.domain import dates
from fravaer_cli.domain.errors import InputError

TODAY = date(2024, 6, 20)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12.06.2024", date(2024, 6, 12)),
        ("12.6.2024", date(2024, 6, 12)),
        ("1.7.2024", date(2024, 7, 1)),
        ("2024-06-12", date(2024, 6, 12)),
        (" 2024-06-12 ", date(2024, 6, 12)),
        ("i dag", TODAY),
        ("I  Dag", TODAY),
        ("today", TODAY),
        ("i morgen", date(2024, 6, 21)),
        ("tomorrow", date(2024, 6, 21)),
        ("+0", TODAY),
        ("+11", date(2024, 7, 1)),
        # Helpdesk questions are about the past: "what did the patient see yesterday?"
        ("i går", date(2024, 6, 19)),
        ("igår", date(2024, 6, 19)),
        ("yesterday", date(2024, 6, 19)),
        ("-1", date(2024, 6, 19)),
        ("-20", date(2024, 5, 31)),
        ("29.02.2024", date(2024, 2, 29)),
        ("29.02.2000", date(2000, 2, 29)),
        ("2024-02-29", date(2024, 2, 29)),
        ("31.12.2024", date(2024, 12, 31)),
    ],
)
def test_accepted_forms(text, expected):
    assert dates.parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "31.02.2024",
        "29.02.2023",
        "29.02.1900",
        "2023-02-29",
        "12",
        "",
        "12.06",
        "12.06.24",
        "2024-6-12",
        "32.01.2024",
        "00.01.2024",
        "12.13.2024",
        "+",
        "-",
        "--1",
        "+1d",
        "12/06/2024",
        "i forgårs",
        "neste uke",
        "١٢.٠٦.٢٠٢٤",
        "2024-06-12T10:00",
        "+999999",
    ],
)
def test_rejected_forms_name_the_value(text):
    with pytest.raises(InputError) as raised:
        dates.parse_date(text, TODAY, "fra og med-dato")
    message = str(raised.value)
    assert f"«{text}»" in message
    assert "fra og med-dato" in message
    assert "dd.mm.åååå" in message


def test_impossible_date_says_it_is_not_in_the_calendar():
    with pytest.raises(InputError, match="finnes ikke i kalenderen"):
        dates.parse_date("31.02.2024", TODAY)


MONTHS = [
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
]
MONTHS_EN = [
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
]


@pytest.mark.parametrize("month", range(1, 13))
def test_long_dates_in_every_month(month):
    day = date(2024, month, 9)
    assert dates.long(day, "nb") == f"9. {MONTHS[month - 1]} 2024"
    assert dates.long(day, "nn") == f"9. {MONTHS[month - 1]} 2024"
    assert dates.long(day, "en") == f"9 {MONTHS_EN[month - 1]} 2024"


def test_long_date_has_no_leading_zero_and_leap_day():
    assert dates.long(date(2024, 2, 29)) == "29. februar 2024"
    assert dates.long(date(2024, 7, 1), "en") == "1 July 2024"


def test_short_date_is_the_admin_pages_format():
    assert dates.short(date(2024, 7, 8)) == "08.07.2024"


@pytest.mark.parametrize(
    "instant, expected",
    [
        # Summer time: Oslo is UTC+2, so 22:30 UTC is already the next day.
        (datetime(2024, 6, 19, 22, 30, tzinfo=UTC), date(2024, 6, 20)),
        (datetime(2024, 6, 19, 21, 59, tzinfo=UTC), date(2024, 6, 19)),
        # Winter time: UTC+1.
        (datetime(2024, 12, 31, 23, 0, tzinfo=UTC), date(2025, 1, 1)),
        (datetime(2024, 12, 31, 22, 59, tzinfo=UTC), date(2024, 12, 31)),
    ],
)
def test_today_is_the_date_in_oslo(instant, expected):
    assert clock.today(instant) == expected


def test_a_written_date_does_not_ask_the_clock_and_a_relative_one_does():
    def no_clock():
        raise AssertionError("the clock was asked for a written date")

    assert dates.parse_date("24.12.2027", no_clock) == date(2027, 12, 24)
    assert dates.parse_date("2027-12-24", no_clock) == date(2027, 12, 24)
    assert dates.parse_date("i morgen", lambda: date(2027, 12, 31)) == date(2028, 1, 1)
    assert dates.parse_date("-2", lambda: date(2027, 1, 1)) == date(2026, 12, 30)
