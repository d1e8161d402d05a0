"""list's overview as a table: made whole for one office, or line by line over every office
(the rows kept in a temporary file until the columns' widths are known)."""

from fravaer_cli.domain import catalogue, dates
from fravaer_cli.domain.model import Fravaer
from fravaer_cli.output.formats import (
    SimpleTable,
    cell_text,
    clipped,
    grouped,
    printable,
    table_with_rest,
    width,
)
from fravaer_cli.output.formats import table as made_table


def service_names(keys) -> str:
    """'Reseptfornyelse, Timebestilling'."""
    return ", ".join(catalogue.display_name(k) for k in keys)


def list_table(rows, every: bool, include_past: bool) -> str:
    """The overview in the terminal's width (80 in a pipe), with the words of Helsenorge's
    «Oversikt over fravær» (Fra og med, Til og med, Tjenester) and the services' names when
    the rows fit; else «Fra», «Til», «Alle» and the short names («Resept, Time»), which fit 80
    columns. The comment where there is room."""
    if not rows:
        return no_rows(include_past)
    any_vikar = any(f.vikar for _, f in rows)
    room = width() - (2 if every else 0)  # with --all, each office's name stands above its rows
    vikar_column = ["Vikar"] if any_vikar else []
    words = ["ID", "Behandler", "Fra og med", "Til og med", "Tjenester", *vikar_column]
    short = ["ID", "Behandler", "Fra", "Til", "Stengt", *vikar_column]
    for headers, named in ((words, service_names), (short, catalogue.short_names)):
        columns = 5 + len(vikar_column)
        table = [list_cells(f, named)[:columns] for _, f in rows]
        if max(map(len, made_table(headers, table).splitlines())) <= room:
            break
    text = table_with_rest(headers, table, "Kommentar", [f.kommentar for _, f in rows], room)
    return grouped(text, [o.label for o, _ in rows]) if every else text


def list_cells(f: Fravaer, named) -> list[str]:
    """A row of the overview: ID, Behandler, Fra, Til, the services, the vikar's."""
    return [f.id, f.behandler, dates.short(f.fra), dates.short(f.til), named(f.tjenester) or "-", named(f.vikar)]


def list_table_spilled(rows, include_past: bool):
    """(how many rows, the lines of list_table(rows, every=True)) with the rows kept in a
    temporary file, not in memory: the table's columns line up over every office, so its widths
    are known only when the last office has been read. The same text, line by line."""
    import json
    import tempfile

    spill = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")
    longest = {service_names: [0] * 6, catalogue.short_names: [0] * 6}
    count, any_vikar, any_comment = 0, False, False
    for o, f in rows:
        cells = []
        for named, lengths in longest.items():
            for i, cell in enumerate(list_cells(f, named)):
                lengths[i] = max(lengths[i], len(cell_text(cell)))
                cells.append(cell)
        any_vikar = any_vikar or bool(f.vikar)
        any_comment = any_comment or bool(f.kommentar)
        spill.write(json.dumps([o.label, *cells, f.kommentar], ensure_ascii=False) + "\n")
        count += 1

    def lines():
        with spill:
            if not count:
                yield no_rows(include_past)
                return
            room = width() - 2  # each office's name stands above its rows
            vikar_column = ["Vikar"] if any_vikar else []
            columns = 5 + len(vikar_column)
            words = ["ID", "Behandler", "Fra og med", "Til og med", "Tjenester", *vikar_column]
            short = ["ID", "Behandler", "Fra", "Til", "Stengt", *vikar_column]
            # As list_table: Helsenorge's words when the rows fit, else the short ones.
            choices = [(h, n[:columns]) for h, n in zip((words, short), longest.values(), strict=True)]
            fits = [SimpleTable(*c).width() <= room for c in choices]
            at = fits.index(True) if True in fits else len(choices) - 1
            headers, table = choices[at][0], SimpleTable(*choices[at])
            first = 1 + 6 * at
            space = room - table.width() - 2
            comment = any_comment and space >= 10
            if comment:  # table_with_rest's column, as wide as its longest cut comment
                spill.seek(0)
                cut = max(len(cell_text(clipped(printable(json.loads(line)[-1]), space))) for line in spill)
                table = SimpleTable([*headers, "Kommentar"], [*table.widths, cut])
            for line in table.head():
                yield "  " + line
            spill.seek(0)
            label = None
            for line in spill:
                row = json.loads(line)
                cells = row[first : first + columns]
                if comment:
                    cells.append(clipped(printable(row[-1]), space))
                if row[0] != label:
                    label = row[0]
                    yield printable(label)
                yield "  " + table.line(cells)

    return count, lines()


def no_rows(include_past: bool) -> str:
    return "Ingen fravær" + ("" if include_past else " nå eller fremover (--include-past viser også tidligere)") + "."
