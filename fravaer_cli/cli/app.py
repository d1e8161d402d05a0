"""The Typer app, its global options, what every command gets from them, and the entry point."""

import os
import sys
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import typer

from fravaer_cli import __version__
from fravaer_cli.cli.boundary import FravaerCommand, FravaerGroup, FravaerSubGroup
from fravaer_cli.cli.options import FOLDER_TYPE, STORE_FORMATS, choices
from fravaer_cli.domain import dates
from fravaer_cli.domain.errors import InputError, StoreError
from fravaer_cli.domain.model import check_av
from fravaer_cli.store.base import Store
from fravaer_cli.usecases import lookup

Day = date  # Env has a method named date

OPTIONS_METAVAR = "[VALG]"
# The app and each group of it: plain help screens (no rich), no --install-completion.
_SETTINGS: dict[str, Any] = {
    "options_metavar": OPTIONS_METAVAR,
    "subcommand_metavar": "KOMMANDO [ARGUMENTER]...",
    "no_args_is_help": True,
    "rich_markup_mode": None,
    "pretty_exceptions_enable": False,
    "add_completion": False,
    "context_settings": {"help_option_names": ["--help", "-h"], "max_content_width": 100},
}

app = typer.Typer(
    cls=FravaerGroup,
    name="fravaer",
    help="Fravær for fastlegers tjenester på Helsenorge: registrer, vis, endre og slett.",
    **_SETTINGS,
)


def command(name: str, group: typer.Typer | None = None):
    """A command of the app (or of a group of it), with the Norwegian help screen and usage errors.
    A command of the app itself gets a Typer of its own, built only when it is called or listed."""
    if group is None:
        group = FravaerGroup.lazy[name] = typer.Typer(
            add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False
        )
    return group.command(name, cls=FravaerCommand, options_metavar=OPTIONS_METAVAR)


def group(name: str, help: str) -> typer.Typer:
    """A group of commands under the app (`fravaer database init`), named in FravaerGroup.lazy."""
    return typer.Typer(cls=FravaerSubGroup, name=name, help=help, **_SETTINGS)


# Groups of commands whose modules are imported only when one of them is asked for
# (cli/database.py, cli/roster.py); __init__.py adds them after the app's own commands.
GROUPS = {
    "database": ("fravaer_cli.cli.database", "database"),
    "access": ("fravaer_cli.cli.database", "access"),
    "roster": ("fravaer_cli.cli.roster", "roster"),
}


def chosen_database(data_dir: str | None, database: str | None) -> str | None:
    """The database the command line names: --database, else $FRAVAER_DATABASE_URL unless a
    folder is given on the command line (--data-dir); None for the file store."""
    return database or (None if data_dir else os.environ.get("FRAVAER_DATABASE_URL") or None)


def _warn_of_password(database: str) -> None:
    """A password on the command line is visible to every local user (ps) while the command runs."""
    if "pass" not in database.lower() and "@" not in database:
        return
    from fravaer_cli.store.postgres.connect import holds_password

    try:
        holding = holds_password(database)
    except StoreError:  # no driver: said when the database is used
        return
    if holding:
        print(
            "Advarsel: --database inneholder et passord, som andre brukere på maskinen kan se (ps) mens "
            "kommandoen kjører. Legg det i ~/.pgpass (eller filen PGPASSFILE peker på), eller bruk en "
            "tjenestefil (PGSERVICE).",
            file=sys.stderr,
        )


class Env:
    """Global options, and what every command gets from them."""

    def __init__(self, data_dir: str | None, store_format: str | None, av: str | None, database: str | None = None):
        from fravaer_cli.store.files.filestore import default_dir

        if database is not None and (data_dir is not None or store_format is not None):
            raise InputError(
                "--database kan ikke brukes sammen med --data-dir eller --store-format: velg databasen eller en mappe."
            )
        self.database = chosen_database(data_dir, database)
        if database is not None:
            _warn_of_password(database)
        if self.database is not None and store_format is not None:
            raise InputError("--store-format gjelder bare filer, og $FRAVAER_DATABASE_URL velger databasen.")
        self.folder = default_dir(data_dir) if self.database is None else None
        fmt = (store_format or os.environ.get("FRAVAER_STORE_FORMAT") or "toml").lower()
        if fmt not in STORE_FORMATS:
            raise InputError(f"Ukjent lagringsformat: «{fmt}». Godtatt: {', '.join(STORE_FORMATS)}.")
        self.store_format = fmt
        if av is not None and av.strip():
            self.av: str | Callable[[], str] = check_av(av, "--av")
        else:
            self.av = _login_name  # asked only when something is written
        self._store: Store | None = None
        self._today: Day | None = None

    @property
    def store(self):
        if self._store is None:
            from fravaer_cli.cli import clock

            if self.database is not None:
                from fravaer_cli.store.postgres.pgstore import PgStore

                self._store = PgStore(self.database, self.av, clock=clock.timestamp)
            else:
                from fravaer_cli.store.files.filestore import FileStore

                self._store = FileStore(self.folder, self.store_format, self.av, clock=clock.timestamp)
        return self._store

    def close(self) -> None:
        """The store let go when the command ends: a database's connection said goodbye to, not cut
        (which the server logs as a client gone, and PgBouncer as an unexpected end)."""
        if self._store is not None:
            self._store.close()

    def database_store(self):
        """The store, which must be the database (for the database and access commands)."""
        if self.database is None:
            raise InputError(
                "Oppgi databasen med --database URL eller $FRAVAER_DATABASE_URL, "
                "for eksempel --database postgresql:///fravaer."
            )
        return self.store

    @property
    def today(self) -> date:
        if self._today is None:
            from fravaer_cli.cli import clock

            self._today = clock.today()
        return self._today

    def date(self, text: str | None, what: str) -> date:
        return self.today if text is None else dates.parse_date(text, lambda: self.today, what)

    def report_date(self, text: str | None, what: str) -> Day:
        """A day to report on (status, preview, calendar, log): the reports look at the days
        after it (tomorrow, the next working day, four weeks), so it must leave room for them."""
        day = self.date(text, what)
        if day > dates.LAST_REPORT_DAY:
            raise InputError(
                f"Ugyldig {what}: «{text}» er for langt fram: rapportene ser på dagene etter, og kalenderen "
                f"slutter 31.12.9999. Godtatt: til og med {dates.short(dates.LAST_REPORT_DAY)}."
            )
        return day

    def virksomhet(self, text: str, allow_new: bool = False) -> str:
        return lookup.find_virksomhet(self.store, text, allow_new)

    def scope(self, text: str | None, every: bool, allow_new: bool = False) -> str | None:
        """--virksomhet X (its orgnr) or --all (None)."""
        if every:
            if text is not None:
                raise InputError("Bruk enten --virksomhet eller --all, ikke begge.")
            return None
        if text is None:
            raise InputError("Mangler --virksomhet (organisasjonsnummer eller en del av navnet) eller --all.")
        return self.virksomhet(text, allow_new)


def _login_name() -> str:
    """$USER, as the SPEC says, else what the system knows of this user."""
    if user := os.environ.get("USER", "").strip():
        return check_av(user, "$USER (oppgi --av NAVN)")
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no name for this uid (containers): still record something
        return f"uid {os.getuid()}"


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
            click_type=FOLDER_TYPE,
        ),
    ] = None,
    store_format: Annotated[
        str | None,
        typer.Option(
            "--store-format",
            help="Format for nye filer: toml (standard) eller json.",
            metavar="toml|json",
            click_type=choices(*STORE_FORMATS),
        ),
    ] = None,
    av: Annotated[
        str | None, typer.Option("--av", help="Hvem loggen registrerer (standard: innloggingsnavnet).", metavar="NAVN")
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="Den delte PostgreSQL-databasen (ellers $FRAVAER_DATABASE_URL), som postgresql:///fravaer.",
            metavar="URL",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", help="Vis versjonen og avslutt.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Fravær for fastlegers tjenester på Helsenorge: registrer, vis, endre og slett."""
    ctx.obj = Env(data_dir, store_format, av, database)
    ctx.call_on_close(ctx.obj.close)


def env(ctx: typer.Context) -> Env:
    return ctx.obj


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
        if hasattr(stream, "reconfigure") and getattr(stream, "errors", None) == "strict":
            stream.reconfigure(errors="backslashreplace")
