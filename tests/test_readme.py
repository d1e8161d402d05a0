"""The README's commands and examples, checked against the real program."""

import os
import re
import subprocess
import sys
from pathlib import Path

import typer

from fravaer_cli.cli import app
from tests.helpers import REPO, SEED_LINE

README = (REPO / "README.md").read_text(encoding="utf-8")


def block_after(marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n```\w*\n(.*?)```", README, re.S)
    assert match, f"no code block after <!-- {marker} --> in README.md"
    return match.group(1)


def test_tour_runs_as_written_and_ends_in_the_citizen_line(tmp_path):
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"], "TMPDIR": str(tmp_path)}
    env.pop("FRAVAER_DATA_DIR", None)
    result = subprocess.run(
        ["bash", "-eu", "-c", block_after("tour")], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(f"Astrid Info:\n  {SEED_LINE}\n")
    shown_table = re.search(r"shows the row as the Helsenorge overview does:\n\n((?:    .*\n)+)", README).group(1)
    assert "\n".join(line[4:] for line in shown_table.splitlines()) in result.stdout


def test_test_command_is_what_ci_runs():
    ci = (REPO / ".ci" / "run").read_text()
    assert "test-command" in ci
    assert block_after("test-command").strip().startswith("python3 -m venv .venv")


def test_every_command_is_documented():
    commands = typer.main.get_command(app).list_commands(None)
    for name in commands:
        assert re.search(rf"^### .*\b{name}\b", README, re.M), f"no README section for {name}"
        assert f"| `{name}" in README, f"{name} is not in the README's command table"
