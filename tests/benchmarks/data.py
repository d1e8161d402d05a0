"""Generated data for the benchmarks: valid orgnrs, CSV files, filled stores."""

import csv
from datetime import date, timedelta
from pathlib import Path

from fravaer_cli.orgnr import is_valid

TJENESTER = ["timebestilling", "reseptfornyelse", "e-konsultasjon", "kontakt-legekontoret"]


def orgnrs(count: int, start: int = 900_000_000) -> list[str]:
    found, n = [], start
    while len(found) < count:
        if is_valid(str(n)):
            found.append(str(n))
        n += 1
    return found


FIRST_DAY = date(2030, 1, 1)
# A day on which about one GP in ten is away, as on an ordinary day of the year.
ORDINARY_DAY = date(2030, 2, 4)


def rows(offices: int, per_office: int, first_day: date = FIRST_DAY):
    """per_office fravær per office: 10 GPs, each away a week at a time, spread over the year."""
    slots = max(1, per_office // 10)
    spacing = max(7, 365 // slots)
    for orgnr in orgnrs(offices):
        for i in range(per_office):
            gp, slot = i % 10, i // 10
            fra = first_day + timedelta(days=spacing * slot + 7 * gp)
            til = fra + timedelta(days=6)
            tjenester = "alle" if i % 3 == 0 else "|".join(TJENESTER[: 1 + i % 4])
            yield [
                orgnr,
                f"Lege {gp} Testesen",
                fra.strftime("%d.%m.%Y"),
                til.strftime("%d.%m.%Y"),
                tjenester,
                f"Ferie {i}",
            ]


def write_csv(path: Path, offices: int, per_office: int) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(["virksomhet", "behandler", "fra", "til", "tjenester", "kommentar"])
        for row in rows(offices, per_office):
            writer.writerow(row)
            count += 1
    return count
