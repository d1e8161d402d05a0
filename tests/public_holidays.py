"""The table of Norway's public holidays in the package, fravaer_cli/domain/public_holidays.py, made
from the holidays package (the authority) for every year a date may have (1 to 9999):

    .venv/bin/python -m tests.public_holidays > fravaer_cli/domain/public_holidays.py

tests/test_plan.py fails when the table and the installed holidays package disagree on any year.
The program reads only the table: importing holidays costs 150-320 ms (it loads every country).
"""

import string
from datetime import date

from holidays.countries.norway import Norway

YEARS = range(date.min.year, date.max.year + 1)
# One letter per distinct name, so that a year fits on a line.
LETTERS = string.ascii_letters


def from_holidays(year: int) -> list[tuple[int, int, str]]:
    """(month, day, name) of each of the year's public holidays, as the holidays package has them."""
    return [(d.month, d.day, name) for d, name in sorted(Norway(years=year, language="no").items())]


def module() -> str:
    years = {year: from_holidays(year) for year in YEARS}
    names = sorted({name for entries in years.values() for _, _, name in entries})
    if len(names) > len(LETTERS):
        raise SystemExit(f"{len(names)} distinct names: more than there are letters for")
    letter = dict(zip(names, LETTERS, strict=False))
    listed = [year for year, entries in years.items() if entries]
    lines = [
        '"""Norway\'s public holidays, from the holidays package, for every year a date may have.',
        "",
        "Generated: do not edit. Made by `.venv/bin/python -m tests.public_holidays >",
        "fravaer_cli/domain/public_holidays.py`; tests/test_plan.py holds it equal to the installed",
        "holidays package for each year from 1 to 9999. A year not in HOLIDAYS has none (the package",
        "lists none for it). Each holiday is MMDD and the letter of its name in NAMES.",
        '"""',
        "",
        "NAMES = {",
        *(f'    "{letter[name]}": "{name}",' for name in names),  # no name has a quote or a backslash
        "}",
        "",
        "HOLIDAYS = {",
        *(f'    {year}: "{" ".join(f"{m:02d}{d:02d}{letter[n]}" for m, d, n in years[year])}",' for year in listed),
        "}",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(module(), end="")
