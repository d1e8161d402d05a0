"""The documentation is checked against the program, as sqlite-utils does with its CLI reference."""

import shutil
import subprocess

import pytest

from fravaer_cli.domain import errors
from tests.command_reference import EXIT_CODES, MAN_PAGE, commands, man_page, reference, undated
from tests.helpers import NO_SKIP, REPO


def test_the_command_reference_is_what_the_help_screens_say():
    committed = (REPO / "docs" / "commands.md").read_text(encoding="utf-8")
    assert committed == reference(), "docs/commands.md is out of date: python -m tests.command_reference"


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
