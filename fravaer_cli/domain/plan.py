"""The office's plan: who is away on which day, and the working days the office has no GP.

Domain only: no I/O, no terminal. The calendar command draws what `calendar` returns;
add, edit and import warn with what `days_without_gp` finds.
"""

from datetime import date, timedelta
from typing import Any

from fravaer_cli.domain import catalogue, dates
from fravaer_cli.domain.model import Fravaer
from fravaer_cli.domain.names import behandler_key, norwegian_order
from fravaer_cli.domain.virksomhet import Virksomhet

MAX_DAYS = 370

# A GP's day in the calendar.
ALL_CLOSED, SOME_CLOSED, VIKAR, PRESENT = "X", "x", "v", "."


class Day:
    """One day of the calendar. A plain class, as record.py says why: `add` imports this module."""

    __slots__ = ("dato", "virkedag", "helligdag", "cells", "borte", "vikar", "uten_lege")

    def __init__(
        self,
        dato: date,
        virkedag: bool,
        helligdag: str | None,
        cells: list[str],
        borte: list[str],
        vikar: list[str],
        uten_lege: bool,
    ) -> None:
        self.dato: date = dato
        self.virkedag: bool = virkedag
        self.helligdag: str | None = helligdag
        self.cells: list[str] = cells  # one per GP, in the calendar's order
        self.borte: list[str] = borte
        self.vikar: list[str] = vikar
        self.uten_lege: bool = uten_lege

    @property
    def present(self) -> int:
        return self.cells.count(PRESENT)


class Calendar:
    __slots__ = ("office", "fra", "til", "behandlere", "days")

    def __init__(self, office: Virksomhet, fra: date, til: date, behandlere: list[str], days: list[Day]):
        self.office, self.fra, self.til, self.behandlere, self.days = office, fra, til, behandlere, days

    def without_gp_text(self) -> str | None:
        """'Ingen fastlege: 12.07.–14.07.2028.', or None when every working day has a GP."""
        without = [d.dato for d in self.days if d.uten_lege]
        if not without:
            return None
        return f"Ingen fastlege: {', '.join(stretch_text(a, b) for a, b in workday_runs(without))}."


def weeks_of(days: list[Day]) -> list[list[Day]]:
    """The days in weeks, Monday to Sunday; the first and last may be short."""
    weeks: list[list[Day]] = []
    for day in days:
        if not weeks or day.dato.weekday() == 0:
            weeks.append([])
        weeks[-1].append(day)
    return weeks


def days_between(fra: date, til: date) -> list[date]:
    return [fra + timedelta(days=n) for n in range((til - fra).days + 1)]


def calendar(office: Virksomhet, fra: date, til: date) -> Calendar:
    """One row per GP: the office's GPs, then any other GP with fravær in the range."""
    from fravaer_cli.domain import workdays

    in_range = [f for f in office.fravaer if f.fra <= til and f.til >= fra]
    names = office.gps()
    office_keys = {behandler_key(n) for n in names}
    others: dict[str, str] = {}
    for f in in_range:
        if f.key not in office_keys:
            others.setdefault(f.key, f.behandler)
    names += sorted(others.values(), key=norwegian_order)
    row_keys = [behandler_key(n) for n in names]
    every = set(catalogue.catalogue())
    days = []
    for day in days_between(fra, til):
        covering = [f for f in in_range if f.fra <= day <= f.til]
        # Every GP a fravær covers (away), with what is closed for them: empty when only a vikar serves.
        closed: dict[str, set[str]] = {}
        served: dict[str, set[str]] = {}
        for f in covering:
            closed.setdefault(f.key, set()).update(f.tjenester)
            served.setdefault(f.key, set()).update(f.vikar)
        cells = []
        for key in row_keys:
            if key not in closed:
                cells.append(PRESENT)
            elif closed[key] >= every:
                cells.append(ALL_CLOSED)
            elif closed[key]:
                cells.append(SOME_CLOSED)
            else:
                cells.append(VIKAR)
        borte = [n for n, k in zip(names, row_keys, strict=True) if k in closed]
        vikar = [n for n, k in zip(names, row_keys, strict=True) if served.get(k)]
        holiday = workdays.holiday(day)
        working = day.weekday() < 5 and holiday is None
        without = working and bool(office_keys) and office_keys <= closed.keys() and not vikar
        days.append(Day(day, working, holiday, cells, borte, vikar, without))
    return Calendar(office, fra, til, names, days)


def days_without_gp(office: Virksomhet, changed: list[Fravaer]) -> list[date]:
    """The working days, among those the changed fravær cover, on which every GP of the office
    is away and no vikar serves any of them.

    Worked out on stretches of days (first, last), not on sets of days: an import asks this of
    each of its 2,000 offices, and the days of the first two GPs seldom meet."""
    gps = {behandler_key(n) for n in office.gps()}
    if not gps or not changed:
        return []
    wanted = _merged([(f.fra.toordinal(), f.til.toordinal()) for f in changed])
    first, last = wanted[0][0], wanted[-1][1]
    away: dict[str, list[tuple[int, int]]] = {key: [] for key in gps}
    served: list[tuple[int, int]] = []
    for f in office.fravaer:
        fra, til = f.fra.toordinal(), f.til.toordinal()
        if til < first or fra > last:
            continue
        if f.key in away:
            away[f.key].append((fra, til))
        if f.vikar:
            served.append((fra, til))
    for spans in away.values():
        wanted = _common(wanted, _merged(spans))
        if not wanted:
            return []
    days = {d for a, b in wanted for d in range(a, b + 1)}
    for a, b in served:
        days.difference_update(range(a, b + 1))
    if not days:
        return []
    from fravaer_cli.domain import workdays

    return [d for d in map(date.fromordinal, sorted(days)) if workdays.is_workday(d)]


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Stretches of days (first, last) as the fewest that cover the same days, in order."""
    result: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if result and a <= result[-1][1] + 1:
            if b > result[-1][1]:
                result[-1] = (result[-1][0], b)
        else:
            result.append((a, b))
    return result


def _common(one: list[tuple[int, int]], other: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The days in both, of two lists of stretches as _merged gives them."""
    result, i, j = [], 0, 0
    while i < len(one) and j < len(other):
        a, b = max(one[i][0], other[j][0]), min(one[i][1], other[j][1])
        if a <= b:
            result.append((a, b))
        if one[i][1] < other[j][1]:
            i += 1
        else:
            j += 1
    return result


def workday_runs(days: list[date]) -> list[tuple[date, date]]:
    """Working days as stretches: two days are in one stretch when only days off lie between them."""
    from fravaer_cli.domain import workdays

    result: list[list[date]] = []
    for day in days:
        if result and workdays.next_workday(result[-1][1]) == day:
            result[-1][1] = day
        else:
            result.append([day, day])
    return [(a, b) for a, b in result]


def stretch_text(first: date, last: date) -> str:
    """'12.07.–16.07.2027', or one day."""
    if first == last:
        return dates.short(first)
    if first.year == last.year:
        return f"{first:%d.%m.}–{dates.short(last)}"
    return f"{dates.short(first)}–{dates.short(last)}"


class AwayPeriod:
    """A stretch of days on which a GP is away with the same services closed and the same served
    by a vikar: one event in a calendar program. ids are the fravær that cover it."""

    __slots__ = ("behandler", "fra", "til", "tjenester", "vikar", "ids", "uid")

    def __init__(
        self,
        behandler: str,
        fra: date,
        til: date,
        tjenester: tuple[str, ...],
        vikar: tuple[str, ...],
        ids: tuple[str, ...],
        uid: str,
    ) -> None:
        self.behandler, self.fra, self.til = behandler, fra, til
        self.tjenester: tuple[str, ...] = tjenester
        self.vikar: tuple[str, ...] = vikar
        self.ids, self.uid = ids, uid


def away_periods(
    office: Virksomhet, fra: date, til: date, read: tuple[date, date] | None = None
) -> list[AwayPeriod] | None:
    """Every GP's away periods that meet fra..til, whole (not cut at the range's ends), by GP
    in the calendar's order, then by date.

    read: the office holds only (at least) the fravær that meet these days, which hold fra..til;
    None is returned when what it holds cannot show that the periods are the same as the whole
    office's: a period, or a fravær in one, that reaches a day of read's ends or beyond (a fravær
    not read could start or end next to it, or split it).

    A period's uid is made of the office and the ids of the fravær in it (with a count when
    the same fravær make more than one period), so it stays the same from one export to the
    next, and through an edit of a fravær's dates or services: a calendar program that
    imports the file again updates the event instead of adding a second one."""
    names = office.gps()
    known = {behandler_key(n): n for n in names}
    by_gp: dict[str, list[Fravaer]] = {}
    for f in office.fravaer:
        by_gp.setdefault(f.key, []).append(f)
    wanted = [k for k in known if k in by_gp]
    others = {f.key: f.behandler for f in office.fravaer if f.key not in known and f.fra <= til and f.til >= fra}
    wanted += sorted(others, key=lambda k: norwegian_order(others[k]))
    result = []
    for key in wanted:
        seen: dict[tuple[str, ...], int] = {}
        for start, end, closed, served, ids in _runs(by_gp[key]):
            n = seen[ids] = seen.get(ids, 0) + 1
            if start > til or end < fra:
                continue
            if read is not None and not _inside(start, end, ids, read, by_gp[key]):
                return None
            uid = f"{office.orgnr}-{'-'.join(ids)}{f'.{n}' if n > 1 else ''}@fravaer"
            name = known.get(key) or others[key]
            result.append(AwayPeriod(name, start, end, closed, served, ids, uid))
    return result


def _inside(start: date, end: date, ids: tuple[str, ...], read: tuple[date, date], fravaer: list[Fravaer]) -> bool:
    """The period, and every fravær in it, lie strictly within the days read: every fravær that
    touches them, or ends the day before or starts the day after, was read. The fravær in it
    bound the earlier periods of the same fravær too, which its uid counts."""
    first, last = read
    if not first < start or not end < last:
        return False
    wanted = set(ids)
    return all(first < f.fra and f.til < last for f in fravaer if f.id in wanted)


def _runs(fravaer: list[Fravaer]) -> list[tuple[date, date, tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
    """One GP's days away as runs of the same closed and vikar services: (fra, til, closed,
    served, ids). Computed at the days where a fravær starts or ends, not day by day."""
    edges = sorted({f.fra for f in fravaer} | {f.til + timedelta(days=1) for f in fravaer})
    runs: list[list[Any]] = []
    for start, after in zip(edges, edges[1:], strict=False):
        covering = [f for f in fravaer if f.fra <= start <= f.til]
        if not covering:
            continue
        closed = catalogue.order(t for f in covering for t in f.tjenester)
        served = catalogue.order(t for f in covering for t in f.vikar)
        ids = {f.id for f in covering}
        last = runs[-1] if runs else None
        if last and last[1] + timedelta(days=1) == start and (last[2], last[3]) == (closed, served):
            last[1] = after - timedelta(days=1)
            last[4] |= ids
        else:
            runs.append([start, after - timedelta(days=1), closed, served, ids])
    return [(a, b, c, s, tuple(sorted(ids, key=_id_order))) for a, b, c, s, ids in runs]


def _id_order(fravaer_id: str) -> tuple[int, str]:
    return (len(fravaer_id), fravaer_id)  # ids are numbers as text: 2 before 10
