"""The commands that report: status, preview, info, log."""

import os
import sys
from datetime import date
from typing import Annotated

import typer

from fravaer_cli.cli.app import command, env
from fravaer_cli.cli.boundary import record_stored
from fravaer_cli.cli.fravaer import names, report_unreadable
from fravaer_cli.cli.options import (
    BEHANDLER_TYPE,
    VIKAR_TYPE,
    AllOffices,
    DateOpt,
    Format,
    Json,
    OneVirksomhet,
    Virksomhet,
    choices,
    output_format,
)
from fravaer_cli.domain import catalogue, dates
from fravaer_cli.domain.errors import InputError
from fravaer_cli.domain.messages import INFO_HEADING, LANGUAGES
from fravaer_cli.output import formats
from fravaer_cli.usecases import operations


@command("status")
def status(
    ctx: typer.Context,
    virksomhet: Virksomhet = None,
    every: AllOffices = False,
    day: DateOpt = None,
    until_workday: Annotated[
        bool,
        typer.Option(
            "--until-workday",
            help="Se fram til og med neste virkedag (over helg og helligdager), ikke bare til i morgen.",
        ),
    ] = False,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Avslutt med kode 1 når noe er stengt denne dagen.")
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Skriv ingenting når ingenting stenges, åpner eller får vikar framover."),
    ] = False,
    behandler: Annotated[
        str | None,
        typer.Option(
            "--behandler",
            help="Bare denne fastlegen: navnet (eller en del av det) eller HPR-nummeret.",
            metavar="NAVN",
            click_type=BEHANDLER_TYPE,
        ),
    ] = None,
    workdays_only: Annotated[
        bool,
        typer.Option(
            "--workdays-only",
            help="Skriv ingenting på en dag som ikke er en virkedag (helg og helligdager), for cron.",
        ),
    ] = False,
    fmt: Format = "table",
    as_json: Json = False,
) -> int | None:
    """Hva som er stengt en dag, hva som stenges og åpner igjen etterpå, og hvor vikar tar tjenester."""
    e = env(ctx)
    fmt = output_format(fmt, as_json)
    orgnr = e.scope(virksomhet, every)
    when = e.report_date(day, "dato")
    if workdays_only:
        from fravaer_cli.domain import workdays

        if not workdays.is_workday(when):
            return None  # a crontab's 1-5 also runs on skjærtorsdag and langfredag: no mail then
    until = None
    if until_workday:
        from fravaer_cli.domain import workdays

        until = workdays.next_workday(when)
    entries, errors = operations.status_entries(e.store, orgnr, when, until, behandler)
    if orgnr is not None and behandler is not None:
        entries = list(entries)  # a GP who is not there is said before anything is printed
    if quiet or (fmt == "table" and (orgnr is not None or not formats.lines_match_table())):
        entries = list(entries)  # --quiet must see the look-ahead before printing; a table needs all its rows
    from fravaer_cli.cli.status_report import StatusReport

    report = StatusReport(when, until, entries, single=orgnr is not None, errors=errors)
    if not (quiet and report.nothing_ahead()):
        formats.render(report.result(), fmt)
    report_unreadable(errors)
    if exit_code and report.closed:
        return 1  # --exit-code: something is closed (the boundary makes it the exit code)
    return None


CALENDAR_FORMATS = (*formats.FORMATS, "ics", "html")


@command("calendar")
def calendar(
    ctx: typer.Context,
    virksomhet: Virksomhet = None,
    every: Annotated[
        bool, typer.Option("--all", help="Alle virksomheter du kan se, i én fil (bare med --format ics).")
    ] = False,
    fra: Annotated[
        str | None, typer.Option("--fra", help="Første dag (standard: mandag denne uken).", metavar="DATO")
    ] = None,
    til: Annotated[str | None, typer.Option("--til", help="Siste dag (standard: 4 uker).", metavar="DATO")] = None,
    weeks: Annotated[
        bool, typer.Option("--uker", help="Én kolonne per uke: hvor mange virkedager hver lege er borte.")
    ] = False,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="Utdata: table, json, csv, excel-csv (for norsk Excel), ics (Outlook, Google Kalender) "
            "eller html (en side å skrive ut).",
            metavar="|".join(CALENDAR_FORMATS),
            click_type=choices(*CALENDAR_FORMATS),
        ),
    ] = "table",
    as_json: Json = False,
) -> None:
    """Hvem er borte dag for dag: én rad per lege, én kolonne per dag, og dager uten fastlege.

    X alle tjenester stengt, x noen stengt, v vikar tar tjenestene, . til stede. Høyst 370 dager.
    """
    e = env(ctx)
    fmt = "json" if as_json else fmt.strip().lower()
    if fmt not in CALENDAR_FORMATS:
        raise InputError(f"Ukjent format: «{fmt}». Godtatt: {', '.join(CALENDAR_FORMATS)}.")
    if weeks and fmt != "table":
        raise InputError(f"--uker gjelder tabellen på skjermen, ikke --format {fmt}.")
    if every and fmt != "ics":
        raise InputError("--all gjelder bare --format ics; de andre formatene viser én virksomhet.")
    first = e.report_date(fra, "fra og med-dato") if fra else None
    last = e.report_date(til, "til og med-dato") if til else None
    if fmt == "ics":
        _calendar_ics(e, e.scope(virksomhet, every), first, last)
        return
    if virksomhet is None:
        raise InputError("Mangler --virksomhet (organisasjonsnummer eller en del av navnet).")
    cal = operations.calendar(e.store, e.virksomhet(virksomhet), first, last, e.today)
    if fmt == "html":
        from fravaer_cli.output import calendar_html

        sys.stdout.write(calendar_html.render(cal))
        return
    if fmt == "table":
        from fravaer_cli.output import calendar_text

        terminal = sys.stdout.isatty()
        colour = terminal and not os.environ.get("NO_COLOR")
        sys.stdout.write(calendar_text.render(cal, formats.width(), colour, weeks) + "\n")
        return
    headers = ["behandler", *(d.dato.isoformat() for d in cal.days)]
    rows = [[name, *(d.cells[i] for d in cal.days)] for i, name in enumerate(cal.behandlere)]
    formats.render(formats.Result(_calendar_record(cal), (headers, rows), ""), fmt)


def _calendar_ics(e, orgnr: str | None, fra: date | None, til: date | None) -> None:
    from fravaer_cli.cli import clock
    from fravaer_cli.output import calendar_ics

    offices, errors = operations.away_periods(e.store, orgnr, fra, til, e.today)
    if orgnr is not None:
        offices = list(offices)
        name = f"Fravær ved {offices[0][0].label}"
    else:
        name = "Fravær ved alle virksomheter"
    for piece in calendar_ics.write(offices, name, clock.now()):
        sys.stdout.write(piece)
    report_unreadable(errors)


def _calendar_record(cal) -> dict:
    return {
        "virksomhet": cal.office.orgnr,
        "fra": cal.fra.isoformat(),
        "til": cal.til.isoformat(),
        "behandlere": cal.behandlere,
        "dager": [
            {
                "dato": d.dato.isoformat(),
                "virkedag": d.virkedag,
                "helligdag": d.helligdag,
                "borte": d.borte,
                "vikar": d.vikar,
                "uten_lege": d.uten_lege,
            }
            for d in cal.days
        ],
    }


@command("preview")
def preview(
    ctx: typer.Context,
    virksomhet: OneVirksomhet,
    behandler: Annotated[
        str | None,
        typer.Option("--behandler", help="Bare denne behandleren.", metavar="NAVN", click_type=BEHANDLER_TYPE),
    ] = None,
    tjeneste: Annotated[
        list[str] | None,
        typer.Option(
            "--tjeneste", help="Bare denne tjenesten. Kan gjentas.", metavar="TJENESTE", click_type=VIKAR_TYPE
        ),
    ] = None,
    day: DateOpt = None,
    lang: Annotated[
        str,
        typer.Option(
            "--lang", help="Språk: nb (standard), nn eller en.", metavar="nb|nn|en", click_type=choices(*LANGUAGES)
        ),
    ] = "nb",
    fmt: Format = "table",
    as_json: Json = False,
) -> None:
    """Teksten en innbygger ser på Helsenorge en gitt dag."""
    e = env(ctx)
    fmt = output_format(fmt, as_json)
    language = lang.strip().lower()
    if language not in LANGUAGES:
        raise InputError(f"Ukjent språk for --lang: «{lang}». Godtatt: {', '.join(LANGUAGES)}.")
    orgnr = e.virksomhet(virksomhet)
    keys = catalogue.resolve_many(tjeneste) if tjeneste else list(catalogue.catalogue())
    office = e.store.load(orgnr)
    lines, unknown = operations.preview(office, e.report_date(day, "dato"), keys, language, behandler)
    records = [
        {
            "behandler": line.behandler,
            "tjeneste": line.tjeneste,
            "stengt": line.apner_igjen is not None,
            "apner_igjen": line.apner_igjen.isoformat() if line.apner_igjen else None,
            "melding": line.melding,
            "info": office.info or None,
        }
        for line in lines
    ]
    csv_rows = [
        [r["behandler"], r["tjeneste"], "ja" if r["stengt"] else "nei", r["apner_igjen"] or "", r["melding"], r["info"]]
        for r in records
    ]
    csv = (["behandler", "tjeneste", "stengt", "apner_igjen", "melding", "info"], csv_rows)
    absent = lines[0].behandler if unknown else None  # a GP on the roster, as the roster spells it
    formats.render(formats.Result(records, csv, lambda: _preview_text(lines, office, language, absent)), fmt)


def _preview_text(lines, office, language: str, absent: str | None) -> str:
    """Each GP's name heads their lines, also when there is one GP, so a helpdesk
    reading it never takes one GP's lines for another's."""
    if absent is not None:
        text = [
            f"Ingen fravær er registrert for «{absent}» hos {office.label}: "
            "alle tjenestene er tilgjengelige for pasientene til denne behandleren."
        ]
    elif all(line.behandler is None for line in lines):
        text = [f"Ingen fravær er registrert hos {office.label}:"] + [f"  {line.melding}" for line in lines]
    else:
        text = []
        for name in dict.fromkeys(line.behandler for line in lines):
            text.append(f"{name}:")
            text.extend(f"  {line.melding}" for line in lines if line.behandler == name)
    if office.info:
        text.append(f"\n{INFO_HEADING[language]}: {office.info}")
    return formats.printable("\n".join(text), keep="\n")


@command("info")
def info(
    ctx: typer.Context,
    virksomhet: Virksomhet = None,
    every: Annotated[bool, typer.Option("--all", help="Alle lagrede virksomheter: navn og antall fravær.")] = False,
    navn: Annotated[str | None, typer.Option("--navn", help="Sett virksomhetens navn.", metavar="NAVN")] = None,
    set_text: Annotated[
        str | None, typer.Option("--set", help="Sett informasjon til pasient (høyst 200 tegn).", metavar="TEKST")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Fjern informasjon til pasient.")] = False,
    fmt: Format = "table",
    as_json: Json = False,
) -> None:
    """Vis virksomheten (eller alle), eller sett navnet og informasjon til pasient."""
    e = env(ctx)
    fmt = output_format(fmt, as_json)
    if set_text is not None and clear:
        raise InputError("Bruk enten --set eller --clear, ikke begge.")
    changing = navn is not None or set_text is not None or clear
    if every and changing:
        raise InputError("--navn, --set og --clear gjelder én virksomhet: bruk --virksomhet, ikke --all.")
    orgnr = e.scope(virksomhet, every, allow_new=changing)
    if orgnr is None:
        offices, errors = operations.all_offices(e.store)
        records = [_office_record(o) for o in offices]
        rows = [[r["orgnr"], r["navn"] or "(uten navn)", str(r["antall_fravaer"])] for r in records]
        csv = (list(OFFICE_FIELDS), [list(r.values()) for r in records])
        formats.render(
            formats.Result(records, csv, lambda: formats.table(["Organisasjonsnummer", "Navn", "Fravær"], rows)), fmt
        )
        report_unreadable(errors)
        return
    if changing:
        office = operations.set_info(e.store, orgnr, navn, "" if clear else set_text)
        record_stored(ctx, f"{office.label} er lagret")
        print(f"Lagret {office.label}.", file=sys.stderr)
    else:
        office = e.store.load(orgnr)
    record = _office_record(office)
    text = [
        ["Organisasjonsnummer", office.orgnr],
        ["Navn", office.navn or "(uten navn)"],
        ["Informasjon til pasient", office.info or "(ingen)"],
        ["Fravær registrert", str(len(office.fravaer))],
    ]
    formats.render(
        formats.Result(record, (list(record), [list(record.values())]), lambda: formats.table([], text)), fmt
    )


OFFICE_FIELDS = ("orgnr", "navn", "info", "antall_fravaer")


def _office_record(office) -> dict:
    return dict(zip(OFFICE_FIELDS, (office.orgnr, office.navn, office.info, len(office.fravaer)), strict=True))


ACTIONS = {
    "add": "lagt til",
    "edit": "endret",
    "delete": "slettet",
    "import": "importert",
    "info": "virksomhet endret",
    "roster_add": "på listen",
    "roster_remove": "av listen",
    "rename": "nytt navn",
    "restore": "gjenopprettet",
}


@command("log")
def log(
    ctx: typer.Context,
    virksomhet: OneVirksomhet,
    behandler: Annotated[
        str | None,
        typer.Option(
            "--behandler",
            help="Bare endringer for behandlere med denne teksten i navnet.",
            metavar="NAVN",
            click_type=BEHANDLER_TYPE,
        ),
    ] = None,
    day: Annotated[
        str | None, typer.Option("--date", help="Bare endringer av fravær som gjelder denne dagen.", metavar="DATO")
    ] = None,
    fmt: Format = "table",
    as_json: Json = False,
) -> None:
    """Loggen for en virksomhet: når, hvem og hva som ble lagt til, endret eller slettet."""
    e = env(ctx)
    fmt = output_format(fmt, as_json)
    orgnr = e.virksomhet(virksomhet)
    from fravaer_cli.usecases import audit

    entries = audit.log_entries(e.store, orgnr, behandler, e.report_date(day, "dato") if day else None)
    rows = (
        [x.get("tid", ""), x.get("av", ""), x.get("pa_vegne_av") or "", x.get("handling", ""), _log_subject(x)]
        for x in entries
    )
    filtered = behandler is not None or day is not None
    headers = ["tid", "av", "pa_vegne_av", "handling", "hva"]
    # One of the three is used: each reads the log once, an entry at a time.
    if fmt == "json":
        formats.render(formats.Result(formats.StreamedList(entries), ([], []), ""), fmt)
    else:
        formats.render(formats.Result(None, (headers, rows), lambda: _log_text(rows, filtered)), fmt)


def _log_text(rows, filtered: bool):
    """An entry a paragraph: when, who and what was done on one line, and below it, wrapped to
    the terminal's width (80 in a pipe), what it was done to: no line wraps mid-word."""
    import textwrap

    room = max(formats.width(), 40)
    empty = True
    for tid, av, person, handling, what in rows:
        empty = False
        # On the database, av is the login and pa_vegne_av the person it was for (--av): show both.
        who = f"{person} (innlogget som {av})" if person else av
        head = f"{_short_time(tid)}  {who}  {ACTIONS.get(handling, handling)}"
        body = textwrap.fill(what, room, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False)
        yield formats.printable(f"{head}\n{body}" if what else head, keep="\n")
    if empty:
        yield "Ingen endringer i loggen" + (" som passer filteret" if filtered else "") + "."


def _log_subject(entry: dict) -> str:
    record = entry.get("fravaer")
    if isinstance(record, dict):
        text = _log_record(record)
        before = entry.get("forrige")
        if isinstance(before, dict) and before != record:
            text += f"; før: {_log_record(before, with_id=False)}"
        return text
    gp = entry.get("behandler")
    if isinstance(gp, dict):
        if "til" in gp:  # a rename
            return f"«{gp.get('fra', '')}» til «{gp.get('til', '')}»"
        text = str(gp.get("behandler", "")) + (f" (HPR {gp['hpr']})" if gp.get("hpr") else "")
        before = entry.get("forrige")
        if isinstance(before, dict) and before.get("hpr") != gp.get("hpr"):
            text += f"; før: HPR «{before.get('hpr', '')}»"
        return text
    office = entry.get("virksomhet")
    if isinstance(office, dict):
        return f"navn «{office.get('navn', '')}», info «{office.get('info', '')}»"
    return ""


def _log_record(record: dict, with_id: bool = True) -> str:
    try:
        fra, til = date.fromisoformat(record["fra"]), date.fromisoformat(record["til"])
        period = f"{dates.short(fra)}–{dates.short(til)}"
        text = f"{record['behandler']}, {period}: {_closed_names(record['tjenester']) or 'ingenting stengt'}"
    except (KeyError, TypeError, ValueError):
        return str(record)
    if record.get("vikar"):
        text += f" (vikar: {_closed_names(record['vikar'])})"
    return f"{record.get('id', '')}: {text}" if with_id else text


def _closed_names(keys) -> str:
    """'alle tjenester' for all four, else their names."""
    if isinstance(keys, list) and keys and set(keys) >= set(catalogue.catalogue()):
        return "alle tjenester"
    return names(keys)


def _short_time(stamp: str) -> str:
    # '2026-11-26T23:40:12+01:00' -> '26.11.2026 23:40'
    try:
        return f"{dates.short(date.fromisoformat(stamp[:10]))} {stamp[11:16]}"
    except ValueError:
        return stamp


SHELLS = ("bash", "zsh", "fish")


@command("completion")
def completion(
    ctx: typer.Context,
    shell: Annotated[
        str,
        typer.Argument(help="Skallet: bash, zsh eller fish.", metavar="bash|zsh|fish", click_type=choices(*SHELLS)),
    ],
) -> None:
    """Skriv ut skriptet som fullfører kommandoer og verdier i bash, zsh eller fish.

    bash: «eval "$(fravaer completion bash)"» i ~/.bashrc. zsh og fish: se README.
    """
    name = shell.strip().lower()
    if name not in SHELLS:
        raise InputError(f"Ukjent skall: «{shell}». Godtatt: {', '.join(SHELLS)}.")
    from fravaer_cli.cli.boundary import completion_script

    sys.stdout.write(completion_script(ctx.find_root().command, name) + "\n")
