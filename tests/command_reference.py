"""The command reference, docs/commands.md, and the man page, docs/fravaer.1, made from one source:
the help of the program's commands. The reference is every --help screen as the program prints
it; the man page is the same help, written by a formatter of roff (man(7)) instead of columns.

    .venv/bin/python -m tests.command_reference > docs/commands.md
    .venv/bin/python -m tests.command_reference --man > docs/fravaer.1

tests/test_docs.py fails when either is out of date.
"""

import re
import sys
import tomllib
from contextlib import contextmanager

import click
from typer.main import get_command
from typer.testing import CliRunner

from fravaer_cli import __version__
from fravaer_cli.cli import app
from fravaer_cli.cli.boundary import NorwegianHelpFormatter
from tests.helpers import REPO

WIDTH = "100"  # the same help screens on every machine, whatever its terminal
MAN_PAGE = REPO / "docs" / "fravaer.1"


def help_screen(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], prog_name="fravaer", env={"COLUMNS": WIDTH})
    assert result.exit_code == 0, result.output
    return result.stdout.rstrip() + "\n"


def commands() -> list[tuple[str, ...]]:
    """Every command and group as the words after `fravaer`, in the order of --help; () is fravaer."""
    found: list[tuple[str, ...]] = []

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        found.append(path)
        if isinstance(command, click.Group):
            for name in command.list_commands(None):  # the groups ask no context
                walk(command.get_command(None, name), (*path, name))

    walk(get_command(app), ())
    return found


def reference() -> str:
    parts = [
        "# fravaer: command reference\n",
        "Every command's `--help`, as the program prints it. Made by "
        "`python -m tests.command_reference > docs/commands.md`; a test fails when it is out of date.\n",
    ]
    for path in commands():
        heading = f"## fravaer {' '.join(path)}\n\n" if path else ""
        parts.append(f"{heading}```text\n{help_screen(*path)}```\n")
    return "\n".join(parts)


# -- the man page ------------------------------------------------------------------------------

# The SPEC's exit codes: no --help screen states them (tests/test_docs.py holds them to the
# exit codes of fravaer_cli/domain/errors.py).
EXIT_CODES = [
    (0, "Utført (også når et likt fravær allerede var lagret)."),
    (1, "Bare med status --exit-code: noe er stengt den dagen."),
    (2, "Feil i inndata: bruk, verdien til et valg, dato, organisasjonsnummer, tjeneste, rader i en fil."),
    (3, "Ikke funnet: ingen fravær med den id-en, eller ingen slik virksomhet."),
    (4, "Konflikt: overlapper et lagret fravær (eller en vikar)."),
    (5, "Lagringsproblem: uleselig, ødelagt, nyere skjema, ingen tilgang, låsen ikke fått i tide, databasen."),
    (70, "En feil i programmet: én linje sier det på standard feil; sporingen bare med FRAVAER_DEBUG=1."),
    (130, "Avbrutt (Ctrl-C)."),
]


def roff(text: str, fill: bool = False) -> str:
    """text as roff's input: no escape, request or hyphen of its own (a - stays the ASCII one);
    fill: in lines of at most 80 bytes as mandoc counts them (roff fills them again)."""
    text = text.replace("\\", "\\e").replace("-", "\\-").replace("'", "\\(aq")
    if fill:
        text = "\n".join(_lines(text.split(), 80))
    return "\n".join("\\&" + line if line.startswith((".", "'")) else line for line in text.split("\n"))


def _lines(words: list[str], limit: int) -> list[str]:
    """The words in lines of at most limit bytes (a word longer than that on its own); a letter
    outside ASCII is 8, the \\[uXXXX] mandoc reads it as."""

    def size(text: str) -> int:
        return sum(1 if ord(c) < 128 else 8 for c in text)

    lines: list[str] = []
    for word in words:
        if lines and size(lines[-1]) + 1 + size(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _paragraphs(text: str) -> list[str]:
    """Click's paragraphs (blank-line separated), each filled by roff, or kept as written after \\b."""
    kept = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        if paragraph.startswith("\b"):
            kept.append(".nf\n" + roff(paragraph[1:].strip("\n")) + "\n.fi")
        else:
            kept.append(roff(" ".join(paragraph.split()), fill=True))
    return kept


class _RoffOutput(click.HelpFormatter):
    """Click's help formatter writing man(7) requests: what NorwegianHelpFormatter has put into
    Norwegian (headings, [påkrevd]) reaches it through super()."""

    def __init__(self) -> None:
        super().__init__(width=10_000)  # nothing wrapped, no command's summary shortened
        self.usage = ""
        self._heading = ""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        self.usage = f"\\fB{roff(prog)}\\fR {roff(args)}".rstrip()

    def write_paragraph(self) -> None:
        pass  # paragraphs are marked where they begin

    def write_text(self, text: str) -> None:
        for paragraph in _paragraphs(text):
            self.write(f".PP\n{paragraph}\n")

    @contextmanager
    def section(self, name: str):
        self.write(f".PP\n.B {roff(name)}:\n")
        self._heading = name
        try:
            yield
        finally:
            self._heading = ""

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        for term, text in rows:
            self.write(f".TP\n{self._term(term)}\n")
            self.write("\n.IP\n".join(_paragraphs(text)) + "\n" if text.strip() else "")

    def _term(self, term: str) -> str:
        if self._heading == "Argumenter":
            return f"\\fI{roff(term)}\\fR"
        names = []
        for alias in term.split(", "):
            name, _, metavar = alias.partition(" ")
            names.append(f"\\fB{roff(name)}\\fR" + (f" \\fI{roff(metavar)}\\fR" if metavar else ""))
        return ", ".join(names)


class RoffFormatter(NorwegianHelpFormatter, _RoffOutput):
    pass


def _help(path: tuple[str, ...]) -> tuple[click.Command, RoffFormatter]:
    """The command at path, and its help as the roff formatter wrote it."""
    command: click.Command = get_command(app)
    ctx = command.make_context("fravaer", [], resilient_parsing=True)
    for name in path:
        command = command.get_command(ctx, name)
        ctx = command.make_context(name, [], parent=ctx, resilient_parsing=True)
    formatter = RoffFormatter()
    command.format_help(ctx, formatter)
    return command, formatter


def _named_in_help() -> tuple[dict[str, str], dict[str, str]]:
    """The environment variables and files the help names, each with the help that names it:
    variables anywhere, files ($VAR/… or ~/…) in an option's help."""
    variables: dict[str, str] = {}
    files: dict[str, str] = {}
    for path in commands():
        command, _ = _help(path)
        ctx = click.Context(command)
        texts = [("", command.help or "")]
        for param in command.params:
            record = param.get_help_record(ctx)
            if record:
                texts.append(record)
        for term, text in texts:
            said = roff(f"{term.split(' ')[0]}: {text}" if term else text.split("\n\n")[0], fill=True)
            for name in re.findall(r"\$([A-Z][A-Z0-9_]*)", text):
                variables.setdefault(name, said)
            if term:
                for file in re.findall(r"(?:\$[A-Z_]+|~)/[\w./-]*\w", text):
                    files.setdefault(file, said)
    return variables, files


def man_page(date: str) -> str:
    urls = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    root, top = _help(())
    summary = (root.help or "").split("\n\n")[0].strip()
    lines = [
        '.\\" -*- coding: UTF-8 -*-',
        ".\\\" Made from the program's --help by python -m tests.command_reference --man; do not edit.",
        f'.TH FRAVAER 1 {date} "fravaer {__version__}" "Brukerkommandoer"',
        ".ad l",  # no wide gaps in lines of paths and options
        ".nh",  # no ~/.lo-cal/share
        ".SH NAME",
        roff(f"fravaer - {summary}", fill=True),
        ".SH SYNOPSIS",
        top.usage,
        ".SH DESCRIPTION",
        top.getvalue().removeprefix(".PP\n").rstrip("\n"),
        ".SH COMMANDS",
    ]
    for path in commands()[1:]:
        _, formatter = _help(path)
        lines += [f'.SS "fravaer {" ".join(path)}"', formatter.usage, formatter.getvalue().rstrip("\n")]
    lines.append(".SH EXIT STATUS")
    for code, meaning in EXIT_CODES:
        lines += [".TP", f".B {code}", roff(meaning, fill=True)]
    variables, files = _named_in_help()
    lines.append(".SH ENVIRONMENT")
    for name, said in variables.items():
        lines += [".TP", f".B {name}", said]
    lines.append(".SH FILES")
    for file, said in files.items():
        lines += [".TP", f"\\fI{roff(file)}\\fR", said]
    lines += [
        ".SH SEE ALSO",
        f".UR {urls['Homepage']}",
        "README",
        ".UE ;",
        f".UR {urls['Documentation']}",
        "dokumentasjonen",
        ".UE ,",
        roff("med hver kommandos --help i commands.md.", fill=True),
    ]
    return "\n".join(lines) + "\n"


_DATE = re.compile(r"^(\.TH FRAVAER 1) (\S+)", re.M)


def undated(page: str) -> str:
    return _DATE.sub(r"\1 DATE", page)


def current_man_page() -> str:
    """The man page as the help now says it, dated the day it last changed: the committed page's
    date while only the date would differ, else today's."""
    import datetime

    committed = MAN_PAGE.read_text(encoding="utf-8") if MAN_PAGE.exists() else ""
    match = _DATE.search(committed)
    if match and undated(committed) == undated(man_page(match[2])):
        return committed
    return man_page(datetime.date.today().isoformat())


if __name__ == "__main__":
    print(current_man_page() if sys.argv[1:] == ["--man"] else reference(), end="")
