"""The shared store's own commands: database init|status|load|dump, access grant|revoke|list."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from fravaer_cli.cli.app import command, env, group
from fravaer_cli.cli.options import FOLDER_TYPE, Format, Json, OneVirksomhet, Virksomhet, output_format
from fravaer_cli.output import formats

database = group("database", "Den delte PostgreSQL-databasen: opprett skjemaet, se status, flytt et lager inn og ut.")
access = group("access", "Hvem som har tilgang til hvilke virksomheter i databasen.")

Folder = Annotated[str, typer.Argument(help="Mappen med fil-lageret.", metavar="MAPPE", click_type=FOLDER_TYPE)]
Login = Annotated[
    str, typer.Argument(help="Innloggingen (PostgreSQL-rollen) som får eller mister tilgang.", metavar="LOGIN")
]


@command("init", database)
def init(ctx: typer.Context) -> None:
    """Opprett eller oppgrader skjemaet (trygt å kjøre flere ganger). Skriver skjemaversjonen."""
    from fravaer_cli.store.postgres import pgadmin

    store = env(ctx).database_store()
    done = pgadmin.init(store)
    before, now = done.before, done.now
    said = "opprettet" if before == 0 else ("oppgradert" if now != before else "allerede oppdatert")
    if before == now and done.interface_renewed:
        said = "funksjonene laget på nytt"
    print(f"Skjema {now} i {store.location} ({said}).", file=sys.stderr)
    if before != 0 and (done.services_added or done.services_removed):
        changes = [f"lagt til {', '.join(done.services_added)}"] if done.services_added else []
        changes += [f"tatt bort {', '.join(done.services_removed)}"] if done.services_removed else []
        print(f"Tjenestekatalogen: {'; '.join(changes)}.", file=sys.stderr)
    print(now)


@command("status", database)
def status(ctx: typer.Context, fmt: Format = "table", as_json: Json = False) -> None:
    """Skjemaversjon, antall virksomheter og fravær, innloggingen og tilgangen dens."""
    from fravaer_cli.store.postgres import pgadmin

    fmt = output_format(fmt, as_json)
    store = env(ctx).database_store()
    store.connection()  # the schema is checked: a missing or newer one is said here
    record = pgadmin.status(store, env(ctx).today)
    warning = pgadmin.certificate_of(store, env(ctx).today)[1]
    if warning:
        print(warning, file=sys.stderr)
    labels = ("Database", "Server", "Skjema", "Innlogging", "Tilgang", "Virksomheter", "Fravær", "TLS",
              "Autentisering", "Sertifikat", "Statistikk for andre")  # fmt: skip
    rows = [[label, str(value)] for label, value in zip(labels, record.values(), strict=True)]
    csv = (list(record), [list(record.values())])
    formats.render(formats.Result(record, csv, lambda: formats.table([], rows)), fmt)


@command("load", database)
def load(ctx: typer.Context, folder: Folder) -> None:
    """Kopier et fil-lager inn: virksomheter, fravær med id-ene sine, neste id og loggene."""
    from fravaer_cli.store.files.filestore import FileStore
    from fravaer_cli.store.postgres import pgadmin

    store = env(ctx).database_store()
    store.connection()
    loaded, present = pgadmin.load(store, FileStore(Path(folder)), Path(folder))
    offices = formats.count(len(loaded), "virksomhet", "virksomheter")
    print(f"Lastet inn {offices}; {len(present)} fantes fra før og er ikke endret.", file=sys.stderr)


@command("dump", database)
def dump(ctx: typer.Context, folder: Folder) -> None:
    """Skriv det innloggingen kan lese som et fil-lager, i en ny eller tom mappe."""
    from fravaer_cli.store.files.filestore import FileStore
    from fravaer_cli.store.postgres import pgadmin

    store = env(ctx).database_store()
    store.connection()
    written = pgadmin.dump(store, FileStore, Path(folder))
    print(f"Skrev {formats.count(len(written), 'virksomhet', 'virksomheter')} til {folder}.", file=sys.stderr)


@command("grant", access)
def grant(ctx: typer.Context, login: Login, virksomhet: OneVirksomhet) -> None:
    """Gi en innlogging tilgang til å lese og endre en virksomhet."""
    _change_access(ctx, login, virksomhet, give=True)


@command("revoke", access)
def revoke(ctx: typer.Context, login: Login, virksomhet: OneVirksomhet) -> None:
    """Ta bort en innloggings tilgang til en virksomhet."""
    _change_access(ctx, login, virksomhet, give=False)


def _change_access(ctx: typer.Context, login: str, virksomhet: str, give: bool) -> None:
    from fravaer_cli.store.postgres import pgadmin

    e = env(ctx)
    store = e.database_store()
    orgnr = e.virksomhet(virksomhet, allow_new=True)
    if give:
        said = "har nå" if pgadmin.grant(store, login, orgnr) else "hadde allerede"
    else:
        said = "har ikke lenger" if pgadmin.revoke(store, login, orgnr) else "hadde ikke"
    print(f"{login} {said} tilgang til {orgnr}.", file=sys.stderr)


@command("list", access)
def list_(
    ctx: typer.Context,
    login: Annotated[str | None, typer.Argument(help="Bare denne innloggingen.", metavar="[LOGIN]")] = None,
    virksomhet: Virksomhet = None,
    fmt: Format = "table",
    as_json: Json = False,
) -> None:
    """Hvem som har tilgang til hva (en innlogging ser sin egen; fravaer_admin ser alle)."""
    from fravaer_cli.store.postgres import pgadmin

    e = env(ctx)
    fmt = output_format(fmt, as_json)
    store = e.database_store()
    orgnr = e.virksomhet(virksomhet, allow_new=True) if virksomhet else None
    records = pgadmin.access_list(store, orgnr, login)
    rows = [[r["login"], r["virksomhet"], r["navn"], r["gitt_av"], r["gitt"]] for r in records]
    # The kundesenter reads every office by its role, not by grants: «no access» would be wrong.
    role = pgadmin.own_role(store) if login is None or login == store.login else None
    said = f"{store.login} er medlem av {role}." if role else None
    headers = ["Innlogging", "Virksomhet", "Navn", "Gitt av", "Gitt"]
    csv = (["login", "virksomhet", "navn", "gitt_av", "gitt"], rows)

    def text() -> str:
        if not rows:
            return f"Ingen tilganger til enkeltvirksomheter. {said}" if said else "Ingen tilganger."
        return formats.table(headers, rows) + (f"\n\n{said}" if said else "")

    formats.render(formats.Result(records, csv, text), fmt)
