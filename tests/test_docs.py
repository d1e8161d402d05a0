"""The documentation is checked against the program, as sqlite-utils does with its CLI reference: the
command reference is the help screens, every example shown with its output prints that output, every
tour in a guide runs, every command has its section, and every link between the pages resolves."""

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
import typer

from fravaer_cli.cli import app
from fravaer_cli.domain import errors
from tests.command_reference import EXIT_CODES, MAN_PAGE, commands, man_page, reference, undated
from tests.docs_text import (
    CHANGELOG,
    DOCS,
    GUIDES,
    PAGES,
    README,
    anchors,
    blocks_after,
    fravaer_commands,
    links,
    name,
    output_blocks,
    run_tour,
    text,
)
from tests.helpers import NO_SKIP, REPO


def test_the_command_reference_is_what_the_help_screens_say():
    committed = (REPO / "docs" / "commands.md").read_text(encoding="utf-8")
    assert committed == reference(), "docs/commands.md is out of date: python -m tests.command_reference"


OUTPUT_BLOCKS = [(name(page), command, shown) for page in PAGES for command, shown in output_blocks(page)]


def test_the_guides_show_output_of_the_program():
    assert {page for page, _, _ in OUTPUT_BLOCKS} >= {"docs/kontor.md", "docs/kundesenter.md"}


@pytest.mark.parametrize(
    "page, command, shown", OUTPUT_BLOCKS, ids=[f"{page}: {command[:60]}" for page, command, _ in OUTPUT_BLOCKS]
)
@pytest.mark.parametrize("today", ["2026-12-03", "2028-07-12", "2035-01-01"])
def test_the_docs_show_what_their_commands_print_on_any_day(page, command, shown, today, monkeypatch):
    import shlex
    from datetime import datetime

    from typer.testing import CliRunner

    from fravaer_cli.cli import clock

    monkeypatch.setattr(clock, "now", lambda: datetime.fromisoformat(today + "T09:00:00+01:00"))
    monkeypatch.chdir(REPO)
    env = {"COLUMNS": "80", "FRAVAER_DATA_DIR": None, "FRAVAER_DATABASE_URL": None}
    result = CliRunner().invoke(app, shlex.split(command)[1:], env=env)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == shown, f"{page} shows another output of «{command}» than it prints now:\n{result.stdout}"


# The README's tour has its own test, which also checks what the README says it prints.
TOURS = [(name(page), block) for page in DOCS for block in blocks_after(page, "tour")]


@pytest.mark.parametrize("page, block", TOURS, ids=[page for page, _ in TOURS])
def test_every_tour_in_the_guides_runs_as_written(page, block, tmp_path):
    result = run_tour(block, tmp_path)
    assert result.returncode == 0, f"the tour in {page} failed:\n{result.stderr}"


def test_every_command_has_its_section_and_a_row_in_a_command_table():
    """In the Norwegian user guides or the operator's guide: a heading ### NAME, and a table row | `NAME ..."""
    guides = {name(page): text(page) for page in GUIDES}
    for command in typer.main.get_command(app).list_commands(None):
        assert any(re.search(rf"^### .*\b{command}\b", t, re.M) for t in guides.values()), (
            f"no section (### {command}) in {', '.join(guides)}"
        )
        assert any(re.search(rf"^\| `{command}\b", t, re.M) for t in guides.values()), (
            f"{command} has no row in a command table in {', '.join(guides)}"
        )


LINKED = [README, CHANGELOG, *DOCS]


@pytest.mark.parametrize("page", LINKED, ids=name)
def test_every_relative_link_resolves(page: Path):
    """A link to a file of the repository names one that exists, and an #anchor a heading in it (as GitHub
    makes anchors). Links to other sites are not followed."""
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto: …
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / unquote(path)).resolve() if path else page
        assert file.is_relative_to(REPO), f"{name(page)} links outside the repository: {target}"
        assert file.exists(), f"{name(page)} links to {target}, which does not exist"
        if anchor:
            assert file.suffix == ".md", f"{name(page)} links to an anchor in {path}, which is no page"
            assert anchor in anchors(file), f"{name(page)} links to {target}, but there is no such heading"


def test_the_link_checker_sees_links_and_anchors():
    """The checks above would pass on pages whose links they cannot find: they can find them."""
    assert "kundesenter.md" in links(REPO / "docs" / "kontor.md")
    assert "../CHANGELOG.md" in links(REPO / "docs" / "releasing.md")
    assert "kalender.png" in links(REPO / "docs" / "kontor.md")
    assert {"morgensjekk-med-cron", "avslutningskoder", "edit-og-delete"} <= anchors(REPO / "docs" / "kontor.md")
    assert "what-fravaer-guarantees-about-your-data-and-how-it-is-tested" in anchors(REPO / "docs" / "store-format.md")


def test_the_man_page_is_what_the_help_says():
    committed = MAN_PAGE.read_text(encoding="utf-8")
    assert undated(committed) == undated(man_page("DATE")), (
        "docs/fravaer.1 is out of date: python -m tests.command_reference --man > docs/fravaer.1"
    )


def test_the_man_page_has_every_command_and_option():
    page = MAN_PAGE.read_text(encoding="utf-8")
    for path in commands()[1:]:
        assert f'.SS "fravaer {" ".join(path)}"' in page
    for option in ("\\-\\-virksomhet", "\\-\\-exit\\-code", "\\-\\-database", "\\-\\-allow\\-past"):
        assert f"\\fB{option}\\fR" in page


def test_the_man_pages_exit_codes_are_the_programs():
    codes = dict(EXIT_CODES)
    for error in (errors.InputError, errors.NotFoundError, errors.ConflictError, errors.StoreError):
        assert error.exit_code in codes
    assert errors.FravaerError.exit_code == 70 in codes
    assert [code for code, _ in EXIT_CODES] == [0, 1, 2, 3, 4, 5, 70, 130]


# Each renderer reads the page as man(7) and reports what it cannot: nothing may be reported.
RENDERERS = {
    "mandoc": ["mandoc", "-T", "lint", "-W", "all"],
    "groff": ["groff", "-k", "-man", "-Tutf8", "-ww", "-z"],
    "man": ["man", "--warnings", "-l"],
}


@pytest.mark.parametrize("renderer", RENDERERS)
def test_the_man_page_renders_without_a_warning(renderer):
    command = RENDERERS[renderer]
    if shutil.which(command[0]) is None:
        if NO_SKIP:
            pytest.fail(f"{command[0]} is not installed (.ci/run installs it)")
        pytest.skip(f"{command[0]} is not installed")
    result = subprocess.run(
        [*command, str(MAN_PAGE)],
        capture_output=True,
        text=True,
        env={"MANWIDTH": "80", "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"},
    )
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    if renderer == "man":
        assert "fravaer - Fravær for fastlegers tjenester på Helsenorge" in result.stdout
        assert "--virksomhet ORGNR|NAVN" in result.stdout and "fravaer database init" in result.stdout


SHOWN = [(name(page), args) for page in PAGES if page.name != "commands.md" for args in fravaer_commands(page)]


def parse(args: list[str]) -> None:
    """args as the program would parse them, down to the command they name: an unknown command or
    option, or a missing value, raises Click's UsageError."""
    import warnings

    import click

    root = typer.main.get_command(app)
    ctx = root.make_context("fravaer", list(args))
    command = root
    with warnings.catch_warnings():  # protected_args: Click 8's place for a group's command name
        warnings.simplefilter("ignore", DeprecationWarning)
        rest = [*ctx.protected_args, *ctx.args]
        while isinstance(command, click.Group) and rest:
            name_, command, rest = command.resolve_command(ctx, rest)
            ctx = command.make_context(name_, rest, parent=ctx)
            rest = [*ctx.protected_args, *ctx.args]
    assert not rest, f"left over: {rest}"


def test_the_docs_show_many_commands():
    assert len(SHOWN) >= 60 and {page for page, _ in SHOWN} >= {"README.md", "docs/kontor.md", "docs/kundesenter.md"}


@pytest.mark.parametrize("page, args", SHOWN, ids=[f"{page}: {' '.join(args)[:60]}" for page, args in SHOWN])
def test_every_command_the_docs_show_is_one_the_program_takes(page, args):
    """The tours and output blocks run; every other command shown is parsed by the program's own parser,
    so that no guide shows an option or a command the program does not have."""
    parse(args)


@pytest.mark.parametrize("args", [["add", "--nope"], ["lsit"], ["roster", "list", "--virksomhet"]])
def test_a_command_the_program_does_not_take_fails_the_check(args):
    import click

    with pytest.raises(click.UsageError):
        parse(args)
