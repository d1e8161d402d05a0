"""The plan as an iCalendar file (RFC 5545), for Outlook, Google Calendar and Apple Calendar.

One all-day event per GP's away period (plan.away_periods): a GP whose summer is three
fravær back to back is one bar in the calendar, split only where what is closed or served
by a vikar changes, so every event's title is true for each of its days. The icalendar
library writes the file (escaping, line folding, DATE values); it is imported only here,
by `calendar --format ics`.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from fravaer_cli import __version__
from fravaer_cli.domain import catalogue
from fravaer_cli.domain.dates import short
from fravaer_cli.domain.plan import AwayPeriod
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.output.formats import printable


def write(offices: Iterable[tuple[Virksomhet, list[AwayPeriod]]], name: str, now: datetime) -> Iterator[str]:
    """The file in pieces, an event at a time as the offices come: the same text as the
    icalendar library makes of the whole calendar, without holding every office's events.
    now: when the file is made (DTSTAMP, as RFC 5545 asks of every event)."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", f"-//fravaer//fravaer {__version__}//NO")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", printable(name))
    # A calendar's text is its properties, its events, then its END line: those of a calendar
    # without events, with each event's own text put before the END line.
    head = cal.to_ical().decode("utf-8")
    end = "END:VCALENDAR\r\n"
    if not head.endswith(end):
        raise AssertionError("icalendar ends a calendar otherwise")  # a test says so first
    yield head[: -len(end)]
    for office, periods in offices:
        for period in periods:
            event = Event()
            event.add("uid", period.uid)
            event.add("dtstamp", now)
            event.add("dtstart", period.fra)  # a date: an all-day event
            event.add("dtend", period.til + timedelta(days=1))  # the day after, as RFC 5545 counts
            # A control character (a hand-edited file's) shown as an escape, as the tables show it.
            event.add("summary", printable(summary(period)))
            event.add("description", printable(_description(office, period), keep="\n"))
            event.add("transp", "TRANSPARENT")  # the GP's absence does not make the reader busy
            event.add("categories", ["Fravær"])
            yield event.to_ical().decode("utf-8")
    yield end


def summary(period: AwayPeriod) -> str:
    """'Kari Vik: alle tjenester stengt', 'Per Hansen: Timebestilling stengt, vikar tar E-konsultasjon'."""
    parts = []
    if set(period.tjenester) >= set(catalogue.catalogue()):
        parts.append("alle tjenester stengt")
    elif period.tjenester:
        parts.append(f"{_names(period.tjenester)} stengt")
    if period.vikar:
        every = set(period.vikar) >= set(catalogue.catalogue())
        parts.append("vikar tar alle tjenestene" if every else f"vikar tar {_names(period.vikar)}")
    return f"{period.behandler}: {', '.join(parts)}"


def _names(keys) -> str:
    return ", ".join(catalogue.display_name(k) for k in keys)


def _description(office: Virksomhet, period: AwayPeriod) -> str:
    ids = {f.id: f for f in office.fravaer}
    lines = [
        f"{office.label}: {period.behandler} er borte {short(period.fra)}–{short(period.til)}.",
        f"Fravær {', '.join(period.ids)} i fravaer.",
    ]
    comments = [ids[i].kommentar for i in period.ids if i in ids and ids[i].kommentar]
    if comments:
        lines.append("Kommentar: " + "; ".join(dict.fromkeys(comments)))
    return "\n".join(lines)
