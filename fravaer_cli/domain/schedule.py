"""When a tjeneste is closed for a behandler, and when it opens again.

A closed stretch is the union of fravær for one behandler and tjeneste that
overlap or follow each other without a gap: the citizen is told the day after
the whole stretch, not after the first fravær in it.
"""

from datetime import date, timedelta
from typing import NamedTuple

from fravaer_cli.domain import catalogue
from fravaer_cli.domain.model import Fravaer
from fravaer_cli.domain.names import behandler_key, norwegian_order
from fravaer_cli.domain.record import Record

ONE_DAY = timedelta(days=1)


class Stretch(Record):
    """A closed stretch."""

    FIELDS = __slots__ = ("behandler", "tjeneste", "fra", "til", "ids")

    def __init__(self, behandler: str, tjeneste: str, fra: date, til: date, ids: tuple[str, ...]):
        self.behandler, self.tjeneste, self.fra, self.til, self.ids = behandler, tjeneste, fra, til, ids

    @property
    def apner_igjen(self) -> date:
        return self.til + ONE_DAY

    def covers(self, day: date) -> bool:
        return self.fra <= day <= self.til


def stretches(fravaer: list[Fravaer]) -> list[Stretch]:
    """Every closed stretch, per behandler and tjeneste (vikar tjenester stay open)."""
    spans: dict[tuple[str, str], list[Fravaer]] = {}
    names: dict[str, str] = {}
    for f in fravaer:
        names.setdefault(f.key, f.behandler)
        for tjeneste in f.tjenester:
            spans.setdefault((f.key, tjeneste), []).append(f)
    result = []
    for (key, tjeneste), group in spans.items():
        group.sort(key=lambda f: f.fra)
        current: tuple[date, date, tuple[str, ...]] | None = None
        for f in group:
            if current and f.fra <= current[1] + ONE_DAY:
                current = (current[0], max(current[1], f.til), current[2] + (f.id,))
            else:
                if current:
                    result.append(Stretch(names[key], tjeneste, *current))
                current = (f.fra, f.til, (f.id,))
        if current:
            result.append(Stretch(names[key], tjeneste, *current))
    return result


def _sort_key(s: Stretch) -> tuple[str, int, str]:
    return (norwegian_order(s.behandler)[0], catalogue.position(s.tjeneste), s.tjeneste)


class DayStatus(NamedTuple):
    closed: list[Stretch]
    starts_tomorrow: list[Stretch]  # or, with until, on any day after day up to and including until
    reopens_tomorrow: list[Stretch]
    vikar: list[Stretch]  # a vikar serves these on day (one per fravær and tjeneste)
    vikar_starts: list[Stretch]


def day_status(fravaer: list[Fravaer], day: date, until: date | None = None) -> DayStatus:
    """What is closed on day, what closes and what opens again after it, up to and
    including until (default: the day after), and what a vikar serves or starts serving."""
    closed, starts, reopens = [], [], []
    end = until or day + ONE_DAY
    # Only a behandler and tjeneste with a fravær touching day to end can be in
    # the report; their stretches are merged whole, the rest not at all.
    touching = {(f.key, t) for f in fravaer if f.fra <= end and f.til >= day for t in f.tjenester}
    relevant = [f for f in fravaer if any((f.key, t) in touching for t in f.tjenester)]
    for s in stretches(relevant):
        if (behandler_key(s.behandler), s.tjeneste) not in touching:
            continue
        if s.covers(day):
            closed.append(s)
        if day < s.fra <= end:
            starts.append(s)
        if day < s.apner_igjen <= end:
            reopens.append(s)
    vikar, vikar_starts = [], []
    for f in fravaer:
        if f.vikar and f.fra <= end and f.til >= day:
            for tjeneste in f.vikar:
                period = Stretch(f.behandler, tjeneste, f.fra, f.til, (f.id,))
                if f.fra <= day:
                    vikar.append(period)
                else:
                    vikar_starts.append(period)
    for group in (closed, starts, reopens, vikar, vikar_starts):
        group.sort(key=_sort_key)
    return DayStatus(closed, starts, reopens, vikar, vikar_starts)


def closed_until(fravaer: list[Fravaer], key: str, tjeneste: str, day: date) -> Stretch | None:
    """The stretch that closes tjeneste for the behandler with this key on day, if any."""
    own = [f for f in fravaer if f.key == key and tjeneste in f.tjenester]
    return next((s for s in stretches(own) if s.covers(day)), None)
