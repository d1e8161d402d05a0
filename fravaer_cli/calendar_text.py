"""The calendar as text: one row per GP, one column per day, wrapped by whole weeks.

Every column is three characters: two for the value, right-aligned, and one for a
mark after it ('*' a public holiday, '!' no GP that day). The letters carry all
the meaning; colour only helps, and only on a terminal.
"""

from fravaer_cli.dates import short
from fravaer_cli.output import printable
from fravaer_cli.plan import ALL_CLOSED, PRESENT, SOME_CLOSED, VIKAR, Calendar, stretch_text, stretches

WEEKDAYS = ("ma", "ti", "on", "to", "fr", "lø", "sø")
COLUMN = 3
MAX_NAME = 24
COUNT_LABEL = "Til stede"

_RED, _YELLOW, _CYAN, _DIM, _BOLD_RED, _RESET = "\033[31m", "\033[33m", "\033[36m", "\033[2m", "\033[1;31m", "\033[0m"
_CELL_COLOUR = {ALL_CLOSED: _RED, SOME_CLOSED: _YELLOW, VIKAR: _CYAN}


def render(cal: Calendar, width: int, colour: bool) -> str:
    title = f"{printable(cal.office.label)}: hvem er borte {short(cal.fra)}–{short(cal.til)}"
    if not cal.behandlere:
        return (
            f"{title}\n\n{printable(cal.office.label)} har ingen liste over fastleger og ingen fravær i perioden. "
            "Legg legene på listen med «fravaer roster add»."
        )
    names = [_name(n) for n in cal.behandlere]
    label_width = max(len(COUNT_LABEL), *map(len, names)) + 2
    per_block = max(1, (width - label_width) // (7 * COLUMN + 1))
    blocks = [_block(cal, week_group, names, label_width, colour) for week_group in _blocks(cal, per_block)]
    return "\n\n".join([title, *blocks, _legend(cal)])


def _weeks(cal: Calendar) -> list[list]:
    weeks: list[list] = []
    for day in cal.days:
        if not weeks or day.dato.weekday() == 0:
            weeks.append([])
        weeks[-1].append(day)
    return weeks


def _blocks(cal: Calendar, per_block: int) -> list[list[list]]:
    weeks = _weeks(cal)
    return [weeks[i : i + per_block] for i in range(0, len(weeks), per_block)]


def _block(cal: Calendar, weeks: list[list], names: list[str], label_width: int, colour: bool) -> str:
    def paint(text: str, code: str | None) -> str:
        return f"{code}{text}{_RESET}" if colour and code else text

    def row(label: str, cells_of_week) -> str:
        return (label.ljust(label_width) + " ".join("".join(cells_of_week(week)) for week in weeks)).rstrip()

    def week_label(week) -> str:
        number = week[0].dato.isocalendar().week
        text = f"uke {number}" if len(week) >= 3 else str(number)
        return text.ljust(len(week) * COLUMN)

    def off(day) -> str | None:
        return None if day.virkedag else _DIM

    lines = [
        (" " * label_width + " ".join(week_label(week) for week in weeks)).rstrip(),
        row("", lambda week: [paint(f"{WEEKDAYS[d.dato.weekday()]:>2}", off(d)) + " " for d in week]),
        row(
            "",
            lambda week: [paint(f"{d.dato.day:>2}", off(d)) + ("*" if d.helligdag else " ") for d in week],
        ),
    ]
    for index, name in enumerate(names):
        lines.append(
            row(
                name,
                lambda week, i=index: [
                    paint(f"{d.cells[i]:>2}", _CELL_COLOUR.get(d.cells[i], _DIM if d.cells[i] == PRESENT else None))
                    + " "
                    for d in week
                ],
            )
        )
    lines.append(
        row(
            COUNT_LABEL,
            lambda week: [
                (paint(f"{d.present:>2}", _BOLD_RED) + paint("!", _BOLD_RED)) if d.uten_lege else f"{d.present:>2} "
                for d in week
            ],
        )
    )
    return "\n".join(lines)


def _legend(cal: Calendar) -> str:
    lines = [
        "X alle tjenester stengt   x noen stengt   v vikar tar tjenestene   . til stede",
        "Til stede: leger som ikke er borte; ! = virkedag uten fastlege og uten vikar.",
    ]
    holidays = [f"{d.dato:%d.%m.} {d.helligdag}" for d in cal.days if d.helligdag]
    if holidays:
        lines.append("* helligdag: " + ", ".join(holidays) + ".")
    without = [d.dato for d in cal.days if d.uten_lege]
    if without:
        lines.append(f"Ingen fastlege: {', '.join(stretch_text(a, b) for a, b in stretches(without))}.")
    return "\n".join(lines)


def _name(name: str) -> str:
    shown = printable(name)
    return shown if len(shown) <= MAX_NAME else shown[: MAX_NAME - 1] + "…"
