"""Shell completion: the committed scripts are what the program generates, and they work in real shells."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fravaer_cli.cli import app
from tests.helpers import NO_SKIP as REQUIRED  # CI installs zsh and fish, and fails rather than skips
from tests.helpers import REPO, run_database

SCRIPTS = {"bash": "fravaer.bash", "zsh": "_fravaer", "fish": "fravaer.fish"}


def needs(shell: str) -> str:
    path = shutil.which(shell)
    if path is None:
        if REQUIRED:
            pytest.fail(f"{shell} is not installed (.ci/run installs it)")
        pytest.skip(f"{shell} is not installed")
    return path


@pytest.mark.parametrize("shell", sorted(SCRIPTS))
def test_committed_script_is_what_fravaer_completion_prints(shell):
    result = CliRunner().invoke(app, ["completion", shell], prog_name="fravaer")
    assert result.exit_code == 0, result.stderr
    committed = (REPO / "completions" / SCRIPTS[shell]).read_text()
    assert result.stdout == committed, f"completions/{SCRIPTS[shell]} is out of date: run completions/regenerate.sh"
    # The same script as Click's own protocol gives (_FRAVAER_COMPLETE=source_SHELL), but for blank lines before it.
    protocol = CliRunner().invoke(app, [], env={"_FRAVAER_COMPLETE": f"source_{shell}"}, prog_name="fravaer")
    assert protocol.exit_code == 0 and protocol.stdout.lstrip("\n") == committed


def test_the_readme_way_for_zsh_and_fish_finds_the_printed_script(tmp_path):
    """zsh's compinit registers a file on fpath only when its first line is #compdef; fish loads
    ~/.config/fish/completions/fravaer.fish by itself. Both as docs/kontor.md says to install them."""
    zfunc = tmp_path / "zfunc"
    zfunc.mkdir()
    (zfunc / "_fravaer").write_text(CliRunner().invoke(app, ["completion", "zsh"]).stdout)
    dump = tmp_path / "zcompdump"
    script = f"fpath=({zfunc} $fpath); autoload -Uz compinit; compinit -u -d {dump}; print $_comps[fravaer]"
    zsh = subprocess.run([needs("zsh"), "-f", "-c", script], capture_output=True, text=True)
    assert zsh.stdout.strip() == "_fravaer", zsh.stderr
    completions = tmp_path / "config" / "fish" / "completions"
    completions.mkdir(parents=True)
    (completions / "fravaer.fish").write_text(CliRunner().invoke(app, ["completion", "fish"]).stdout)
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env["PATH"] = bin_dir + os.pathsep + os.environ["PATH"]
    fish = subprocess.run(
        [needs("fish"), "-c", "complete -C 'fravaer calendar --format i'"], capture_output=True, text=True, env=env
    )
    assert [row.split("\t")[0] for row in fish.stdout.splitlines()] == ["ics"], fish.stderr


@pytest.fixture(params=["filer", "postgres"])
def shell_env(request, example_store):
    """The example store, as a folder or loaded into a database: completion offers the same from both."""
    bin_dir = str(Path(sys.executable).parent)
    assert shutil.which("fravaer", path=bin_dir), "fravaer is not installed next to this Python"
    env = {k: v for k, v in os.environ.items() if k not in ("FRAVAER_DATA_DIR", "FRAVAER_DATABASE_URL")}
    env["PATH"] = bin_dir + os.pathsep + os.environ["PATH"]
    if request.param == "filer":
        return {**env, "FRAVAER_DATA_DIR": str(example_store)}
    dsn = request.getfixturevalue("pg_dsn")
    assert run_database(dsn, "database", "load", str(example_store)).returncode == 0
    return {**env, "FRAVAER_DATABASE_URL": dsn}


CASES = [
    ("fravaer pre", ["preview"]),
    ("fravaer add --tjeneste time", ["timebestilling"]),
    ("fravaer add --vikar e-", ["e-konsultasjon"]),
    ("fravaer add --vi", ["--vikar", "--virksomhet"]),
    ("fravaer list --virksomhet ", ["910000004", "920000002"]),
    ("fravaer list --virksomhet bryn", ["920000002"]),
    ("fravaer delete --virksomhet 910000004 ", [str(n) for n in range(1, 9)]),
    ("fravaer preview --virksomhet ddfl --lang ", ["en", "nb", "nn"]),
    ("fravaer list --virksomhet ddfl --format ", ["csv", "excel-csv", "json", "table"]),
    ("fravaer add --virksomhet 910000004 --behandler Ast", ["Astrid Info"]),
    ("fravaer roster add --virksomhet 920000002 --behandler Ka", ["Kari Nordmann"]),
]


@pytest.mark.parametrize("line, expected", CASES)
def test_bash(shell_env, line, expected):
    bash = needs("bash")
    words = line.split(" ")
    script = f"""
        source {REPO / "completions" / SCRIPTS["bash"]}
        COMP_WORDS=({" ".join(f"'{w}'" for w in words)})
        COMP_CWORD={len(words) - 1}
        _fravaer_completion fravaer '{words[-1]}' '{words[-2]}'
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    result = subprocess.run(
        [bash, "--norc", "--noprofile", "-c", script], capture_output=True, text=True, env=shell_env
    )
    assert result.returncode == 0, result.stderr
    replies = result.stdout.splitlines()  # a line a value: names have spaces
    # Bash inserts a reply as it is: the shell must read it back as one word, the value itself
    # («Astrid Info» unquoted was two words on Enter: "Uventet argument: Info").
    assert sorted(shlex.split(reply)[0] for reply in replies) == expected
    assert all(len(shlex.split(reply)) == 1 for reply in replies), replies


@pytest.mark.parametrize("line, expected", CASES)
def test_zsh(shell_env, line, expected):
    zsh = needs("zsh")
    # zsh's completion system needs a terminal; its entry points are stubbed so
    # that the committed function and the program's answer are what is tested.
    script = f"""
        compdef() {{ : }}
        source {REPO / "completions" / SCRIPTS["zsh"]}
        _arguments() {{ print -r -- "$@" }}
        words=({" ".join(f"'{w}'" for w in line.split(" "))})
        CURRENT=${{#words}}
        _fravaer_completion
    """
    result = subprocess.run([zsh, "-f", "-c", script], capture_output=True, text=True, env=shell_env)
    assert result.returncode == 0, result.stderr
    # _arguments '*: :(("value":"help" "value" ...))': the values, without their help.
    offered = sorted(re.findall(r'"((?:[^"\\]|\\.)*)"(?::"(?:[^"\\]|\\.)*")?', result.stdout))
    assert offered == expected, result.stdout


@pytest.mark.parametrize("line, expected", CASES)
def test_fish(shell_env, line, expected, tmp_path):
    fish = needs("fish")
    script = f"source {REPO / 'completions' / SCRIPTS['fish']}; complete -C '{line}'"
    env = {**shell_env, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    result = subprocess.run([fish, "--no-config", "-c", script], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(row.split("\t")[0] for row in result.stdout.splitlines()) == expected
