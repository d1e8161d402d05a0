"""The calendar as one self-contained HTML page: to print, pin up or send in a mail.

No script and nothing fetched: the style is inline, so the page looks the same offline,
in a mail and on paper. One table a month (a month of an office fits one A4 page in
landscape), the same letters as the terminal's grid, and colour only as help: the
letters carry the meaning, so a page printed in black and white still reads.
"""

from html import escape as _html

from fravaer_cli.domain.dates import MONTHS_NO, short
from fravaer_cli.domain.plan import ALL_CLOSED, PRESENT, SOME_CLOSED, VIKAR, Calendar, weeks_of
from fravaer_cli.output.calendar_text import WEEKDAYS
from fravaer_cli.output.formats import printable


def escape(text: str) -> str:
    """Text for the page: a control character (a hand-edited file's) shown as an escape, as the
    tables show it, then HTML's escaping."""
    return _html(printable(text))


_CELL_CLASS = {ALL_CLOSED: "X", SOME_CLOSED: "x", VIKAR: "v", PRESENT: "p"}

_STYLE = """
@page { size: A4 landscape; margin: 10mm; }
* { box-sizing: border-box; }
body { font-family: system-ui, "Segoe UI", Arial, sans-serif; font-size: 10pt; color: #111; margin: 0 auto;
  max-width: 277mm; padding: 4mm; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
h1 { font-size: 14pt; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 5mm 0 1mm; }
p { margin: 1mm 0; }
table { border-collapse: collapse; table-layout: fixed; break-inside: avoid; }
th, td { border: 1px solid #bbb; padding: 1px 0; text-align: center; font-variant-numeric: tabular-nums;
  overflow: hidden; white-space: nowrap; }
col.name { width: 9.5em; }
col.day { width: 2.1em; }
th.name, td.name { text-align: left; padding: 1px 4px; text-overflow: ellipsis; }
thead th { font-weight: normal; color: #333; }
.off { background: #ececec; color: #666; }
td.X { background: #d32f2f; color: #fff; font-weight: bold; }
td.x { background: #f9c74f; color: #000; }
td.v { background: #90caf9; color: #000; }
td.p { color: #999; }
.hol { font-weight: bold; }
tr.count td { font-weight: bold; }
td.none { background: #b71c1c; color: #fff; }
.legend span { display: inline-block; min-width: 1.6em; text-align: center; border: 1px solid #bbb; margin-right: 3px; }
.legend { margin-top: 3mm; }
.legend p { margin: 0.8mm 0; }
"""


def render(cal: Calendar) -> str:
    office = escape(cal.office.label)
    title = f"{office}: hvem er borte {short(cal.fra)}–{short(cal.til)}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="nb">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{title}</h1>",
    ]
    if not cal.behandlere:
        parts.append(
            f"<p>{office} har ingen liste over fastleger og ingen fravær i perioden. "
            "Legg legene på listen med «fravaer roster add».</p>"
        )
    else:
        for month in _months(cal):
            parts.append(_month_table(cal, month))
        parts.append(_legend(cal))
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _months(cal: Calendar) -> list[list]:
    months: list[list] = []
    for day in cal.days:
        if not months or (day.dato.year, day.dato.month) != (months[-1][0].dato.year, months[-1][0].dato.month):
            months.append([])
        months[-1].append(day)
    return months


def _month_table(cal: Calendar, days: list) -> str:
    first = days[0].dato
    name = f"{MONTHS_NO[first.month - 1]} {first.year}"

    def off(day) -> str:
        return ' class="off"' if not day.virkedag else ""

    weeks = weeks_of(days)
    week_cells = "".join(
        f'<th colspan="{len(w)}">{"uke " if len(w) >= 3 else ""}{w[0].dato.isocalendar().week}</th>' for w in weeks
    )
    weekday_cells = "".join(f"<th{off(d)}>{WEEKDAYS[d.dato.weekday()]}</th>" for d in days)
    date_cells = "".join(_date_cell(d) for d in days)
    rows = []
    for index, behandler in enumerate(cal.behandlere):
        cells = "".join(
            f'<td class="{_CELL_CLASS[d.cells[index]]}{"" if d.virkedag else " off"}">{d.cells[index]}</td>'
            for d in days
        )
        rows.append(f'<tr><td class="name" title="{escape(behandler)}">{escape(behandler)}</td>{cells}</tr>')
    counts = "".join(
        f'<td class="none" title="Ingen fastlege og ingen vikar">{d.present}!</td>'
        if d.uten_lege
        else f"<td{off(d)}>{d.present}</td>"
        for d in days
    )
    rows.append(f'<tr class="count"><td class="name">Til stede</td>{counts}</tr>')
    return "\n".join(
        [
            f"<h2>{name}</h2>",
            "<table>",
            f'<colgroup><col class="name"><col class="day" span="{len(days)}"></colgroup>',
            "<thead>",
            f'<tr><th class="name" rowspan="3">Fastlege</th>{week_cells}</tr>',
            f"<tr>{weekday_cells}</tr>",
            f"<tr>{date_cells}</tr>",
            "</thead>",
            "<tbody>",
            *rows,
            "</tbody>",
            "</table>",
        ]
    )


def _date_cell(day) -> str:
    if day.helligdag:
        return f'<th class="off hol" title="{escape(day.helligdag)}">{day.dato.day}*</th>'
    return f'<th class="off">{day.dato.day}</th>' if not day.virkedag else f"<th>{day.dato.day}</th>"


def _legend(cal: Calendar) -> str:
    lines = [
        '<div class="legend">',
        '<p><span style="background:#d32f2f;color:#fff">X</span> alle tjenester stengt '
        '<span style="background:#f9c74f">x</span> noen stengt '
        '<span style="background:#90caf9">v</span> vikar tar tjenestene '
        '<span style="color:#999">.</span> til stede '
        '<span class="off" style="background:#ececec">lø</span> helg og helligdag</p>',
        "<p>Til stede: leger som ikke er borte; ! = virkedag uten fastlege og uten vikar.</p>",
    ]
    holidays = [f"{d.dato:%d.%m.} {escape(d.helligdag)}" for d in cal.days if d.helligdag]
    if holidays:
        lines.append(f"<p>* helligdag: {', '.join(holidays)}.</p>")
    if without := cal.without_gp_text():
        lines.append(f"<p><strong>{without}</strong></p>")
    lines.append("</div>")
    return "\n".join(lines)
