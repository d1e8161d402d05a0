"""The audit log as the helpdesk asks it: an office's entries, about a GP (by name or HPR
number) or a day, read an entry at a time."""

from datetime import date
from typing import Any

from fravaer_cli.domain.errors import InputError, NotFoundError
from fravaer_cli.domain.model import Fravaer, make_draft
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


def _last_change(store: Store, orgnr: str, fravaer_id: str) -> dict[str, Any]:
    last = None
    for entry in store.iter_log(orgnr):
        record = entry.get("fravaer")
        if isinstance(record, dict) and str(record.get("id")) == fravaer_id:
            last = entry
    if last is None:
        raise NotFoundError(
            f"Loggen til {orgnr} nevner ikke fravær {fravaer_id}: ingenting å gjenopprette. "
            f"Se «fravaer log --virksomhet {orgnr}»."
        )
    return last


def _as_fravaer(record: dict[str, Any]) -> Fravaer:
    values = [record.get(name) for name in Fravaer.FIELDS]
    return Fravaer.from_text_values([v if v is not None else "" for v in values])


def restore(store: Store, orgnr: str, fravaer_id: str, today: date, allow_past: bool, dry_run: bool = False):
    """Put a deleted or changed fravær back as it was before its last change (the log holds it),
    under add's and edit's rules. A deleted one comes back with a new id (ids are never used
    twice). Returns (the fravær now, the fravær before the restore or None, the office's label)."""
    last = _last_change(store, orgnr, fravaer_id)
    handling = last.get("handling")
    before = last.get("forrige") if handling in ("edit", "restore") else last.get("fravaer")
    if handling not in ("edit", "delete", "restore") or not isinstance(before, dict):
        raise InputError(
            f"Fravær {fravaer_id} er ikke endret eller slettet siden det ble registrert; ingenting å gjenopprette. "
            f"Skal det bort, bruk «fravaer delete {fravaer_id} --virksomhet {orgnr}»."
        )
    old = _as_fravaer(before)
    with store.change(orgnr, dry_run=dry_run) as change:
        office = change.office
        if handling == "delete":
            draft = make_draft(old.behandler, old.fra, old.til, old.tjenester, old.vikar, old.kommentar, old.hpr)
            now, created = office.add(draft, today, allow_past, store.av, store.now())
            if not created:
                raise InputError(
                    f"Fravær {fravaer_id} er alt lagret igjen, som fravær {now.describe()}; ingenting er endret."
                )
            current = None
            change.record("restore", now, forrige=old)
        else:
            current, now = office.edit(
                fravaer_id,
                today,
                allow_past,
                fra=old.fra,
                til=old.til,
                tjenester=list(old.tjenester),
                vikar=list(old.vikar),
                kommentar=old.kommentar,
                behandler=old.behandler,
                hpr=old.hpr,
            )
            if current == now:
                raise InputError(
                    f"Fravær {fravaer_id} er allerede slik det var før siste endring; ingenting er endret."
                )
            change.record("restore", now, forrige=current)
    return now, current, office.label
