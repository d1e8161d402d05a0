"""What each command does with the store, without any CLI in it.

Each function takes the store, already-parsed values and 'today', and returns
domain objects for the CLI to render.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from fravaer_cli.domain.errors import ConflictError, InputError, StoreError
from fravaer_cli.domain.messages import citizen_message
from fravaer_cli.domain.model import Draft, Fravaer, check_info, check_navn, matches_behandler
from fravaer_cli.domain.names import behandler_key, name_matches, norwegian_order
from fravaer_cli.domain.record import Record
from fravaer_cli.domain.virksomhet import Virksomhet, office_label
from fravaer_cli.store.base import Days, Reading, Scope, Store
from fravaer_cli.usecases.notes import gp_warnings, near_name_note, open_without_vikar_note

# importer and schedule are imported where they are used: a call of fravaer
# pays only for what its command needs. The notes a change gives are in notes.py.

MAX_CANDIDATES = 10


class Added(Record):
    """What add did."""

    FIELDS = __slots__ = ("fravaer", "created", "office", "new_office", "warnings")

    def __init__(self, fravaer: Fravaer, created: bool, office: str, new_office: bool, warnings: list[str]):
        self.fravaer = fravaer
        self.created = created  # False: an identical fravær was stored already
        self.office = office  # the office's label, for people
        self.new_office = new_office  # the office was not stored before this
        self.warnings = warnings  # a near name, working days without a GP: stored, but worth a look


def add(store: Store, orgnr: str, draft: Draft, today: date, allow_past: bool, now: str, dry_run: bool = False):
    # The rules and notes of an add are about its days: a big office's years of history are not read.
    scope = Scope(days=(draft.fra, draft.til))
    with store.change(orgnr, create=True, dry_run=dry_run, scope=scope) as change:
        office = change.office
        near = office.near_names(draft.behandler)
        renamed = office.renamed_to(draft.behandler)
        fravaer, created = office.add(draft, today, allow_past, store.av, now)
        if created:
            change.record("add", fravaer)
    warnings = [near_name_note(fravaer.behandler, near, office)] if near and created else []
    if renamed is not None:
        # A spelling from before a «roster rename»: the GP it is now, said, so that nobody wonders.
        typed = draft.behandler.strip()
        warnings.insert(0, f"Merk: «{typed}» heter nå «{renamed}» hos {office.label}; fraværet står på det navnet.")
    warnings += gp_warnings(office, [fravaer]) if created else []
    return Added(fravaer, created, office.label, change.created_office, warnings)


def edit(store: Store, orgnr: str, fravaer_id: str, today: date, allow_past: bool, dry_run: bool = False, **changes):
    """Returns (before, after, the office's label, warnings)."""
    # The fravær and the days it is moved to (it keeps those not given): what its rules and notes are about.
    given = [d for d in (changes.get("fra"), changes.get("til")) if d is not None]
    scope = Scope(days=(min(given), max(given)) if given else None, ids=(fravaer_id,))
    with store.change(orgnr, dry_run=dry_run, scope=scope) as change:
        office = change.office
        name = changes.get("behandler")
        near = office.near_names(name) if name is not None else []
        old, new = office.edit(fravaer_id, today, allow_past, **changes)
        if old != new:
            change.record("edit", new, forrige=old)
    warnings = [near_name_note(new.behandler, near, office)] if near else []
    # Only when what citizens see changed (not a comment or an HPR number), and only days to come.
    warnings += gp_warnings(office, [new], since=today) if old.identity() != new.identity() else []
    if no_vikar := [k for k in old.vikar if k not in new.vikar and k not in new.tjenester]:
        warnings.append(open_without_vikar_note(new, no_vikar))
    return old, new, office.label, warnings


def calendar_range(fra: date | None, til: date | None, today: date) -> tuple[date, date]:
    """The calendar's days. Default: Monday of this week and the next 27 days; at most plan.MAX_DAYS."""
    from datetime import timedelta

    from fravaer_cli.domain import dates, plan

    monday = today - timedelta(days=today.weekday())
    if fra is None:  # this week on; or the four weeks up to a --til before it
        fra = monday if til is None or til >= monday else til - timedelta(days=27)
    if til is None:
        til = fra + timedelta(days=27)
    if fra > til:
        raise InputError(f"--fra ({dates.short(fra)}) er etter --til ({dates.short(til)}).")
    days = (til - fra).days + 1
    if days > plan.MAX_DAYS:
        raise InputError(
            f"Perioden {dates.short(fra)}–{dates.short(til)} er {days} dager; kalenderen viser høyst {plan.MAX_DAYS}."
        )
    return fra, til


def _days_around(fra: date, til: date, margin: timedelta = timedelta(days=62)) -> tuple[date, date]:
    """The days read for a calendar's range: an away period that goes on past it is shown whole,
    and one within what was read needs no second reading of its office."""
    return max(fra, date.min + margin) - margin, min(til, date.max - margin) + margin


def _office_for_days(store: Store, orgnr: str, days: tuple[date, date]) -> Virksomhet:
    """One office with at least the fravær that meet days, with the errors of store.load."""
    reading = store.iter_offices([orgnr], days=days)
    for office in reading:
        return office
    if reading.unreadable:
        raise reading.unreadable[0]
    raise store.not_found(orgnr)


def calendar(store: Store, orgnr: str, fra: date | None, til: date | None, today: date):
    """Who is away, day by day: read for the range's days (the fravær meeting them), and whole
    only for an office without a roster, whose GPs are all those with fravær stored."""
    from fravaer_cli.domain import plan

    fra, til = calendar_range(fra, til, today)
    office = _office_for_days(store, orgnr, (fra, til))
    return plan.calendar(office if office.roster else store.load(orgnr), fra, til)


def away_periods(store: Store, orgnr: str | None, fra: date | None, til: date | None, today: date):
    """([(office, its GPs' away periods that meet the range)], unreadable files) for one office, or
    for every office the store shows (orgnr None), one at a time.

    Each office is read for the days around the range; one whose periods reach the edge of what
    was read is read again whole (plan.away_periods says when), so the periods are the same as
    from every fravær stored."""
    from fravaer_cli.domain import plan

    fra, til = calendar_range(fra, til, today)
    days = _days_around(fra, til)
    reading = Reading([_office_for_days(store, orgnr, days)]) if orgnr is not None else offices(store, None, days=days)

    def found():
        for office in reading:
            periods = plan.away_periods(office, fra, til, read=days)
            if periods is None:
                office = store.load(office.orgnr)
                periods = plan.away_periods(office, fra, til)
            yield office, periods

    return found(), reading.unreadable


# -- the roster ----------------------------------------------------------------------


def roster(store: Store, orgnr: str) -> tuple[Virksomhet, list[dict]]:
    """The roster, then GPs with fravær stored who are not on it (pa_listen false)."""
    office = store.load(orgnr)
    rows = [{"behandler": e.behandler, "hpr": e.hpr, "pa_listen": True} for e in office.roster]
    on_list = {e.key for e in office.roster}
    others: dict[str, dict] = {}
    for f in office.fravaer:
        if f.key not in on_list:
            row = others.setdefault(f.key, {"behandler": f.behandler, "hpr": "", "pa_listen": False})
            row["hpr"] = f.hpr or row["hpr"]
    rows.sort(key=lambda r: norwegian_order(r["behandler"]))
    return office, rows + sorted(others.values(), key=lambda r: norwegian_order(r["behandler"]))


def roster_add(store: Store, orgnr: str, name: str, hpr: str | None):
    """Returns (entry, entry before or None, office, office created, near names)."""
    [(entry, before, near)], office, created = roster_add_many(store, orgnr, [name], hpr)
    return entry, before, office, created, near


def roster_add_many(store: Store, orgnr: str, names: list[str], hpr: str | None):
    """Every name on the roster in one change. Returns ([(entry, entry before or None, near
    names)] in the order given, office, office created)."""
    with store.change(orgnr, create=True) as change:
        office = change.office
        added = []
        for name in names:
            near = office.near_names(name)
            entry, before = office.roster_add(name, hpr)
            if before != entry:
                change.record("roster_add", None, behandler=_entry(entry), forrige=_entry(before) if before else None)
            added.append((entry, before, near))
    return added, office, change.created_office


def roster_remove(store: Store, orgnr: str, name: str):
    with store.change(orgnr) as change:
        entry = change.office.roster_remove(name)
        change.record("roster_remove", None, behandler=_entry(entry))
    return entry, change.office


def rename(store: Store, orgnr: str, old_name: str, new_name: str):
    """Returns (the GP's name now, the fravær changed as (before, after), the office, near names).

    near: other GPs here whose names new_name is one or two letters from, as add notes them
    («oystein asheim» typed without ø and å is a third spelling, not «Øystein Åsheim»)."""
    with store.change(orgnr) as change:
        office = change.office
        old_key = behandler_key(old_name)
        near = [name for name in office.near_names(new_name) if behandler_key(name) != old_key]
        roster_before = [_entry(e) for e in office.roster]
        target, changed = office.rename(old_name, new_name)
        changed = [(a, b) for a, b in changed if a != b]
        if changed or roster_before != [_entry(e) for e in office.roster]:
            # «til»: the name the GP has now, as typed, or, merged into a GP known here, that GP's
            # (the database is asked for exactly this, and finds the GP by it).
            change.record("rename", None, behandler={"fra": old_name.strip(), "til": target})
        for before, after in changed:
            change.record("edit", after, forrige=before)
    return target, changed, office, near


def _entry(entry) -> dict:
    return {"behandler": entry.behandler, "hpr": entry.hpr}


def import_rows(
    store: Store,
    raw: bytes,
    name: str,
    today: date,
    allow_past: bool,
    now: str,
    dry_run: bool,
    progress=None,
    sheet: str | None = None,
    virksomhet: str | None = None,
    meanwhile=None,
):
    """Check every row, then write each office once. Returns (source, plan); plan.errors means nothing was written.

    meanwhile(source, plan): called when every row is checked and found good, while the database
    stores the last of them (it has a queue of them then); not called for the file store. What the
    caller needs of the plan afterwards is then ready when the import is."""
    import gc

    # Every row becomes objects that live until the end; the cyclic collector
    # would walk them again and again (most of the time of a big import) and find nothing.
    gc.disable()
    try:
        return _import_rows(store, raw, name, today, allow_past, now, dry_run, progress, sheet, virksomhet, meanwhile)
    finally:
        gc.freeze()  # and not afterwards either, once the summary is printed
        gc.enable()


def _import_rows(store, raw, name, today, allow_past, now, dry_run, progress, sheet, virksomhet, meanwhile):
    from fravaer_cli.usecases import checking, importer

    source = importer.read(raw, name, sheet, virksomhet)
    if store.streams_imports and not dry_run:
        return source, _import_streaming(store, source, today, allow_past, now, progress, meanwhile)
    # The rows' days, found in a first pass (the rows are made again for the check): each office
    # is read for them, not for its years of history (a big office's cache entry, the database).
    _, days = checking.office_numbers(source.rows, today)
    scope = Scope(days=days) if days is not None else None
    plan = checking.check(source, lambda orgnr: store.load_for_change(orgnr, scope), today, allow_past, store.av, now)
    if plan.errors:
        return source, plan
    if dry_run:
        # The real run would lock every office the rows name first: what the login may not do fails there.
        store.check_writable(plan.offices, create=True)
        return source, plan
    _write_plan(store, plan, today, now, progress, scope)
    return source, plan


class _Refused(Exception):
    """The import's rows have errors: what was sent is rolled back."""


def _import_streaming(store: Store, source, today: date, allow_past: bool, now: str, progress, meanwhile):
    """The database: every office the file names is locked first, the rows are checked under
    those locks, and each new fravær goes to the server while the rows after it are checked."""
    from fravaer_cli.usecases import checking

    # The rows are read twice, first for which offices to lock: each pass makes them anew (importer.Rows).
    orgnrs, days = checking.office_numbers(source.rows, today)
    # Each row is about its own days (as an add): the fravær that can overlap or repeat one are
    # read, not the offices' years of history.
    scope = Scope(days=days) if days is not None else None
    try:
        with store.change_many(orgnrs, create=True, progress=progress, stream=True, scope=scope) as changes:

            def load(orgnr: str):
                change = changes[orgnr]
                # The stamp says only whether the office was stored before: it is read under the lock.
                return change.office, None if change.created_office else True

            def added(orgnr: str, fravaer: Fravaer) -> None:
                changes.send(orgnr, fravaer, "import")

            plan = checking.check(source, load, today, allow_past, store.av, now, added)
            if plan.errors:
                raise _Refused
            for orgnr, office_plan in plan.offices.items():
                _record_name(changes[orgnr], office_plan)
            if meanwhile is not None:
                meanwhile(source, plan)
    except _Refused:
        pass
    return plan


def _record_name(change, office_plan) -> None:
    """A new office named by the file's navn column: logged as `info --navn` logs it."""
    if office_plan.named and office_plan.added:
        change.record(
            "info", None, virksomhet={"navn": change.office.navn, "info": ""}, forrige={"navn": "", "info": ""}
        )


def _write_plan(store: Store, plan, today: date, now: str, progress, scope: Scope | None) -> None:
    """Every office of the import under its lock at once: nothing is written until
    every lock is had, every log is open and every row still fits."""
    todo = {orgnr: p for orgnr, p in plan.offices.items() if p.added}
    prepared = {orgnr: (p.office, p.stamp) for orgnr, p in todo.items()}
    try:
        with store.change_many(todo, create=True, prepared=prepared, progress=progress, scope=scope) as changes:
            for orgnr, change in changes.items():
                office_plan = todo[orgnr]
                if not change.reused:
                    # Someone wrote to the office after it was checked: check its rows again, under the lock.
                    office_plan.added = _apply_again(change.office, office_plan, today, now, store.av)
                    office_plan.office = change.office
                _record_name(change, office_plan)
                for _, fravaer in office_plan.added:
                    change.record("import", fravaer)
    except StoreError as e:
        written = e.written
        if written:
            raise StoreError(
                f"{e}\nImportert før feilen: {len(written)} av {len(todo)} virksomheter ({', '.join(written[:10])}"
                f"{' …' if len(written) > 10 else ''}); resten er ikke endret. Rett feilen og kjør importen på nytt: "
                "det som allerede finnes, hoppes over."
            ) from None
        raise


def _apply_again(office: Virksomhet, office_plan, today: date, now: str, av: str) -> list:
    added: list = []
    for where, f in office_plan.added:
        draft = Draft(f.behandler, f.fra, f.til, f.tjenester, f.vikar, f.kommentar, f.hpr)
        try:
            fravaer, created = office.add(draft, today, True, av, now)
        except ConflictError as e:
            raise ConflictError(
                f"{where}: {e} Fraværet ble registrert av noen andre mens importen pågikk. "
                "Ingenting er importert; løs konflikten og kjør importen på nytt."
            ) from None
        (added if created else office_plan.skipped).append((where, fravaer))
    return added


def find(store: Store, orgnr: str, fravaer_id: str) -> Fravaer:
    return store.load(orgnr).get(fravaer_id)


def delete(
    store: Store, orgnr: str, fravaer_id: str, expected: Fravaer | None = None, dry_run: bool = False
) -> tuple[Fravaer, str]:
    """Delete; with expected, only if the stored fravær is still what the user confirmed.
    Returns (the deleted fravær, the office's label)."""
    with store.change(orgnr, dry_run=dry_run) as change:
        current = change.office.get(fravaer_id)
        if expected is not None and current != expected:
            raise StoreError(
                f"Fravær {fravaer_id} ble endret av noen andre mens du svarte; ingenting er slettet. Prøv igjen."
            )
        change.office.delete(fravaer_id)
        change.record("delete", current)
    return current, change.office.label


def set_info(store: Store, orgnr: str, navn: str | None = None, info: str | None = None) -> Virksomhet:
    """Set the name and/or the info text ('' clears it). Creates the office when it is new."""
    navn = check_navn(navn) if navn is not None else None
    info = check_info(info) if info is not None else None
    with store.change(orgnr, create=True) as change:
        office = change.office
        before = {"navn": office.navn, "info": office.info}
        if navn is not None:
            office.navn = navn
        if info is not None:
            office.info = info
        after = {"navn": office.navn, "info": office.info}
        if after != before or not store.exists(orgnr):
            change.record("info", None, virksomhet=after, forrige=before)
    return office


class OfficeRef(Record):
    """What a report keeps of an office, so that the office itself can be let go."""

    FIELDS = __slots__ = ("orgnr", "navn")

    def __init__(self, orgnr: str, navn: str):
        self.orgnr, self.navn = orgnr, navn

    def __hash__(self):  # never changed after it is made
        return hash(self.values())

    @property
    def label(self) -> str:
        return office_label(self.orgnr, self.navn)


STATUS_KINDS = ("stengt", "starter_i_morgen", "apner_i_morgen", "vikar", "vikar_starter")


def status_entries(store: Store, orgnr: str | None, day: date, until: date | None = None, behandler=None):
    """(entries, unreadable): entries yields (kind, OfficeRef, Stretch), kind one of
    STATUS_KINDS, reading one office at a time; unreadable gets the files that could
    not be read, as they are met. until: the last day the look-ahead covers (default the next).
    behandler: only that GP's (a part of the name, or an HPR number), as list --behandler."""
    from fravaer_cli.domain import schedule

    # Now, so that a store with no office fails before any output; only what can touch the days.
    chosen = offices(store, orgnr, behandler, days=(day, until or day + timedelta(days=1)))

    def entries():
        for office in chosen:
            ref = OfficeRef(office.orgnr, office.navn)
            fravaer = office.fravaer
            if behandler is not None:
                if orgnr is not None:
                    _check_gp(office, behandler)  # a misspelt GP is not found, not «nothing closed»
                owner = office.hpr_owner(behandler)
                fravaer = [f for f in fravaer if office.matches_gp(f, behandler, owner)]
            for kind, stretches in zip(STATUS_KINDS, schedule.day_status(fravaer, day, until), strict=True):
                for stretch in stretches:
                    yield kind, ref, stretch

    return entries(), chosen.unreadable


def list_all(store: Store, orgnr: str | None, today: date, behandler=None, tjeneste=None, include_past=False):
    """([(OfficeRef, Fravaer)], unreadable files) for one office or all."""
    rows, unreadable = list_rows(store, orgnr, today, behandler, tjeneste, include_past)
    return list(rows), unreadable


def list_rows(store: Store, orgnr: str | None, today: date, behandler=None, tjeneste=None, include_past=False):
    """(rows, unreadable files): rows yields (OfficeRef, Fravaer) one office at a time, for one
    office or all; unreadable gets the files that could not be read, as they are met."""
    # Now, so that a store with no office fails before any output.
    reading = offices(store, orgnr, behandler, days=None if include_past else (today, None))

    def rows():
        for office in reading:
            ref = OfficeRef(office.orgnr, office.navn)
            found = list_fravaer(office, today, behandler, tjeneste, include_past)
            if orgnr is not None and behandler is not None and not found:
                _check_gp(office, behandler)
            for f in found:
                yield ref, f

    return rows(), reading.unreadable


def _check_gp(office: Virksomhet, query: str) -> None:
    """A name that is no GP of the office (nor an HPR number of one) is not found: an empty
    answer would tell the helpdesk that a misspelt GP has nothing registered."""
    if not office.gps_matching(query.strip()):
        raise office.not_a_gp_here(query)


def all_offices(store: Store) -> tuple[list[Virksomhet], list[StoreError]]:
    """Every stored office that can be read, and the files that cannot."""
    reading = offices(store, None)
    return list(reading), reading.unreadable


def offices(
    store: Store,
    orgnr: str | None,
    behandler: str | None = None,
    days: Days | None = None,
) -> Reading[Virksomhet]:
    """One office, or every stored one (orgnr None), one at a time; unreadable ones in .unreadable.
    behandler: only the GP's fravær are wanted (a store may leave out the rest; the caller filters anyway).

    Every office of an empty store is no answer a cron job should take for "nothing
    closes": a folder that does not exist or holds no office is a StoreError, at once."""
    if orgnr is not None:
        return Reading([store.load(orgnr)])
    if not store.orgnrs(must_exist=True):
        raise store.no_offices()
    return store.iter_offices(behandler=behandler, days=days)


def list_fravaer(office: Virksomhet, today: date, behandler=None, tjeneste=None, include_past=False) -> list[Fravaer]:
    owner = office.hpr_owner(behandler) if behandler is not None else None  # the roster's HPR number too
    chosen = [
        f
        for f in office.fravaer
        if (include_past or f.til >= today)
        and (matches_behandler(f, behandler) or (owner is not None and f.key == owner))
        and (tjeneste is None or tjeneste in f.tjenester or tjeneste in f.vikar)
    ]
    chosen.sort(key=lambda f: (f.fra, f.key, f.til, _id_order(f.id)))
    return chosen


def _id_order(fravaer_id: str):
    numeric = fravaer_id.isascii() and fravaer_id.isdigit()  # '²' is a digit to isdigit, not to int
    return (0, int(fravaer_id), "") if numeric else (1, 0, fravaer_id)


class PreviewLine(Record):
    """One line of a preview: the citizen's message for a GP's (or the office's) tjeneste."""

    FIELDS = __slots__ = ("behandler", "tjeneste", "apner_igjen", "melding")

    def __init__(self, behandler: str | None, tjeneste: str, apner_igjen: date | None, melding: str):
        self.behandler, self.tjeneste, self.apner_igjen, self.melding = behandler, tjeneste, apner_igjen, melding


def preview(office: Virksomhet, day: date, tjenester: Sequence[str], lang: str, behandler: str | None = None):
    """What a citizen sees on day, per behandler and tjeneste. Returns (lines, unknown_behandler)."""
    from fravaer_cli.domain import schedule

    names: dict[str, str] = {}
    for f in office.fravaer:
        names.setdefault(f.key, f.behandler)
    unknown = False
    if behandler is not None and (owner := office.hpr_owner(behandler)) is not None:
        behandler = office.gps_matching(behandler)[0]  # the GP whose HPR number it is, by name
        names.setdefault(owner, behandler)
    if behandler is not None:
        wanted = behandler_key(behandler)
        if wanted in names:
            names = {wanted: names[wanted]}
        else:
            partial = {k: v for k, v in names.items() if name_matches(behandler, v)}
            if len(partial) > 1:
                shown = ", ".join(sorted(partial.values(), key=norwegian_order))
                raise InputError(
                    f"«{behandler}» passer til flere behandlere hos {office.label}: {shown}. Skriv mer av navnet."
                )
            if not partial:
                # A GP on the roster with nothing stored: every service is open. Anyone else is no
                # GP here, and "all open" would be a confident wrong answer for a misspelt name.
                on_roster = office.gps_matching(behandler)  # no stored GP matched: these are the roster's
                if len(on_roster) > 1:
                    raise InputError(
                        f"«{behandler}» passer til flere fastleger hos {office.label}: "
                        f"{', '.join(on_roster)}. Skriv mer av navnet."
                    )
                if not on_roster:
                    raise office.not_a_gp_here(behandler)
                unknown = True
                partial = {behandler_key(on_roster[0]): on_roster[0]}
            names = partial
    lines = []
    for key, name in sorted(names.items(), key=lambda item: norwegian_order(item[1])):
        for tjeneste in tjenester:
            stretch = schedule.closed_until(office.fravaer, key, tjeneste, day)
            reopens = stretch.apner_igjen if stretch else None
            lines.append(PreviewLine(name, tjeneste, reopens, citizen_message(tjeneste, reopens, lang)))
    if not names:
        lines = [PreviewLine(None, t, None, citizen_message(t, None, lang)) for t in tjenester]
    return lines, unknown
