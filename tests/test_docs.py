"""The documentation is checked against the program, as sqlite-utils does with its CLI reference."""

from tests.command_reference import reference
from tests.helpers import REPO


def test_the_command_reference_is_what_the_help_screens_say():
    committed = (REPO / "docs" / "commands.md").read_text(encoding="utf-8")
    assert committed == reference(), "docs/commands.md is out of date: python -m tests.command_reference"
