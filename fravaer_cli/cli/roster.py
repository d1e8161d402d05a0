"""The office's list of its GPs: roster list|add|remove|rename."""

import sys
from typing import Annotated

import typer

from fravaer_cli.cli.app import command, env, group
from fravaer_cli.cli.boundary import record_stored
from fravaer_cli.cli.fravaer import new_office_note, warn
from fravaer_cli.cli.options import BEHANDLER_TYPE, Format, Json, OneVirksomhet, output_format
from fravaer_cli.domain.errors import InputError
from fravaer_cli.output import formats
from fravaer_cli.usecases import operations

roster = group(
    "roster",
    "Listen over virksomhetens fastleger. Med en liste godtas bare fravær for legene på den, "
    "så en feilstavet lege blir ikke lagret som en ny.",
)

Behandler = Annotated[
    str, typer.Option("--behandler", help="Fastlegens navn.", metavar="NAVN", click_type=BEHANDLER_TYPE)
]


@command("list", roster)
def list_(ctx: typer.Context, virksomhet: OneVirksomhet, fmt: Format = "table", as_json: Json = False) -> None:
    """Legene på listen, og (merket) leger med fravær som ikke står på den."""
    e = env(ctx)
    fmt = output_format(fmt, as_json)
    office, rows = operations.roster(e.store, e.virksomhet(virksomhet))
    csv = (["behandler", "hpr", "pa_listen"], [[r["behandler"], r["hpr"], r["pa_listen"]] for r in rows])
    formats.render(formats.Result(rows, csv, lambda: _table(office, rows)), fmt)


def _table(office, rows) -> str:
    if not rows:
        return f"{office.label} har ingen liste over fastleger og ingen fravær ennå."
    marked = not all(r["pa_listen"] for r in rows)
    table = [
        [r["behandler"], r["hpr"]] + ([""] if r["pa_listen"] else ["ikke på listen (har fravær)"]) * marked
        for r in rows
    ]
    text = formats.table(["Behandler", "HPR"] + [""] * marked, table)
    if not office.roster:
        text += (
            f"\n{office.label} har ingen liste over fastleger ennå: legene over har fravær lagret. "
            "Legg dem på listen med «fravaer roster add»."
        )
    return text


@command("add", roster)
def add(
    ctx: typer.Context,
    virksomhet: OneVirksomhet,
    behandler: Annotated[
        list[str],
        typer.Option("--behandler", help="Fastlegens navn. Kan gjentas.", metavar="NAVN", click_type=BEHANDLER_TYPE),
    ],
    hpr: Annotated[str | None, typer.Option("--hpr", help="Legens HPR-nummer.", metavar="NUMMER")] = None,
) -> None:
    """Sett fastleger på listen (å legge til en som står der, endrer ingenting)."""
    e = env(ctx)
    if hpr is not None and len(behandler) > 1:
        raise InputError("--hpr gjelder én lege: legg til legene med HPR-nummer én og én.")
    orgnr = e.virksomhet(virksomhet, allow_new=True)
    added, office, created = operations.roster_add_many(e.store, orgnr, behandler, hpr)
    if created:
        print(new_office_note([orgnr]), file=sys.stderr)
    for entry, before, near in added:
        if before == entry:
            print(
                f"{entry.behandler} står allerede på listen hos {office.label}; ingenting er endret.", file=sys.stderr
            )
            continue
        record_stored(ctx, f"{entry.behandler} er lagret på listen")
        if before is None:
            hpr_text = f" (HPR {entry.hpr})" if entry.hpr else ""
            print(f"La {entry.behandler}{hpr_text} på listen over fastleger hos {office.label}.", file=sys.stderr)
        else:
            print(
                f"Endret HPR for {entry.behandler} hos {office.label}: «{before.hpr}» til «{entry.hpr}».",
                file=sys.stderr,
            )
        if near:
            warn([operations.near_name_note(entry.behandler, near, office)])
    new = sum(before is None for _, before, _ in added)
    if new and new == len(office.roster):  # the office had no roster before
        rest = ": legg til de andre også." if new == 1 else "."
        print(f"Nå som virksomheten har en liste, godtas bare fravær for legene på den{rest}", file=sys.stderr)


@command("remove", roster)
def remove(ctx: typer.Context, virksomhet: OneVirksomhet, behandler: Behandler) -> None:
    """Ta en fastlege av listen. Fraværene legen har, blir stående."""
    e = env(ctx)
    entry, office = operations.roster_remove(e.store, e.virksomhet(virksomhet), behandler)
    record_stored(ctx, f"{entry.behandler} er tatt av listen")
    print(f"Tok {entry.behandler} av listen over fastleger hos {office.label}.", file=sys.stderr)
    if not office.roster:
        print("Listen er nå tom: fravær godtas for alle navn igjen.", file=sys.stderr)


@command("rename", roster)
def rename(
    ctx: typer.Context,
    virksomhet: OneVirksomhet,
    behandler: Behandler,
    til_navn: Annotated[
        str,
        typer.Option(
            "--til-navn",
            help="Det riktige navnet (en annen lege slås sammen med).",
            metavar="NAVN",
            click_type=BEHANDLER_TYPE,
        ),
    ],
) -> None:
    """Gi en fastlege nytt navn overalt i virksomheten: på listen og i hvert fravær.

    Er det nye navnet en annen lege, slås de sammen; fravær som da ville overlappe, stopper det (exit 4).
    """
    e = env(ctx)
    target, changed, office, near = operations.rename(e.store, e.virksomhet(virksomhet), behandler, til_navn)
    record_stored(ctx, "Det nye navnet er lagret")
    print(
        f"«{behandler.strip()}» heter nå «{target}» hos {office.label}: {len(changed)} fravær endret.", file=sys.stderr
    )
    for _, after in changed:
        print(f"  {after.describe()}", file=sys.stderr)
    if near:
        warn([operations.near_name_note(target, near, office)])
    warn(operations.gp_warnings(office, [after for _, after in changed]))
