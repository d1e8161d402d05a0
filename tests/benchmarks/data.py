"""Generated data for the benchmarks: valid orgnrs, CSV files, filled stores."""

import csv
from datetime import date, timedelta
from pathlib import Path

from fravaer_cli.domain.orgnr import is_valid

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


# 4,000 distinct GPs' names as varied as real ones: a first and a last name from lists of common
# Norwegian ones (64 × 64), so that only some are one or two letters from another.
_FIRST = """Anne Kari Ole Per Lise Jon Siri Nils Ida Tor Eva Arne Marit Knut Hanne Lars Ingrid Bjørn Liv Geir Tone
Erik Randi Hans Berit Morten Astrid Trond Solveig Rune Kristin Svein Elin Frode Heidi Espen Camilla Jørgen Maria
Anders Silje Magnus Nora Sindre Emma Henrik Sara Øystein Tuva Vegard Hilde Kjetil Mona Petter Unni Torstein Wenche
Ragnar Gro Stian Vibeke Aksel Oda Håkon""".split()
_LAST = """Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen Johnsen Pettersen Eriksen
Berg Haugen Hagen Johannessen Andreassen Jacobsen Dahl Jørgensen Halvorsen Henriksen Lund Sørensen Jakobsen Moen
Gundersen Iversen Strand Solberg Svendsen Eide Knutsen Martinsen Paulsen Bakken Kristoffersen Mathisen Lie Amundsen
Nguyen Rasmussen Ali Lunde Solheim Berntsen Moe Nygård Bakke Kristensen Fredriksen Holm Lien Hauge Christensen
Andresen Nielsen Knudsen Evensen Sæther Aas Myhre Hanssen""".split()


def gp_name(n: int) -> str:
    """A distinct name for each n below len(_FIRST) * len(_LAST)."""
    return f"{_FIRST[n % len(_FIRST)]} {_LAST[n // len(_FIRST) % len(_LAST)]}"


def rows(offices: int, per_office: int, first_day: date = FIRST_DAY, distinct_gps: bool = False):
    """per_office fravær per office: 10 GPs, each away a week at a time, spread over the year
    (distinct_gps: a GP of its own for every row)."""
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
                gp_name(i) if distinct_gps else f"Lege {gp} Testesen",
                fra.strftime("%d.%m.%Y"),
                til.strftime("%d.%m.%Y"),
                tjenester,
                f"Ferie {i}",
            ]


def write_csv(
    path: Path, offices: int, per_office: int, distinct_gps: bool = False, first_day: date = FIRST_DAY
) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(["virksomhet", "behandler", "fra", "til", "tjenester", "kommentar"])
        for row in rows(offices, per_office, first_day, distinct_gps=distinct_gps):
            writer.writerow(row)
            count += 1
    return count


def write_history_csv(path: Path, offices: int, years: int) -> int:
    """years of past fravær, ending the year before this one (history for list without
    --include-past, too), 50 a year per office, spread as rows() spreads a year's."""
    count = 0
    this_year = date.today().year
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(["virksomhet", "behandler", "fra", "til", "tjenester", "kommentar"])
        for year in range(years, 0, -1):
            for row in rows(offices, 50, first_day=date(this_year - year, 1, 1)):
                writer.writerow(row)
                count += 1
    return count
