"""The README's commands and examples, checked against the real program."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from fravaer_cli.cli import app
from tests.helpers import REPO, SEED_LINE

README = (REPO / "README.md").read_text(encoding="utf-8")


def block_after(marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n```\w*\n(.*?)```", README, re.S)
    assert match, f"no code block after <!-- {marker} --> in README.md"
    return match.group(1)


def test_tour_runs_as_written_on_a_copy_of_the_example_store(tmp_path):
    """From a clone's folder, as the README says; the example store itself is left as it was."""
    before = {p.name: p.read_bytes() for p in (REPO / "data" / "eksempel").iterdir()}
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"], "TMPDIR": str(tmp_path)}
    env.pop("FRAVAER_DATA_DIR", None)
    script = f"cd {tmp_path} && cp -r {REPO / 'data'} data && " + block_after("tour")
    result = subprocess.run(["bash", "-eu", "-c", script], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert f"Astrid Info:\n  {SEED_LINE}\n" in result.stdout
    shown_table = re.search(r"the comment where there is room:\n\n((?:    .*\n)+)", README).group(1)
    assert "\n".join(line[4:] for line in shown_table.splitlines()) in result.stdout
    assert re.search(r"prints the new fravær's id \(`(\d+)`\)", README)[1] + "\n" in result.stdout
    page = (tmp_path / "sommer.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Ole Dahl" in page
    assert {p.name: p.read_bytes() for p in (REPO / "data" / "eksempel").iterdir()} == before


def output_blocks() -> list[tuple[str, str]]:
    """Every block after <!-- output -->: its first line the command ($ fravaer ...), then what it prints."""
    blocks = re.findall(r"^( *)<!-- output -->\n\1```text\n(.*?)^\1```", README, re.S | re.M)
    assert blocks, "no <!-- output --> blocks in README.md"
    result = []
    for indent, block in blocks:
        lines = [line[len(indent) :] for line in block.splitlines()]
        assert lines[0].startswith("$ fravaer "), lines[0]
        result.append((lines[0][2:], "\n".join(lines[1:]) + "\n"))
    return result


@pytest.mark.parametrize("command, shown", output_blocks(), ids=lambda v: v[:60] if v.startswith("fravaer") else "")
@pytest.mark.parametrize("today", ["2026-12-03", "2028-07-12", "2035-01-01"])
def test_the_readme_shows_what_its_commands_print_on_any_day(command, shown, today, monkeypatch):
    import shlex
    from datetime import datetime

    from typer.testing import CliRunner

    from fravaer_cli.cli import clock

    monkeypatch.setattr(clock, "now", lambda: datetime.fromisoformat(today + "T09:00:00+01:00"))
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(app, shlex.split(command)[1:], env={"COLUMNS": "80", "FRAVAER_DATA_DIR": None})
    assert result.exit_code == 0, result.stderr
    assert result.stdout == shown, f"README.md shows another output of «{command}» than it prints now:\n{result.stdout}"


def test_the_run_command_shows_the_example_plan_on_any_day(monkeypatch, capsys):
    """The run command's fravaer calls: the same output whatever today is, and the plan in it."""
    import shlex
    from datetime import datetime

    from typer.testing import CliRunner

    from fravaer_cli.cli import clock

    calls = [c.strip() for c in block_after("run-command").split("&&") if ".venv/bin/fravaer" in c]
    assert len(calls) == 2
    monkeypatch.chdir(REPO)
    seen = set()
    for today in ("2026-12-03", "2028-07-12", "2040-02-29"):
        monkeypatch.setattr(clock, "now", lambda t=today: datetime.fromisoformat(t + "T09:00:00+01:00"))
        out = ""
        for call in calls:
            result = CliRunner().invoke(app, shlex.split(call)[1:], env={"COLUMNS": "80", "FRAVAER_DATA_DIR": None})
            assert result.exit_code == 0, result.stderr
            out += result.stdout
        seen.add(out)
    (out,) = seen
    assert "Stengt 12.07.2028:" in out and "Legesenteret på Bryn (920000002)" in out
    assert "Ingen fastlege: 12.07.–14.07.2028." in out and "Kari Vik      v  v  v" in out


def test_test_command_is_what_ci_runs():
    ci = (REPO / ".ci" / "run").read_text()
    assert "test-command" in ci
    assert block_after("test-command").strip().startswith("python3 -m venv .venv")


def test_every_command_is_documented():
    commands = typer.main.get_command(app).list_commands(None)
    for name in commands:
        assert re.search(rf"^### .*\b{name}\b", README, re.M), f"no README section for {name}"
        assert f"| `{name}" in README, f"{name} is not in the README's command table"
