"""Options shared by several commands, and what shell completion offers for them.

Completion runs the program with _FRAVAER_COMPLETE set (see completions/); the
types here only add what to offer. Values are still checked by the core.
"""

from typing import Annotated

import click
import typer

from fravaer_cli.domain import catalogue, dates
from fravaer_cli.domain.errors import InputError
from fravaer_cli.output import formats
from fravaer_cli.usecases import lookup

STORE_FORMATS = ("toml", "json")


class _Completing(click.ParamType):
    name = "text"

    def __init__(self, offer):
        self.offer = offer  # (ctx, incomplete) -> [(value, help)]

    def convert(self, value, param, ctx):
        return value

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem

        try:
            return [CompletionItem(value, help=_brief(help_text)) for value, help_text in self.offer(ctx, incomplete)]
        except Exception:  # a broken store must not break the user's shell
            return []


class _PathCompleting(click.ParamType):
    """A file (kind "file") or a folder ("dir"): the one kind of value for which the shell offers
    the names in the current folder. Everything else offers what fravaer knows, or nothing: a
    date or a comment is no file name (zsh and fish once put one after `--until-workday`)."""

    name = "text"

    def __init__(self, kind: str):
        self.kind = kind

    def convert(self, value, param, ctx):
        return value

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem

        return [CompletionItem(incomplete, type=self.kind)]


FILE_TYPE = _PathCompleting("file")
FOLDER_TYPE = _PathCompleting("dir")


def _brief(text: str | None, width: int = 50) -> str | None:
    # Typer renders descriptions with rich, which wraps long ones onto a second
    # line, and fish then offers that line as a value of its own.
    if text is None or len(text) <= width:
        return text
    return text[: width - 1] + "…"


def choices(*values: str) -> _Completing:
    return _Completing(lambda ctx, incomplete: [(v, None) for v in values if v.startswith(incomplete)])


def _offer_tjenester(allow_all: bool):
    def offer(ctx, incomplete):
        items = [(t.key, t.nb) for t in catalogue.catalogue().values()]
        items += [(catalogue.ALL, "alle tjenester")] if allow_all else []
        return [(key, name) for key, name in items if key.startswith(incomplete.casefold())]

    return _Completing(offer)


def _completion_store(ctx):
    """The store the command line names, chosen as Env chooses it."""
    from fravaer_cli.cli.app import chosen_database

    params = ctx.find_root().params
    data_dir = params.get("data_dir")
    database = chosen_database(data_dir, params.get("database"))
    if database:
        from fravaer_cli.store.postgres.pgstore import PgStore

        return PgStore(database)
    from fravaer_cli.store.files.filestore import FileStore, default_dir

    return FileStore(default_dir(data_dir))


def _offer_virksomheter(ctx, incomplete):
    """Stored orgnrs; a part of a name completes to the office's orgnr."""
    from fravaer_cli.domain.names import behandler_key

    wanted = behandler_key(incomplete)
    offered = []
    store = _completion_store(ctx)
    names = {office.orgnr: office.navn for office in store.office_names()}
    for orgnr in store.orgnrs():  # an office whose file cannot be read is still offered, by its number
        navn = names.get(orgnr, "")
        if orgnr.startswith(incomplete) or (wanted and wanted in behandler_key(navn)):
            offered.append((orgnr, navn or None))
    return offered


def _offer_ids(ctx, incomplete):
    """Ids of the fravær of the office named by --virksomhet (given before the id)."""
    text = ctx.params.get("virksomhet")
    if not text:
        return []
    store = _completion_store(ctx)
    office = store.load(lookup.find_virksomhet(store, text))
    return [
        (f.id, f"{f.behandler}, {dates.short(f.fra)}–{dates.short(f.til)}")
        for f in office.fravaer
        if f.id.startswith(incomplete)
    ]


def _offer_behandlere(ctx, incomplete):
    """The roster's names and stored GPs' names: of the office named by --virksomhet when it
    is given before, else of every office (a part of the name, folded, is enough)."""
    from fravaer_cli.domain.names import search_key

    store = _completion_store(ctx)
    text = ctx.params.get("virksomhet")
    if text:
        offices = [store.load(lookup.find_virksomhet(store, text))]
    else:
        offices = store.iter_offices()  # a file that cannot be read offers nothing
    wanted = search_key(incomplete)
    offered: dict[str, str | None] = {}
    for office in offices:
        for entry in office.roster:
            offered.setdefault(entry.behandler, "på listen")
        for f in office.fravaer:
            offered.setdefault(f.behandler, None)
    return [(name, note) for name, note in offered.items() if search_key(name).startswith(wanted)]


VIRKSOMHET_TYPE = _Completing(_offer_virksomheter)
BEHANDLER_TYPE = _Completing(_offer_behandlere)
TJENESTE_TYPE = _offer_tjenester(allow_all=True)
VIKAR_TYPE = _offer_tjenester(allow_all=False)
ID_TYPE = _Completing(_offer_ids)

# -- declarations --------------------------------------------------------------

_VIRKSOMHET_HELP = "Organisasjonsnummer, eller en del av navnet på en lagret virksomhet."
Virksomhet = Annotated[
    str | None,
    typer.Option("--virksomhet", help=_VIRKSOMHET_HELP, metavar="ORGNR|NAVN", click_type=VIRKSOMHET_TYPE),
]
# The same, for commands about one office: Click then says when it is missing.
OneVirksomhet = Annotated[
    str,
    typer.Option("--virksomhet", help=_VIRKSOMHET_HELP, metavar="ORGNR|NAVN", click_type=VIRKSOMHET_TYPE),
]
AllOffices = Annotated[bool, typer.Option("--all", help="Alle lagrede virksomheter.")]
Format = Annotated[
    str,
    typer.Option(
        "--format",
        help="Utdata: table, json, csv, eller excel-csv (semikolon, BOM og dd.mm.åååå, for norsk Excel).",
        metavar="table|json|csv|excel-csv",
        click_type=choices(*formats.FORMATS),
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Kort for --format json.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Vis hva som ville skjedd, uten å lagre noe.")]
AllowPast = Annotated[bool, typer.Option("--allow-past", help="Tillat fravær som sluttet før i dag.")]
DateOpt = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="Dagen (standard: i dag). For eksempel 20.06.2024, 2024-06-20, i dag, i morgen, +N.",
        metavar="DATO",
    ),
]
Vikar = Annotated[
    list[str] | None,
    typer.Option(
        "--vikar",
        help="Tjeneste som vikaren tar, og som holdes åpen. Kan gjentas, eller «alle» (alle som ikke stenges).",
        metavar="TJENESTE",
        click_type=TJENESTE_TYPE,
    ),
]
FravaerId = Annotated[str, typer.Argument(help="Fraværets id (se «fravaer list»).", metavar="ID", click_type=ID_TYPE)]


def output_format(fmt: str, as_json: bool) -> str:
    if as_json:
        return "json"
    value = fmt.strip().lower()
    if value not in formats.FORMATS:
        raise InputError(f"Ukjent format: «{fmt}». Godtatt: {', '.join(formats.FORMATS)}.")
    return value


def tjeneste_keys(values: list[str] | None, option: str, allow_all: bool = True) -> tuple[tuple[str, ...], bool]:
    """(keys, whether 'alle' was among them)."""
    values = values or []
    said_all = any(part.strip().casefold() == catalogue.ALL for v in values for part in v.split(","))
    return catalogue.resolve_many(values, option, allow_all), said_all
