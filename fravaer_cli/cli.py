"""The command line: parses options, makes one call into the core, renders the result.

All errors end at one boundary (FravaerGroup.main), which maps them to the
SPEC's exit codes and one or a few Norwegian lines on stderr.
"""

import os
import sys
from datetime import date
from typing import Annotated

# Typer < 0.26 runs on the separately installed Click (pinned in pyproject.toml),
# so Click's exceptions are the ones raised here.
import click
import typer
from typer.core import TyperGroup

from fravaer_cli import __version__, catalogue, dates, operations, output
from fravaer_cli.errors import FravaerError, InputError, StoreError
from fravaer_cli.messages import INFO_HEADING, LANGUAGES
from fravaer_cli.model import RECORD_FIELDS, check_av

EPJ_REMINDER = "Husk å skru av tjenester i EPJ som ikke skal være tilgjengelig for innbygger."
VIKAR_REMINDER = "For tjenester som har vikar, må vikar registreres i EPJ."
STORE_FORMATS = ("toml", "json")
COMPLETE_VAR = "_FRAVAER_COMPLETE"


# Click and Typer write the words of their help screens through gettext, which
# has no Norwegian for them; these are the ones --help shows.
_HELP_WORDS = {
    "Usage:": "Bruk:",
    "Options": "Valg",
    "Commands": "Kommandoer",
    "Arguments": "Argumenter",
    "Show this message and exit.": "Vis denne hjelpen og avslutt.",
    "default: {default}": "standard: {default}",
    "env var: {var}": "miljøvariabel: {var}",
    "required": "påkrevd",
}


def _help_in_norwegian() -> None:
    def translate(message: str) -> str:
        return _HELP_WORDS.get(message, message)

    for module in (click.core, click.formatting, click.decorators, typer.core):
        module._ = translate


_help_in_norwegian()


class FravaerGroup(TyperGroup):
    """The one error boundary: every exit code and error message is decided here."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if os.environ.get(complete_var or COMPLETE_VAR):
            # Typer's completion scripts and protocol (completions/), without
            # its --install-completion options, which guess the shell.
            from typer._completion_classes import completion_init

            completion_init()
        _stored.clear()  # tests run many commands in one process
        try:
            result = super().main(args, prog_name or "fravaer", complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
            sys.stdout.flush()  # so that a full disk or a closed stream is met here, not after the boundary
        except FravaerError as e:
            code = _fail(str(e), e.exit_code)
        except click.exceptions.ClickException as e:
            code = _usage_error(e)
        except click.exceptions.Abort:
            code = _fail("Avbrutt.", 130)
        except KeyboardInterrupt:
            code = _fail("Avbrutt.", 130)
        except BrokenPipeError:
            # The reader went away (| head); nothing more to say to it.
            sys.stderr.close()
            code = 0
        except OSError as e:  # the store's own errors are StoreErrors by now: this is the output
            code = _output_failed(e)
        except Exception as e:  # a bug: say so in one line, trace only on request
            if os.environ.get("FRAVAER_DEBUG") == "1":
                import traceback

                traceback.print_exc()
            code = _fail(
                f"Intern feil i fravaer {__version__} ({type(e).__name__}: {e}). "
                "Dette er en feil i programmet; kjør med FRAVAER_DEBUG=1 for detaljer.",
                70,
            )
        if standalone_mode:
            sys.exit(code)
        return code


def _fail(message: str, code: int) -> int:
    print(output.printable(message, keep="\n"), file=sys.stderr)
    return code


# What a command has stored, said when its output then cannot be written.
_stored: list[str] = []


def _output_failed(error: OSError) -> int:
    """Standard output could not be written (a full disk, a closed stream).
    A change already stored stays stored and the command's exit code is 0;
    a command whose whole result was its output exits 5."""
    reason = error.strerror or str(error)
    if _stored:
        return _fail(f"{'; '.join(_stored)}, men utdata kunne ikke skrives til standard ut: {reason}.", 0)
    return _fail(f"Kunne ikke skrive til standard ut: {reason}. Ingenting er endret.", 5)


def _usage_error(e: "click.exceptions.ClickException") -> int:
    """Click's English usage errors, said in Norwegian."""
    ctx = getattr(e, "ctx", None)
    command = ctx.command_path if ctx else "fravaer"
    hint = f"Se «{command} --help»."
    if type(e).__name__ == "NoArgsIsHelpError" and ctx is not None:
        print(ctx.get_help())
        return 0
    if isinstance(e, click.exceptions.NoSuchOption):
        close = f" Mente du {', '.join(e.possibilities)}?" if e.possibilities else ""
        return _fail(f"Ukjent valg: {e.option_name}.{close} {hint}", 2)
    if isinstance(e, click.exceptions.MissingParameter) and e.param is not None:
        name = (
            "/".join(e.param.opts)
            if e.param.param_type_name == "option"
            else (e.param.human_readable_name or "").upper()
        )
        return _fail(f"Mangler {name}. {hint}", 2)
    if isinstance(e, click.exceptions.BadOptionUsage) and "requires an argument" in e.message:
        return _fail(f"Valget {e.option_name} må ha en verdi. {hint}", 2)
    if isinstance(e, click.exceptions.BadOptionUsage) and "does not take a value" in e.message:
        return _fail(f"Valget {e.option_name} tar ingen verdi. {hint}", 2)
    if isinstance(e, click.exceptions.BadParameter):
        param = e.param.opts[0] if e.param is not None and e.param.opts else "verdien"
        return _fail(f"Ugyldig verdi for {param}: {e.message} {hint}", 2)
    message = e.format_message()
    if message.startswith("Missing command") and ctx is not None:
        return _fail(f"Mangler kommando. Kommandoer: {', '.join(ctx.command.list_commands(ctx))}. {hint}", 2)
    if message.startswith("No such command"):
        name = message.split("'")[1] if "'" in message else message
        known = ", ".join(sorted(ctx.command.list_commands(ctx))) if ctx else ""
        return _fail(f"Ukjent kommando: «{name}». Kommandoer: {known}.", 2)
    if message.startswith("Got unexpected extra argument"):
        extra = message.split("(", 1)[-1].rstrip(")")
        return _fail(f"Uventet argument: {extra}. {hint}", 2)
    return _fail(f"Feil bruk av kommandoen: {message} {hint}", e.exit_code)


OPTIONS_METAVAR = "[VALG]"

app = typer.Typer(
    cls=FravaerGroup,
    options_metavar=OPTIONS_METAVAR,
    subcommand_metavar="KOMMANDO [ARGUMENTER]...",
    name="fravaer",
    help="Fravær for fastlegers tjenester på Helsenorge: registrer, vis, endre og slett.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["--help", "-h"], "max_content_width": 100},
)


class Env:
    """Global options, and what every command gets from them."""

    def __init__(self, data_dir: str | None, store_format: str | None, av: str | None):
        from fravaer_cli.store import default_dir

        self.folder = default_dir(data_dir)
        fmt = (store_format or os.environ.get("FRAVAER_STORE_FORMAT") or "toml").lower()
        if fmt not in STORE_FORMATS:
            raise InputError(f"Ukjent lagringsformat: «{fmt}». Godtatt: {', '.join(STORE_FORMATS)}.")
        self.store_format = fmt
        if av is not None and av.strip():
            self.av = check_av(av, "--av")
        else:
            self.av = _login_name  # asked only when something is written
        self._store = None
        self._today = None

    @property
    def store(self):
        if self._store is None:
            from fravaer_cli import clock
            from fravaer_cli.store import Store

            self._store = Store(self.folder, self.store_format, self.av, clock=clock.timestamp)
        return self._store

    @property
    def today(self) -> date:
        if self._today is None:
            from fravaer_cli import clock

            self._today = clock.today()
        return self._today

    def date(self, text: str | None, what: str) -> date:
        return self.today if text is None else dates.parse_date(text, self.today, what)

    def virksomhet(self, text: str | None, allow_new: bool = False) -> str:
        if text is None:
            raise InputError("Mangler --virksomhet (organisasjonsnummer eller en del av navnet).")
        return operations.find_virksomhet(self.store, text, allow_new)

    def scope(self, text: str | None, every: bool) -> str | None:
        """--virksomhet X (its orgnr) or --all (None)."""
        if every and text is not None:
            raise InputError("Bruk enten --virksomhet eller --all, ikke begge.")
        if not every and text is None:
            raise InputError("Mangler --virksomhet (organisasjonsnummer eller en del av navnet) eller --all.")
        return None if every else self.virksomhet(text)


def _login_name() -> str:
    """$USER, as the SPEC says, else what the system knows of this user."""
    if user := os.environ.get("USER", "").strip():
        return check_av(user, "$USER")
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no name for this uid (containers): still record something
        return f"uid {os.getuid()}"


# -- shell completion -----------------------------------------------------------
# Completion runs the program with _FRAVAER_COMPLETE set (see completions/);
# these types only add what to offer. Values are still checked by the core.


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


def _brief(text: str | None, width: int = 50) -> str | None:
    # Typer renders descriptions with rich, which wraps long ones onto a second
    # line, and fish then offers that line as a value of its own.
    if text is None or len(text) <= width:
        return text
    return text[: width - 1] + "…"


def _choices(*values: str) -> _Completing:
    return _Completing(lambda ctx, incomplete: [(v, None) for v in values if v.startswith(incomplete)])


def _offer_tjenester(allow_all: bool):
    def offer(ctx, incomplete):
        items = [(t.key, t.nb) for t in catalogue.catalogue().values()]
        items += [(catalogue.ALL, "alle tjenester")] if allow_all else []
        return [(key, name) for key, name in items if key.startswith(incomplete.casefold())]

    return _Completing(offer)


def _completion_store(ctx):
    from fravaer_cli.store import Store, default_dir

    return Store(default_dir(ctx.find_root().params.get("data_dir")))


def _offer_virksomheter(ctx, incomplete):
    """Stored orgnrs; a part of a name completes to the office's orgnr."""
    from fravaer_cli.model import behandler_key

    wanted = behandler_key(incomplete)
    offered = []
    for orgnr, office in _completion_store(ctx).iter_offices():
        navn = getattr(office, "navn", "")
        if orgnr.startswith(incomplete) or (wanted and wanted in behandler_key(navn)):
            offered.append((orgnr, navn or None))
    return offered


def _offer_ids(ctx, incomplete):
    """Ids of the fravær of the office named by --virksomhet (given before the id)."""
    text = ctx.params.get("virksomhet")
    if not text:
        return []
    store = _completion_store(ctx)
    office = store.load(operations.find_virksomhet(store, text))
    return [
        (f.id, f"{f.behandler}, {dates.short(f.fra)}–{dates.short(f.til)}")
        for f in office.fravaer
        if f.id.startswith(incomplete)
    ]


VIRKSOMHET_TYPE = _Completing(_offer_virksomheter)
TJENESTE_TYPE = _offer_tjenester(allow_all=True)
VIKAR_TYPE = _offer_tjenester(allow_all=False)
ID_TYPE = _Completing(_offer_ids)


def _env(ctx: typer.Context) -> Env:
    return ctx.obj


def _version(value: bool) -> None:
    if value:
        print(f"fravaer {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    data_dir: Annotated[
        str | None,
        typer.Option(
            "--data-dir",
            help="Lagringsmappen (ellers $FRAVAER_DATA_DIR, $XDG_DATA_HOME/fravaer, ~/.local/share/fravaer).",
            metavar="MAPPE",
        ),
    ] = None,
    store_format: Annotated[
        str | None,
        typer.Option(
            "--store-format",
            help="Format for nye filer: toml (standard) eller json.",
            metavar="toml|json",
            click_type=_choices(*STORE_FORMATS),
        ),
    ] = None,
    av: Annotated[
        str | None, typer.Option("--av", help="Hvem loggen registrerer (standard: innloggingsnavnet).", metavar="NAVN")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", help="Vis versjonen og avslutt.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Fravær for fastlegers tjenester på Helsenorge: registrer, vis, endre og slett."""
    ctx.obj = Env(data_dir, store_format, av)


# -- shared options ------------------------------------------------------------

Virksomhet = Annotated[
    str | None,
    typer.Option(
        "--virksomhet",
        help="Organisasjonsnummer, eller en del av navnet på en lagret virksomhet.",
        metavar="ORGNR|NAVN",
        click_type=VIRKSOMHET_TYPE,
    ),
]
AllOffices = Annotated[bool, typer.Option("--all", help="Alle lagrede virksomheter.")]
Format = Annotated[
    str,
    typer.Option(
        "--format",
        help="Utdata: table, json eller csv.",
        metavar="table|json|csv",
        click_type=_choices(*output.FORMATS),
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Kort for --format json.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Vis hva som ville skjedd, uten å lagre noe.")]
AllowPast = Annotated[bool, typer.Option("--allow-past", help="Tillat fravær som sluttet før i dag.")]
DateOpt = Annotated[
    str | None,
    typer.Option(
        "--date", help="Dagen (standard: i dag). Som 20.06.2024, 2024-06-20, i dag, i morgen, +N.", metavar="DATO"
    ),
]
Tjenester = Annotated[
    list[str] | None,
    typer.Option(
        "--tjeneste",
        help="Tjeneste som stenges: nøkkel eller navn, eller «alle». Kan gjentas.",
        metavar="TJENESTE",
        click_type=TJENESTE_TYPE,
    ),
]
Vikar = Annotated[
    list[str] | None,
    typer.Option(
        "--vikar",
        help="Tjeneste som vikar tar, og som holdes åpen. Kan gjentas.",
        metavar="TJENESTE",
        click_type=VIKAR_TYPE,
    ),
]


def _format(fmt: str, as_json: bool) -> str:
    if as_json:
        return "json"
    value = fmt.strip().lower()
    if value not in output.FORMATS:
        raise InputError(f"Ukjent format: «{fmt}». Godtatt: {', '.join(output.FORMATS)}.")
    return value


def _reminders(vikar_involved: bool) -> None:
    print(EPJ_REMINDER, file=sys.stderr)
    if vikar_involved:
        print(VIKAR_REMINDER, file=sys.stderr)


def _tjeneste_keys(values: list[str] | None, option: str, allow_all: bool = True) -> tuple[list[str], bool]:
    """(keys, whether 'alle' was among them)."""
    values = values or []
    said_all = any(part.strip().casefold() == catalogue.ALL for v in values for part in v.split(","))
    return catalogue.resolve_many(values, option, allow_all), said_all


def _names(keys) -> str:
    return ", ".join(catalogue.display_name(k) for k in keys)


# -- commands ------------------------------------------------------------------


@app.command("add", options_metavar=OPTIONS_METAVAR)
def add(
    ctx: typer.Context,
    virksomhet: Virksomhet = None,
    behandler: Annotated[
        str | None, typer.Option("--behandler", help="Fastlegens navn, som «Astrid Info».", metavar="NAVN")
    ] = None,
    fra: Annotated[
        str | None, typer.Option("--fra", help="Fra og med (første dag med fravær).", metavar="DATO")
    ] = None,
    til: Annotated[str | None, typer.Option("--til", help="Til og med (siste dag med fravær).", metavar="DATO")] = None,
    tjeneste: Tjenester = None,
    vikar: Vikar = None,
    hpr: Annotated[str | None, typer.Option("--hpr", help="Behandlerens HPR-nummer.", metavar="NUMMER")] = None,
    kommentar: Annotated[
        str | None, typer.Option("--kommentar", help="Intern kommentar (vises ikke for innbyggere).", metavar="TEKST")
    ] = None,
    allow_past: AllowPast = False,
    dry_run: DryRun = False,
) -> None:
    """Registrer ett fravær. Skriver id-en alene på standard ut."""
    from fravaer_cli.model import make_draft

    env = _env(ctx)
    for value, name in ((behandler, "--behandler"), (fra, "--fra"), (til, "--til"), (tjeneste, "--tjeneste")):
        if value is None:
            raise InputError(f"Mangler {name}. Se «fravaer add --help».")
    orgnr = env.virksomhet(virksomhet, allow_new=True)
    closed, said_all = _tjeneste_keys(tjeneste, "--tjeneste")
    vikar_keys, _ = _tjeneste_keys(vikar, "--vikar", allow_all=False)
    draft = make_draft(
        behandler,
        env.date(fra, "fra og med-dato"),
        env.date(til, "til og med-dato"),
        closed,
        vikar_keys,
        kommentar,
        hpr,
        all_tjenester=said_all,
    )
    fravaer, created = operations.add(env.store, orgnr, draft, env.today, allow_past, env.store.now(), dry_run)
    if dry_run:
        if created:
            print(
                f"Tørrkjøring: ville registrert fravær {fravaer.summary()} hos {orgnr}. Ingenting er lagret.",
                file=sys.stderr,
            )
        else:
            print(fravaer.id)
            print(
                f"Tørrkjøring: fraværet finnes allerede (fravær {fravaer.id}); ingenting ville blitt endret.",
                file=sys.stderr,
            )
        return
    if created:
        _stored.append(f"Fravær {fravaer.id} er lagret")
        print(f"Registrert fravær {fravaer.describe()} hos {orgnr}.", file=sys.stderr)
    else:
        print(f"Fraværet finnes allerede (fravær {fravaer.id}); ingenting er endret.", file=sys.stderr)
    _reminders(bool(fravaer.vikar))
    print(fravaer.id)  # last: the people's lines are said even when standard out cannot be written


@app.command("list", options_metavar=OPTIONS_METAVAR)
def list_(
    ctx: typer.Context,
    virksomhet: Virksomhet = None,
    every: AllOffices = False,
    behandler: Annotated[
        str | None, typer.Option("--behandler", help="Bare behandlere med denne teksten i navnet.", metavar="NAVN")
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
    env = _env(ctx)
    fmt = _format(fmt, as_json)
    orgnr = env.scope(virksomhet, every)
    tjeneste_key = catalogue.resolve(tjeneste) if tjeneste else None
    rows, errors = operations.list_all(env.store, orgnr, env.today, behandler, tjeneste_key, include_past)
    records = ({"id": f.id, "virksomhet": o.orgnr, **f.to_dict()} for o, f in rows)
    if fmt == "json":
        output.print_json(list(records))
    elif fmt == "csv":
        # The same columns as the JSON, lists joined with ";" as import reads them.
        headers = ["id", "virksomhet", *RECORD_FIELDS[1:]]
        output.print_csv(headers, ([";".join(v) if isinstance(v, list) else v for v in r.values()] for r in records))
    elif not rows:
        print(
            "Ingen fravær" + ("" if include_past else " nå eller fremover (--include-past viser også tidligere)") + "."
        )
    else:
        any_vikar = any(f.vikar for _, f in rows)
        headers = (["Virksomhet"] if orgnr is None else []) + [
            "ID",
            "Behandler",
            "Fra og med",
            "Til og med",
            "Tjenester",
        ]
        headers += ["Vikar"] if any_vikar else []
        table = []
        for o, f in rows:
            row = ([o.label] if orgnr is None else []) + [
                f.id,
                f.behandler,
                dates.short(f.fra),
                dates.short(f.til),
                _names(f.tjenester),
            ]
            table.append(row + ([_names(f.vikar)] if any_vikar else []))
        output.print_table(headers, table)
    _report_unreadable(errors)


def _report_unreadable(errors: list[StoreError]) -> None:
    """--all goes on past unreadable files, then names them and exits 5."""
    if errors:
        for e in errors:
            print(str(e), file=sys.stderr)
        raise StoreError(f"{len(errors)} fil(er) i lagringsmappen kunne ikke leses; resten er vist.")


@app.command("edit", options_metavar=OPTIONS_METAVAR)
def edit(
    ctx: typer.Context,
    fravaer_id: Annotated[
        str, typer.Argument(help="Fraværets id (se «fravaer list»).", metavar="ID", click_type=ID_TYPE)
    ],
    virksomhet: Virksomhet = None,
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
            "--vikar", help="Erstatter tjenestene med vikar. Kan gjentas.", metavar="TJENESTE", click_type=VIKAR_TYPE
        ),
    ] = None,
    no_vikar: Annotated[bool, typer.Option("--no-vikar", help="Fjern alle vikartjenester.")] = False,
    kommentar: Annotated[
        str | None, typer.Option("--kommentar", help="Ny kommentar («» fjerner den).", metavar="TEKST")
    ] = None,
    allow_past: AllowPast = False,
    dry_run: DryRun = False,
) -> None:
    """Endre ett fravær; id-en beholdes, og reglene er de samme som for add."""
    env = _env(ctx)
    orgnr = env.virksomhet(virksomhet)
    if vikar and no_vikar:
        raise InputError("Bruk enten --vikar eller --no-vikar, ikke begge.")
    closed, said_all = _tjeneste_keys(tjeneste, "--tjeneste") if tjeneste else (None, False)
    vikar_keys = [] if no_vikar else (_tjeneste_keys(vikar, "--vikar", allow_all=False)[0] if vikar else None)
    old, new = operations.edit(
        env.store,
        orgnr,
        fravaer_id,
        env.today,
        allow_past,
        dry_run,
        fra=env.date(fra, "fra og med-dato") if fra else None,
        til=env.date(til, "til og med-dato") if til else None,
        tjenester=closed,
        vikar=vikar_keys,
        kommentar=kommentar,
        all_tjenester=said_all,
    )
    prefix = "Tørrkjøring: ville endret" if dry_run else "Endret"
    if old == new:
        print(f"Ingen endring: fravær {new.describe()}.", file=sys.stderr)
        return
    print(f"{prefix} fravær {old.describe()}\n  til {new.summary()}.", file=sys.stderr)
    if not dry_run:
        _reminders(bool(new.vikar))


@app.command("delete", options_metavar=OPTIONS_METAVAR)
def delete(
    ctx: typer.Context,
    fravaer_id: Annotated[
        str, typer.Argument(help="Fraværets id (se «fravaer list»).", metavar="ID", click_type=ID_TYPE)
    ],
    virksomhet: Virksomhet = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Slett uten å spørre.")] = False,
    dry_run: DryRun = False,
) -> None:
    """Slett ett fravær. Spør først på en terminal; --yes hopper over spørsmålet."""
    env = _env(ctx)
    orgnr = env.virksomhet(virksomhet)
    fravaer = operations.find(env.store, orgnr, fravaer_id)
    if dry_run:
        print(f"Tørrkjøring: ville slettet fravær {fravaer.describe()}. Ingenting er endret.", file=sys.stderr)
        return
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
    deleted = operations.delete(env.store, orgnr, fravaer_id, expected=fravaer)
    print(f"Slettet fravær {deleted.describe()}.", file=sys.stderr)
    print("Husk å skru på igjen i EPJ tjenester som nå skal være tilgjengelige for innbygger.", file=sys.stderr)


def _stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _ask(prompt: str) -> str:
    print(prompt, end="", file=sys.stderr, flush=True)
    try:
        return sys.stdin.readline().strip().casefold()
    except (EOFError, KeyboardInterrupt):
        return ""


@app.command("import", options_metavar=OPTIONS_METAVAR)
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="CSV- eller JSON-fil, eller - for standard inn.", metavar="FIL")],
    allow_past: AllowPast = False,
    dry_run: DryRun = False,
    fmt: Format = "table",
    as_json: Json = False,
) -> None:
    """Registrer mange fravær fra CSV (regneark) eller JSON. Alle rader sjekkes før noe lagres."""
    env = _env(ctx)
    fmt = _format(fmt, as_json)
    name = "standard inn" if file == "-" else file
    raw = _read_input(file)
    source, plan = operations.import_rows(
        env.store, raw, name, env.today, allow_past, env.store.now(), dry_run, progress=_progress_bar(len(raw))
    )
    for note in source.notes:
        print(note, file=sys.stderr)
    if plan.errors:
        for error in plan.errors[:MAX_ERRORS_SHOWN]:
            print(output.printable(error), file=sys.stderr)
        if len(plan.errors) > MAX_ERRORS_SHOWN:
            print(f"… og {len(plan.errors) - MAX_ERRORS_SHOWN} feil til.", file=sys.stderr)
        raise InputError(
            f"{_count(len(plan.errors), 'feil', 'feil')} i {_count(plan.bad_rows, 'rad', 'rader')} av "
            f"{plan.row_count} i {name}; ingenting er importert."
        )
    _print_import(plan, fmt, dry_run)
    if plan.added and not dry_run:
        _reminders(any(f.vikar for p in plan.offices.values() for _, f in p.added))


MAX_ERRORS_SHOWN = 10  # the first ones say what is wrong; a whole file of them says no more


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _read_input(file: str) -> bytes:
    from fravaer_cli.importer import MAX_FILE

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
        raise InputError(f"Kan ikke lese «{file}»: {e.strerror}.") from None
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


def _print_import(plan, fmt: str, dry_run: bool) -> None:
    offices = sorted(plan.offices.values(), key=lambda p: p.office.orgnr)
    if fmt == "json":
        output.print_json(
            {
                "torrkjoring": dry_run,
                "lagt_til": plan.added,
                "hoppet_over": plan.skipped,
                "virksomheter": [
                    {
                        "virksomhet": p.office.orgnr,
                        "navn": p.office.navn,
                        "lagt_til": [f.id for _, f in p.added],
                        "hoppet_over": [f.id for _, f in p.skipped],
                    }
                    for p in offices
                ],
            }
        )
        return
    if fmt == "csv":
        output.print_csv(
            ["virksomhet", "navn", "lagt_til", "hoppet_over"],
            [[p.office.orgnr, p.office.navn, len(p.added), len(p.skipped)] for p in offices],
        )
        return
    if dry_run:
        rows = [[where, p.office.orgnr, "legges til", f.summary()] for p in offices for where, f in p.added]
        rows += [
            [where, p.office.orgnr, f"finnes (fravær {f.id})", f.summary()] for p in offices for where, f in p.skipped
        ]
        print("Tørrkjøring: ingenting er lagret.\n")
        if rows:
            output.print_table(["Rad", "Virksomhet", "Handling", "Fravær"], rows)
            print()
    added = "Legges til" if dry_run else "Lagt til"
    summary = [[p.office.label, len(p.added), len(p.skipped)] for p in offices]
    summary.append(["Totalt", plan.added, plan.skipped])
    output.print_table(["Virksomhet", added, "Hoppet over (finnes fra før)"], summary)


@app.command("status", options_metavar=OPTIONS_METAVAR)
def status(
    ctx: typer.Context,
    virksomhet: Virksomhet = None,
    every: AllOffices = False,
    day: DateOpt = None,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Avslutt med kode 1 når noe er stengt denne dagen.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Skriv ingenting når ingenting stenges eller åpner i morgen.")
    ] = False,
    fmt: Format = "table",
    as_json: Json = False,
) -> None:
    """Hva som er stengt en dag, og hva som stenges og åpner igjen dagen etter."""
    env = _env(ctx)
    fmt = _format(fmt, as_json)
    orgnr = env.scope(virksomhet, every)
    when = env.date(day, "dato")
    entries, errors = operations.status_entries(env.store, orgnr, when)
    closed = 0
    if quiet or fmt == "table":
        entries = list(entries)  # --quiet must see tomorrow before printing; a table needs all its rows
        closed = sum(kind == "stengt" for kind, _, _ in entries)
        if quiet and closed == len(entries):  # nothing closes or reopens tomorrow
            entries = None
    if entries is not None:
        closed = _print_status(when, entries, fmt, single=orgnr is not None)
    _report_unreadable(errors)
    if exit_code and closed:
        raise typer.Exit(1)


def _status_entry(office, s) -> dict:
    return {
        "virksomhet": office.orgnr,
        "behandler": s.behandler,
        "tjeneste": s.tjeneste,
        "fra": s.fra.isoformat(),
        "til": s.til.isoformat(),
        "apner_igjen": s.apner_igjen.isoformat(),
        "virksomhet_navn": office.navn,
        "fravaer": list(s.ids),
    }


STATUS_KINDS = ("stengt", "starter_i_morgen", "apner_i_morgen")


def _print_status(when: date, entries, fmt: str, single: bool) -> int:
    """Print the report; returns how many entries say closed. JSON and CSV print
    what is closed as each office is read, holding only tomorrow's changes."""
    from fravaer_cli.schedule import ONE_DAY

    later = {"starter_i_morgen": [], "apner_i_morgen": []}
    closed = 0

    def closed_now():
        nonlocal closed
        for kind, ref, stretch in entries:
            if kind == "stengt":
                closed += 1
                yield ref, stretch
            else:
                later[kind].append((ref, stretch))

    if fmt == "json":
        head = {"dato": when.isoformat()}
        lists = {"stengt": (_status_entry(o, s) for o, s in closed_now())}
        lists.update((kind, (_status_entry(o, s) for o, s in later[kind])) for kind in later)
        output.print_json_streaming(head, lists)
        return closed
    if fmt == "csv":
        headers = ["kategori", "virksomhet", "virksomhet_navn", "behandler", "tjeneste", "fra", "til", "apner_igjen"]

        def rows():
            for kind, pairs in (("stengt", closed_now()), *later.items()):
                for o, s in pairs:
                    entry = _status_entry(o, s)
                    yield [kind] + [entry[h] for h in headers[1:]]

        output.print_csv(headers, rows())
        return closed
    report = {kind: [] for kind in STATUS_KINDS}
    for kind, ref, stretch in entries:
        report[kind].append((ref, stretch))
    tomorrow = dates.short(when + ONE_DAY)
    sections = (
        ("stengt", f"Stengt {dates.short(when)}:"),
        ("starter_i_morgen", f"Stenges fra {tomorrow} (husk å skru av tjenestene i EPJ):"),
        ("apner_i_morgen", f"Åpner igjen {tomorrow} (husk å skru på tjenestene i EPJ):"),
    )
    parts = []
    for key, heading in sections:
        if not report[key]:
            parts.append(f"{heading}\n  Ingenting.")
            continue
        headers = ([] if single else ["Virksomhet"]) + [
            "Behandler",
            "Tjeneste",
            "Fra og med",
            "Til og med",
            "Åpner igjen",
        ]
        rows = [
            ([] if single else [o.label])
            + [
                s.behandler,
                catalogue.display_name(s.tjeneste),
                dates.short(s.fra),
                dates.short(s.til),
                dates.short(s.apner_igjen),
            ]
            for o, s in report[key]
        ]
        parts.append(f"{heading}\n{output.table(headers, rows)}")
    print("\n\n".join(parts))
    return len(report["stengt"])


@app.command("preview", options_metavar=OPTIONS_METAVAR)
def preview(
    ctx: typer.Context,
    virksomhet: Virksomhet = None,
    behandler: Annotated[
        str | None, typer.Option("--behandler", help="Bare denne behandleren.", metavar="NAVN")
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
            "--lang", help="Språk: nb (standard), nn eller en.", metavar="nb|nn|en", click_type=_choices(*LANGUAGES)
        ),
    ] = "nb",
    fmt: Format = "table",
    as_json: Json = False,
) -> None:
    """Teksten en innbygger ser på Helsenorge en gitt dag."""
    env = _env(ctx)
    fmt = _format(fmt, as_json)
    language = lang.strip().lower()
    if language not in LANGUAGES:
        raise InputError(f"Ukjent språk for --lang: «{lang}». Godtatt: {', '.join(LANGUAGES)}.")
    orgnr = env.virksomhet(virksomhet)
    keys = catalogue.resolve_many(tjeneste) if tjeneste else list(catalogue.catalogue())
    office = env.store.load(orgnr)
    lines, unknown = operations.preview(office, env.date(day, "dato"), keys, language, behandler)
    if unknown:
        print(f"Merk: ingen fravær er registrert for «{behandler}» hos {office.label}.", file=sys.stderr)
    if fmt == "json":
        output.print_json(
            [
                {
                    "behandler": line.behandler,
                    "tjeneste": line.tjeneste,
                    "stengt": line.apner_igjen is not None,
                    "apner_igjen": line.apner_igjen.isoformat() if line.apner_igjen else None,
                    "melding": line.melding,
                }
                for line in lines
            ]
        )
        return
    if fmt == "csv":
        output.print_csv(
            ["behandler", "tjeneste", "stengt", "apner_igjen", "melding"],
            [
                [
                    line.behandler,
                    line.tjeneste,
                    "ja" if line.apner_igjen else "nei",
                    line.apner_igjen.isoformat() if line.apner_igjen else "",
                    line.melding,
                ]
                for line in lines
            ],
        )
        return
    behandlere = list(dict.fromkeys(line.behandler for line in lines))
    if len(behandlere) <= 1:
        text = [line.melding for line in lines]
    else:
        text = []
        for name in behandlere:
            text.append(f"{name}:")
            text.extend(f"  {line.melding}" for line in lines if line.behandler == name)
    if office.info:
        text.append(f"\n{INFO_HEADING[language]}: {office.info}")
    print("\n".join(text))


@app.command("info", options_metavar=OPTIONS_METAVAR)
def info(
    ctx: typer.Context,
    virksomhet: Virksomhet = None,
    navn: Annotated[str | None, typer.Option("--navn", help="Sett virksomhetens navn.", metavar="NAVN")] = None,
    set_text: Annotated[
        str | None, typer.Option("--set", help="Sett informasjon til pasient (høyst 200 tegn).", metavar="TEKST")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Fjern informasjon til pasient.")] = False,
    fmt: Format = "table",
    as_json: Json = False,
) -> None:
    """Vis virksomheten, eller sett navnet og informasjon til pasient."""
    env = _env(ctx)
    fmt = _format(fmt, as_json)
    if set_text is not None and clear:
        raise InputError("Bruk enten --set eller --clear, ikke begge.")
    changing = navn is not None or set_text is not None or clear
    orgnr = env.virksomhet(virksomhet, allow_new=changing)
    if changing:
        office = operations.set_info(env.store, orgnr, navn, "" if clear else set_text)
        print(f"Lagret {office.label}.", file=sys.stderr)
    else:
        office = env.store.load(orgnr)
    record = {"orgnr": office.orgnr, "navn": office.navn, "info": office.info, "antall_fravaer": len(office.fravaer)}
    if fmt == "json":
        output.print_json(record)
    elif fmt == "csv":
        output.print_csv(list(record), [list(record.values())])
    else:
        output.print_table(
            [],
            [
                ["Organisasjonsnummer", office.orgnr],
                ["Navn", office.navn or "(uten navn)"],
                ["Informasjon til pasient", office.info or "(ingen)"],
                ["Fravær registrert", str(len(office.fravaer))],
            ],
        )


ACTIONS = {"add": "lagt til", "edit": "endret", "delete": "slettet", "import": "importert", "info": "virksomhet endret"}


@app.command("log", options_metavar=OPTIONS_METAVAR)
def log(
    ctx: typer.Context,
    virksomhet: Virksomhet = None,
    behandler: Annotated[
        str | None,
        typer.Option("--behandler", help="Bare endringer for behandlere med denne teksten i navnet.", metavar="NAVN"),
    ] = None,
    day: Annotated[
        str | None, typer.Option("--date", help="Bare endringer av fravær som gjelder denne dagen.", metavar="DATO")
    ] = None,
    fmt: Format = "table",
    as_json: Json = False,
) -> None:
    """Loggen for en virksomhet: når, hvem og hva som ble lagt til, endret eller slettet."""
    env = _env(ctx)
    fmt = _format(fmt, as_json)
    orgnr = env.virksomhet(virksomhet)
    entries = operations.log_entries(env.store, orgnr, behandler, env.date(day, "dato") if day else None)
    if fmt == "json":
        output.print_json(entries)
        return
    rows = [[e.get("tid", ""), e.get("av", ""), e.get("handling", ""), _log_subject(e)] for e in entries]
    if fmt == "csv":
        output.print_csv(["tid", "av", "handling", "hva"], rows)
    elif not rows:
        print("Ingen endringer i loggen" + (" som passer filteret" if behandler or day else "") + ".")
    else:
        for row in rows:
            row[0] = _short_time(row[0])
            row[2] = ACTIONS.get(row[2], row[2])
        output.print_table(["Tid", "Av", "Handling", "Hva"], rows)


def _log_subject(entry: dict) -> str:
    record = entry.get("fravaer")
    if isinstance(record, dict):
        try:
            fra, til = date.fromisoformat(record["fra"]), date.fromisoformat(record["til"])
            period = f"{dates.short(fra)}–{dates.short(til)}"
            text = f"{record['id']}: {record['behandler']}, {period}: {_names(record['tjenester'])}"
        except (KeyError, TypeError, ValueError):
            return str(record)
        return text + (f" (vikar: {_names(record['vikar'])})" if record.get("vikar") else "")
    office = entry.get("virksomhet")
    if isinstance(office, dict):
        return f"navn «{office.get('navn', '')}», info «{office.get('info', '')}»"
    return ""


def _short_time(stamp: str) -> str:
    # '2026-11-26T23:40:12+01:00' -> '26.11.2026 23:40'
    try:
        return f"{dates.short(date.fromisoformat(stamp[:10]))} {stamp[11:16]}"
    except ValueError:
        return stamp


def main() -> None:
    """Console-script entry point."""
    _usable_streams()
    code = typer.main.get_command(app).main(prog_name="fravaer", standalone_mode=False)
    # Everything is written, flushed and closed by now; the interpreter's own
    # teardown would add about a sixth to every call, so it is skipped, except
    # under a profiler, tracer or coverage, whose results are written at exit.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (| head)
            pass
    if _observed():
        sys.exit(code)
    os._exit(code)


_OBSERVERS = ("cProfile", "profile", "coverage", "trace", "pyinstrument", "line_profiler")


def _observed() -> bool:
    return sys.gettrace() is not None or sys.getprofile() is not None or any(m in sys.modules for m in _OBSERVERS)


class _ClosedStdout:
    """Standard output that was closed when fravaer started: writing to it fails
    as writing to a closed descriptor would, so the boundary can say so."""

    def write(self, text):
        raise OSError(9, "standard ut er lukket")

    def flush(self):
        pass


def _usable_streams() -> None:
    """Closed standard descriptors are given /dev/null, so that no file the store
    opens can take their number; text that the output's encoding cannot show
    (PYTHONIOENCODING=latin-1 and an emoji) is escaped instead of failing."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if sys.stdout is None:
        sys.stdout = _ClosedStdout()
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # for the life of the process: nowhere to say anything
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and stream.errors == "strict":
            stream.reconfigure(errors="backslashreplace")
