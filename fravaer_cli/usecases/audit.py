"""The audit log as the helpdesk asks it: an office's entries, about a GP (by name or HPR
number) or a day, read an entry at a time."""

from datetime import date

from fravaer_cli.domain.names import behandler_key, name_matches
from fravaer_cli.store.base import Store


def log_entries(store: Store, orgnr: str, behandler: str | None = None, day: date | None = None):
    """The audit log oldest first, optionally only entries about a GP or a fravær covering day:
    an entry at a time, filtered as it is read, so a long log is never held whole.

    A behandler who is no GP of the office (not on its roster, no fravær stored, not an HPR number
    of one) and whom no entry names is not found, with the close names, as list and preview say:
    «no changes» would tell the helpdesk that nobody registered what a misspelt name hides."""
    keys: set[str] = set()
    if behandler is not None:
        office = store.load(orgnr)
        if (owner := office.hpr_owner(behandler)) is not None:
            keys.add(owner)
        elif not office.gps_matching(behandler) and not any(
            _log_wanted(entry, behandler, None, keys) for entry in store.iter_log(orgnr)
        ):
            raise office.not_a_gp_here(behandler)
    entries = store.iter_log(orgnr)
    if behandler is None and day is None:
        return entries
    return (entry for entry in entries if _log_wanted(entry, behandler, day, keys))


def _log_wanted(entry: dict, behandler: str | None, day: date | None, keys: set[str]) -> bool:
    """keys: the GP (folded name) whose HPR number behandler is, when it is one."""
    record = entry.get("fravaer") or {}
    gp = entry["behandler"] if isinstance(entry.get("behandler"), dict) else {}
    named = [record.get("behandler", ""), gp.get("behandler", ""), gp.get("fra", ""), gp.get("til", "")]
    if behandler is not None:
        number = behandler.strip()
        by_name = any(name_matches(behandler, str(name)) for name in named if name)
        by_hpr = number.isdigit() and number in (record.get("hpr"), gp.get("hpr"))
        by_key = bool(keys) and any(behandler_key(str(name)) in keys for name in named if name)
        if not (by_name or by_hpr or by_key):
            return False
    return day is None or str(record.get("fra", "")) <= day.isoformat() <= str(record.get("til", ""))
