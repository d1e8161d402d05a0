"""What an import says besides its errors: its notes and warnings, the dry run's rows and the
summary, in a table of the output's width or as JSON and CSV."""

import sys

from fravaer_cli.cli.fravaer import MAX_ERRORS_SHOWN, fravaer_notes, new_office_note
from fravaer_cli.domain import catalogue
from fravaer_cli.output import formats
from fravaer_cli.usecases import operations


def print_some(lines: list[str], one: str, many: str) -> None:
    """The first MAX_ERRORS_SHOWN, and how many more there are (--json has every one)."""
    for line in lines[:MAX_ERRORS_SHOWN]:
        print(formats.printable(line), file=sys.stderr)
    if len(lines) > MAX_ERRORS_SHOWN:
        print(
            f"… og {formats.count(len(lines) - MAX_ERRORS_SHOWN, one, many)} til (alle står i --json).", file=sys.stderr
        )


def import_notes(source, plan, dry_run: bool) -> tuple[list[str], list[str]]:
    """Everything the import has to say besides its result, the same in a dry run as in the real
    one: (notes, warnings). Notes: the reader's, new offices, far dates and reopening days, new
    GPs whose names look like stored ones. Warnings: working days left without a GP."""
    notes = [*source.notes, *plan.notes]
    created = sorted(orgnr for orgnr, p in plan.offices.items() if p.stamp is None and p.added)
    named = [orgnr for orgnr in created if plan.offices[orgnr].named]
    if named:
        made = "blir opprettet" if dry_run else "opprettet"
        notes.append(
            f"{formats.count(len(named), 'ny virksomhet', 'nye virksomheter').capitalize()} {made} med navn fra filen."
        )
    if unnamed := [orgnr for orgnr in created if not plan.offices[orgnr].named]:
        notes.append(new_office_note(unnamed, dry_run))
    notes_of = {}  # a big plan repeats its dates: each pair of dates is looked at once
    for p in plan.offices.values():
        for where, f in p.added:
            if (f.fra, f.til) not in notes_of:
                notes_of[f.fra, f.til] = fravaer_notes(f.fra, f.til)
            notes += [f"{where}: {note}" for note in notes_of[f.fra, f.til]]
    warnings = []
    for p in plan.offices.values():
        notes += [f"{where}: {operations.near_name_note(name, near, p.office)}" for where, name, near in p.near]
        warnings += operations.gp_warnings(p.office, [f for _, f in p.added])
    return notes, warnings


def import_result(plan, dry_run: bool, notes: list[str], warnings: list[str]) -> formats.Result:
    offices = sorted(plan.offices.values(), key=lambda p: p.office.orgnr)
    document = {
        "torrkjoring": dry_run,
        "lagt_til": plan.added,
        "hoppet_over": plan.skipped,
        "merknader": notes,
        "advarsler": warnings,
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
    csv = (
        ["virksomhet", "navn", "lagt_til", "hoppet_over"],
        [[p.office.orgnr, p.office.navn, len(p.added), len(p.skipped)] for p in offices],
    )
    return formats.Result(document, csv, lambda: import_text(plan, offices, dry_run))


# The dry run's table: a line for each row of the file, and its services where there is room.
ROW_HEADERS = ["Rad", "Behandler", "Fravær", "Handling"]


def import_text(plan, offices, dry_run: bool):
    """The dry run's rows and the summary, each in the output's width (80 in a pipe): the rows
    under their office's name when there are several, the services by their short names and cut
    to fit, a long GP's or office's name cut. Given a line at a time (a big file's rows are many)."""
    room = formats.width()
    if dry_run:
        yield "Tørrkjøring: ingenting er lagret."
        yield ""
        several = len(offices) > 1
        lines = dry_run_lines if formats.lines_match_table() else dry_run_table
        made = yield from lines(offices, room - (2 if several else 0), several)
        if made:
            yield ""
    added = "Legges til" if dry_run else "Lagt til"
    headers = ["Virksomhet", added, "Fantes fra før"]
    label_room = max(room - sum(len(h) + 4 for h in headers[1:]), 20)  # tabulate pads a header by 2
    summary = [[formats.clipped(p.office.label, label_room), len(p.added), len(p.skipped)] for p in offices]
    summary.append(["Totalt", plan.added, plan.skipped])
    yield formats.table(headers, summary)


def dry_run_rows(offices):
    """Each row of the dry run as (its office's label, its cells, its services' text), made anew
    from the plan on each pass over the table, so that every row's cells are never held at once."""
    from fravaer_cli.domain.plan import stretch_text

    for p in offices:
        for action, pairs in (("legges til", p.added), ("finnes", p.skipped)):
            for where, f in pairs:
                doing = action if action != "finnes" else f"finnes ({f.id})"
                vikar = f" (vikar: {catalogue.short_names(f.vikar)})" if f.vikar else ""
                services = (catalogue.short_names(f.tjenester) or "ingen stengt") + vikar
                yield (
                    p.office.label,
                    [where, formats.clipped(f.behandler, 22), stretch_text(f.fra, f.til), doing],
                    services,
                )


def dry_run_table(offices, room: int, several: bool):
    """The rows' table made whole (formats.table_with_rest, grouped by office when several): where
    tabulate measures wide characters (wcwidth installed), which SimpleTable does not. Gives
    whether there were rows."""
    made = list(dry_run_rows(offices))
    if made:
        labels, rows, services = (list(column) for column in zip(*made, strict=True))
        text = formats.table_with_rest(ROW_HEADERS, rows, "Tjenester", services, room)
        yield formats.grouped(text, labels) if several else text
    return bool(made)


def dry_run_lines(offices, room: int, several: bool):
    """dry_run_table's text a line at a time: the columns' widths from a pass over the rows (and,
    when the services fit, their cut texts' from another), then the lines from a last one."""
    longest, any_services, count = [0] * len(ROW_HEADERS), False, 0
    for _, cells, services in dry_run_rows(offices):
        longest = [max(n, len(formats.cell_text(c))) for n, c in zip(longest, cells, strict=True)]
        any_services, count = any_services or bool(services), count + 1
    if not count:
        return False
    table = formats.SimpleTable(ROW_HEADERS, longest)
    space = room - table.width() - 2
    rest = any_services and space >= 10  # table_with_rest's column, as wide as its longest cut text
    if rest:
        cut = max(
            len(formats.cell_text(formats.clipped(formats.printable(s), space))) for *_, s in dry_run_rows(offices)
        )
        table = formats.SimpleTable([*ROW_HEADERS, "Tjenester"], [*table.widths, cut])
    indent = "  " if several else ""  # grouped's: each office's name stands above its rows
    yield from (indent + line for line in table.head())
    label = None
    for office, cells, services in dry_run_rows(offices):
        if several and office != label:
            label = office
            yield formats.printable(office)
        yield indent + table.line([*cells, formats.clipped(formats.printable(services), space)] if rest else cells)
    return True
