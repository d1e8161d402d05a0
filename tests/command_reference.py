"""The command reference, docs/commands.md, made from the program's own --help screens.

    .venv/bin/python -m tests.command_reference > docs/commands.md

tests/test_docs.py fails when the file is out of date.
"""

from typer.main import get_command
from typer.testing import CliRunner

from fravaer_cli.cli import app

WIDTH = "100"  # the same help screens on every machine, whatever its terminal


def help_screen(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], prog_name="fravaer", env={"COLUMNS": WIDTH})
    assert result.exit_code == 0, result.output
    return result.stdout.rstrip() + "\n"


def commands() -> list[str]:
    return list(get_command(app).list_commands(None))


def reference() -> str:
    parts = [
        "# fravaer: command reference\n",
        "Every command's `--help`, as the program prints it. Made by "
        "`python -m tests.command_reference > docs/commands.md`; a test fails when it is out of date.\n",
        f"```text\n{help_screen()}```\n",
    ]
    for name in commands():
        parts.append(f"## fravaer {name}\n\n```text\n{help_screen(name)}```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference(), end="")
