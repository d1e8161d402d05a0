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
        compadd() {{ print -r -- compadd ${{(q)@}} }}
        words=({" ".join(f"'{w}'" for w in line.split(" "))})
        CURRENT=${{#words}}
        _fravaer_completion
    """
    result = subprocess.run([zsh, "-f", "-c", script], capture_output=True, text=True, env=shell_env)
    assert result.returncode == 0, result.stderr
    if "compadd" in result.stdout:
        # Values zsh would not keep as typed (a part of a name): compadd -U ... -- 'value' ...
        offered = sorted(shlex.split(result.stdout.split(" -- ", 1)[1]))
    else:
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


# -- a real TAB ----------------------------------------------------------------------------------
# The shell runs interactively on a terminal (a pseudo-terminal), as in a user's window; the keys
# are typed, TAB included, and a key bound to write the command line to a file says what the line
# became. A TAB that offers file names finds one: notater.txt, alone in the working folder.


PROMPT = b"klar> "


def _typed(argv: list[str], keys: bytes, env: dict, cwd: Path, buffer: Path) -> tuple[str, str]:
    """Start the shell on a pseudo-terminal, type keys (ending with the key that writes the line
    to buffer) once it shows its prompt, and return the line and what the shell drew after the
    keys (a list of values). Keys typed before the shell reads the terminal itself would meet the
    terminal's own line editing (^U erases the line)."""
    import pty
    import select
    import time

    buffer.unlink(missing_ok=True)
    pid, fd = pty.fork()
    if pid == 0:  # the child: the shell
        os.chdir(cwd)
        os.execve(argv[0], argv, env)
    try:
        shown, typed_at = b"", None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if typed_at is None and PROMPT in shown:
                os.write(fd, keys)
                typed_at = len(shown)
            if buffer.exists() and not select.select([fd], [], [], 0.2)[0]:
                break  # the line is written, and nothing more is drawn
            if select.select([fd], [], [], 0.05)[0]:
                try:
                    shown += os.read(fd, 65536)  # what the shell draws: read, so that it never waits to write
                except OSError:
                    break
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)
    assert buffer.exists(), f"{argv[0]} wrote no line"
    drawn = shown[typed_at or 0 :].decode("utf-8", errors="replace")
    return buffer.read_text(encoding="utf-8").rstrip("\n"), drawn


@pytest.fixture
def terminal(example_store, tmp_path):
    """The example store, and a working folder with one file in it."""
    work = tmp_path / "arbeid"
    work.mkdir()
    (work / "notater.txt").write_text("")
    bin_dir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if k not in ("FRAVAER_DATA_DIR", "FRAVAER_DATABASE_URL")}
    env.update(PATH=bin_dir + os.pathsep + os.environ["PATH"], FRAVAER_DATA_DIR=str(example_store), TERM="dumb")
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    return env, work


def zsh_tab(terminal, line: str, first_tab: bool = False, drawn: bool = False):
    """line and TAB in an interactive zsh with _fravaer on fpath, as docs/kontor.md installs it.
    Unless first_tab, a TAB has completed a command name before (`fravaer previe`), then the line
    was cleared: the script is loaded, so what is tested is the answer to this TAB. drawn: also
    what zsh drew (the values it lists)."""
    env, work = terminal
    zdot, buffer = work.parent / "zdot", work.parent / "linje"
    zdot.mkdir(exist_ok=True)
    (zdot / ".zshrc").write_text(
        f"fpath=({REPO / 'completions'} $fpath); autoload -Uz compinit; compinit -u -d {zdot / 'zcompdump'}\n"
        f"_write_line() {{ print -r -- \"$BUFFER\" > {buffer} }}; zle -N _write_line; bindkey '^X' _write_line\n"
        f"PS1='{PROMPT.decode()}'\n"
    )
    keys = (b"" if first_tab else b"fravaer previe\t\x15") + line.encode() + b"\t\x18"
    typed = _typed([needs("zsh"), "-i"], keys, {**env, "ZDOTDIR": str(zdot)}, work, buffer)
    return typed if drawn else typed[0]


def fish_tab(terminal, line: str) -> str:
    """line and TAB in an interactive fish with completions/fravaer.fish loaded."""
    env, work = terminal
    buffer = work.parent / "linje"
    script = REPO / "completions" / SCRIPTS["fish"]
    init = (
        f"source {script}; bind \\cx 'commandline > {buffer}'; function fish_prompt; echo -n '{PROMPT.decode()}'; end"
    )
    argv = [needs("fish"), "--no-config", "-i", "--init-command", init]
    return _typed(argv, line.encode() + b"\t\x18", env, work, buffer)[0]


@pytest.mark.parametrize(
    "line, completed",
    [
        # A part of an office's name becomes its orgnr, as in bash and fish (zsh kept only values
        # starting with what was typed, and no orgnr starts with DDFL).
        ("fravaer list --virksomhet DDFL", "fravaer list --virksomhet 910000004 "),
        ("fravaer list --virksomhet bryn", "fravaer list --virksomhet 920000002 "),
        # A GP's name typed in lower case (the program folds case; zsh compared it as typed).
        (
            "fravaer add --virksomhet 910000004 --behandler ast",
            "fravaer add --virksomhet 910000004 --behandler Astrid\\ Info ",
        ),
    ],
)
def test_zsh_tab_completes_a_part_of_a_name_to_the_value(terminal, line, completed):
    assert zsh_tab(terminal, line) == completed


def test_zsh_tab_lists_the_offices_a_part_of_a_name_fits_and_keeps_the_word(terminal):
    """Two offices: both listed with their names, and the word stays as typed (zsh would put what
    the two orgnrs start with, «9», in its place)."""
    line, drawn = zsh_tab(terminal, "fravaer list --virksomhet e", drawn=True)
    assert line == "fravaer list --virksomhet e"
    assert "910000004 -- DDFL Test" in drawn and "920000002 -- Legesenteret på Bryn" in drawn, drawn


@pytest.mark.parametrize("tab", [zsh_tab, fish_tab], ids=["zsh", "fish"])
def test_a_tab_after_a_complete_value_inserts_no_file_name_and_a_file_argument_gets_one(terminal, tab):
    """`--until-workday` + TAB put `lager/910000004.log` on the line: with nothing to offer, zsh
    (_files) and fish (its condition failing) fell back to the folder's file names."""
    for line in ("fravaer status --until-workday ", "fravaer list --virksomhet 910000004 ", "fravaer add --fra "):
        assert tab(terminal, line) == line
    # Where a file is what the command takes, the file names are offered as before.
    assert tab(terminal, "fravaer import ") == "fravaer import notater.txt "


def test_zsh_completes_on_the_first_tab_of_a_new_shell(terminal):
    """compinit makes the file _fravaer the completion function: its first run (the first TAB of
    every new shell) only registered _fravaer_completion, and completed nothing."""
    assert zsh_tab(terminal, "fravaer previe", first_tab=True) == "fravaer preview "
