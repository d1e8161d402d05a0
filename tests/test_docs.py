"""The documentation is checked against the program, as sqlite-utils does with its CLI reference."""

from tests.command_reference import commands, reference
from tests.helpers import REPO


def test_the_command_reference_is_what_the_help_screens_say():
    committed = (REPO / "docs" / "commands.md").read_text(encoding="utf-8")
    assert committed == reference(), "docs/commands.md is out of date: python -m tests.command_reference"


def test_every_command_is_in_the_readme_with_its_help():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in commands():
        assert f"| `{name}" in readme, f"README.md's command table lacks {name}"
