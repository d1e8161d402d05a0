"""The calendar as text: one row per GP, one column per day (or, with weeks=True, per
week), wrapped by whole weeks; a line above names the month where one begins.

Every column is three characters: two for the value, right-aligned, and one for a
mark after it ('*' a public holiday, '!' no GP that day). The letters carry all
the meaning; colour only helps, and only on a terminal.
"""

from fravaer_cli.domain.dates import MONTHS_NO, short
from fravaer_cli.domain.plan import ALL_CLOSED, PRESENT, SOME_CLOSED, VIKAR, Calendar, weeks_of
from fravaer_cli.output.formats import printable

WEEKDAYS = ("ma", "ti", "on", "to", "fr", "lø", "sø")
COLUMN = 3
MAX_NAME = 24
COUNT_LABEL = "Til stede"

_RED, _YELLOW, _CYAN, _DIM, _BOLD_RED, _RESET = "\033[31m", "\033[33m", "\033[36m", "\033[2m", "\033[1;31m", "\033[0m"
_CELL_COLOUR = {ALL_CLOSED: _RED, SOME_CLOSED: _YELLOW, VIKAR: _CYAN}


def render(cal: Calendar, width: int, colour: bool, weeks: bool = False) -> str:
    title = f"{printable(cal.office.label)}: hvem er borte {short(cal.fra)}–{short(cal.til)}"
    if weeks and cal.behandlere:
        return _render_weeks(cal, title, width, colour)
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


def _blocks(cal: Calendar, per_block: int) -> list[list[list]]:
    weeks = weeks_of(cal.days)
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

    positions, column = [], label_width
    for week in weeks:
        positions += [(column + i * COLUMN, d.dato) for i, d in enumerate(week)]
        column += len(week) * COLUMN + 1
    lines = [
        _month_line(positions),
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


def _month_line(positions: list) -> str:
    """The month's name above its first day, and above the block's first day the month it is
    in, with the year the first time it is shown. A name that would run into the next one is
    shortened to the month, or left out (the next month's start matters more)."""
    labels, previous = [], None
    for column, day in positions:
        if (day.year, day.month) != previous:
            previous = (day.year, day.month)
            labels.append([column, MONTHS_NO[day.month - 1], day.year])
    line, year_shown = "", None
    for n, (column, month, year) in enumerate(labels):
        room = labels[n + 1][0] - column - 1 if n + 1 < len(labels) else None
        text = f"{month} {year}" if year != year_shown else month
        if room is not None and len(text) > room:
            text = month
        if room is not None and len(text) > room:
            continue  # the next month's start matters more
        if text != month:
            year_shown = year
        line = line.ljust(column) + text
    return line


def _legend(cal: Calendar) -> str:
    lines = [
        "X alle tjenester stengt   x noen stengt   v vikar tar tjenestene   . til stede",
        "Til stede: leger som ikke er borte; ! = virkedag uten fastlege og uten vikar.",
    ]
    holidays = [f"{d.dato:%d.%m.} {d.helligdag}" for d in cal.days if d.helligdag]
    if holidays:
        lines.append("* helligdag: " + ", ".join(holidays) + ".")
    if without := cal.without_gp_text():
        lines.append(without)
    return "\n".join(lines)


def _name(name: str) -> str:
    shown = printable(name)
    return shown if len(shown) <= MAX_NAME else shown[: MAX_NAME - 1] + "…"


WEEK_COLUMN = 4  # '5X' right-aligned in three, and the '!' mark


def _render_weeks(cal: Calendar, title: str, width: int, colour: bool) -> str:
    """One column a week: how many working days each GP is away, and how ('5X'); the fewest
    GPs present on a working day of the week, '!' when one of its working days has none."""

    def paint(text: str, code: str | None) -> str:
        return f"{code}{text}{_RESET}" if colour and code else text

    names = [_name(n) for n in cal.behandlere]
    label_width = max(len(COUNT_LABEL), *map(len, names)) + 2
    weeks = weeks_of(cal.days)
    per_block = max(1, (width - label_width) // WEEK_COLUMN)
    blocks = []
    for start in range(0, len(weeks), per_block):
        group = weeks[start : start + per_block]
        lines = [
            _month_line([(label_width + i * WEEK_COLUMN, _month_day(week)) for i, week in enumerate(group)]),
            ("uke".ljust(label_width) + "".join(f"{w[0].dato.isocalendar().week:>3} " for w in group)).rstrip(),
        ]
        for index, name in enumerate(names):
            cells = []
            for week in group:
                cell = _week_cell([d.cells[index] for d in week if d.virkedag])
                code = _CELL_COLOUR.get(cell[-1], _DIM if cell.endswith(PRESENT) else None)
                cells.append(paint(f"{cell:>3}", code) + " ")
            lines.append((name.ljust(label_width) + "".join(cells)).rstrip())
        counts = []
        for week in group:
            working = [d for d in week if d.virkedag] or week
            fewest = f"{min(d.present for d in working):>3}"
            counts.append(paint(fewest + "!", _BOLD_RED) if any(d.uten_lege for d in week) else fewest + " ")
        lines.append((COUNT_LABEL.ljust(label_width) + "".join(counts)).rstrip())
        blocks.append("\n".join(lines))
    return "\n\n".join([f"{title}, uke for uke", *blocks, _week_legend(cal)])


def _month_day(week: list):
    """The day that names a week's month: its Thursday (as ISO weeks go), or its last day in range.
    A month's name stands above the first week of it."""
    return next((d.dato for d in week if d.dato.weekday() == 3), week[-1].dato)


def _week_cell(cells: list[str]) -> str:
    away = [c for c in cells if c != PRESENT]
    if not away:
        return PRESENT
    kind = ALL_CLOSED if all(c == ALL_CLOSED for c in away) else VIKAR if all(c == VIKAR for c in away) else SOME_CLOSED
    return f"{len(away)}{kind}"


def _week_legend(cal: Calendar) -> str:
    lines = [
        "5X = borte 5 virkedager i uken: X alle tjenester stengt, x noen stengt,",
        "v vikar tar tjenestene; . ikke borte noen virkedag.",
        "Til stede: færrest leger til stede en virkedag i uken; ! = minst én virkedag",
        "uten fastlege og uten vikar.",
    ]
    holidays = [f"{d.dato:%d.%m.} {d.helligdag}" for d in cal.days if d.helligdag and d.dato.weekday() < 5]
    if holidays:
        lines.append("Helligdager er ikke virkedager: " + ", ".join(holidays) + ".")
    if without := cal.without_gp_text():
        lines.append(without)
    return "\n".join(lines)
