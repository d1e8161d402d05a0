"""The clock, in Europe/Oslo whatever the machine's time zone. Only the CLI asks it."""

from datetime import date, datetime, tzinfo
from functools import cache


@cache
def oslo() -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo("Europe/Oslo")
    except (ZoneInfoNotFoundError, ValueError):
        # No system tz database (slim containers): dateutil ships its own copy.
        from dateutil import tz

        zone = tz.gettz("Europe/Oslo")
        if zone is None:  # dateutil carries its own copy: for the type only
            raise RuntimeError("no time zone database knows Europe/Oslo") from None
        return zone


def now() -> datetime:
    return datetime.now(oslo())


def today(instant: datetime | None = None) -> date:
    """The calendar date in Norway at instant (default: now)."""
    return (instant or now()).astimezone(oslo()).date()


def timestamp() -> str:
    return now().isoformat(timespec="seconds")
