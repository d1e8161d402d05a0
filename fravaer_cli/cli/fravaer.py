"""The commands that register and change fravær: add, list, edit, delete, import."""

import sys
from typing import Annotated

import typer

from fravaer_cli.cli.app import command, env
from fravaer_cli.cli.boundary import record_stored
from fravaer_cli.cli.options import (
    BEHANDLER_TYPE,
    FILE_TYPE,
    TJENESTE_TYPE,
    VIKAR_TYPE,
    VIRKSOMHET_TYPE,
    AllOffices,
    AllowPast,
    DryRun,
    Format,
    FravaerId,
    Json,
    OneVirksomhet,
    Vikar,
    Virksomhet,
    output_format,
    tjeneste_keys,
)
from fravaer_cli.domain import catalogue
from fravaer_cli.domain.errors import InputError, StoreError, os_reason
from fravaer_cli.domain.model import Fravaer, far_date_notes
from fravaer_cli.output import formats, overview
from fravaer_cli.usecases import lookup, operations

EPJ_REMINDER = "Husk å skru av tjenester i EPJ som ikke skal være tilgjengelig for innbygger."
VIKAR_REMINDER = "For tjenester som har vikar, må vikar registreres i EPJ."


def reminders(vikar_involved: bool, closing: bool = True) -> None:
    if closing:  # a fravær with only a vikar closes nothing in the EPJ
        print(EPJ_REMINDER, file=sys.stderr)
    if vikar_involved:
        print(VIKAR_REMINDER, file=sys.stderr)


def names(keys) -> str:
    return ", ".join(catalogue.display_name(k) for k in keys)


def report_unreadable(errors: list[StoreError]) -> None:
    """--all goes on past unreadable files, then names them and exits 5."""
    if errors:
        for e in errors:
            print(formats.printable(str(e)), file=sys.stderr)
        # The same words for both stores: an office's file, or its rows in the database.
        count = formats.count(len(errors), "virksomhet", "virksomheter")
        raise StoreError(f"{count} kunne ikke leses; resten er vist.")


@command("add")
def add(
    ctx: typer.Context,
    virksomhet: OneVirksomhet,
    behandler: Annotated[
        str,
        typer.Option(
            "--behandler", help="Fastlegens navn, som «Astrid Info».", metavar="NAVN", click_type=BEHANDLER_TYPE
        ),
    ],
    fra: Annotated[str, typer.Option("--fra", help="Fra og med (første dag med fravær).", metavar="DATO")],
    til: Annotated[str, typer.Option("--til", help="Til og med (siste dag med fravær).", metavar="DATO")],
    tjeneste: Annotated[
        list[str] | None,
        typer.Option(
            "--tjeneste",
            help="Tjeneste som stenges: nøkkel eller navn, eller «alle». Kan gjentas. "
            "Uten --tjeneste: et fravær der vikaren tar tjenestene i --vikar.",
            metavar="TJENESTE",
            click_type=TJENESTE_TYPE,
        ),
    ] = None,
    vikar: Vikar = None,
    hpr: Annotated[str | None, typer.Option("--hpr", help="Behandlerens HPR-nummer.", metavar="NUMMER")] = None,
    kommentar: Annotated[
        str | None, typer.Option("--kommentar", help="Intern kommentar (vises ikke for innbyggere).", metavar="TEKST")
    ] = None,
    allow_past: AllowPast = False,
    dry_run: DryRun = False,
) -> None:
    """Registrer ett fravær. Skriver id-en alene på standard ut.

    Datoer: 12.06.2024, 2024-06-12, i dag, i morgen, i går, +N og -N (N dager fra eller før i dag).
    """
    from fravaer_cli.domain.model import make_draft

    e = env(ctx)
    orgnr = e.virksomhet(virksomhet, allow_new=True)
    closed, said_all = tjeneste_keys(tjeneste or [], "--tjeneste")
    vikar_keys, vikar_all = tjeneste_keys(vikar, "--vikar")
    draft = make_draft(
        behandler,
        e.date(fra, "fra og med-dato"),
        e.date(til, "til og med-dato"),
        closed,
        vikar_keys,
        kommentar,
        hpr,
        all_tjenester=said_all,
        all_vikar=vikar_all,
    )
    added = operations.add(e.store, orgnr, draft, e.today, allow_past, e.store.now(), dry_run)
    fravaer = added.fravaer
    if dry_run:
        if added.created:
            # What the real run would say besides its confirmation: the notes and warnings too.
            if added.new_office:
                print(new_office_note([orgnr], dry_run=True), file=sys.stderr)
            print(
                f"Tørrkjøring: ville registrert fravær {fravaer.summary()} hos {added.office}. Ingenting er lagret.",
                file=sys.stderr,
            )
            notes(fravaer.fra, fravaer.til)
            warn(added.warnings)
        else:
            print(fravaer.id)
            print(
                f"Tørrkjøring: fraværet finnes allerede (fravær {fravaer.id}); ingenting ville blitt endret.",
                file=sys.stderr,
            )
        return
    if added.created:
        record_stored(ctx, f"Fravær {fravaer.id} er lagret")
        if added.new_office:
            print(new_office_note([orgnr]), file=sys.stderr)
        print(f"Registrert fravær {fravaer.describe()} hos {added.office}.", file=sys.stderr)
        notes(fravaer.fra, fravaer.til)
        warn(added.warnings)
    else:
        print(f"Fraværet finnes allerede (fravær {fravaer.id}); ingenting er endret.", file=sys.stderr)
    reminders(bool(fravaer.vikar), bool(fravaer.tjenester))
    print(fravaer.id)  # last: the people's lines are said even when standard out cannot be written


def new_office_note(orgnrs: list[str], dry_run: bool = False) -> str:
    made = "blir opprettet" if dry_run else "opprettet"
    if len(orgnrs) == 1:
        how = f"«fravaer info --virksomhet {orgnrs[0]} --navn NAVN»"
        return f"Ny virksomhet {orgnrs[0]} {made}; gi den et navn med {how}."
    how = "«fravaer info --virksomhet ORGNR --navn NAVN»"
    return f"Nye virksomheter {made}: {', '.join(orgnrs)}; gi dem navn med {how}."


def warn(lines) -> None:
    for line in lines:
        print(formats.printable(line), file=sys.stderr)


def notes(fra, til) -> None:
    """What is stored but worth a look, said on stderr: a year far away, a reopening day that is no working day."""
    for note in fravaer_notes(fra, til):
        print(note, file=sys.stderr)


def fravaer_notes(fra, til) -> list[str]:
    from datetime import timedelta

    from fravaer_cli.domain import workdays

    reopening = workdays.reopening_note(til + timedelta(days=1))
    return far_date_notes(fra, til) + ([reopening] if reopening else [])


@command("list")
def list_(
    ctx: typer.Context,
    virksomhet: Virksomhet = None,
    every: AllOffices = False,
    behandler: Annotated[
        str | None,
        typer.Option(
            "--behandler", help="Bare behandlere med denne teksten i navnet.", metavar="NAVN", click_type=BEHANDLER_TYPE
        ),
    ] = None,
    tjeneste: Annotated[
        str | None,
        typer.Option(
            "--tjeneste", help="Bare fravær som gjelder denne tjenesten.", metavar="TJENESTE", click_type=VIKAR_TYPE
        ),
    ] = None,
    include_past: Annotated[bool, typer.Option("--include-past", help="Ta med fravær som er over.")] = False,
    fmt: Format = "table",
    as_json: Json = False,
) -> None:
    """Oversikt over fravær: ID, behandler, fra og med, til og med, tjenester."""
    e = env(ctx)
    fmt = output_format(fmt, as_json)
    orgnr = e.scope(virksomhet, every)
    tjeneste_key = catalogue.resolve(tjeneste) if tjeneste else None
    headers = ["id", "virksomhet", *Fravaer.FIELDS[1:]]
    if orgnr is None and (fmt != "table" or formats.lines_match_table()):
        _list_streamed(e, headers, behandler, tjeneste_key, include_past, fmt)
        return
    rows, errors = operations.list_all(e.store, orgnr, e.today, behandler, tjeneste_key, include_past)
    records = [{"id": f.id, "virksomhet": o.orgnr, **f.to_dict()} for o, f in rows]
    # CSV has the JSON's columns, lists joined with ";" as import reads them.
    csv_rows = ([";".join(v) if isinstance(v, list) else v for v in r.values()] for r in records)
    # Over every office, a name (or HPR number) that no GP has: one answer, that no GP has it, with
    # the close ones; «Ingen fravær nå eller fremover» would say the GP exists and is at work.
    unknown = orgnr is None and behandler is not None and not rows and not lookup.is_a_gp(e.store, behandler)
    if not (unknown and fmt == "table"):
        formats.render(
            formats.Result(
                records,
                (headers, csv_rows),
                lambda: overview.list_table(rows, every=orgnr is None, include_past=include_past),
            ),
            fmt,
        )
    if unknown and behandler is not None:
        _say_close_names(e.store, behandler)
    report_unreadable(errors)


def _list_streamed(e, headers: list[str], behandler: str | None, tjeneste: str | None, past: bool, fmt: str) -> None:
    """list --all, each fravær written as its office is read (JSON, CSV), or kept in a temporary
    file until the table's widths are known: the same text as from the whole list, in memory that
    stays flat however many offices there are."""
    rows, errors = operations.list_rows(e.store, None, e.today, behandler, tjeneste, past)
    if fmt == "table":
        count, lines = overview.list_table_spilled(rows, past)
        if behandler is not None and not count and not lookup.is_a_gp(e.store, behandler):
            _say_close_names(e.store, behandler)  # no GP has it: said instead of «Ingen fravær»
        else:
            formats.render(formats.Result(None, ([], []), lambda: lines), fmt)
        report_unreadable(errors)
        return
    shown = 0

    def records():
        nonlocal shown
        for o, f in rows:
            shown += 1
            yield {"id": f.id, "virksomhet": o.orgnr, **f.to_dict()}

    csv_rows = ([";".join(v) if isinstance(v, list) else v for v in r.values()] for r in records())
    formats.render(formats.Result(formats.StreamedList(records()), (headers, csv_rows), ""), fmt)
    if behandler is not None and not shown and not lookup.is_a_gp(e.store, behandler):
        _say_close_names(e.store, behandler)
    report_unreadable(errors)


def _say_close_names(store, query: str) -> None:
    """No GP anywhere matched: a misspelling, most likely; the GPs one or two letters from it
    (or, for an HPR number, the numbers one or two digits from it)."""
    text = query.strip()
    close = lookup.close_gp_names(store, text)
    what = (
        f"HPR-nummer {text} (på listen over fastleger eller på et fravær)" if text.isdigit() else f"«{text}» i navnet"
    )
    if close:
        shown = " eller ".join(f"«{name}» ({label})" for name, label in close[:10])
        print(formats.printable(f"Ingen fastlege har {what}. Mente du {shown}?"), file=sys.stderr)
    else:
        print(formats.printable(f"Ingen fastlege har {what}."), file=sys.stderr)


@command("edit")
def edit(
    ctx: typer.Context,
    fravaer_id: FravaerId,
    virksomhet: OneVirksomhet,
    fra: Annotated[str | None, typer.Option("--fra", help="Ny fra og med-dato.", metavar="DATO")] = None,
    til: Annotated[str | None, typer.Option("--til", help="Ny til og med-dato.", metavar="DATO")] = None,
    tjeneste: Annotated[
        list[str] | None,
        typer.Option(
            "--tjeneste",
            help="Erstatter tjenestene som stenges. Kan gjentas, eller «alle».",
            metavar="TJENESTE",
            click_type=TJENESTE_TYPE,
        ),
    ] = None,
    vikar: Annotated[
        list[str] | None,
        typer.Option(
            "--vikar",
            help="Erstatter tjenestene med vikar. Kan gjentas, eller «alle» (alle som ikke stenges).",
            metavar="TJENESTE",
            click_type=TJENESTE_TYPE,
        ),
    ] = None,
    no_vikar: Annotated[bool, typer.Option("--no-vikar", help="Fjern alle vikartjenester.")] = False,
    behandler: Annotated[
        str | None,
        typer.Option(
            "--behandler",
            help="Riktig navn på behandleren (retter en feilstavet).",
            metavar="NAVN",
            click_type=BEHANDLER_TYPE,
        ),
    ] = None,
    hpr: Annotated[
        str | None, typer.Option("--hpr", help="Behandlerens HPR-nummer («» fjerner det).", metavar="NUMMER")
    ] = None,
    kommentar: Annotated[
        str | None, typer.Option("--kommentar", help="Ny kommentar («» fjerner den).", metavar="TEKST")
    ] = None,
    allow_past: AllowPast = False,
    dry_run: DryRun = False,
) -> None:
    """Endre ett fravær; id-en beholdes, og reglene er de samme som for add."""
    e = env(ctx)
    orgnr = e.virksomhet(virksomhet)
    if vikar and no_vikar:
        raise InputError("Bruk enten --vikar eller --no-vikar, ikke begge.")
    closed, said_all = tjeneste_keys(tjeneste, "--tjeneste") if tjeneste else (None, False)
    vikar_keys, vikar_all = ([], False) if no_vikar else (tjeneste_keys(vikar, "--vikar") if vikar else (None, False))
    old, new, office, warnings = operations.edit(
        e.store,
        orgnr,
        fravaer_id,
        e.today,
        allow_past,
        dry_run,
        fra=e.date(fra, "fra og med-dato") if fra else None,
        til=e.date(til, "til og med-dato") if til else None,
        tjenester=closed,
        vikar=vikar_keys,
        kommentar=kommentar,
        all_tjenester=said_all,
        all_vikar=vikar_all,
        behandler=behandler,
        hpr=hpr,
    )
    prefix = "Tørrkjøring: ville endret" if dry_run else "Endret"
    if old == new:
        print(f"Ingen endring: fravær {new.describe()}.", file=sys.stderr)
        return
    print(f"{prefix} fravær {old.describe()} hos {office}\n  til {new.summary()}.", file=sys.stderr)
    warn(warnings)
    if old.identity() != new.identity():  # a comment changed says nothing new of the days
        notes(new.fra, new.til)
    if not dry_run:
        reminders(bool(new.vikar), bool(new.tjenester))


@command("delete")
def delete(
    ctx: typer.Context,
    fravaer_id: FravaerId,
    virksomhet: OneVirksomhet,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Slett uten å spørre.")] = False,
    dry_run: DryRun = False,
) -> None:
    """Slett ett fravær. Spør først på en terminal; --yes hopper over spørsmålet."""
    e = env(ctx)
    orgnr = e.virksomhet(virksomhet)
    if dry_run:  # under the same checks as the real delete, access included
        fravaer, _ = operations.delete(e.store, orgnr, fravaer_id, dry_run=True)
        print(f"Tørrkjøring: ville slettet fravær {fravaer.describe()}. Ingenting er endret.", file=sys.stderr)
        return
    fravaer = operations.find(e.store, orgnr, fravaer_id)
    if not yes:
        if not _stdin_is_terminal():
            raise InputError(
                f"Sletter ikke fravær {fravaer_id} uten bekreftelse, og standard inn er ikke en terminal. "
                "Bruk --yes for å slette fra et skript."
            )
        answer = _ask(f"Slette fravær {fravaer.describe()}? [j/N] ")
        if answer not in ("j", "ja", "y", "yes"):
            print("Ingenting er slettet.", file=sys.stderr)
            return
    deleted, office = operations.delete(e.store, orgnr, fravaer_id, expected=fravaer)
    print(f"Slettet fravær {deleted.describe()} hos {office}.", file=sys.stderr)
    if deleted.fra <= e.today <= deleted.til:  # one not started yet or already over switched nothing off
        print("Husk å skru på igjen i EPJ tjenester som nå skal være tilgjengelige for innbygger.", file=sys.stderr)


@command("restore")
def restore(
    ctx: typer.Context,
    fravaer_id: FravaerId,
    virksomhet: OneVirksomhet,
    allow_past: AllowPast = False,
    dry_run: DryRun = False,
) -> None:
    """Sett et slettet eller endret fravær tilbake slik det var før siste endring (fra loggen).

    Samme regler som add og edit. Et slettet fravær får ny id (id-er brukes aldri om igjen).
    """
    from fravaer_cli.usecases import audit

    e = env(ctx)
    orgnr = e.virksomhet(virksomhet)
    now, before, office = audit.restore(e.store, orgnr, fravaer_id, e.today, allow_past, dry_run)
    if before is None:
        said = (
            f"ville gjenopprettet slettet fravær {fravaer_id}"
            if dry_run
            else f"Gjenopprettet slettet fravær {fravaer_id}"
        )
        print(f"{'Tørrkjøring: ' if dry_run else ''}{said} som fravær {now.describe()} hos {office}.", file=sys.stderr)
    else:
        said = "Tørrkjøring: ville gjenopprettet" if dry_run else "Gjenopprettet"
        print(f"{said} fravær {before.describe()} hos {office}\n  til {now.summary()}.", file=sys.stderr)
    if dry_run:
        print("Ingenting er lagret.", file=sys.stderr)
        return
    record_stored(ctx, f"Fravær {now.id} er gjenopprettet")
    notes(now.fra, now.til)
    reminders(bool(now.vikar), bool(now.tjenester))
    print(now.id)


def _stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _ask(prompt: str) -> str:
    print(prompt, end="", file=sys.stderr, flush=True)
    try:
        return sys.stdin.readline().strip().casefold()
    except EOFError:  # Ctrl-D: no answer, so no. Ctrl-C ends the command at the boundary.
        return ""


MAX_ERRORS_SHOWN = 10  # the first ones say what is wrong; a whole file of them says no more


@command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            help="Regneark (.xlsx, .xls, .ods), CSV- eller JSON-fil, eller - for standard inn.",
            metavar="FIL",
            click_type=FILE_TYPE,
        ),
    ],
    virksomhet: Annotated[
        str | None,
        typer.Option(
            "--virksomhet",
            help="Virksomheten for rader som ikke har én (ingen virksomhet-kolonne, eller tom celle).",
            metavar="ORGNR|NAVN",
            click_type=VIRKSOMHET_TYPE,
        ),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--ark", help="Arket i regnearket (standard: det første).", metavar="NAVN")
    ] = None,
    allow_past: AllowPast = False,
    dry_run: DryRun = False,
    fmt: Format = "table",
    as_json: Json = False,
) -> None:
    """Registrer mange fravær fra et regneark, CSV eller JSON. Alle rader sjekkes før noe lagres.

    Kolonner: virksomhet, behandler, fra, til, tjenester; valgfrie: vikar, kommentar (eller merknad), hpr,
    navn (virksomhetens navn, for nye virksomheter). Uten virksomhet-kolonne: --virksomhet.
    Datoer: 12.06.2024, 2024-06-12, i dag, i morgen, i går, +N og -N (N dager fra eller før i dag).
    """
    from fravaer_cli.cli import imports

    e = env(ctx)
    fmt = output_format(fmt, as_json)
    name = "standard inn" if file == "-" else file
    raw = _read_input(file)
    orgnr = e.virksomhet(virksomhet, allow_new=True) if virksomhet is not None else None
    early: list[tuple[list[str], list[str]]] = []  # the notes, made while the database stores (meanwhile)
    source, plan = operations.import_rows(
        e.store,
        raw,
        name,
        e.today,
        allow_past,
        e.store.now(),
        dry_run,
        progress=_progress_bar(len(raw)),
        sheet=sheet,
        virksomhet=orgnr,
        meanwhile=lambda source, plan: early.append(imports.import_notes(source, plan, dry_run)),
    )
    for note in source.notes:
        print(formats.printable(note), file=sys.stderr)
    if plan.errors:
        for error in plan.errors[:MAX_ERRORS_SHOWN]:
            print(formats.printable(error), file=sys.stderr)
        if len(plan.errors) > MAX_ERRORS_SHOWN:
            print(f"… og {len(plan.errors) - MAX_ERRORS_SHOWN} feil til.", file=sys.stderr)
        raise InputError(
            f"{formats.count(len(plan.errors), 'feil', 'feil')} i {formats.count(plan.bad_rows, 'rad', 'rader')} av "
            f"{plan.row_count} i {name}; ingenting er importert."
        )
    notes, warnings = early[0] if early else imports.import_notes(source, plan, dry_run)
    if plan.added and not dry_run:
        record_stored(ctx, "Importen er lagret")
    imports.print_some(notes[len(source.notes) :], "merknad", "merknader")  # the reader's own are said above
    imports.print_some(warnings, "advarsel", "advarsler")
    formats.render(imports.import_result(plan, dry_run, notes, warnings), fmt)
    if plan.added and not dry_run:
        reminders(any(f.vikar for p in plan.offices.values() for _, f in p.added))


def _read_input(file: str) -> bytes:
    from fravaer_cli.usecases.importer import MAX_FILE

    try:
        if file == "-":
            if sys.stdin is None:
                raise InputError("Standard inn er lukket: ingenting å importere. Oppgi en fil, eller send data inn.")
            raw = sys.stdin.buffer.read(MAX_FILE + 1)
        else:
            with open(file, "rb") as f:
                raw = f.read(MAX_FILE + 1)
    except FileNotFoundError:
        raise InputError(f"Finner ikke filen «{file}».") from None
    except IsADirectoryError:
        raise InputError(f"«{file}» er en mappe, ikke en fil.") from None
    except OSError as e:
        raise InputError(f"Kan ikke lese «{file}»: {os_reason(e)}.") from None
    if len(raw) > MAX_FILE:
        raise InputError(
            f"«{file}» er større enn {MAX_FILE // 2**20} MiB; høyst så mye importeres på én gang. Del opp filen."
        )
    return raw


def _progress_bar(size: int):
    """A one-line progress report on a terminal for large files; nothing in pipes or under cron."""
    if size < 200_000 or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\rLagrer: {done} av {total} virksomheter", end=end, file=sys.stderr, flush=True)

    return show
